"""Run history in SQLite: every training run from any browser session or the CLI, durable.

One file (WAL mode, so readers never block the writer), one short-lived connection per call
(safe from any thread or process). The schema version lives in ``PRAGMA user_version``. A run
whose process died is marked ``interrupted`` the next time anyone opens the history.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from train.data import data_root

SCHEMA_VERSION = 1
HISTORY_ENV = "DIGIT_STUDIO_RUNS"
RUNNING, FINISHED, STOPPED, FAILED, INTERRUPTED = "running", "finished", "stopped", "failed", "interrupted"

_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,               -- 'app' or 'cli'
    config TEXT NOT NULL,               -- TrainConfig as JSON
    model TEXT NOT NULL,
    status TEXT NOT NULL,
    started REAL NOT NULL,              -- unix seconds
    ended REAL,
    duration REAL,                      -- seconds of training (sum of epoch times)
    test_accuracy REAL,
    checkpoint TEXT,                    -- file name in the checkpoints folder beside the database
    error TEXT,
    pid INTEGER NOT NULL,
    pid_started TEXT NOT NULL           -- the owning process's start time: tells a live pid from a reused one
);
CREATE TABLE epochs (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss REAL NOT NULL,
    test_loss REAL NOT NULL,
    test_accuracy REAL NOT NULL,
    seconds REAL NOT NULL,
    partial INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, epoch)
);
CREATE INDEX runs_by_accuracy ON runs(test_accuracy);
"""


