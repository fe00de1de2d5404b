"""One training run from a ``TrainConfig`` to its end: the lifecycle the app's job and the CLI share.

``train_run`` trains, reports every epoch to a ``RunSink``, stops on the run's time limit or when
``should_stop`` gives a reason, scores a partial last epoch so a stopped run keeps a model that can
be compared, fails cleanly (a diverged loss, any error) and, for a run trained with the room's
drawings, measures the room's accuracy before and after. It never raises: the result says how the
run ended, and the caller shows it (a progress panel, a printed line, an assertion).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import model
from common.status import Status
from model.checkpoint import downsample
from model.nets import LinearDigits
from train.config import TrainConfig
from train.data import Mnist
from train.loop import BatchCallback, EpochMetrics, TrainingDiverged, evaluate, fit, run_metadata
from train.source import NoSink, RunSink

# Batch losses a run keeps for its finished epochs, all epochs together (each epoch's averaged down
# to its share): a 200-epoch run of batch 1 would otherwise keep 200,000 floats.
MAX_STORED_LOSSES = 4_000


class Stop(Exception):
    """Raised from a batch callback to end the run after the current step; ``str()`` says why."""


@dataclass
class RunResult:
    """How a run ended. ``net`` is None for a failed run; ``reason`` says why a run stopped early."""

    status: Status
    history: list[EpochMetrics] = field(default_factory=list)
    net: LinearDigits | None = None
    metadata: dict | None = None
    room: dict | None = None  # trained with the room's drawings: room accuracy before and after
    error: str | None = None
    reason: str = ""
    diverged: bool = False  # failed because the loss blew up (the error says so in plain words)


@dataclass
class _Watch:
    """The per-step checks: the time limit, then the caller's stop request."""

    cfg: TrainConfig
    on_batch: BatchCallback | None
    should_stop: Callable[[], str]
    deadline: float = float("inf")
    losses: list[float] = field(default_factory=list)  # batch losses of the current epoch

    def __call__(self, step: int, steps: int, loss: float) -> None:
        self.losses.append(loss)
        if self.on_batch is not None:
            self.on_batch(step, steps, loss)
        if time.perf_counter() > self.deadline:
            raise Stop(f"its time limit of {self.cfg.time_limit:g} s was reached")
        if reason := self.should_stop():
            raise Stop(reason)


def train_run(
    cfg: TrainConfig,
    data: Mnist,
    sink: RunSink | None = None,
    *,
    on_batch: BatchCallback | None = None,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
    should_stop: Callable[[], str] = lambda: "",
    on_scoring_room: Callable[[], None] | None = None,
) -> RunResult:
    """Train a new model for ``cfg`` on ``data`` (``Mnist`` or the room's mix, train/room.py).

    ``on_batch(step, steps, loss)`` after every step; ``on_epoch(metrics)`` after every epoch, once
    the sink has it; ``should_stop()`` after every step: a non-empty reason ends the run (stopped),
    and so does a ``Stop`` or ``KeyboardInterrupt`` raised from ``on_batch``. ``on_scoring_room``
    before the room's before/after figures, which train a twin without the room's drawings.
    """
    sink = sink or NoSink()
    watch = _Watch(cfg, on_batch, should_stop)
    history: list[EpochMetrics] = []
    per_epoch = max(1, MAX_STORED_LOSSES // cfg.epochs)
    status, reason = Status.FINISHED, ""
    try:
        framed = data.framed(cfg.framing)
        net = model.build(cfg.model, seed=cfg.seed)
        epoch_start = time.perf_counter()
        watch.deadline = epoch_start + cfg.time_limit
        for m in fit(net, data, cfg, on_batch=watch):
            m.batch_losses = downsample(m.batch_losses, per_epoch)
            history.append(m)
            sink.epoch(m)
            watch.losses, epoch_start = [], time.perf_counter()
            if on_epoch is not None:
                on_epoch(m)
    except (Stop, KeyboardInterrupt) as stop:
        status, reason = Status.STOPPED, str(stop)
    except TrainingDiverged as exc:
        return _failed(sink, history, str(exc), diverged=True)
    except Exception as exc:  # reported as a message, never as a traceback
        return _failed(sink, history, f"{type(exc).__name__}: {exc}")
    if status == Status.STOPPED and watch.losses:
        # Stopped mid-epoch: score the partial model so it can be compared and kept.
        loss, acc = evaluate(net, framed.test_x, framed.test_y)
        train_loss = sum(watch.losses) / len(watch.losses)
        seconds = time.perf_counter() - epoch_start
        partial = EpochMetrics(
            len(history) + 1, train_loss, downsample(watch.losses, per_epoch), loss, acc, seconds, True
        )
        history.append(partial)
        sink.epoch(partial)
    if not history:
        sink.finish(Status.STOPPED)
        return RunResult(Status.STOPPED, reason=reason)
    metadata = run_metadata(cfg, history, status)
    if sink.run_id is not None:
        metadata["run_id"] = sink.run_id
    room = None
    if hasattr(data, "report"):
        if on_scoring_room is not None:
            on_scoring_room()
        room = data.report(net, keep_going=lambda: not should_stop())
        for key in ("before", "after"):
            if room[key] is not None:  # plain numbers in the checkpoint too: the model carries them
                metadata[f"room_{key}"] = room[key]
    sink.finish(status, net, metadata, history, info={"room": room} if room else None)
    net.eval()
    net.metadata = metadata
    return RunResult(status, history, net, metadata, room, reason=reason)


def _failed(sink: RunSink, history: list[EpochMetrics], error: str, diverged: bool = False) -> RunResult:
    sink.fail(error, history)
    return RunResult(Status.FAILED, history, error=error, diverged=diverged)
