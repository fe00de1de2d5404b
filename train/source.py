"""What a training run needs from outside ``train/``, as two small protocols.

``train/`` never imports the store: a caller hands a run a ``RunSink`` (where each epoch and the
end of the run are reported) and, for runs that use the room, a ``DrawingSource`` (where the room's
drawings and runs' models are read). ``store.Recorder`` and ``store.Store`` implement them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class StoredDrawing(Protocol):
    """One of the room's labelled drawings, as a source returns it."""

    id: int
    label: int
    png: bytes | None


class DrawingSource(Protocol):
    """The room's drawings and the runs' models (``store.Store``). Raises ``common.StoreError``."""

    def drawings(
        self, split: str, *, with_png: bool = False, limit: int | None = None, newest_first: bool = False,
        archived: bool = False,
    ) -> Sequence[StoredDrawing]: ...  # fmt: skip

    def drawings_revision(self) -> tuple: ...

    def checkpoint(self, run_id: int) -> bytes: ...

    def run(self, run_id: int) -> Any: ...


class RunSink(Protocol):
    """Where a run reports as it goes (``store.Recorder``): every epoch, then its end, exactly once."""

    run_id: int | None
    error: str | None

    def epoch(self, metrics: Any) -> None: ...

    def finish(
        self, status: str, net=None, metadata: dict | None = None, epochs=(), info: dict | None = None
    ) -> None: ...

    def fail(self, error: str, epochs=()) -> None: ...


class NoSink:
    """A sink that keeps nothing: a run recorded nowhere."""

    run_id = None
    error = None

    def epoch(self, metrics) -> None:
        pass

    def finish(self, status, net=None, metadata=None, epochs=(), info=None) -> None:
        pass

    def fail(self, error, epochs=()) -> None:
        pass
