"""The store: runs, their curves and models, the room's people and drawings, behind one interface.

One database URL picks the backend: embedded SQLite (the default, a file under ``data/runs/``)
or PostgreSQL (``DIGIT_STUDIO_DB=postgresql://...``), through SQLAlchemy Core: one schema, one
set of queries. Callers never see SQL; every change to a run goes through ``_may_change``, so
the UI, the CLI and every replica obey the same ownership rules.

Liveness does not depend on process ids: a process renews the heartbeat of the runs it trains,
and whoever looks next marks a run whose heartbeat is older than the grace period interrupted
(as Optuna's RDB storage does for trials).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, create_engine, delete, event, func, insert, or_, select, text, true, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from common.errors import StoreError
from common.status import Status
from store import schema
from store.room import RoomMethods
from store.schema import PRESENTER, SCHEMA_VERSION, epochs, meta, participants, runs

log = logging.getLogger("digit_studio.store")

DB_ENV = "DIGIT_STUDIO_DB"  # a database URL: postgresql://... or sqlite:///...
RUNS_ENV = "DIGIT_STUDIO_RUNS"  # older setting: the path of the SQLite file
GRACE_ENV = "DIGIT_STUDIO_HEARTBEAT_GRACE"
REPO_ROOT = Path(__file__).resolve().parents[1]
NAME_MAX = 40  # as the sidebar's Run name field
HEARTBEAT_EVERY = 2.0  # seconds between renewals of a training run's heartbeat
GRACE = 20.0  # a run whose heartbeat is older than this is taken for dead
RETRIES = 3  # attempts for an operation whose connection dropped (a database restarting)


class PermissionDenied(StoreError):
    """The actor may not change this run."""


class NotFound(StoreError):
    """The run (or drawing) is not there, or no longer: someone deleted it."""


@dataclass(frozen=True)
class Actor:
    """Who asks: a participant id (or PRESENTER for the CLI), and whether they hold presenter powers."""

    owner: str
    presenter: bool = False


CLI = Actor(PRESENTER, presenter=True)


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


def default_url() -> str:
    """``$DIGIT_STUDIO_DB``, else the SQLite file ``$DIGIT_STUDIO_RUNS``, else data/runs/history.sqlite."""
    if os.environ.get(DB_ENV):
        return os.environ[DB_ENV]
    path = os.environ.get(RUNS_ENV) or Path(os.environ.get("DIGIT_STUDIO_DATA") or REPO_ROOT / "data") / "runs"
    path = Path(path) / "history.sqlite" if not os.environ.get(RUNS_ENV) else Path(path)
    return f"sqlite:///{path}"


def _url(where: str | os.PathLike | None) -> str:
    where = default_url() if where is None else str(where)
    if "://" not in where:
        return f"sqlite:///{where}"
    scheme, rest = where.split("://", 1)
    # A plain postgresql:// URL means psycopg 3 here (SQLAlchemy's own default is psycopg2).
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else where


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (also the ``sqlite:///file:PATH?mode=ro&uri=true`` form); None otherwise."""
    if not url.startswith("sqlite:///"):
        return None
    rest = url.removeprefix("sqlite:///")
    return Path(rest.removeprefix("file:").split("?", 1)[0]) if rest.startswith("file:") else Path(rest)


_RUN_COLUMNS = [c for c in runs.c if c.name not in ("checkpoint", "instance", "heartbeat", "deleted_by")]


