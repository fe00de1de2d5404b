"""Logistic-regression models for 28x28 digits: pure ``nn.Module``s, no I/O.

Every model is one Linear(784 -> 10) layer; they differ in how its ten scores become a loss
and probabilities. ``scores`` always returns the raw linear outputs z (the logits), so the
app can place them on the sigmoid curve whatever the model.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

N_PIXELS = 28 * 28
N_CLASSES = 10


class LinearDigits(nn.Module):
    """Shared body: flatten, then one linear layer. Subclasses define loss and probabilities."""

    kind = "linear"

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(N_PIXELS, N_CLASSES)
        self.metadata: dict = {}  # framing, config and metrics, once trained or loaded

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """Logits z = Wx + b, shape (N,10), for images (N,28,28) or (N,784) in [0,1]."""
        return self.linear(x.reshape(x.shape[0], -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scores(x)

    def loss(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def proba(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def dloss_dz(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The gradient of ``loss`` with respect to the logits, in closed form."""
        raise NotImplementedError

    @torch.no_grad()
    def gradients(self, x: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor, torch.Tensor]:
        """Loss and its exact gradients (dW, db) for a batch, without autograd.

        For a linear layer z = Wx + b the chain rule gives dW = dz^T x and db = sum(dz):
        three small matrix operations, several times cheaper than a backward pass here.
        """
        x = x.reshape(x.shape[0], -1)
        z = torch.addmm(self.linear.bias, x, self.linear.weight.t())
        dz = self.dloss_dz(z, y)
        return float(self.loss(z, y)), dz.t() @ x, dz.sum(0)


class SoftmaxRegression(LinearDigits):
    """Multinomial logistic regression: the logits go straight into cross-entropy.

    This is what ``nn.CrossEntropyLoss`` expects: it applies log-softmax itself.
    """

    kind = "softmax"

    def loss(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(z, y)

    def proba(self, z: torch.Tensor) -> torch.Tensor:
        return z.softmax(1)

    def dloss_dz(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        dz = z.softmax(1)
        dz[torch.arange(len(y)), y] -= 1  # (p - onehot) / N
        return dz.div_(len(y))


class TutorialSigmoid(LinearDigits):
    """The tutorials' model, kept on purpose to show its flaw: sigmoid before CrossEntropyLoss.

    ``CrossEntropyLoss`` applies softmax to its input, so this trains softmax(sigmoid(z)).
    The sigmoid squashes every score into (0, 1), so the softmax can never be confident:
    the best possible probability is e / (e + 9) ~ 0.23, the loss cannot fall below ~1.46,
    and the gradient through the flat ends of the sigmoid is tiny. It trains slowly and
    ends worse than ``softmax``; the Sigmoid tab shows the measured difference.
    """

    kind = "tutorial-sigmoid"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.scores(x))

    def loss(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(torch.sigmoid(z), y)

    def proba(self, z: torch.Tensor) -> torch.Tensor:
        # What the loss believes: softmax over the squashed scores.
        return torch.sigmoid(z).softmax(1)

    def dloss_dz(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        s = torch.sigmoid(z)
        ds = s.softmax(1)
        ds[torch.arange(len(y)), y] -= 1
        return ds.mul_(s * (1 - s)).div_(len(y))  # the sigmoid's slope s(1-s) <= 1/4 shrinks every step


class OneVsRest(LinearDigits):
    """Ten independent binary logistic regressions ("is it a 3?"), sigmoid + BCEWithLogitsLoss.

    Each class gets a true sigmoid probability; the ten need not sum to one.
    """

    kind = "one-vs-rest"

    def loss(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        target = F.one_hot(y, N_CLASSES).to(z.dtype)
        # Summed over the ten classifiers, averaged over the batch: each gets a full-sized gradient.
        return F.binary_cross_entropy_with_logits(z, target, reduction="sum") / z.shape[0]

    def proba(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(z)

    def dloss_dz(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        dz = torch.sigmoid(z)
        dz[torch.arange(len(y)), y] -= 1  # sigmoid(z) - target, for each of the ten classifiers
        return dz.div_(len(y))


MODELS: dict[str, type[LinearDigits]] = {m.kind: m for m in (SoftmaxRegression, TutorialSigmoid, OneVsRest)}
KINDS = tuple(MODELS)


def build(kind: str = "softmax", seed: int | None = None) -> LinearDigits:
    """A fresh model of the given kind; ``seed`` makes its initial weights reproducible."""
    if kind not in MODELS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {', '.join(KINDS)}")
    if seed is None:
        return MODELS[kind]()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MODELS[kind]()
