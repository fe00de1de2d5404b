"""A training run in a background thread, with progress to poll and a stop flag.

The app starts one per browser session, so drawing and other sessions never wait on it and
widgets never interrupt it. At most ``TrainingSlots.capacity`` jobs train at once on a server;
the others wait in line and report their position.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import model
from model.checkpoint import downsample
from model.nets import LinearDigits
from store import Recorder, Store
from train.config import TrainConfig
from train.data import Mnist
from train.loop import EpochMetrics, TrainingDiverged, evaluate, fit, run_metadata, steps_per_epoch

QUEUED, PREPARING, RUNNING, FINISHED, STOPPED, FAILED = (
    "queued",
    "preparing",
    "running",
    "finished",
    "stopped",
    "failed",
)
DONE = (FINISHED, STOPPED, FAILED)


TRAINING_NICE = 10  # drawing requests (and the participants' browsers) go first; training soaks up the rest
# Batch losses a job keeps for its finished epochs, all epochs together (each epoch's averaged down
# to its share): a 200-epoch run of batch 1 would otherwise keep 200,000 floats per session.
MAX_STORED_LOSSES = 4_000


def _lower_priority() -> None:
    """Lower this thread's CPU priority (Linux sets nice per thread id); elsewhere a no-op."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICE)
    except (AttributeError, OSError):
        pass


class _Stop(Exception):
    """Raised from the batch callback to leave fit() after the current step."""


class TrainingSlots:
    """A first-come, first-served limit on concurrent trainings."""

    def __init__(self, capacity: int | None = None) -> None:
        self.capacity = max(1, capacity or int(os.environ.get("DIGIT_STUDIO_TRAIN_SLOTS", 0)) or os.cpu_count() or 1)
        self._cond = threading.Condition()
        self._running: set[int] = set()
        self._waiting: list[int] = []
        self._owners: dict[str, TrainingJob] = {}  # each owner's latest job (done or not)

    def claim(self, owner: str, job: TrainingJob) -> bool:
        """Note that ``job`` is ``owner``'s queued or training run; False while another job of
        theirs is not done (one run at a time per person, however many tabs or sessions they open)."""
        with self._cond:
            held = self._owners.get(owner)
            if held is not None and held is not job and not held.done:
                return False
            self._owners[owner] = job
            return True

    def unclaim(self, owner: str, job: TrainingJob) -> None:
        with self._cond:
            if self._owners.get(owner) is job:
                del self._owners[owner]

    def position(self, ticket: int) -> int:
        """0 while running (or not waiting), else 1-based place in line."""
        with self._cond:
            return self._waiting.index(ticket) + 1 if ticket in self._waiting else 0

    def acquire(self, ticket: int, cancelled: Callable[[], bool]) -> bool:
        """Wait for a slot; False if ``cancelled()`` became true first."""
        with self._cond:
            self._waiting.append(ticket)
            try:
                while not (self._waiting[0] == ticket and len(self._running) < self.capacity):
                    if cancelled():
                        return False
                    self._cond.wait(0.2)
                self._running.add(ticket)
                return True
            finally:
                self._waiting.remove(ticket)
                self._cond.notify_all()

    def release(self, ticket: int) -> None:
        with self._cond:
            self._running.discard(ticket)
            self._cond.notify_all()

    @property
    def busy(self) -> int:
        with self._cond:
            return len(self._running)


