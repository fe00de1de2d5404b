"""The database under every part of the store: one engine, one schema, one way to run a transaction.

One database URL picks the backend: embedded SQLite (the default, a file under ``data/runs/``)
or PostgreSQL (``DIGIT_STUDIO_DB=postgresql://...``), through SQLAlchemy Core: one schema, one
set of queries. The parts of the store (store/runs.py, store/room.py, store/access.py) share one
``Database``; they never see each other, only its ``tx`` and ``retry``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, delete, event, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from common.errors import StoreError
from common.text import NAME_KEY_RULES
from store.schema import PRESENTER, RULES_KEY, SCHEMA_VERSION, meta, metadata, rekey_nicknames, upgrade_v1

log = logging.getLogger("digit_studio.store")

DB_ENV = "DIGIT_STUDIO_DB"  # a database URL: postgresql://... or sqlite:///...
RUNS_ENV = "DIGIT_STUDIO_RUNS"  # older setting: the path of the SQLite file
REPO_ROOT = Path(__file__).resolve().parents[1]
RETRIES = 3  # attempts for an operation whose connection dropped (a database restarting)


class PermissionDenied(StoreError):
    """The actor may not change this run (or drawing, or room setting)."""


class NotFound(StoreError):
    """The run (or drawing) is not there, or no longer: someone deleted it."""


@dataclass(frozen=True)
class Actor:
    """Who asks: a participant id (or PRESENTER for the CLI), and whether they hold presenter powers."""

    owner: str
    presenter: bool = False


CLI = Actor(PRESENTER, presenter=True)


def presenter_only(actor: Actor, what: str) -> None:
    if not actor.presenter:
        raise PermissionDenied(f"only the presenter may {what}")


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


class Database:
    """The database at ``url`` (a database URL or a SQLite file path; default: ``default_url()``),
    its schema brought to SCHEMA_VERSION when opened."""

    def __init__(self, url: str | os.PathLike | None = None) -> None:
        self.url = _url(url)
        self.notice = ""  # set once if the store had to be started anew (its file was gone)
        self.path = _sqlite_path(self.url)
        self.engine = self._make_engine()
        self._open()

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
    def tx(self, write: bool = True, check: bool = True) -> Iterator[Connection]:
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

    def retry(self, action):
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
        with self.tx(write=False, check=False) as conn:
            version = self._version(conn)
            if version == SCHEMA_VERSION and self._rules(conn) == NAME_KEY_RULES:
                return
        try:
            with self.tx(check=False) as conn:
                if self.path is None:
                    conn.execute(text("SELECT pg_advisory_xact_lock(20261201)"))  # one replica migrates at a time
                self._migrate(conn)
        except StoreError:
            if version != SCHEMA_VERSION:
                raise
            # Only the nickname keys are out of date (a read-only store after an upgrade of the
            # look-alike tables): it still reads, and a writer recomputes them when it opens it.
            log.warning("the nickname keys of %s are not recomputed: the store takes no writes", self._where())

    def _migrate(self, conn: Connection) -> None:
        version = self._version(conn)
        if version > SCHEMA_VERSION:
            raise StoreError(
                "the run history was written by a newer Digit Studio; upgrade this one",
                f"{self._where()}: schema {version}, this release reads {SCHEMA_VERSION}",
            )
        if version < SCHEMA_VERSION:
            if version == 1:
                moved = upgrade_v1(conn, self.path)
                log.warning("upgraded the run history %s to version %d (%d runs)", self._where(), SCHEMA_VERSION, moved)
            else:
                metadata.create_all(conn)  # a new store; version 2 has every table already
            conn.execute(delete(meta).where(meta.c.key == "schema_version"))
            conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
            if self.path is not None:
                conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")  # older releases refuse the file
        if self._rules(conn) != NAME_KEY_RULES:  # keys computed another way (an older release, a new table)
            kept = rekey_nicknames(conn)
            conn.execute(delete(meta).where(meta.c.key == RULES_KEY))
            conn.execute(insert(meta).values(key=RULES_KEY, value=NAME_KEY_RULES))
            if kept:
                log.warning("%d nicknames look like another one under the new rules; their owners keep them", kept)

    def _rules(self, conn: Connection) -> str | None:
        """The rules the stored nickname keys were computed by (``common.text.NAME_KEY_RULES``)."""
        if not conn.dialect.has_table(conn, "meta"):
            return None
        return conn.execute(select(meta.c.value).where(meta.c.key == RULES_KEY)).scalar()

    def _version(self, conn: Connection) -> int:
        if conn.dialect.has_table(conn, "meta"):
            value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
            return int(value) if value else 0
        if self.path is not None and conn.dialect.has_table(conn, "runs"):
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 1)  # the SQLite-only history
        return 0

    def close(self) -> None:
        self.engine.dispose()
