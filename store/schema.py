"""The store's schema: one set of tables for SQLite and PostgreSQL, with a version and migrations.

The version lives in the ``meta`` table (``schema_version``). Version 1 was the SQLite-only run
history of earlier releases (``PRAGMA user_version = 1``, checkpoints as files beside the
database); ``upgrade_v1`` moves such a file to version 2 in place, in one transaction, reading
every checkpoint file into the database. The files themselves are left where they were.
Version 3 compares nicknames by how they look on a projector (``common.text.name_key``):
``rekey_nicknames`` recomputes every stored key, on the way to version 3 and whenever the key's
rules change (``nick_key_rules`` in ``meta``).
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from common.text import name_key

SCHEMA_VERSION = 3
PRESENTER = "presenter"  # the owner of CLI runs and of runs recorded before ownership existed

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False, default=""),
    Column("owner", String(64), nullable=False, default=PRESENTER),  # a participant id, or PRESENTER
    Column("source", String(16), nullable=False),  # 'app' or 'cli'
    Column("config", Text, nullable=False),  # TrainConfig as JSON
    Column("model", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started", Float, nullable=False),  # unix seconds
    Column("ended", Float),
    Column("duration", Float),  # seconds of training (sum of epoch times)
    Column("test_accuracy", Float),
    Column("checkpoint", LargeBinary),  # the model (safetensors bytes), written with the final status
    Column("error", Text),
    Column("info", Text),  # JSON: anything else the run's record says (fast path used, ...)
    Column("instance", String(64)),  # the server process that trains it
    Column("heartbeat", Float),  # renewed while it trains; a stale one means the trainer is gone
    Column("deleted", Float),  # archived at (soft delete); NULL while live
    Column("deleted_by", String(64)),
    sqlite_autoincrement=True,  # ids are never reused: a session holding an id never meets another run
)
Index("runs_by_accuracy", runs.c.test_accuracy)
Index("runs_by_status", runs.c.status)

epochs = Table(
    "epochs",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("epoch", Integer, primary_key=True),
    Column("train_loss", Float, nullable=False),
    Column("test_loss", Float, nullable=False),
    Column("test_accuracy", Float, nullable=False),
    Column("seconds", Float, nullable=False),
    Column("partial", Integer, nullable=False, default=0),
)

participants = Table(
    "participants",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the browser's secret, never the secret
    Column("label", String(32), nullable=False),  # short anonymous label, e.g. "Guest 3f9a"
    Column("nickname", Text),
    # common.text.name_key of the nickname: unique in the room. A name that was kept when the key's
    # rules changed and now looks like another one has KEPT_MARK and its owner's id after its key.
    Column("nick_key", Text, unique=True),
    Column("created", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)

attempts = Table(  # wrong passcodes, per client address, shared by every replica
    "attempts",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", Float, nullable=False),
    Column("last", Float, nullable=False),
)

drawings = Table(  # the room's labelled drawings
    "drawings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(64), nullable=False),
    Column("label", Integer, nullable=False),
    Column("png", LargeBinary, nullable=False),  # the drawing as drawn (small PNG)
    Column("framed", LargeBinary, nullable=False),  # 28x28 uint8, framed like MNIST
    Column("split", String(8), nullable=False),  # 'test' or 'train', by a stable hash
    Column("created", Float, nullable=False),
    Column("deleted", Float),
    Column("deleted_by", String(64)),
    sqlite_autoincrement=True,
)
Index("drawings_by_created", drawings.c.created)

RULES_KEY = "nick_key_rules"  # the meta row: the name_key rules the stored keys were computed by
BLOCKED_KEY = "room.blocked_names"  # the meta row: keys of the names the presenter removed (JSON)
KEPT_MARK = "#"  # never in a key (name_key drops punctuation): what follows it is an owner's id


def upgrade_v1(conn: Connection, db_path: Path) -> int:
    """Move a version-1 SQLite run history to version 2 in place; returns how many runs moved.

    Every run keeps its id, settings, status and epochs; its checkpoint file (if any) is read
    into the database; every such run belongs to the presenter.
    """
    conn.execute(text("ALTER TABLE runs RENAME TO runs_v1"))
    conn.execute(text("ALTER TABLE epochs RENAME TO epochs_v1"))
    conn.execute(text("DROP INDEX IF EXISTS runs_by_accuracy"))
    metadata.create_all(conn)
    old = conn.execute(
        text(
            "SELECT id, name, source, config, model, status, started, ended, duration, test_accuracy, "
            "checkpoint, error FROM runs_v1 ORDER BY id"
        )
    ).fetchall()
    folder = db_path.parent / "checkpoints"
    for row in old:
        blob = None
        if row.checkpoint:
            try:
                blob = (folder / Path(row.checkpoint).name).read_bytes()
            except OSError:
                blob = None  # a missing file: the run stays listed, without a model
        conn.execute(
            runs.insert().values(
                id=row.id,
                name=row.name,
                owner=PRESENTER,
                source=row.source,
                config=row.config,
                model=row.model,
                status=row.status,
                started=row.started,
                ended=row.ended,
                duration=row.duration,
                test_accuracy=row.test_accuracy,
                checkpoint=blob,
                error=row.error,
            )
        )
    conn.execute(
        text(
            "INSERT INTO epochs (run_id, epoch, train_loss, test_loss, test_accuracy, seconds, partial) "
            "SELECT run_id, epoch, train_loss, test_loss, test_accuracy, seconds, partial FROM epochs_v1"
        )
    )
    conn.execute(text("DROP TABLE epochs_v1"))
    conn.execute(text("DROP TABLE runs_v1"))
    return len(old)


def rekey_nicknames(conn: Connection) -> int:
    """Recompute every nickname's key, and the keys of the names the presenter removed, under
    ``name_key``'s present rules; returns how many nicknames now look like another one.

    Nobody loses a name they hold: of two names that now have one key, the one seen last keeps the
    key and the other keeps its name under the key and its owner's id (``KEPT_MARK``), so the key
    stays unique. Only new claims are refused: store/room.py checks a claim against both forms.
    """
    rows = conn.execute(
        select(participants.c.id, participants.c.nickname)
        .where(participants.c.nickname.is_not(None))
        .order_by(participants.c.last_seen.desc(), participants.c.id)
    ).fetchall()
    conn.execute(update(participants).values(nick_key=None))  # every key free first: they are unique
    seen, kept = set(), 0
    for row in rows:
        key = name_key(row.nickname) or None
        if key in seen:
            key, kept = f"{key}{KEPT_MARK}{row.id}", kept + 1
        elif key:
            seen.add(key)
        conn.execute(update(participants).where(participants.c.id == row.id).values(nick_key=key))
    blocked = conn.execute(select(meta.c.value).where(meta.c.key == BLOCKED_KEY)).scalar()
    try:
        found = json.loads(blocked) if blocked else []
    except ValueError:
        found = []
    if isinstance(found, list) and found:  # only keys were kept: a key's own key stands for the name's
        keys = sorted({name_key(k) for k in found if isinstance(k, str)} - {""})
        conn.execute(update(meta).where(meta.c.key == BLOCKED_KEY).values(value=json.dumps(keys)))
    return kept
