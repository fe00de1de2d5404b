"""The store: runs, their curves and models, the room's people and drawings, behind one interface.

``Store`` is a facade over three parts that share one ``Database`` (one engine, one schema):
``history`` (store/runs.py: runs, epochs, heartbeats, models), ``room`` (store/room.py: nicknames,
drawings, rounds, the room's settings) and ``access`` (store/access.py: presence, passcode
throttling). Each part imports only the database, never another part; what spans two parts (the
presenter clearing the room of runs and drawings in one transaction) is written here. Callers keep
one object with every method on it, so the UI, the CLI and training need not know which part
answers; new code may also use a part directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlalchemy.engine import Engine

from common.errors import StoreError
from store.access import Access
from store.database import Actor, Database, presenter_only
from store.room import Drawing, Room
from store.runs import Run, RunHistory
from store.schema import PRESENTER


class Store:
    """The store at ``url`` (a database URL or a SQLite file path; default: ``default_url()``);
    ``grace``: seconds after which a run whose heartbeat stopped is taken for dead."""

    def __init__(self, url: str | os.PathLike | None = None, grace: float | None = None) -> None:
        self.db = Database(url)
        self.history = RunHistory(self.db, grace)
        self.room = Room(self.db)
        self.access = Access(self.db)
        try:
            self.history.mark_interrupted()
        except StoreError:
            pass  # a read-only store can still be read

    # -- the database --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.db.url

    @property
    def path(self) -> Path | None:
        return self.db.path

    @property
    def engine(self) -> Engine:
        return self.db.engine

    @property
    def kind(self) -> str:
        return self.db.kind

    @property
    def notice(self) -> str:
        """Set once if the store had to be started anew (its file was gone)."""
        return self.db.notice

    @property
    def instance(self) -> str:
        return self.history.instance

    @property
    def grace(self) -> float:
        return self.history.grace

    def close(self) -> None:
        self.db.close()

    # -- runs (store/runs.py) ------------------------------------------------------------------

    def start_run(self, config: dict, source: str, name: str = "", owner: str = PRESENTER) -> int:
        return self.history.start_run(config, source, name, owner)

    def add_epochs(self, run_id: int, items: Iterable) -> None:
        self.history.add_epochs(run_id, items)

    def finish_run(
        self,
        run_id: int,
        status: str,
        *,
        epochs_left: Iterable = (),
        test_accuracy: float | None = None,
        duration: float | None = None,
        checkpoint: bytes | None = None,
        error: str | None = None,
        info: dict | None = None,
    ) -> None:
        self.history.finish_run(
            run_id,
            status,
            epochs_left=epochs_left,
            test_accuracy=test_accuracy,
            duration=duration,
            checkpoint=checkpoint,
            error=error,
            info=info,
        )

    def abandon(self, run_id: int) -> None:
        self.history.abandon(run_id)

    def mark_interrupted(self) -> int:
        return self.history.mark_interrupted()

    def runs_started(self, owner: str, since: float = 0.0) -> int:
        return self.history.runs_started(owner, since)

    def training_elsewhere(self, owner: str) -> bool:
        return self.history.training_elsewhere(owner)

    def runs(self, archived: bool = False) -> list[Run]:
        return self.history.runs(archived)

    def run(self, run_id: int, archived: bool = False) -> Run | None:
        return self.history.run(run_id, archived)

    def epochs(self, run_id: int) -> list[dict]:
        return self.history.epochs(run_id)

    def latest_epochs(self, run_ids) -> dict[int, tuple[int, float]]:
        return self.history.latest_epochs(run_ids)

    def checkpoint(self, run_id: int) -> bytes:
        return self.history.checkpoint(run_id)

    def count_runs(self) -> int:
        return self.history.count_runs()

    def rename_run(self, run_id: int, name: str, actor: Actor) -> None:
        self.history.rename_run(run_id, name, actor)

    def delete_run(self, run_id: int, actor: Actor) -> None:
        self.history.delete_run(run_id, actor)

    def restore_run(self, run_id: int, actor: Actor) -> None:
        self.history.restore_run(run_id, actor)

    # -- the whole room: runs and drawings in one transaction ----------------------------------

    def clear_room(self, actor: Actor) -> int:
        """Archive every live run and drawing (presenter only); returns how many runs."""
        presenter_only(actor, "clear the room")
        with self.db.tx() as conn:
            self.room.archive_drawings(conn, actor.owner)
            return self.history.archive_all(conn, actor.owner)

    def empty_archive(self, actor: Actor) -> int:
        """Delete archived runs and drawings for good (presenter only); returns how many runs."""
        presenter_only(actor, "empty the archive")
        with self.db.tx() as conn:
            self.room.delete_archived_drawings(conn)
            return self.history.delete_archived(conn)

    # -- people and presence (store/room.py, store/access.py) ----------------------------------

    def seen(self, owner: str, label: str) -> None:
        self.access.seen(owner, label)

    def away(self, owner: str) -> None:
        self.access.away(owner)

    def online(self, within: float = 60.0) -> list[dict]:
        return self.access.online(within)

    def names(self, owners: Iterable[str]) -> dict[str, str]:
        return self.room.names(owners)

    def set_nickname(self, owner: str, name: str, label: str = "") -> str:
        return self.room.set_nickname(owner, name, label)

    def nickname(self, owner: str) -> str | None:
        return self.room.nickname(owner)

    def nicknamed(self) -> list[tuple[str, str]]:
        return self.room.nicknamed()

    def remove_nickname(self, owner: str, actor: Actor) -> str | None:
        return self.room.remove_nickname(owner, actor)

    # -- presenter passcode (store/access.py) --------------------------------------------------

    def passcode_wait(self, key: str) -> float:
        return self.access.passcode_wait(key)

    def passcode_failed(self, key: str, free: int, base_wait: float, max_wait: float) -> float:
        return self.access.passcode_failed(key, free, base_wait, max_wait)

    def passcode_ok(self, key: str) -> None:
        self.access.passcode_ok(key)

    # -- the room's settings and rounds (store/room.py) ----------------------------------------

    def setting(self, key: str, default: str = "") -> str:
        return self.room.setting(key, default)

    def set_setting(self, key: str, value: str, actor: Actor) -> None:
        self.room.set_setting(key, value, actor)

    def sharing(self) -> bool:
        return self.room.sharing()

    def set_sharing(self, on: bool, actor: Actor) -> None:
        self.room.set_sharing(on, actor)

    def shares(self, owner: str) -> bool:
        return self.room.shares(owner)

    def set_shares(self, owner: str, on: bool) -> None:
        self.room.set_shares(owner, on)

    def join_url(self) -> str:
        return self.room.join_url()

    def set_join_url(self, url: str, actor: Actor) -> None:
        self.room.set_join_url(url, actor)

    def board_model(self) -> int | None:
        return self.room.board_model()

    def set_board_model(self, run_id: int | None, actor: Actor) -> None:
        self.room.set_board_model(run_id, actor)

    def round(self) -> dict | None:
        return self.room.round()

    def start_round(self, seconds: float, max_seconds: float, title: str, actor: Actor) -> dict:
        return self.room.start_round(seconds, max_seconds, title, actor)

    def end_round(self, actor: Actor) -> None:
        self.room.end_round(actor)

    # -- drawings (store/room.py) --------------------------------------------------------------

    def add_drawing(self, owner: str, label: int, png: bytes, framed: bytes) -> int | None:
        return self.room.add_drawing(owner, label, png, framed)

    def drawings_added(self, owner: str, since: float = 0.0) -> int:
        return self.room.drawings_added(owner, since)

    def drawings(
        self,
        split: str | None = None,
        since: int = 0,
        *,
        with_png: bool = False,
        archived: bool = False,
        owner: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Drawing]:
        return self.room.drawings(
            split,
            since,
            with_png=with_png,
            archived=archived,
            owner=owner,
            limit=limit,
            newest_first=newest_first,
        )

    def iter_drawings(self, split: str | None = None, batch: int = 500) -> Iterator[Drawing]:
        return self.room.iter_drawings(split, batch)

    def drawing_png(self, drawing_id: int) -> bytes:
        return self.room.drawing_png(drawing_id)

    def drawing_counts(self) -> dict[str, int]:
        return self.room.drawing_counts()

    def drawings_revision(self) -> tuple:
        return self.room.drawings_revision()

    def delete_drawing(self, drawing_id: int, actor: Actor) -> None:
        self.room.delete_drawing(drawing_id, actor)

    def restore_drawing(self, drawing_id: int, actor: Actor) -> None:
        self.room.restore_drawing(drawing_id, actor)
