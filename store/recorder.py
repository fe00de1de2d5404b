"""Writes one training run into the store as it happens, and never stops the training.

A store that fails (read-only, disk full, a database restarting) keeps nothing back from the
run: epochs that could not be written are kept and written with the next one, and the final
status, metrics and model go in one transaction, retried a bounded number of times. If that
still fails, the run's heartbeat stops, so others mark it interrupted instead of it staying
marked running forever; the problem is kept in ``error`` for the UI.
"""

from __future__ import annotations

import time

from common.errors import StoreError
from common.status import Status
from model import to_bytes
from store.schema import PRESENTER
from store.store import Store

FINISH_TRIES = 4  # over about 6 s: a database restart usually fits


class Recorder:
    def __init__(self, store: Store | None, config: dict, source: str, name: str = "", owner: str = PRESENTER):
        self.store, self.run_id, self.error = store, None, None
        self._unsaved: list = []
        if store is not None:
            try:
                self.run_id = store.start_run(config, source, name, owner)
            except StoreError as exc:
                self.error = f"This run is not recorded in the run history: {exc}"

    def epoch(self, m) -> None:
        if self.run_id is None:
            return
        self._unsaved.append(m)
        try:
            self.store.add_epochs(self.run_id, self._unsaved)
            self._unsaved = []
        except StoreError as exc:
            self.error = f"The run history could not be written (will retry): {exc}"

    def finish(
        self, status: str, net=None, metadata: dict | None = None, epochs=(), error: str | None = None, info=None
    ) -> None:
        """Close the run: last epochs, status, accuracy, duration and model in one transaction.
        ``info``: more of the run's record for the store only (e.g. the room's drawings it used)."""
        if self.run_id is None:
            return

        blob = to_bytes(net, metadata or {}) if net is not None else None
        info = {**{k: v for k, v in (metadata or {}).items() if k in ("fast_path",)}, **(info or {})}
        for attempt in range(FINISH_TRIES):
            try:
                self.store.finish_run(
                    self.run_id,
                    status,
                    epochs_left=self._unsaved,
                    test_accuracy=epochs[-1].test_accuracy if epochs else None,
                    duration=sum(m.seconds for m in epochs) if epochs else None,
                    checkpoint=blob,
                    error=error,
                    info=info,
                )
                self._unsaved, self.error = [], None
                return
            except StoreError as exc:
                self.error = f"The run history could not be written: {exc}"
                time.sleep(0.5 * 2**attempt)
        self.store.abandon(self.run_id)

    def fail(self, error: str, epochs=()) -> None:
        """Close the run as failed, with the epochs it finished and why it failed."""
        self.finish(Status.FAILED, epochs=epochs, error=error)


__all__ = ["Recorder"]
