"""Access to the room in the store: who is here now (presence), and the presenter passcode's
wrong tries, counted per client in the database so that every replica and every reload sees them."""

from __future__ import annotations

import time

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from store.database import Database
from store.schema import attempts, participants


class Access:
    """Presence and passcode throttling in ``db``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- presence ----------------------------------------------------------------------------

    def seen(self, owner: str, label: str) -> None:
        """Note that a participant is here now (creates them on first sight)."""
        now = time.time()
        with self.db.tx() as conn:
            n = conn.execute(update(participants).where(participants.c.id == owner).values(last_seen=now)).rowcount
            if not n:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(participants).values(id=owner, label=label, created=now, last_seen=now))
                except IntegrityError:
                    pass  # the same participant in two tabs at once

    def away(self, owner: str) -> None:
        """Note that a participant is no longer here (a browser that became the presenter's)."""
        with self.db.tx() as conn:
            conn.execute(update(participants).where(participants.c.id == owner).values(last_seen=0.0))

    def online(self, within: float = 60.0) -> list[dict]:
        """Participants seen in the last ``within`` seconds: id, label, nickname, last_seen."""
        with self.db.tx(write=False) as conn:
            rows = conn.execute(
                select(participants.c.id, participants.c.label, participants.c.nickname, participants.c.last_seen)
                .where(participants.c.last_seen >= time.time() - within)
                .order_by(participants.c.last_seen.desc())
            ).fetchall()
        return [dict(r._mapping) for r in rows]

    # -- presenter passcode: wrong tries, counted per server ---------------------------------

    def passcode_wait(self, key: str) -> float:
        """Seconds this client must wait before another passcode try (0: may try now)."""
        with self.db.tx(write=False) as conn:
            until = conn.execute(select(attempts.c.locked_until).where(attempts.c.key == key)).scalar()
        return max(0.0, (until or 0.0) - time.time())

    def passcode_failed(self, key: str, free: int, base_wait: float, max_wait: float) -> float:
        """Count a wrong passcode; after ``free`` of them each try doubles the wait. Returns the wait."""
        now = time.time()
        with self.db.tx() as conn:
            row = conn.execute(select(attempts).where(attempts.c.key == key)).first()
            failures = (row.failures if row else 0) + 1
            wait = 0.0 if failures < free else min(max_wait, base_wait * 2 ** (failures - free))
            values = {"failures": failures, "locked_until": now + wait, "last": now}
            if row:
                conn.execute(update(attempts).where(attempts.c.key == key).values(**values))
            else:
                conn.execute(insert(attempts).values(key=key, **values))
        return wait

    def passcode_ok(self, key: str) -> None:
        with self.db.tx() as conn:
            conn.execute(delete(attempts).where(attempts.c.key == key))