class HistoryError(RuntimeError):
    """The run history cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Run:
    id: int
    name: str
    source: str
    config: dict
    model: str
    status: str
    started: float
    ended: float | None
    duration: float | None
    test_accuracy: float | None
    checkpoint: str | None
    error: str | None

    @property
    def label(self) -> str:
        return run_label(self.id, self.name, self.config)


def run_label(run_id: int, name: str, config: dict) -> str:
    """How a run is named everywhere (tables, legends, model pickers): id, name, key settings."""
    c = config
    settings = f"{c['model']}, {c['optimizer']} lr {c['lr']:g}, bs {c['batch_size']}, {c['framing']}"
    return f"#{run_id} {name}: {settings}" if name else f"#{run_id} {settings}"


def default_path() -> Path:
    return Path(os.environ.get(HISTORY_ENV) or data_root() / "runs" / "history.sqlite")


def _process_start(pid: int) -> str:
    """When a process started (Linux /proc), or '' where that cannot be known."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _alive(pid: int, started: str) -> bool:
    if pid == os.getpid():
        return True
    if started and Path("/proc").is_dir():
        return _process_start(pid) == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunHistory:
    """The run history at ``path`` (created on first use)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.checkpoints = self.path.parent / "checkpoints"
        self._pid, self._pid_started = os.getpid(), _process_start(os.getpid())
        self._open()
        self.mark_interrupted()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open the run history {self.path}: {exc}") from None
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            yield conn
        except sqlite3.OperationalError as exc:
            raise HistoryError(f"the run history {self.path} cannot be used: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise HistoryError(
                f"the run history {self.path} is damaged ({exc}); move it aside to start a new "
                "one (your checkpoints stay in the folder beside it)"
            ) from None
        finally:
            conn.close()

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create {self.path.parent}: {exc.strerror or exc}") from None
        with self._connect() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryError(
                    f"the run history {self.path} was written by a newer Digit Studio (schema "
                    f"{version}, this one reads {SCHEMA_VERSION}); upgrade, or point "
                    f"{HISTORY_ENV} elsewhere"
                )
            conn.execute("PRAGMA journal_mode = WAL")
            if version == 0:
                conn.execute("BEGIN IMMEDIATE")
                if conn.execute("PRAGMA user_version").fetchone()[0] == 0:  # another process may have won
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")

    def start(self, config: dict, source: str, name: str = "") -> int:
        """Record a run that is starting; returns its id."""
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO runs (name, source, config, model, status, started, pid, pid_started) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name.strip()[:80],
                    source,
                    json.dumps(config),
                    config["model"],
                    RUNNING,
                    time.time(),
                    self._pid,
                    self._pid_started,
                ),
            )
            return int(cur.lastrowid)

    def add_epoch(self, run_id: int, m) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO epochs VALUES (?, ?, ?, ?, ?, ?, ?)",
                (run_id, m.epoch, m.train_loss, m.test_loss, m.test_accuracy, m.seconds, int(m.partial)),
            )

    def finish(
        self,
        run_id: int,
        status: str,
        test_accuracy: float | None = None,
        duration: float | None = None,
        checkpoint: str | None = None,
        error: str | None = None,
    ) -> None:
        with self._connect() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, ended = ?, test_accuracy = ?, duration = ?, checkpoint = ?, error = ? "
                "WHERE id = ?",
                (status, time.time(), test_accuracy, duration, checkpoint, error, run_id),
            )

    def checkpoint_path(self, run_id: int) -> Path:
        """Where a run's model is saved: beside the database, named by the run id only."""
        return self.checkpoints / f"run-{int(run_id)}.safetensors"

    def mark_interrupted(self) -> int:
        """Runs still 'running' whose process is gone become 'interrupted'. Returns how many."""
        with self._connect() as conn:
            rows = conn.execute("SELECT id, pid, pid_started FROM runs WHERE status = ?", (RUNNING,)).fetchall()
            dead = [(INTERRUPTED, time.time(), rid) for rid, pid, started in rows if not _alive(pid, started)]
            conn.executemany("UPDATE runs SET status = ?, ended = ? WHERE id = ? AND status = 'running'", dead)
        return len(dead)

    def runs(self) -> list[Run]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, name, source, config, model, status, started, ended, duration, test_accuracy, "
                "checkpoint, error FROM runs ORDER BY id DESC"
            ).fetchall()
        return [Run(r[0], r[1], r[2], json.loads(r[3]), *r[4:]) for r in rows]

    def run(self, run_id: int) -> Run | None:
        return next((r for r in self.runs() if r.id == run_id), None)

    def epochs(self, run_id: int) -> list[dict]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT epoch, train_loss, test_loss, test_accuracy, seconds, partial FROM epochs WHERE run_id = ? "
                "ORDER BY epoch",
                (run_id,),
            ).fetchall()
        keys = ("epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "partial")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def delete(self, run_id: int) -> None:
        """Forget a run and remove its checkpoint file."""
        with self._connect() as conn:
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        self.checkpoint_path(run_id).unlink(missing_ok=True)


class Recorder:
    """Writes one run into a history as it happens. A history that fails (read-only disk,
    damaged file) never stops the training: the problem is kept in ``error`` for the UI."""

    def __init__(self, history: RunHistory | None, config: dict, source: str, name: str = "") -> None:
        self.history, self.run_id, self.error = history, None, None
        if history is not None:
            self._safe(lambda: setattr(self, "run_id", history.start(config, source, name)))

    def _safe(self, action) -> None:
        try:
            action()
        except (HistoryError, OSError, sqlite3.Error) as exc:
            self.error = f"The run history could not be written: {exc}"

    def epoch(self, m) -> None:
        if self.run_id is not None:
            self._safe(lambda: self.history.add_epoch(self.run_id, m))

    def finish(self, status: str, net=None, metadata: dict | None = None, epochs=(), error: str | None = None) -> None:
        """Close the run; save its model atomically beside the database when there is one."""
        if self.run_id is None:
            return
        from model import save

        checkpoint = None
        if net is not None:
            path = self.history.checkpoint_path(self.run_id)
            self._safe(lambda: save(net, path, metadata or {}))
            checkpoint = path.name if path.exists() else None
        accuracy = epochs[-1].test_accuracy if epochs else None
        duration = sum(m.seconds for m in epochs) if epochs else None
        self._safe(lambda: self.history.finish(self.run_id, status, accuracy, duration, checkpoint, error))
