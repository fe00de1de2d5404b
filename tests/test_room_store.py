"""The room's part of the store: nicknames, labelled drawings and their split, who may change
them, sharing switches and the presenter's settings."""

import io
import json
import os
import time

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import text

import store
from deploy import cluster
from store import TEST, TRAIN, Actor, NicknameTaken, NotFound, PermissionDenied, Refused, Store, split_of

A, B, PRESENTER = Actor("a" * 32), Actor("b" * 32), Actor("p" * 32, presenter=True)


def png(seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (28, 28), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def framed(seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, 784, dtype=np.uint8).tobytes()


@pytest.fixture
def s(tmp_path):
    return Store(tmp_path / "h.sqlite")


def test_nicknames_are_plain_short_unique_without_case_and_changeable(s):
    s.seen(A.owner, "Guest aaaa")
    assert s.set_nickname(A.owner, "  Alice\u202e\x07\n  the\tGreat  ") == "Alice the Great"
    assert s.names([A.owner]) == {A.owner: "Alice the Great", store.PRESENTER: "presenter"}
    lookalikes = ("\u0410lice the great", "Alíce the Great", "Alice the grеat")  # Cyrillic А and е
    for same in ("alice THE great", "ＡＬＩＣＥ the great", "Alicethe Great", *lookalikes):
        with pytest.raises(NicknameTaken, match="is taken in this room"):
            s.set_nickname(B.owner, same)
    assert s.nickname(B.owner) is None  # nothing half-written for B
    assert len(s.set_nickname(B.owner, "b" * 500)) == store.NICK_MAX
    s.set_nickname(A.owner, "Alice")  # changeable: the old name is free again
    assert s.set_nickname(B.owner, "alice the great") == "alice the great"
    s.set_nickname(A.owner, "")  # removed: shown by the anonymous label again
    assert s.names([A.owner])[A.owner] == "Guest aaaa"
    with pytest.raises(Refused, match="at least one letter"):
        s.set_nickname(A.owner, "\u200b\x00 ")
    for other in ("Presenter", "guest 3f9a", "YOU", "Prеsenter"):  # the last with a Cyrillic е
        with pytest.raises(Refused, match="already names someone else"):
            s.set_nickname(A.owner, other)


@pytest.mark.parametrize(
    "typed, kept",
    [
        ("Zoë 👩🏽\u200d🔬", "Zoë 👩🏽\u200d🔬"),  # a joined emoji stays one emoji, not "👩🏽 🔬"
        ("A" * 22 + "👨\u200d👩\u200d👧", "A" * 22),  # cut at NICK_MAX: the family whole or not at all
        ("A" * 23 + "🇫🇷", "A" * 23),  # not half a flag
        ("A" * 23 + "e\u0301", "A" * 23),  # not an e without its accent
        ("A" * 22 + "क्ष", "A" * 22),  # not a Devanagari conjunct's first half, with its virama dangling
        ("Al\u200dice", "Al ice"),  # a joiner between letters hides: it is no emoji's
        ("Bo \u200d👩\u200d", "Bo 👩"),  # joiners with an emoji on one side only
    ],
)
def test_a_nickname_keeps_its_emoji_whole(s, typed, kept):
    assert store.clean_nickname(typed) == kept
    assert s.set_nickname(A.owner, typed) == kept


def test_a_nickname_is_held_while_its_owner_is_around_and_then_let_go(s, monkeypatch):
    import store.room as room

    now = [1_000_000.0]
    monkeypatch.setattr(room.time, "time", lambda: now[0])
    s.seen(A.owner, "Guest aaaa")
    s.set_nickname(A.owner, "Nora")
    now[0] += store.NICK_HOLD - 60
    with pytest.raises(NicknameTaken):
        s.set_nickname(B.owner, "nora")
    s.seen(A.owner, "Guest aaaa")  # Nora's browser is still here: the hold starts again
    now[0] += store.NICK_HOLD - 60
    with pytest.raises(NicknameTaken):
        s.set_nickname(B.owner, "Nora")
    now[0] += 120  # gone for longer than the hold
    assert s.set_nickname(B.owner, "NORA") == "NORA"
    assert s.nickname(A.owner) is None and s.names([A.owner])[A.owner] == "Guest aaaa"
    with pytest.raises(NicknameTaken):  # and the new Nora holds it in turn
        s.set_nickname(A.owner, "Nora")


def test_a_drawing_round_trips_and_lands_in_a_half_by_its_pixels(s):
    ids = [s.add_drawing(A.owner, i % 10, png(i), framed(i)) for i in range(200)]
    assert all(isinstance(i, int) for i in ids) and ids == sorted(ids)
    got = s.drawings(with_png=True)
    assert [d.id for d in got] == ids
    assert got[3].png == png(3) and got[3].framed == framed(3) and got[3].label == 3 and got[3].owner == A.owner
    assert all(d.split == split_of(framed(i)) for i, d in enumerate(got))
    counts = s.drawing_counts()
    assert counts[TEST] + counts[TRAIN] == 200 and 70 <= counts[TEST] <= 130  # about half each
    assert {d.split for d in s.drawings(TEST)} == {TEST} and s.drawings(TEST)[0].png is None
    assert [d.id for d in s.drawings(since=ids[-3])] == ids[-2:]
    images, labels = store.as_arrays(s.drawings(TRAIN))
    assert images.shape == (counts[TRAIN], 28, 28) and images.dtype == np.uint8 and labels.dtype == np.int64
    # The split is stable: the same pixels go to the same half, in any store, in any order.
    other = Store(s.path.parent / "other.sqlite")
    for i in reversed(range(200)):
        other.add_drawing(B.owner, 0, png(0), framed(i))
    assert sorted(d.framed for d in other.drawings(TEST)) == sorted(d.framed for d in s.drawings(TEST))


def test_bad_drawings_are_refused_with_a_reason(s):
    for label, image, pixels, why in (
        (10, png(), framed(0), "0 to 9"),
        (True, png(), framed(0), "0 to 9"),
        ("3", png(), framed(0), "0 to 9"),
        (3, b"GIF89a...", framed(0), "PNG"),
        (3, png() + b"x" * store.room.PNG_MAX, framed(0), "PNG of at most"),
        (3, png(), b"\x00" * 783, "28x28"),
    ):
        with pytest.raises(Refused, match=why):
            s.add_drawing(A.owner, label, image, pixels)
    assert s.drawings() == []


def test_only_the_owner_or_the_presenter_may_delete_or_restore_a_drawing(s):
    mine = s.add_drawing(A.owner, 1, png(), framed(1))
    with pytest.raises(PermissionDenied, match="belongs to someone else"):
        s.delete_drawing(mine, B)
    before = s.drawings_revision()
    s.delete_drawing(mine, A)
    assert s.drawings() == [] and [d.id for d in s.drawings(archived=True)] == [mine]
    assert s.drawings_revision() != before
    with pytest.raises(NotFound):
        s.delete_drawing(mine, A)
    with pytest.raises(NotFound):
        s.drawing_png(mine)
    with pytest.raises(PermissionDenied):
        s.restore_drawing(mine, B)
    s.restore_drawing(mine, PRESENTER)
    assert [d.id for d in s.drawings()] == [mine]
    theirs = s.add_drawing(B.owner, 2, png(), framed(2))
    s.delete_drawing(theirs, PRESENTER)
    s.clear_room(PRESENTER)
    assert s.drawings() == [] and len(s.drawings(archived=True)) == 2
    s.empty_archive(PRESENTER)
    assert s.drawings(archived=True) == [] and s.drawing_counts() == {TEST: 0, TRAIN: 0}


def test_nothing_is_kept_when_the_room_or_the_participant_has_sharing_off(s):
    assert s.sharing() and s.shares(A.owner)
    with pytest.raises(PermissionDenied, match="only the presenter"):
        s.set_sharing(False, A)
    s.set_shares(A.owner, False)
    s.set_shares(A.owner, False)  # twice is once
    assert not s.shares(A.owner) and s.shares(B.owner)
    assert s.add_drawing(A.owner, 1, png(), framed(1)) is None
    assert s.add_drawing(B.owner, 1, png(), framed(1)) is not None
    s.set_sharing(False, PRESENTER)
    assert s.add_drawing(B.owner, 2, png(), framed(2)) is None
    assert [d.owner for d in s.drawings()] == [B.owner]
    s.set_sharing(True, PRESENTER)
    s.set_shares(A.owner, True)
    assert s.add_drawing(A.owner, 1, png(), framed(3)) is not None


def test_room_settings_are_the_presenters(s, monkeypatch):
    for change in (
        lambda: s.set_join_url("http://evil", A),
        lambda: s.set_board_model(1, A),
        lambda: s.start_round(60, 3, "go", A),
    ):
        with pytest.raises(PermissionDenied):
            change()
    s.set_join_url("  http://10.0.0.5:8501\x07 ", PRESENTER)
    assert s.join_url() == "http://10.0.0.5:8501"
    assert s.board_model() is None
    s.set_board_model(7, PRESENTER)
    assert s.board_model() == 7
    first = s.start_round(60, 3, "Best room accuracy\nwith 3 s", PRESENTER)
    assert first["title"] == "Best room accuracy with 3 s" and first["ends"] - first["started"] == 60
    assert s.round() == first
    second = s.start_round(30, 1, "again", PRESENTER)
    assert second["id"] == first["id"] + 1
    s.end_round(PRESENTER)
    assert s.round()["ends"] <= second["started"] + 1
    with pytest.raises(Refused):
        s.start_round(5, 3, "too short", PRESENTER)
    s.set_setting("round", "not json {", PRESENTER)
    assert s.round() is None
    s.set_setting("round", json.dumps([1, 2]), PRESENTER)
    assert s.round() is None


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request, tmp_path) -> str:
    """A fresh, empty store's address: a SQLite file, or a new database on the test PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "h.sqlite")
    pgdata, port = request.getfixturevalue("postgres_server")
    return cluster.create_database(pgdata, port, f"r_{os.getpid()}_{time.monotonic_ns()}")


def left_by_version_2(where: str, people: list[tuple[str, str, str]], blocked: list[str]) -> None:
    """Make the store at ``where`` what the previous release left: schema version 2, each nickname
    under the key it computed (case-folded, accents and punctuation dropped, a capital I and a one
    apart from l); ``people`` (owner, nickname, key) seen in that order, the first last."""
    s = Store(where)
    now = time.time()
    with s.engine.begin() as conn:
        for i, (owner, nickname, key) in enumerate(people):
            conn.execute(
                text(
                    "INSERT INTO participants (id, label, nickname, nick_key, created, last_seen) "
                    "VALUES (:id, 'Guest 0000', :nickname, :key, :t, :t)"
                ),
                {"id": owner, "nickname": nickname, "key": key, "t": now - 60 * i},
            )
        conn.execute(
            text("INSERT INTO meta (key, value) VALUES ('room.blocked_names', :v)"), {"v": json.dumps(blocked)}
        )
        conn.execute(text("UPDATE meta SET value = '2' WHERE key = 'schema_version'"))
        conn.execute(text("DELETE FROM meta WHERE key = 'nick_key_rules'"))
    s.close()


def test_an_upgrade_keeps_every_name_and_refuses_only_new_look_alikes(where):
    c, d, e = "c" * 32, "d" * 32, "e" * 32
    people = [(B.owner, "AIice", "aiice"), (A.owner, "Alice", "alice"), (c, "Al1ce", "al1ce"), (d, "Bob", "bob")]
    left_by_version_2(where, people, blocked=["bi11"])  # the presenter removed "Bi11"
    s = Store(where)
    with s.engine.connect() as conn:
        assert conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar() == "3"
        keys = dict(conn.execute(text("SELECT id, nick_key FROM participants")).all())
    assert keys[B.owner] == "allce"  # the one seen last keeps the key
    assert len(set(keys.values())) == 4  # the others keep theirs apart: nobody loses a name
    assert s.names([A.owner, B.owner, c, d]) == {
        A.owner: "Alice",
        B.owner: "AIice",
        c: "Al1ce",
        d: "Bob",
        store.PRESENTER: "presenter",
    }
    with pytest.raises(NicknameTaken, match="it looks like “AIice”"):  # a new claim: refused
        s.set_nickname(e, "A1ice")
    with pytest.raises(NicknameTaken, match="it looks like “AIice”"):  # a change is a new claim too
        s.set_nickname(A.owner, "Alice!")
    with pytest.raises(NicknameTaken, match="“Bob” is taken in this room: pick another nickname"):
        s.set_nickname(e, "Bob")
    with pytest.raises(Refused, match="removed from this room"):  # the removed name's key, recomputed
        s.set_nickname(e, "Bill")
    assert s.set_nickname(A.owner, "Alice") == "Alice"  # saved again as it is: still theirs
    assert s.set_nickname(c, "Al1ce") == "Al1ce"
    s.set_nickname(B.owner, "Beatrice")  # the key's holder leaves the name: the kept ones still hold it
    with pytest.raises(NicknameTaken, match="it looks like “(Alice|Al1ce)”"):
        s.set_nickname(e, "ALICE")
    s.close()
    again = Store(where)  # opened again: nothing recomputed, nothing lost
    assert again.names([A.owner, c])[c] == "Al1ce"
    assert again.set_nickname(e, "Eve") == "Eve"


def test_a_read_only_store_opens_with_nickname_keys_of_older_rules(tmp_path):
    path = tmp_path / "h.sqlite"
    s = Store(path)
    s.set_nickname(A.owner, "Alice")
    with s.engine.begin() as conn:
        conn.execute(text("UPDATE meta SET value = 'older tables' WHERE key = 'nick_key_rules'"))
    s.close()
    assert Store(f"sqlite:///file:{path}?mode=ro&uri=true").nickname(A.owner) == "Alice"
    assert Store(path).set_nickname(A.owner, "Alice") == "Alice"  # a writer recomputes the keys
