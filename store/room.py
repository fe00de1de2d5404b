"""The room in the store: its people's nicknames, its labelled drawings, its timed rounds and the
presenter's settings.

Every caller (the UI, the board, training with the room's drawings, exports) goes through the
same checks: a nickname is plain text, short and unique in the room; a drawing is kept only while
the presenter has sharing on and its owner has not turned it off; only its owner or the presenter
may delete or restore it; only the presenter changes the room's settings.

Each drawing is put in the room's *test* or *training* half by a hash of its framed pixels: the
same drawing always lands in the same half (a drawing sent twice can never be in both), and the
split does not depend on the order drawings arrive in or on which server stored them.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from common import _, text
from common.splits import TEST, TRAIN
from store.database import Actor, Database, NotFound, PermissionDenied, presenter_only
from store.schema import KEPT_MARK, PRESENTER, drawings, meta, participants

NICK_MAX = 24  # characters: fits a leaderboard column on a projector
# A nickname is held for its owner this long after their browser was last seen, then anyone may
# take it: otherwise a name stayed taken for good once its owner had left (or come back on
# another device, with another identity). Two hours outlasts a lunch break in one session.
NICK_HOLD = 2 * 3600.0
PNG_MAX = 64 * 1024  # bytes: a 280x280 grayscale drawing is 3-8 KB
FRAMED_SIZE = 28 * 28
FRAMED_WITH = "frame"  # the framing of the stored 28x28: MNIST's own (20 px box, centre of mass)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_RESERVED = {text.name_key(n) for n in ("presenter", "guest", "you")}  # names the room already uses
# An anonymous label, "Guest 3f9a", as a key: "guest" and four hex digits as they look ("Guest 1a0b"
# is "guestlaob"). "Guestina" is a name.
_GUEST = re.compile("guest(?:" + "|".join(sorted({re.escape(text.name_key(c)) for c in "0123456789abcdef"})) + "){4}")


class Refused(ValueError):
    """A value the store does not take (a nickname, a drawing); ``str()`` says why, for anyone."""


class NicknameTaken(Refused):
    """Someone else in the room has this nickname, or one that looks like it (``text.name_key``)."""


@dataclass(frozen=True)
class Drawing:
    id: int
    owner: str
    label: int
    png: bytes | None  # None unless asked for (``with_png``)
    framed: bytes  # 784 bytes, uint8, row-major 28x28, white ink on black, framed like MNIST
    split: str  # TEST or TRAIN
    created: float
    deleted: float | None

    def may_change(self, actor) -> bool:
        return actor.presenter or self.owner == actor.owner


def clean_nickname(name, limit: int | None = NICK_MAX) -> str:
    """A nickname as stored: ``common.text.one_line`` at most ``limit`` long (None: not cut)."""
    return text.one_line(name, limit)


def split_of(framed: bytes) -> str:
    """The half of the room's dataset a drawing belongs to: half of all hashes go to each."""
    return TEST if hashlib.sha256(b"digit-studio-room:" + bytes(framed)).digest()[0] < 128 else TRAIN


