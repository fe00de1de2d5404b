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

from common.status import DONE, Status
from model.nets import LinearDigits
from train.config import TrainConfig
from train.data import Mnist
from train.loop import EpochMetrics, steps_per_epoch
from train.run import train_run
from train.source import NoSink, RunSink

_ASKED = "its owner asked it to stop"  # a plain Stop click: the message gives no reason then
TRAINING_NICE = 10  # drawing requests (and the participants' browsers) go first; training soaks up the rest


def _lower_priority() -> None:
    """Lower this thread's CPU priority (Linux sets nice per thread id); elsewhere a no-op."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICE)
    except (AttributeError, OSError):
        pass


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
    # Makes the run's sink (store.Recorder) when the run leaves the queue; None: recorded nowhere.
    sink: Callable[[], RunSink] | None = None
    owner: str = "presenter"  # whose run it is (a participant id), recorded with it
    alive: Callable[[], bool] | None = None  # is the owner (a browser session) still connected?
    grace: float = 3.0  # seconds the owner may be gone (a network blip) before the run stops
    # Called in the job's thread with the trained model once the run is done and its slot free
    # (the app draws the model's figures there, before anyone asks for them); errors are logged.
    on_done: Callable[[LinearDigits], None] | None = None
    recorder: RunSink | None = None
    state: str = Status.QUEUED
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
        return self.slots.position(id(self)) if self.state == Status.QUEUED else 0

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

    def _stop_reason(self) -> str:
        """Why the run should end now ("" while it goes on)."""
        if self._cancelled():
            return self.stop_reason or _ASKED
        return ""

    def _run(self) -> None:
        _lower_priority()
        queued_at = time.perf_counter()
        try:
            if not self.slots.acquire(id(self), self._cancelled):
                self.state, self.message = Status.STOPPED, "Stopped before it started."
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
        self.state, self.message = Status.PREPARING, "Preparing the data…"
        self.recorder = self.sink() if self.sink is not None else NoSink()
        try:
            data = self.load_data()
            data.framed(self.cfg.framing)
            self.steps = steps_per_epoch(self.cfg, len(data.train_labels))
        except Exception as exc:  # surfaced to the user as a message, never as a traceback
            error = f"{type(exc).__name__}: {exc}"
            self.recorder.fail(error)
            self.error, self.state, self.message = error, Status.FAILED, f"Training failed: {error}"
            return
        self.state, self.message = Status.RUNNING, "Training…"
        result = train_run(
            self.cfg,
            data,
            self.recorder,
            on_batch=self._on_batch,
            on_epoch=self._on_epoch,
            should_stop=self._stop_reason,
            on_scoring_room=self._on_scoring_room,
        )
        if result.status == Status.FAILED:
            self.error, self.state = result.error, Status.FAILED
            self.message = result.error if result.diverged else f"Training failed: {result.error}"
            return
        if result.reason != _ASKED:
            self.stop_reason = result.reason
        self.history, self.metadata, self.room = result.history, result.metadata, result.room
        self.net = result.net
        if self.net is None:
            self.state, self.message = result.status, "Stopped before the first step."
            return
        why = f" ({self.stop_reason})" if self.stop_reason else ""
        room = self.room or {}
        scores = [f"{room[k]:.0%}" if room.get(k) is not None else "?" for k in ("before", "after")]
        room = f"; room accuracy {scores[0]} without the room's drawings, {scores[1]} with them" if room else ""
        self.state, self.message = (
            result.status,
            f"{result.status.capitalize()}{why}: test accuracy {self.history[-1].test_accuracy:.1%}{room}",
        )

    def _on_epoch(self, m: EpochMetrics) -> None:
        self.history.append(m)
        self.step, self.epoch_losses = 0, []
        self.message = f"Epoch {m.epoch}/{self.cfg.epochs}: test accuracy {m.test_accuracy:.1%}"
        self._news.set()

    def _on_scoring_room(self) -> None:
        self.message = "Scoring the room's test drawings, with and without the room's training drawings…"
