"""Inference on framed 28x28 images."""

from __future__ import annotations

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