class Room:
    """The room's people, drawings, rounds and settings in ``db``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- people: nicknames -------------------------------------------------------------------

    def set_nickname(self, owner: str, name: str, label: str = "") -> str:
        """Give a participant a nickname (``''`` removes it); returns it as stored.

        Raises ``Refused`` for a nickname with nothing printable in it or one that names someone
        else (presenter, Guest ...), ``NicknameTaken`` if another participant has it, or a name
        that looks like it, and was seen in the last NICK_HOLD seconds (a name left longer is
        given to whoever asks). A participant keeps the name they have, even one that looks
        like another's since the rules changed (store/schema.py, ``rekey_nicknames``).
        """
        nickname = clean_nickname(name)
        key = text.name_key(nickname)
        if name and not key:
            raise Refused(_("a nickname needs at least one letter or digit"))
        if key and (key in _RESERVED or _GUEST.fullmatch(key)):
            raise Refused(
                _("“{name}” is how the room already names someone else: pick another nickname").format(name=nickname)
            )
        if key and key in self._blocked():
            raise Refused(
                _("“{name}” was removed from this room by the presenter: pick another nickname").format(name=nickname)
            )
        now = time.time()
        values = {"nickname": nickname or None, "nick_key": key or None, "last_seen": now}
        try:
            with self.db.tx() as conn:
                mine = conn.execute(
                    select(participants.c.nickname, participants.c.nick_key).where(participants.c.id == owner)
                ).first()
                if key and mine and mine.nickname == nickname and mine.nick_key:
                    values["nick_key"] = mine.nick_key  # the name they have, under the key it was kept by
                elif key:
                    held = self._holder(conn, key, owner, now)
                    if held is not None:
                        raise _taken(nickname, held)
                    # someone gone for longer than NICK_HOLD lets the name go
                    conn.execute(
                        update(participants)
                        .where(_has_key(key), participants.c.id != owner, participants.c.last_seen < now - NICK_HOLD)
                        .values(nickname=None, nick_key=None)
                    )
                if not conn.execute(update(participants).where(participants.c.id == owner).values(**values)).rowcount:
                    conn.execute(insert(participants).values(id=owner, label=label or "Guest", created=now, **values))
        except IntegrityError:  # claimed at the same moment by someone else
            with self.db.tx(write=False) as conn:
                held = self._holder(conn, key, owner, now)
            raise _taken(nickname, held or nickname) from None
        return nickname

    @staticmethod
    def _holder(conn: Connection, key: str, owner: str, now: float) -> str | None:
        """The nickname of someone else, seen in the last NICK_HOLD seconds, whose name has ``key``."""
        return conn.execute(
            select(participants.c.nickname)
            .where(_has_key(key), participants.c.id != owner, participants.c.last_seen >= now - NICK_HOLD)
            .order_by(participants.c.last_seen.desc())
            .limit(1)
        ).scalar()

    def nicknamed(self) -> list[tuple[str, str]]:
        """Every participant with a nickname: (id, nickname), most recently seen first."""
        with self.db.tx(write=False) as conn:
            rows = conn.execute(
                select(participants.c.id, participants.c.nickname)
                .where(participants.c.nickname.is_not(None))
                .order_by(participants.c.last_seen.desc())
            ).fetchall()
        return [(r.id, r.nickname) for r in rows]

    def remove_nickname(self, owner: str, actor) -> str | None:
        """Take a participant's nickname away, and keep anyone from choosing it again in this room
        (presenter only: an offensive name leaves the projector). Returns the name, None if none."""
        name = self.nickname(owner)
        if not name:
            return None
        blocked = sorted(self._blocked() | {text.name_key(name)})
        self.set_setting("blocked_names", json.dumps(blocked), actor)  # refuses anyone but the presenter
        with self.db.tx() as conn:
            conn.execute(update(participants).where(participants.c.id == owner).values(nickname=None, nick_key=None))
        return name

    def _blocked(self) -> set[str]:
        try:
            found = json.loads(self.setting("blocked_names", "[]"))
        except ValueError:
            return set()
        return {k for k in found if isinstance(k, str)} if isinstance(found, list) else set()

    def nickname(self, owner: str) -> str | None:
        with self.db.tx(write=False) as conn:
            return conn.execute(select(participants.c.nickname).where(participants.c.id == owner)).scalar()

    def names(self, owners: Iterable[str]) -> dict[str, str]:
        """What to call each owner: the nickname, else the anonymous label (the presenter: 'presenter')."""
        ids = sorted(set(owners) - {PRESENTER})
        out = {PRESENTER: "presenter"}
        if ids:
            with self.db.tx(write=False) as conn:
                for r in conn.execute(
                    select(participants.c.id, participants.c.label, participants.c.nickname).where(
                        participants.c.id.in_(ids)
                    )
                ):
                    out[r.id] = r.nickname or r.label
        return out

    # -- the room's settings (``meta`` rows ``room.*``) --------------------------------------

    def setting(self, key: str, default: str = "") -> str:
        with self.db.tx(write=False) as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == f"room.{key}")).scalar()
        return default if value is None else value

    def set_setting(self, key: str, value: str, actor: Actor) -> None:
        presenter_only(actor, "change the room's settings")
        with self.db.tx() as conn:
            if not conn.execute(update(meta).where(meta.c.key == f"room.{key}").values(value=value)).rowcount:
                conn.execute(insert(meta).values(key=f"room.{key}", value=value))

    def sharing(self) -> bool:
        """Whether the room collects labelled drawings (the presenter's switch; on by default)."""
        return self.setting("sharing", "on") == "on"

    def set_sharing(self, on: bool, actor) -> None:
        self.set_setting("sharing", "on" if on else "off", actor)

    def shares(self, owner: str) -> bool:
        """Whether this participant lets the room keep their drawings (their own switch; on by default)."""
        with self.db.tx(write=False) as conn:
            return conn.execute(select(meta.c.value).where(meta.c.key == _optout(owner))).scalar() is None

    def set_shares(self, owner: str, on: bool) -> None:
        """A participant's own choice (anyone may make it, for themselves only)."""
        with self.db.tx() as conn:
            exists = conn.execute(select(meta.c.key).where(meta.c.key == _optout(owner))).first() is not None
            if on and exists:
                conn.execute(meta.delete().where(meta.c.key == _optout(owner)))
            elif not on and not exists:
                conn.execute(insert(meta).values(key=_optout(owner), value="off"))

    def join_url(self) -> str:
        """The address the presenter set for participants to open ('' if none: the server's own)."""
        return self.setting("join_url", "")

    def set_join_url(self, url: str, actor) -> None:
        self.set_setting("join_url", "".join(ch for ch in str(url) if ch.isprintable()).strip()[:200], actor)

    def board_model(self) -> int | None:
        """The run whose model reads the drawings on the board (None: the shipped model)."""
        value = self.setting("board_model", "")
        return int(value) if value.isdigit() else None

    def set_board_model(self, run_id: int | None, actor) -> None:
        self.set_setting("board_model", "" if run_id is None else str(int(run_id)), actor)

    def round(self) -> dict | None:
        """The current or last timed round: {id, title, started, ends, max_seconds}, or None."""
        value = self.setting("round", "")
        try:
            found = json.loads(value) if value else None
        except ValueError:
            return None
        return found if isinstance(found, dict) else None

    def start_round(self, seconds: float, max_seconds: float, title: str, actor) -> dict:
        """Start a timed round of ``seconds``; runs started in it with at most ``max_seconds`` of
        training compete. Replaces any earlier round."""
        if not (10 <= seconds <= 3600 and 0.1 <= max_seconds <= 600):
            raise Refused("a round lasts 10 s to 1 hour, with 0.1 to 600 s of training per run")
        last = self.round() or {}
        now = time.time()
        found = {
            "id": int(last.get("id", 0)) + 1,
            "title": " ".join("".join(ch if ch.isprintable() else " " for ch in str(title)).split())[:80],
            "started": now,
            "ends": now + float(seconds),
            "max_seconds": float(max_seconds),
        }
        self.set_setting("round", json.dumps(found), actor)
        return found

    def end_round(self, actor) -> None:
        """End the current round now (its winner is decided on what it has)."""
        found = self.round()
        if found and found["ends"] > time.time():
            found["ends"] = time.time()
            self.set_setting("round", json.dumps(found), actor)

    # -- drawings ----------------------------------------------------------------------------

    def drawings_added(self, owner: str, since: float = 0.0) -> int:
        """How many drawings ``owner`` kept for the room at or after ``since`` (unix seconds)."""
        with self.db.tx(write=False) as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(drawings)
                    .where(drawings.c.owner == owner, drawings.c.created >= since)
                ).scalar()
            )

    def add_drawing(self, owner: str, label: int, png: bytes, framed: bytes) -> int | None:
        """Keep a labelled drawing for the room; returns its id, or None when it is not kept
        (the presenter has sharing off, or this participant turned it off): then nothing of it
        is written anywhere. Raises ``Refused`` for a label or image that is not one."""
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
            raise Refused("a drawing's label is a digit from 0 to 9")
        png, framed = bytes(png), bytes(framed)
        if not png.startswith(_PNG_MAGIC) or len(png) > PNG_MAX:
            raise Refused(f"a drawing is a PNG of at most {PNG_MAX // 1024} KB")
        if len(framed) != FRAMED_SIZE:
            raise Refused("a framed drawing is 28x28 bytes")

        def go():
            with self.db.tx() as conn:
                if not self._room_takes(conn, owner):
                    return None
                return conn.execute(
                    insert(drawings).values(
                        owner=owner, label=label, png=png, framed=framed, split=split_of(framed), created=time.time()
                    )
                ).inserted_primary_key[0]

        found = self.db.retry(go)
        return None if found is None else int(found)

    def _room_takes(self, conn: Connection, owner: str) -> bool:
        rows = dict(
            conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.in_(["room.sharing", _optout(owner)]))).all()
        )
        return rows.get("room.sharing", "on") == "on" and _optout(owner) not in rows

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
        """The room's live drawings (``archived=True``: the deleted ones), oldest first.

        ``split``: TEST or TRAIN only; ``since``: only drawings with an id above it (ids only
        grow, so a reader can fetch what is new); ``with_png``: include the PNGs (otherwise
        ``png`` is None: the framed pixels are what training and scoring need).
        """
        cols = [drawings.c.id, drawings.c.owner, drawings.c.label, drawings.c.framed, drawings.c.split]
        cols += [drawings.c.created, drawings.c.deleted] + ([drawings.c.png] if with_png else [])
        q = select(*cols).where(drawings.c.id > int(since))
        q = q.where(drawings.c.deleted.is_not(None) if archived else drawings.c.deleted.is_(None))
        if split is not None:
            if split not in (TEST, TRAIN):
                raise ValueError(f"split is {TEST!r} or {TRAIN!r}")
            q = q.where(drawings.c.split == split)
        if owner is not None:
            q = q.where(drawings.c.owner == owner)
        q = q.order_by(drawings.c.id.desc() if newest_first else drawings.c.id)
        if limit is not None:
            q = q.limit(int(limit))
        with self.db.tx(write=False) as conn:
            return [_drawing(r, with_png) for r in conn.execute(q)]

    def drawing_png(self, drawing_id: int) -> bytes:
        with self.db.tx(write=False) as conn:
            png = conn.execute(
                select(drawings.c.png).where(drawings.c.id == int(drawing_id), drawings.c.deleted.is_(None))
            ).scalar()
        if png is None:
            raise NotFound(f"drawing #{int(drawing_id)} is not there any more")
        return bytes(png)

    def drawing_counts(self) -> dict[str, int]:
        """How many live drawings each half has: {'test': n, 'train': m}."""
        with self.db.tx(write=False) as conn:
            rows = conn.execute(
                select(drawings.c.split, func.count()).where(drawings.c.deleted.is_(None)).group_by(drawings.c.split)
            ).all()
        return {TEST: 0, TRAIN: 0, **{s: int(n) for s, n in rows}}

    def drawings_revision(self) -> tuple:
        """Changes whenever the set of live drawings changes (a drawing added, deleted, restored,
        the room cleared): a key for results computed from them, such as room accuracy."""
        d = drawings.c
        with self.db.tx(write=False) as conn:
            row = conn.execute(
                select(func.count(d.id), func.count(d.deleted), func.max(d.id), func.max(d.deleted))
            ).one()
        return (int(row[0]) - int(row[1]), int(row[1]), row[2] or 0, row[3] or 0.0)

    def delete_drawing(self, drawing_id: int, actor) -> None:
        """Archive a drawing (soft delete): its owner or the presenter may, and may restore it."""
        with self.db.tx() as conn:
            self._may_change_drawing(conn, drawing_id, actor, archived=False)
            conn.execute(
                update(drawings)
                .where(drawings.c.id == int(drawing_id))
                .values(deleted=time.time(), deleted_by=actor.owner)
            )

    def restore_drawing(self, drawing_id: int, actor) -> None:
        with self.db.tx() as conn:
            self._may_change_drawing(conn, drawing_id, actor, archived=True)
            conn.execute(update(drawings).where(drawings.c.id == int(drawing_id)).values(deleted=None, deleted_by=None))

    def _may_change_drawing(self, conn: Connection, drawing_id: int, actor, archived: bool) -> None:
        row = conn.execute(select(drawings.c.owner, drawings.c.deleted).where(drawings.c.id == int(drawing_id))).first()
        if row is None or (row.deleted is not None) != archived:
            raise NotFound(f"drawing #{int(drawing_id)} is not there any more")
        if not (actor.presenter or row.owner == actor.owner):
            raise PermissionDenied(
                f"drawing #{int(drawing_id)} belongs to someone else: only its owner or the presenter may change it"
            )

    def iter_drawings(self, split: str | None = None, batch: int = 500) -> Iterator[Drawing]:
        """Every live drawing with its PNG, in batches (bounded memory for an export)."""
        since = 0
        while True:
            found = self.drawings(split, since, with_png=True, limit=batch)
            yield from found
            if len(found) < batch:
                return
            since = found[-1].id

    # -- the whole room's drawings, inside the caller's transaction (``Store.clear_room``) ----

    def archive_drawings(self, conn: Connection, by: str) -> None:
        conn.execute(update(drawings).where(drawings.c.deleted.is_(None)).values(deleted=time.time(), deleted_by=by))

    def delete_archived_drawings(self, conn: Connection) -> None:
        conn.execute(delete(drawings).where(drawings.c.deleted.is_not(None)))


