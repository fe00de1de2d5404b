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

from common.status import Status
from model.checkpoint import curves
from model.nets import MODELS, LinearDigits
from train import fused
from train.config import TrainConfig
from train.data import Mnist, to_float
from train.optim import Optimizer

BatchCallback = Callable[[int, int, float], None]  # (step in epoch, steps per epoch, batch loss)
EVAL_BATCH = 10_000
CHUNK_ROWS = 4096  # digits per call of the fused loop when someone watches (progress, stop) or augments
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
    engine: str = ""  # what ran the steps: the fused loop, or the Python loop and why

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
            str(d.get("engine", "")),
        )


def engine_for(net: LinearDigits):
    """(the fused library or None, a one-line description of what will run ``net``'s steps).

    The fused loop knows the three models' losses; a model whose loss was replaced (tests do
    that to force a NaN) trains in Python, and so does every model where nothing compiles.
    """
    own = {"loss", "dloss_dz", "gradients", "scores"} & set(vars(net))
    if MODELS.get(net.kind) is not type(net) or own or net.linear.weight.dtype != torch.float32:
        return None, "Python loop: this model's loss is not one the fused loop knows"
    lib = fused.library()
    if lib is None:
        return None, f"Python loop: {fused.reason()}"
    return lib, fused.NAME


@torch.no_grad()
def evaluate(net: LinearDigits, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean loss and accuracy (0..1) of ``net`` on framed images ``x`` with labels ``y``."""
    n = max(len(x), 1)
    lib, _ = engine_for(net)
    if lib is not None:
        total, correct = fused.evaluate(lib, x, y, net.kind, net.linear.weight, net.linear.bias)
        return total / n, correct / n
    was_training = net.training
    net.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(x), EVAL_BATCH):
        z = net.scores(to_float(x[i : i + EVAL_BATCH]))
        yb = y[i : i + EVAL_BATCH]
        loss_sum += float(net.loss(z, yb)) * len(yb)
        correct += int((z.argmax(1) == yb).sum())
    net.train(was_training)
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
    lib, engine = engine_for(net)
    n = len(framed.train_x) if idx is None else len(idx)
    bs, steps = min(cfg.batch_size, n), steps_per_epoch(cfg, len(framed.train_x))
    opt = Optimizer([net.linear.weight, net.linear.bias], cfg, total_steps=cfg.epochs * steps)
    y_train = framed.train_y if idx is None else framed.train_y[idx]
    with torch.no_grad():
        chance = float(net.loss(torch.zeros(len(y_train), 10), y_train))
    net.train()
    for epoch in range(1, cfg.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(n, generator=gen)
        if lib is not None:
            rows = order if idx is None else idx[order]  # the fused loop reads the shared images in place
            losses = _fused_epoch(lib, net, framed, rows, bs, opt, cfg, gen, epoch, on_batch)
        else:
            losses = _python_epoch(
                net, framed, order if idx is None else idx[order], bs, opt, cfg, gen, epoch, on_batch
            )
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
        yield EpochMetrics(epoch, train_loss, losses, test_loss, test_acc, time.perf_counter() - start, engine=engine)


def _fused_epoch(lib, net, framed, rows, bs, opt, cfg, gen, epoch, on_batch) -> list[float]:
    """One epoch in the fused loop: in one call, or in chunks when watched or augmented."""
    steps = -(-len(rows) // bs)
    chunk = steps if on_batch is None and not cfg.augment else max(1, CHUNK_ROWS // bs)
    losses: list[float] = []
    for s0 in range(0, steps, chunk):
        r = rows[s0 * bs : (s0 + chunk) * bs]
        x, y = framed.train_x, framed.train_y
        if cfg.augment:  # a chunk of batches at once: the same random draws as batch by batch
            x, y, r = augment(to_float(x[r]), gen), y[r], torch.arange(len(r))
        done, values = fused.train_steps(lib, x, y, r, bs, net.kind, opt, net.linear.weight.data, net.linear.bias.data)
        stop = None  # the callback may ask to stop: report the rest of the chunk (the model took those steps) first
        for j, value in enumerate(values[:done]):
            losses.append(value)
            if on_batch is not None:
                try:
                    on_batch(s0 + j + 1, steps, value)
                except Exception as exc:
                    stop = stop or exc
        if stop is not None:
            raise stop
        if done < len(values) or not all(map(math.isfinite, values)):
            raise TrainingDiverged(_diverged_message(cfg, epoch, s0 + done))
    return losses


def _python_epoch(net, framed, rows, bs, opt, cfg, gen, epoch, on_batch) -> list[float]:
    """One epoch step by step in Python: the closed-form gradients, then the optimizer."""
    steps = -(-len(rows) // bs)
    x_flat = framed.train_x.reshape(len(framed.train_x), -1)
    losses = []
    for step in range(steps):
        batch = rows[step * bs : (step + 1) * bs]
        xb, yb = to_float(x_flat[batch]), framed.train_y[batch]
        if cfg.augment:
            xb = augment(xb.view(-1, 28, 28), gen).reshape(len(batch), -1)
        value, grad_w, grad_b = net.gradients(xb, yb)
        if not math.isfinite(value):
            raise TrainingDiverged(_diverged_message(cfg, epoch, step))
        opt.step([grad_w, grad_b])
        losses.append(value)
        if on_batch is not None:
            on_batch(step + 1, steps, value)
    return losses


def _diverged_message(cfg: TrainConfig, epoch: int, step: int, what: str = "became NaN or infinite") -> str:
    return (
        f"Training diverged in epoch {epoch} (step {step}): the loss {what}. "
        f"The learning rate {cfg.lr:g} is too high for {cfg.optimizer}; try {GOOD_LR[cfg.optimizer]:g}."
    )


def run_metadata(cfg: TrainConfig, history: list[EpochMetrics], status: str = Status.FINISHED) -> dict:
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
            "engine": last.engine,  # the fused loop, or why the Python loop ran
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "history": curves(history),
    }