class Store(RoomMethods):
    """The store at ``url`` (a database URL or a SQLite file path; default: ``default_url()``)."""

    def __init__(self, url: str | os.PathLike | None = None, grace: float | None = None) -> None:
        self.url = _url(url)
        self.grace = grace if grace is not None else float(os.environ.get(GRACE_ENV) or GRACE)
        self.instance = uuid.uuid4().hex  # this process, for the heartbeat of its runs
        self.notice = ""  # set once if the store had to be started anew (its file was gone)
        self.path = _sqlite_path(self.url)
        self._live: set[int] = set()
        self._live_lock = threading.Lock()
        self._beating: threading.Thread | None = None
        self.engine = self._make_engine()
        self._open()
        try:
            self.mark_interrupted()
        except StoreError:
            pass  # a read-only store can still be read

    # -- connections -------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return "SQLite" if self.path is not None else "PostgreSQL"

    def _where(self) -> str:
        """The location, for logs and the presenter only (passwords removed)."""
        return str(self.path) if self.path is not None else self.engine.url.render_as_string(hide_password=True)

    def _make_engine(self) -> Engine:
        if self.path is not None:
            engine = create_engine(
                self.url, connect_args={"timeout": 30, "check_same_thread": False}, pool_pre_ping=True
            )

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn, _record):
                dbapi_conn.isolation_level = None  # BEGIN is ours (below): transactional DDL, IMMEDIATE writes
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
                cur.execute("PRAGMA foreign_keys = ON")
                cur.execute("PRAGMA busy_timeout = 30000")
                cur.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn):
                # A write takes the lock at once, so two writers queue instead of failing on upgrade.
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

            return engine
        try:
            return create_engine(
                self.url,
                pool_pre_ping=True,  # a database that restarted: stale connections are replaced
                pool_size=5,
                max_overflow=10,
                pool_timeout=10,
                connect_args={"connect_timeout": 5},
            )
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise StoreError("the database setting is not usable", f"{DB_ENV}: {exc}") from None

    @contextmanager
    def _tx(self, write: bool = True, check: bool = True) -> Iterator[Connection]:
        """One transaction; database errors become StoreError (whose message names no path or URL).
        IntegrityError (a unique value taken) passes through for the caller to explain."""
        if check:
            self._check_file()
        try:
            with self.engine.connect() as conn:
                conn.execution_options(write=write)
                with conn.begin():
                    yield conn
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise self._error(exc) from None

    def _error(self, exc: Exception) -> StoreError:
        detail = f"{self.kind} store {self._where()}: {getattr(exc, 'orig', None) or exc}"
        log.warning("%s", detail)
        text = str(getattr(exc, "orig", exc)).lower()
        if "readonly" in text or "read-only" in text:
            return StoreError("the run history is read-only just now; nothing new is saved until it is fixed", detail)
        if "disk" in text and "full" in text:
            return StoreError("the server's disk is full; nothing new is saved until there is room", detail)
        if "malformed" in text or "not a database" in text:
            return StoreError("the run history is damaged; the presenter can move it aside to start anew", detail)
        return StoreError(f"the {self.kind} run history cannot be reached just now", detail)

    def _retry(self, action):
        """Run ``action`` (which opens its own transaction), retrying a dropped connection a bounded
        number of times: a database that restarts comes back within a few seconds."""
        for attempt in range(RETRIES):
            try:
                return action()
            except StoreError:
                if attempt == RETRIES - 1:
                    raise
                self.engine.dispose()
                time.sleep(0.5 * (attempt + 1))
        raise AssertionError("unreachable")

    def _check_file(self) -> None:
        """A SQLite file deleted under a running server: start a new, empty one and say so once."""
        if self.path is None or self.path.exists() or not self.path.parent.exists():
            return
        log.warning("the run history %s is gone; starting a new, empty one", self.path)
        self.engine.dispose()
        self.notice = (
            "The run history was lost on the server and a new, empty one was started: "
            "earlier runs are no longer listed."
        )
        self._open()

    def _open(self) -> None:
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the run history's folder ({exc.strerror or exc})",
                    f"cannot create {self.path.parent}",
                ) from None
        with self._tx(write=False, check=False) as conn:
            if self._version(conn) == SCHEMA_VERSION:
                return
        with self._tx(check=False) as conn:
            if self.path is None:
                conn.execute(text("SELECT pg_advisory_xact_lock(20261201)"))  # one replica migrates at a time
            self._migrate(conn)

    def _migrate(self, conn: Connection) -> None:
        version = self._version(conn)
        if version > SCHEMA_VERSION:
            raise StoreError(
                "the run history was written by a newer Digit Studio; upgrade this one",
                f"{self._where()}: schema {version}, this release reads {SCHEMA_VERSION}",
            )
        if version == SCHEMA_VERSION:
            return
        if version == 1:
            moved = schema.upgrade_v1(conn, self.path)
            log.warning("upgraded the run history %s to version %d (%d runs)", self._where(), SCHEMA_VERSION, moved)
        else:
            schema.metadata.create_all(conn)
        conn.execute(delete(meta).where(meta.c.key == "schema_version"))
        conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
        if self.path is not None:
            conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")  # older releases refuse the file

    def _version(self, conn: Connection) -> int:
        if conn.dialect.has_table(conn, "meta"):
            value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
            return int(value) if value else 0
        if self.path is not None and conn.dialect.has_table(conn, "runs"):
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 1)  # the SQLite-only history
        return 0

    def close(self) -> None:
        self.engine.dispose()

    # -- runs: recording ---------------------------------------------------------------------

    def start_run(self, config: dict, source: str, name: str = "", owner: str = PRESENTER) -> int:
        """Record a run that is starting (it belongs to ``owner``); returns its id."""
        now = time.time()

        def go():
            with self._tx() as conn:
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

        run_id = int(self._retry(go))
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
            with self._tx() as conn:
                self._put_epochs(conn, run_id, rows)

        self._retry(go)

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
            with self._tx() as conn:
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
            self._retry(go)
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
                with self._tx() as conn:
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
        with self._tx() as conn:
            return conn.execute(
                update(runs)
                .where(
                    runs.c.status == Status.RUNNING,
                    or_(runs.c.heartbeat.is_(None), runs.c.heartbeat < cutoff),
                    runs.c.id.not_in(mine) if mine else true(),
                )
                .values(status=Status.INTERRUPTED, ended=time.time())
            ).rowcount

    # -- runs: reading -----------------------------------------------------------------------

    def runs_started(self, owner: str, since: float = 0.0) -> int:
        """How many runs ``owner`` started at or after ``since`` (unix seconds), archived ones too."""
        with self._tx(write=False) as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(runs).where(runs.c.owner == owner, runs.c.started >= since)
                ).scalar()
            )

    def training_elsewhere(self, owner: str) -> bool:
        """Whether ``owner`` has a run training in another process (another replica) now: one whose
        heartbeat that process renews. This process's own runs are its ``TrainingSlots``' business
        (they know the queued ones too); a run whose process died stops counting after the grace."""
        with self._tx(write=False) as conn:
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
        with self._tx(write=False) as conn:
            rows = conn.execute(select(*_RUN_COLUMNS, has_model).where(where).order_by(runs.c.id.desc())).fetchall()
        return [_run(r) for r in rows]

    def run(self, run_id: int, archived: bool = False) -> Run | None:
        """One run by id, or None if there is none (or it was deleted, unless ``archived``)."""
        has_model = runs.c.checkpoint.is_not(None).label("has_model")
        cond = runs.c.id == int(run_id)
        if not archived:
            cond = and_(cond, runs.c.deleted.is_(None))
        with self._tx(write=False) as conn:
            row = conn.execute(select(*_RUN_COLUMNS, has_model).where(cond)).first()
        return _run(row) if row else None

    def epochs(self, run_id: int) -> list[dict]:
        with self._tx(write=False) as conn:
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
        with self._tx(write=False) as conn:
            blob = conn.execute(
                select(runs.c.checkpoint).where(runs.c.id == int(run_id), runs.c.deleted.is_(None))
            ).scalar()
        if blob is None:
            raise NotFound(f"run #{int(run_id)} is no longer there (deleted) or has no model")
        return bytes(blob)

    # -- runs: changes, each checked against the actor ----------------------------------------

    def _may_change(self, conn: Connection, run_id: int, actor: Actor, archived: bool) -> None:
        row = conn.execute(select(runs.c.owner, runs.c.deleted).where(runs.c.id == int(run_id))).first()
        if row is None or (row.deleted is not None) != archived:
            raise NotFound(f"run #{int(run_id)} is not there any more")
        if not (actor.presenter or row.owner == actor.owner):
            raise PermissionDenied(
                f"run #{int(run_id)} belongs to someone else: only its owner or the presenter may change it"
            )

    def rename_run(self, run_id: int, name: str, actor: Actor) -> None:
        with self._tx() as conn:
            self._may_change(conn, run_id, actor, archived=False)
            conn.execute(update(runs).where(runs.c.id == int(run_id)).values(name=clean_name(name)))

    def delete_run(self, run_id: int, actor: Actor) -> None:
        """Archive a run (soft delete): its owner or the presenter can restore it."""
        with self._tx() as conn:
            self._may_change(conn, run_id, actor, archived=False)
            conn.execute(
                update(runs).where(runs.c.id == int(run_id)).values(deleted=time.time(), deleted_by=actor.owner)
            )

    def restore_run(self, run_id: int, actor: Actor) -> None:
        with self._tx() as conn:
            self._may_change(conn, run_id, actor, archived=True)
            conn.execute(update(runs).where(runs.c.id == int(run_id)).values(deleted=None, deleted_by=None))

    def clear_room(self, actor: Actor) -> int:
        """Archive every live run (presenter only); returns how many."""
        _presenter_only(actor, "clear the room")
        with self._tx() as conn:
            n = conn.execute(
                update(runs).where(runs.c.deleted.is_(None)).values(deleted=time.time(), deleted_by=actor.owner)
            ).rowcount
            conn.execute(
                update(schema.drawings)
                .where(schema.drawings.c.deleted.is_(None))
                .values(deleted=time.time(), deleted_by=actor.owner)
            )
            return n

    def empty_archive(self, actor: Actor) -> int:
        """Delete archived runs for good (presenter only); returns how many."""
        _presenter_only(actor, "empty the archive")
        with self._tx() as conn:
            gone = [r[0] for r in conn.execute(select(runs.c.id).where(runs.c.deleted.is_not(None)))]
            if gone:
                conn.execute(delete(epochs).where(epochs.c.run_id.in_(gone)))
                conn.execute(delete(runs).where(runs.c.id.in_(gone)))
            conn.execute(delete(schema.drawings).where(schema.drawings.c.deleted.is_not(None)))
            return len(gone)

    # -- people ------------------------------------------------------------------------------

    def seen(self, owner: str, label: str) -> None:
        """Note that a participant is here now (creates them on first sight)."""
        now = time.time()
        with self._tx() as conn:
            n = conn.execute(update(participants).where(participants.c.id == owner).values(last_seen=now)).rowcount
            if not n:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(participants).values(id=owner, label=label, created=now, last_seen=now))
                except IntegrityError:
                    pass  # the same participant in two tabs at once

    def away(self, owner: str) -> None:
        """Note that a participant is no longer here (a browser that became the presenter's)."""
        with self._tx() as conn:
            conn.execute(update(participants).where(participants.c.id == owner).values(last_seen=0.0))

    def online(self, within: float = 60.0) -> list[dict]:
        """Participants seen in the last ``within`` seconds: id, label, nickname, last_seen."""
        with self._tx(write=False) as conn:
            rows = conn.execute(
                select(participants.c.id, participants.c.label, participants.c.nickname, participants.c.last_seen)
                .where(participants.c.last_seen >= time.time() - within)
                .order_by(participants.c.last_seen.desc())
            ).fetchall()
        return [dict(r._mapping) for r in rows]

    def names(self, owners: Iterable[str]) -> dict[str, str]:
        """What to call each owner: the nickname, else the anonymous label (the presenter: 'presenter')."""
        ids = sorted(set(owners) - {PRESENTER})
        out = {PRESENTER: "presenter"}
        if ids:
            with self._tx(write=False) as conn:
                for r in conn.execute(
                    select(participants.c.id, participants.c.label, participants.c.nickname).where(
                        participants.c.id.in_(ids)
                    )
                ):
                    out[r.id] = r.nickname or r.label
        return out

    # -- presenter passcode: wrong tries, counted per server ---------------------------------

    def passcode_wait(self, key: str) -> float:
        """Seconds this client must wait before another passcode try (0: may try now)."""
        with self._tx(write=False) as conn:
            until = conn.execute(select(schema.attempts.c.locked_until).where(schema.attempts.c.key == key)).scalar()
        return max(0.0, (until or 0.0) - time.time())

    def passcode_failed(self, key: str, free: int, base_wait: float, max_wait: float) -> float:
        """Count a wrong passcode; after ``free`` of them each try doubles the wait. Returns the wait."""
        now = time.time()
        with self._tx() as conn:
            row = conn.execute(select(schema.attempts).where(schema.attempts.c.key == key)).first()
            failures = (row.failures if row else 0) + 1
            wait = 0.0 if failures < free else min(max_wait, base_wait * 2 ** (failures - free))
            values = {"failures": failures, "locked_until": now + wait, "last": now}
            if row:
                conn.execute(update(schema.attempts).where(schema.attempts.c.key == key).values(**values))
            else:
                conn.execute(insert(schema.attempts).values(key=key, **values))
        return wait

    def passcode_ok(self, key: str) -> None:
        with self._tx() as conn:
            conn.execute(delete(schema.attempts).where(schema.attempts.c.key == key))

    # -- room settings -----------------------------------------------------------------------

    def setting(self, key: str, default: str = "") -> str:
        with self._tx(write=False) as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == f"room.{key}")).scalar()
        return default if value is None else value

    def set_setting(self, key: str, value: str, actor: Actor) -> None:
        _presenter_only(actor, "change the room's settings")
        with self._tx() as conn:
            if not conn.execute(update(meta).where(meta.c.key == f"room.{key}").values(value=value)).rowcount:
                conn.execute(insert(meta).values(key=f"room.{key}", value=value))

    def count_runs(self) -> int:
        with self._tx(write=False) as conn:
            return conn.execute(select(func.count()).select_from(runs).where(runs.c.deleted.is_(None))).scalar()


def _presenter_only(actor: Actor, what: str) -> None:
    if not actor.presenter:
        raise PermissionDenied(f"only the presenter may {what}")


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