def as_arrays(found: list[Drawing]):
    """Drawings as MNIST-like arrays: images (N,28,28) uint8 and labels (N,) int64."""
    import numpy as np

    images = np.frombuffer(b"".join(d.framed for d in found), np.uint8).reshape(len(found), 28, 28)
    return images.copy(), np.array([d.label for d in found], np.int64)


def _has_key(key: str):
    """Rows whose name has ``key``: as its key, or kept under it with its owner's id."""
    return or_(participants.c.nick_key == key, participants.c.nick_key.startswith(key + KEPT_MARK, autoescape=True))


def _taken(nickname: str, held: str) -> NicknameTaken:
    if held == nickname:
        return NicknameTaken(_("“{name}” is taken in this room: pick another nickname").format(name=nickname))
    return NicknameTaken(
        _("“{name}” is taken in this room: it looks like “{held}”, who is here. Pick another nickname.").format(
            name=nickname, held=held
        )
    )


def _optout(owner: str) -> str:
    return f"noshare.{owner}"


def _drawing(r, with_png: bool) -> Drawing:
    m = r._mapping
    return Drawing(
        id=int(m["id"]),
        owner=m["owner"],
        label=int(m["label"]),
        png=bytes(m["png"]) if with_png else None,
        framed=bytes(m["framed"]),
        split=m["split"],
        created=m["created"],
        deleted=m["deleted"],
    )