@dataclass
class TrainingJob:
    """One training run. Read its fields from any thread; they only ever grow or advance."""

    cfg: TrainConfig
    load_data: Callable[[], Mnist]
    slots: TrainingSlots
    name: str = ""  # optional display name, kept in the run history
    runs: Store | None = None  # where to record the run (None: nowhere)
    owner: str = "presenter"  # whose run it is (a participant id), recorded with it
    alive: Callable[[], bool] | None = None  # is the owner (a browser session) still connected?
    grace: float = 3.0  # seconds the owner may be gone (a network blip) before the run stops
    # Called in the job's thread with the trained model once the run is done and its slot free
    # (the app draws the model's figures there, before anyone asks for them); errors are logged.
    on_done: Callable[[LinearDigits], None] | None = None
    recorder: Recorder | None = None
    state: str = QUEUED
    message: str = "Waiting to start…"
    history: list[EpochMetrics] = field(default_factory=list)
    step: int = 0  # steps done in the current epoch
    epoch_losses: list[float] = field(default_factory=list)  # batch losses of the current epoch
    steps: int = 0  # steps per epoch
    net: LinearDigits | None = None
    error: str | None = None
    metadata: dict | None = None
    room: dict | None = None  # trained with the room's drawings: room accuracy before and after (train/room.py)
    started: float = field(default_factory=time.time)
    queued_seconds: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    # Set when the first epoch has ended, and when the run ends.
    _news: threading.Event = field(default_factory=threading.Event, repr=False)
    _settled: threading.Event = field(default_factory=threading.Event, repr=False)  # on_done has run
    _gone_since: float | None = field(default=None, repr=False)
    stop_reason: str = ""
    _deadline: float = field(default=float("inf"), repr=False)  # perf_counter() when the time limit ends
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> TrainingJob:
        self._thread = threading.Thread(target=self._run, name=f"train-{id(self)}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to end after its current step; it keeps the partial model."""
        self._stop.set()

    def wait_first_epoch(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the first epoch's result (or the end of the run); True if it came."""
        return self._news.wait(timeout)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def done(self) -> bool:
        return self.state in DONE

    @property
    def settled(self) -> bool:
        """Done, and the after-training work (``on_done``) done too."""
        return self._settled.is_set()

    @property
    def queue_position(self) -> int:
        return self.slots.position(id(self)) if self.state == QUEUED else 0

    @property
    def progress(self) -> float:
        """0..1 across all epochs."""
        if not self.steps:
            return 0.0
        return min(1.0, (len(self.history) * self.steps + self.step) / (self.cfg.epochs * self.steps))

    def _owner_gone(self) -> bool:
        """True once the owner has been disconnected for longer than the grace period."""
        if self.alive is None or self.alive():
            self._gone_since = None
            return False
        now = time.monotonic()
        self._gone_since = self._gone_since or now
        if now - self._gone_since >= self.grace:
            self.stop_reason = "the browser session that started it went away"
            self._stop.set()
        return self._stop.is_set()

    def _cancelled(self) -> bool:
        return self._stop.is_set() or self._owner_gone()

    def _on_batch(self, step: int, steps: int, loss: float) -> None:
        self.step, self.steps = step, steps
        self.epoch_losses.append(loss)
        if time.perf_counter() > self._deadline:
            self.stop_reason = f"its time limit of {self.cfg.time_limit:g} s was reached"
            raise _Stop
        if self._cancelled():
            raise _Stop

    def _run(self) -> None:
        _lower_priority()
        queued_at = time.perf_counter()
        try:
            if not self.slots.acquire(id(self), self._cancelled):
                self.state, self.message = STOPPED, "Stopped before it started."
                return
            self.queued_seconds = time.perf_counter() - queued_at
            try:
                self._train()
            finally:
                self.slots.release(id(self))
                self._news.set()
            if self.on_done is not None and self.net is not None:
                try:
                    self.on_done(self.net)
                except Exception:  # the view that needs it computes it again and says what is wrong
                    logging.getLogger(__name__).exception("after-training work failed")
        finally:
            self.slots.unclaim(self.owner, self)
            self._settled.set()

    def _train(self) -> None:
        self.state, self.message = PREPARING, "Preparing the data…"
        self.recorder = Recorder(self.runs, self.cfg.to_dict(), "app", self.name, self.owner)
        try:
            data = self.load_data()
            data.framed(self.cfg.framing)
            net = model.build(self.cfg.model, seed=self.cfg.seed)
            self.steps = steps_per_epoch(self.cfg, len(data.train_labels))
            self.state, self.message = RUNNING, "Training…"
            epoch_start = time.perf_counter()
            self._deadline = epoch_start + self.cfg.time_limit
            per_epoch = max(1, MAX_STORED_LOSSES // self.cfg.epochs)
            for m in fit(net, data, self.cfg, on_batch=self._on_batch):
                m.batch_losses = downsample(m.batch_losses, per_epoch)
                self.history.append(m)
                self.recorder.epoch(m)
                self.step, self.epoch_losses = 0, []
                epoch_start = time.perf_counter()
                self.message = f"Epoch {m.epoch}/{self.cfg.epochs}: test accuracy {m.test_accuracy:.1%}"
                self._news.set()
            status = FINISHED
        except _Stop:
            status = STOPPED
        except TrainingDiverged as exc:
            self._fail(str(exc), str(exc))
            return
        except Exception as exc:  # surfaced to the user as a message, never as a traceback
            error = f"{type(exc).__name__}: {exc}"
            self._fail(error, f"Training failed: {error}")
            return
        if status == STOPPED and (not self.history or self.step):
            # Stopped mid-epoch: score the partial model so it can be compared and kept.
            framed = data.framed(self.cfg.framing)
            loss, acc = evaluate(net, framed.test_x, framed.test_y)
            losses = list(self.epoch_losses)
            train_loss = sum(losses) / len(losses) if losses else loss
            seconds = time.perf_counter() - epoch_start
            per_epoch = max(1, MAX_STORED_LOSSES // self.cfg.epochs)
            self.history.append(
                EpochMetrics(len(self.history) + 1, train_loss, downsample(losses, per_epoch), loss, acc, seconds, True)
            )
            self.recorder.epoch(self.history[-1])
        self.metadata = run_metadata(self.cfg, self.history, status)
        if self.recorder.run_id is not None:
            self.metadata["run_id"] = self.recorder.run_id
        self.room = self._room_report(data, net)
        self.recorder.finish(status, net, self.metadata, self.history, info={"room": self.room} if self.room else None)
        self.net = net.eval()
        self.net.metadata = self.metadata
        why = f" ({self.stop_reason})" if self.stop_reason else ""
        room = self.room or {}
        scores = [f"{room[k]:.0%}" if room.get(k) is not None else "?" for k in ("before", "after")]
        room = f"; room accuracy {scores[0]} without the room's drawings, {scores[1]} with them" if room else ""
        self.state, self.message = (
            status,
            f"{status.capitalize()}{why}: test accuracy {self.history[-1].test_accuracy:.1%}{room}",
        )

    def _room_report(self, data, net) -> dict | None:
        """For a run trained with the room's drawings (train/room.py): room accuracy on the room's
        test half, of this model and of the same settings without the room's drawings."""
        if not hasattr(data, "report"):
            return None
        self.message = "Scoring the room's test drawings, with and without the room's training drawings…"
        report = data.report(net, keep_going=lambda: not self._cancelled())
        for key in ("before", "after"):
            if report[key] is not None:  # plain numbers in the checkpoint too: the model carries them
                self.metadata[f"room_{key}"] = report[key]
        return report

    def _fail(self, error: str, message: str) -> None:
        self.recorder.finish(FAILED, epochs=self.history, error=error)
        self.error, self.state, self.message = error, FAILED, message
