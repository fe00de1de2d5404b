"""The run history in the store: every training run, its epochs, heartbeat and model.

Every change to a run goes through ``_may_change``, so the UI, the CLI and every replica obey the
same ownership rules.

Liveness does not depend on process ids: a process renews the heartbeat of the runs it trains,
and whoever looks next marks a run whose heartbeat is older than the grace period interrupted
(as Optuna's RDB storage does for trials).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, insert, or_, select, true, update
from sqlalchemy.engine import Connection

from common.errors import StoreError
from common.status import Status
from store.database import Actor, Database, NotFound, PermissionDenied
from store.schema import PRESENTER, epochs, runs

GRACE_ENV = "DIGIT_STUDIO_HEARTBEAT_GRACE"
NAME_MAX = 40  # as the sidebar's Run name field
HEARTBEAT_EVERY = 2.0  # seconds between renewals of a training run's heartbeat
GRACE = 20.0  # a run whose heartbeat is older than this is taken for dead


@dataclass(frozen=True)
class Run:
    id: int
    name: str
    owner: str
    source: str
    config: dict
    model: str
    status: str
    started: float
    ended: float | None
    duration: float | None
    test_accuracy: float | None
    has_model: bool
    error: str | None
    info: dict
    deleted: float | None

    @property
    def label(self) -> str:
        return run_label(self.id, self.name, self.config)

    def may_change(self, actor: Actor) -> bool:
        return actor.presenter or self.owner == actor.owner


def run_label(run_id: int, name: str, config: dict) -> str:
    """How a run is named everywhere (tables, legends, model pickers): id, name, key settings."""
    c = config
    settings = f"{c['model']}, {c['optimizer']} lr {c['lr']:g}, bs {c['batch_size']}, {c['framing']}"
    return f"#{run_id} {name}: {settings}" if name else f"#{run_id} {settings}"


def clean_name(name: str) -> str:
    """A run name as stored: printable characters only, trimmed, at most NAME_MAX long."""
    return "".join(ch for ch in str(name) if ch.isprintable()).strip()[:NAME_MAX]


_RUN_COLUMNS = [c for c in runs.c if c.name not in ("checkpoint", "instance", "heartbeat", "deleted_by")]


class RunHistory:
    """The runs in ``db``; a run this process trains has its heartbeat renewed every HEARTBEAT_EVERY
    seconds, and one whose heartbeat is older than ``grace`` seconds is taken for dead."""

    def __init__(self, db: Database, grace: float | None = None) -> None:
        self.db = db
        self.grace = grace if grace is not None else float(os.environ.get(GRACE_ENV) or GRACE)
        self.instance = uuid.uuid4().hex  # this process, for the heartbeat of its runs
        self._live: set[int] = set()
        self._live_lock = threading.Lock()
        self._beating: threading.Thread | None = None

    # -- recording ---------------------------------------------------------------------

    def start_run(self, config: dict, source: str, name: str = "", owner: str = PRESENTER) -> int:
        """Record a run that is starting (it belongs to ``owner``); returns its id."""
        now = time.time()

        def go():
            with self.db.tx() as conn:
                return conn.execute(
                    insert(runs).values(
                        name=clean_name(name),
                        owner=owner,
                        source=source,
                        config=json.dumps(config),
                        model=config["model"],
                        status=Status.RUNNING,
                        started=now,
                        instance=self.instance,
                        heartbeat=now,
                    )
                ).inserted_primary_key[0]

        run_id = int(self.db.retry(go))
        with self._live_lock:
            self._live.add(run_id)
            if self._beating is None or not self._beating.is_alive():
                self._beating = threading.Thread(target=self._beat, name="store-heartbeat", daemon=True)
                self._beating.start()
        return run_id

    def add_epochs(self, run_id: int, items: Iterable) -> None:
        """Write epochs (EpochMetrics) of a run, replacing any with the same number."""
        rows = [_epoch_row(run_id, m) for m in items]
        if not rows:
            return

        def go():
            with self.db.tx() as conn:
                self._put_epochs(conn, run_id, rows)

        self.db.retry(go)

    def _put_epochs(self, conn: Connection, run_id: int, rows: list[dict]) -> None:
        conn.execute(delete(epochs).where(epochs.c.run_id == run_id, epochs.c.epoch.in_([r["epoch"] for r in rows])))
        conn.execute(insert(epochs), rows)

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
        """Close a run in one transaction: its last epochs, status, metrics and model together."""
        rows = [_epoch_row(run_id, m) for m in epochs_left]

        def go():
            with self.db.tx() as conn:
                if rows:
                    self._put_epochs(conn, run_id, rows)
                conn.execute(
                    update(runs)
                    .where(runs.c.id == run_id)
                    .values(
                        status=status,
                        ended=time.time(),
                        test_accuracy=test_accuracy,
                        duration=duration,
                        checkpoint=checkpoint,
                        error=error,
                        info=json.dumps(info or {}),
                        heartbeat=None,
                    )
                )

        try:
            self.db.retry(go)
        finally:
            with self._live_lock:
                self._live.discard(run_id)

    def abandon(self, run_id: int) -> None:
        """Stop renewing a run's heartbeat (its finish could not be written): others will mark it
        interrupted after the grace period instead of it staying 'running' forever."""
        with self._live_lock:
            self._live.discard(run_id)

    def _beat(self) -> None:
        while True:
            time.sleep(HEARTBEAT_EVERY)
            with self._live_lock:
                live = sorted(self._live)
            if not live:
                with self._live_lock:
                    if not self._live:
                        self._beating = None
                        return
                continue
            try:
                with self.db.tx() as conn:
                    # A run that someone took for dead while the database was away comes back.
                    conn.execute(
                        update(runs)
                        .where(runs.c.id.in_(live), runs.c.status.in_([Status.RUNNING, Status.INTERRUPTED]))
                        .values(heartbeat=time.time(), status=Status.RUNNING, ended=None)
                    )
            except StoreError:
                pass  # the database is away: try again at the next beat

    def mark_interrupted(self) -> int:
        """Runs still 'running' whose heartbeat is older than the grace period become 'interrupted'."""
        cutoff = time.time() - self.grace
        with self._live_lock:
            mine = sorted(self._live)
        with self.db.tx() as conn:
            return conn.execute(
                update(runs)
                .where(
                    runs.c.status == Status.RUNNING,
                    or_(runs.c.heartbeat.is_(None), runs.c.heartbeat < cutoff),
                    runs.c.id.not_in(mine) if mine else true(),
                )
                .values(status=Status.INTERRUPTED, ended=time.time())
            ).rowcount

    # -- reading -----------------------------------------------------------------------

    def runs_started(self, owner: str, since: float = 0.0) -> int:
        """How many runs ``owner`` started at or after ``since`` (unix seconds), archived ones too."""
        with self.db.tx(write=False) as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(runs).where(runs.c.owner == owner, runs.c.started >= since)
                ).scalar()
            )

    def training_elsewhere(self, owner: str) -> bool:
        """Whether ``owner`` has a run training in another process (another replica) now: one whose
        heartbeat that process renews. This process's own runs are its ``TrainingSlots``' business
        (they know the queued ones too); a run whose process died stops counting after the grace."""
        with self.db.tx(write=False) as conn:
            return (
                conn.execute(
                    select(runs.c.id)
                    .where(
                        runs.c.owner == owner,
                        runs.c.status == Status.RUNNING,
                        runs.c.instance != self.instance,
                        runs.c.heartbeat >= time.time() - self.grace,
                    )
                    .limit(1)
                ).first()
                is not None
            )

    def runs(self, archived: bool = False) -> list[Run]:
        """Live runs, newest first (``archived=True``: the deleted ones instead)."""
        has_model = runs.c.checkpoint.is_not(None).label("has_model")
        where = runs.c.deleted.is_not(None) if archived else runs.c.deleted.is_(None)
        with self.db.tx(write=False) as conn:
            rows = conn.execute(select(*_RUN_COLUMNS, has_model).where(where).order_by(runs.c.id.desc())).fetchall()
        return [_run(r) for r in rows]

    def run(self, run_id: int, archived: bool = False) -> Run | None:
        """One run by id, or None if there is none (or it was deleted, unless ``archived``)."""
        has_model = runs.c.checkpoint.is_not(None).label("has_model")
        cond = runs.c.id == int(run_id)
        if not archived:
            cond = and_(cond, runs.c.deleted.is_(None))
        with self.db.tx(write=False) as conn:
            row = conn.execute(select(*_RUN_COLUMNS, has_model).where(cond)).first()
        return _run(row) if row else None

    def epochs(self, run_id: int) -> list[dict]:
        with self.db.tx(write=False) as conn:
            rows = conn.execute(
                select(
                    epochs.c.epoch,
                    epochs.c.train_loss,
                    epochs.c.test_loss,
                    epochs.c.test_accuracy,
                    epochs.c.seconds,
                    epochs.c.partial,
                )
                .where(epochs.c.run_id == int(run_id))
                .order_by(epochs.c.epoch)
            ).fetchall()
        return [dict(r._mapping) for r in rows]

    def checkpoint(self, run_id: int) -> bytes:
        """A live run's model bytes; NotFound if the run was deleted or has no model."""
        with self.db.tx(write=False) as conn:
            blob = conn.execute(
                select(runs.c.checkpoint).where(runs.c.id == int(run_id), runs.c.deleted.is_(None))
            ).scalar()
        if blob is None:
            raise NotFound(f"run #{int(run_id)} is no longer there (deleted) or has no model")
        return bytes(blob)

    def latest_epochs(self, run_ids) -> dict[int, tuple[int, float]]:
        """The last recorded epoch of each run and its test accuracy: {run_id: (epoch, accuracy)}."""
        ids = [int(i) for i in run_ids]
        if not ids:
            return {}
        last = (
            select(epochs.c.run_id, func.max(epochs.c.epoch).label("epoch"))
            .where(epochs.c.run_id.in_(ids))
            .group_by(epochs.c.run_id)
            .subquery()
        )
        q = select(epochs.c.run_id, epochs.c.epoch, epochs.c.test_accuracy).join(
            last, (epochs.c.run_id == last.c.run_id) & (epochs.c.epoch == last.c.epoch)
        )
        with self.db.tx(write=False) as conn:
            return {int(r.run_id): (int(r.epoch), float(r.test_accuracy)) for r in conn.execute(q)}

    def count_runs(self) -> int:
        with self.db.tx(write=False) as conn:
            return conn.execute(select(func.count()).select_from(runs).where(runs.c.deleted.is_(None))).scalar()

    # -- changes, each checked against the actor ----------------------------------------

    def _may_change(self, conn: Connection, run_id: int, actor: Actor, archived: bool) -> None:
        row = conn.execute(select(runs.c.owner, runs.c.deleted).where(runs.c.id == int(run_id))).first()
        if row is None or (row.deleted is not None) != archived:
            raise NotFound(f"run #{int(run_id)} is not there any more")
        if not (actor.presenter or row.owner == actor.owner):
            raise PermissionDenied(
                f"run #{int(run_id)} belongs to someone else: only its owner or the presenter may change it"
            )

    def rename_run(self, run_id: int, name: str, actor: Actor) -> None:
        with self.db.tx() as conn:
            self._may_change(conn, run_id, actor, archived=False)
            conn.execute(update(runs).where(runs.c.id == int(run_id)).values(name=clean_name(name)))

    def delete_run(self, run_id: int, actor: Actor) -> None:
        """Archive a run (soft delete): its owner or the presenter can restore it."""
        with self.db.tx() as conn:
            self._may_change(conn, run_id, actor, archived=False)
            conn.execute(
                update(runs).where(runs.c.id == int(run_id)).values(deleted=time.time(), deleted_by=actor.owner)
            )

    def restore_run(self, run_id: int, actor: Actor) -> None:
        with self.db.tx() as conn:
            self._may_change(conn, run_id, actor, archived=True)
            conn.execute(update(runs).where(runs.c.id == int(run_id)).values(deleted=None, deleted_by=None))

    # -- the whole room's runs, inside the caller's transaction (``Store.clear_room``) --------

    def archive_all(self, conn: Connection, by: str) -> int:
        """Archive every live run; returns how many."""
        return conn.execute(
            update(runs).where(runs.c.deleted.is_(None)).values(deleted=time.time(), deleted_by=by)
        ).rowcount

    def delete_archived(self, conn: Connection) -> int:
        """Delete archived runs and their epochs for good; returns how many."""
        gone = [r[0] for r in conn.execute(select(runs.c.id).where(runs.c.deleted.is_not(None)))]
        if gone:
            conn.execute(delete(epochs).where(epochs.c.run_id.in_(gone)))
            conn.execute(delete(runs).where(runs.c.id.in_(gone)))
        return len(gone)


def _epoch_row(run_id: int, m) -> dict:
    return {
        "run_id": run_id,
        "epoch": m.epoch,
        "train_loss": m.train_loss,
        "test_loss": m.test_loss,
        "test_accuracy": m.test_accuracy,
        "seconds": m.seconds,
        "partial": int(m.partial),
    }


def _run(r) -> Run:
    m = r._mapping
    try:
        info = json.loads(m["info"]) if m["info"] else {}
    except ValueError:
        info = {}
    return Run(
        id=m["id"],
        name=m["name"],
        owner=m["owner"],
        source=m["source"],
        config=json.loads(m["config"]),
        model=m["model"],
        status=m["status"],
        started=m["started"],
        ended=m["ended"],
        duration=m["duration"],
        test_accuracy=m["test_accuracy"],
        has_model=bool(m["has_model"]),
        error=m["error"],
        info=info if isinstance(info, dict) else {},
        deleted=m["deleted"],
    )
