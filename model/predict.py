"""Inference on framed 28x28 images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from model.nets import LinearDigits


def _batch(images) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"expected framed images (N,28,28), got shape {tuple(x.shape)}")
    return x


@torch.no_grad()
def logits(net: LinearDigits, images) -> np.ndarray:
    """Raw linear scores z = Wx + b, (N,10). Does not touch the model's state: the shipped
    model is shared by every session's thread."""
    return net.scores(_batch(images)).numpy()


@torch.no_grad()
def predict_proba(net: LinearDigits, images) -> np.ndarray:
    """Class probabilities (N,10) for framed images (N,28,28) or one (28,28) in [0,1].

    softmax and tutorial-sigmoid rows sum to one; one-vs-rest gives ten independent
    sigmoid probabilities. Images are used as given: [0,1] pixels, white on black.
    """
    return probabilities(net, logits(net, images))


@torch.no_grad()
def probabilities(net: LinearDigits, z: np.ndarray) -> np.ndarray:
    """Probabilities from logits already computed (N,10), without another forward pass."""
    return net.proba(torch.as_tensor(z)).numpy()


def contributions(net: LinearDigits, image) -> np.ndarray:
    """Exact per-pixel contribution w_ci * x_i to each class's logit, shape (10,28,28).

    For a linear model the logit is the sum of these plus the bias, so this is not an
    approximation: it is the whole explanation.
    """
    w = net.linear.weight.detach().numpy().reshape(10, 28, 28)
    return w * np.asarray(image, dtype=np.float32)[None]


@dataclass(frozen=True)
class Reading:
    """What a model read in one framed image: the framing's steps, the 28x28 it saw, its scores."""

    steps: dict  # the framing's steps (model.framing_steps or model.photo.photo_steps)
    framed: np.ndarray  # (28,28) float32 in [0,1], white on black
    logits: np.ndarray  # (10,) raw scores
    proba: np.ndarray  # (10,) probabilities

    @property
    def digit(self) -> int:
        return int(self.proba.argmax())

    @property
    def confidence(self) -> float:
        return float(self.proba.max())


def read_framed(net: LinearDigits, steps: dict | None) -> Reading | None:
    """``net``'s reading of a framed image, from its framing steps (None: nothing to read)."""
    if steps is None or steps.get("framed") is None:
        return None
    z = logits(net, steps["framed"])
    return Reading(steps, steps["framed"], z[0], probabilities(net, z)[0])
