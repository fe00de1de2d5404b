"""The training loop: a generator of per-epoch metrics that trains a model in place.

The caller decides what to do with each epoch (draw a chart, print a line, assert), and
stopping is simply leaving the loop: the model keeps whatever it has learned so far.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from model.checkpoint import curves
from model.nets import LinearDigits
from train.config import TrainConfig
from train.data import Mnist, to_float
from train.optim import Optimizer

BatchCallback = Callable[[int, int, float], None]  # (step in epoch, steps per epoch, batch loss)
EVAL_BATCH = 10_000
# An epoch whose mean loss is this many times the loss of a know-nothing model (all logits
# zero, i.e. chance) has diverged: a linear model's loss stays finite, but it explodes.
DIVERGENCE_FACTOR = 3.0
GOOD_LR = {"adam": 0.005, "sgd": 0.5, "sgd-momentum": 0.05}  # measured to train well on framed MNIST


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite: almost always a learning rate that is too high."""


@dataclass
class EpochMetrics:
    """What one epoch did. ``seconds`` is this epoch's wall time, training and evaluation."""

    epoch: int
    train_loss: float
    batch_losses: list[float] = field(repr=False)
    test_loss: float
    test_accuracy: float
    seconds: float
    partial: bool = False  # a stopped run's last, unfinished epoch

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict) -> EpochMetrics:
        """From a saved record (a metrics JSON, a history row); batch losses may be absent."""
        return cls(
            d["epoch"],
            d["train_loss"],
            list(d.get("batch_losses", [])),
            d["test_loss"],
            d["test_accuracy"],
            d["seconds"],
            bool(d.get("partial", False)),
        )


@torch.no_grad()
def evaluate(net: LinearDigits, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean loss and accuracy (0..1) of ``net`` on framed images ``x`` with labels ``y``."""
    was_training = net.training
    net.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), EVAL_BATCH):
        z = net.scores(to_float(x[i : i + EVAL_BATCH]))
        yb = y[i : i + EVAL_BATCH]
        loss_sum += float(net.loss(z, yb)) * len(yb)
        correct += int((z.argmax(1) == yb).sum())
    net.train(was_training)
    n = max(len(x), 1)
    return loss_sum / n, correct / n


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random small rotation (+-12 deg), scale (+-10 %) and shift (+-1.5 px) of each image."""
    n = x.shape[0]
    u = torch.rand(n, 4, generator=gen) * 2 - 1
    angle, scale = u[:, 0] * math.radians(12), 1 + 0.1 * u[:, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    shift = u[:, 2:] * (1.5 * 2 / 28)  # pixels in normalised coordinates
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, (n, 1, 28, 28), align_corners=False)
    return F.grid_sample(x[:, None], grid, align_corners=False)[:, 0]


def _subset(n_total: int, n: int, gen: torch.Generator) -> torch.Tensor | None:
    return None if n >= n_total else torch.randperm(n_total, generator=gen)[:n]


def steps_per_epoch(cfg: TrainConfig, n_available: int) -> int:
    """Gradient steps in one epoch of ``cfg`` on a dataset of ``n_available`` training digits."""
    n = min(cfg.train_subset, n_available)
    return math.ceil(n / min(cfg.batch_size, n))


def fit(
    net: LinearDigits, data: Mnist, cfg: TrainConfig, on_batch: BatchCallback | None = None
) -> Iterator[EpochMetrics]:
    """Train ``net`` in place on ``data`` with ``cfg``, yielding metrics after every epoch.

    Raises TrainingDiverged as soon as a loss is not finite. ``on_batch`` (optional) is
    called after every step, for progress bars.
    """
    framed = data.framed(cfg.framing)
    gen = torch.Generator().manual_seed(cfg.seed)
    idx = _subset(len(framed.train_x), cfg.train_subset, gen)
    x_train = framed.train_x if idx is None else framed.train_x[idx]
    y_train = framed.train_y if idx is None else framed.train_y[idx]
    x_flat = x_train.reshape(len(x_train), -1)
    params = [net.linear.weight, net.linear.bias]
    opt = Optimizer(params, cfg)
    n, bs = len(x_flat), min(cfg.batch_size, len(x_flat))
    steps = steps_per_epoch(cfg, n)
    with torch.no_grad():
        chance = float(net.loss(torch.zeros(len(y_train), 10), y_train))
    net.train()
    for epoch in range(1, cfg.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(n, generator=gen)
        losses = []
        for step in range(steps):
            batch = order[step * bs : (step + 1) * bs]
            xb, yb = to_float(x_flat[batch]), y_train[batch]
            if cfg.augment:
                xb = augment(xb.view(-1, 28, 28), gen).reshape(len(batch), -1)
            value, grad_w, grad_b = net.gradients(xb, yb)
            if not math.isfinite(value):
                raise TrainingDiverged(_diverged_message(cfg, epoch, step))
            opt.step([grad_w, grad_b])
            losses.append(value)
            if on_batch is not None:
                on_batch(step + 1, steps, value)
        train_loss = sum(losses) / len(losses)
        test_loss, test_acc = evaluate(net, framed.test_x, framed.test_y)
        if not math.isfinite(test_loss):
            raise TrainingDiverged(_diverged_message(cfg, epoch, steps))
        if train_loss > DIVERGENCE_FACTOR * chance:
            raise TrainingDiverged(
                _diverged_message(
                    cfg,
                    epoch,
                    steps,
                    f"grew to {train_loss:.3g}, {train_loss / chance:.0f}x the {chance:.2f} of guessing",
                )
            )
        yield EpochMetrics(epoch, train_loss, losses, test_loss, test_acc, time.perf_counter() - start)


def _diverged_message(cfg: TrainConfig, epoch: int, step: int, what: str = "became NaN or infinite") -> str:
    return (
        f"Training diverged in epoch {epoch} (step {step}): the loss {what}. "
        f"The learning rate {cfg.lr:g} is too high for {cfg.optimizer}; try {GOOD_LR[cfg.optimizer]:g}."
    )


def run_metadata(cfg: TrainConfig, history: list[EpochMetrics], status: str = "finished") -> dict:
    """Checkpoint metadata for a run: its framing, full config, final metrics and its curves
    (per-epoch figures, batch losses averaged down to the checkpoint's bound)."""
    last = history[-1]
    return {
        "framing": cfg.framing,
        "config": cfg.to_dict(),
        "status": status,
        "metrics": {
            "epochs_completed": last.epoch,
            "test_accuracy": last.test_accuracy,
            "test_loss": last.test_loss,
            "train_loss": last.train_loss,
            "train_seconds": sum(h.seconds for h in history),
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "history": curves(history),
    }
