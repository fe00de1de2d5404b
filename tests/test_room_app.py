"""The room under AppTest: nicknames, teaching (Right / Wrong, it is a ...), the sharing switches,
room accuracy in the Training tab, and the board page with the presenter's controls."""

import re
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import store
from common.status import Status
from testkit.apptest import PRESENTER, board_page, shown, the_store
from testkit.drawing import PLACEMENTS, render
from testkit.mnist import synthetic_mnist
from ui import room, shared
from ui.tabs import teach
from ui.widgets import canvas

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app(monkeypatch):
    data = synthetic_mnist()
    monkeypatch.setattr(shared, "is_provisioned", lambda: True)
    monkeypatch.setattr(shared, "loaded_mnist", lambda: data)
    room.feed().invalidate()
    teach._room_sharing.clear()

    def make(image=None, owner=None, board=False, presenter=False):
        monkeypatch.setattr(canvas, "draw", lambda *a, **k: image)
        at = (
            AppTest.from_function(board_page, default_timeout=60)
            if board
            else AppTest.from_file(APP, default_timeout=60)
        )
        if owner or presenter:  # the same browser again (its cookie), or the presenter
            at.session_state["owner"] = owner or PRESENTER.owner
            at.session_state["new_identity"] = False
            at.session_state["identity_token"] = "x" * 43
            at.session_state["is_presenter"] = presenter
            at.session_state["seen_at"] = 0.0
        at.run()
        assert not at.exception
        return at

    return make


def test_nicknames_are_unique_in_the_room_and_changeable(app):
    a, b = app(), app()
    a.text_input(key="nickname").input("Alice").run()
    assert the_store().names([a.session_state["owner"]])[a.session_state["owner"]] == "Alice"
    b.text_input(key="nickname").input("ALICE ").run()
    assert any("is taken in this room" in e.value for e in b.error)
    assert b.text_input(key="nickname").value == "" and the_store().nickname(b.session_state["owner"]) is None
    a.text_input(key="nickname").input("Al").run()  # changed: "alice" is free again
    b.text_input(key="nickname").input("alice").run()
    assert not b.error and the_store().nickname(b.session_state["owner"]) == "alice"
    assert app(owner=b.session_state["owner"]).text_input(key="nickname").value == "alice"  # after a reload


def teach_note(at) -> str:
    """The teach row's answer to the last click, as the page shows it (with the bars' HTML)."""
    return " ".join(h.proto.body for h in at.get("html") if "ds-note" in h.proto.body)


def test_right_and_wrong_keep_the_drawing_with_its_label(app):
    at = app(render(4, PLACEMENTS["big"]))
    predicted = int(next(m for m in at.metric if m.label == "Prediction").value)
    at.button(key="teach_right").click().run()
    (d,) = the_store().drawings(with_png=True)
    assert d.label == predicted and d.owner == at.session_state["owner"] and d.png.startswith(b"\x89PNG")
    assert np.frombuffer(d.framed, np.uint8).reshape(28, 28).max() > 200  # framed like MNIST: white ink
    assert "Thank you: kept for the room as a" in teach_note(at)
    for _ in range(3):  # Right again and again: nothing new, and nothing for the presenter's archive
        at.button(key="teach_right").click().run()
    assert len(the_store().drawings()) == 1 and the_store().drawings(archived=True) == []
    assert "Already kept" in teach_note(at)
    at.button_group(key="teach_label").set_value(7).run()  # the same drawing, corrected: not counted twice
    assert [x.label for x in the_store().drawings()] == [7]
    app(render(1, PLACEMENTS["big"])).button_group(key="teach_label").set_value(1).run()
    assert sorted(x.label for x in the_store().drawings()) == [1, 7]


def test_nothing_is_kept_from_a_participant_who_turned_sharing_off(app):
    at = app(render(4, PLACEMENTS["big"]))
    at.toggle(key="share_drawings").set_value(False).run()
    assert at.button(key="teach_right").proto.disabled and at.button_group(key="teach_label").proto.disabled
    owner = at.session_state["owner"]
    again = app(render(4, PLACEMENTS["big"]), owner=owner)  # a reload keeps the choice
    assert again.toggle(key="share_drawings").value is False and again.button(key="teach_right").proto.disabled
    # The store refuses on its own, whoever calls it: nothing is written for this participant.
    assert the_store().add_drawing(owner, 4, teach.drawing_png(render(4, PLACEMENTS["big"])), b"\0" * 784) is None
    assert the_store().drawings() == []


def test_the_presenter_turns_sharing_off_for_the_whole_room(app):
    the_store().set_sharing(False, PRESENTER)
    at = app(render(4, PLACEMENTS["big"]))
    assert at.button(key="teach_right").proto.disabled
    assert any("turned sharing off" in c.value for c in at.caption)


def test_room_accuracy_is_shown_in_training_and_runs(app):
    s = the_store()
    for digit in range(10):
        for place in PLACEMENTS.values():
            image = render(digit, place)
            s.add_drawing("someone", digit, teach.drawing_png(image), room.framed_bytes(image))
    n_test = s.drawing_counts()[store.TEST]
    at = app(render(4, PLACEMENTS["big"]))
    at.session_state["tab"] = "Training"
    at.run()
    shown = next(m for m in at.metric if m.label == "Room accuracy").value
    expected = room.scorer().score("shipped", shared.shipped_model(), s)
    assert expected.n == n_test > 0 and shown == f"{expected.accuracy:.1%}"


def test_the_board_shows_the_room_and_the_presenter_runs_a_round(app, monkeypatch):
    s = the_store()
    s.set_nickname("someone", "Zed", "Guest 0000")
    image = render(3, PLACEMENTS["big"])
    s.add_drawing("someone", 3, teach.drawing_png(image), room.framed_bytes(image))
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    board = app(board=True)
    assert any(m.label == "Shared drawings" and m.value == "1" for m in board.metric)
    assert not any(h.value == "Presenter" for h in board.header)  # a participant sees no controls
    monkeypatch.setenv("DIGIT_STUDIO_JOIN_PORT", "8500")  # behind nginx (make cluster)
    assert re.fullmatch(r"http://[\d.]+:8500/", room.join_url(None))
    monkeypatch.setenv("DIGIT_STUDIO_JOIN_PORT", "80; <b>")  # not a port: this server's own
    assert room.join_url(None).endswith(f":{st.get_option('server.port')}/")
    monkeypatch.setenv("DIGIT_STUDIO_JOIN_URL", "http://studio.example:8501/")
    room.feed().invalidate()
    presenter = app(board=True, presenter=True)
    assert any(h.value == "Presenter" for h in presenter.header)
    assert any("http://studio.example:8501/" in shown(m.value) for m in presenter.markdown)
    presenter.number_input(key="round_seconds").set_value(60)
    presenter.button(key="FormSubmitter:round_form-Start the round").click().run()
    assert not presenter.exception and s.round()["ends"] - s.round()["started"] == 60
    presenter.toggle(key="room_sharing").set_value(False).run()
    assert not s.sharing()
    (d,) = s.drawings()
    presenter.button(key=f"drawing_delete_{d.id}").click().run()
    assert s.drawings() == [] and len(s.drawings(archived=True)) == 1


def test_the_board_counts_participants_online_not_the_presenter(app, monkeypatch):
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    someone = app()
    app(board=True, presenter=True)
    online = {p["id"] for p in the_store().online()}
    assert someone.session_state["owner"] in online and PRESENTER.owner not in online


def test_one_persons_many_runs_cannot_push_the_room_off_the_board(app):
    s, cfg = the_store(), {"model": "softmax", "optimizer": "adam", "lr": 0.02, "batch_size": 256, "epochs": 2}
    for owner, name in (("flood", "Mallory"), ("a", "Ann"), ("b", "Bo")):
        s.set_nickname(owner, name, "Guest 0000")
    for i in range(15):  # 15 finished runs by one person, each better than the others'
        s.finish_run(s.start_run({**cfg, "framing": "frame+deskew"}, "app", f"m{i}", owner="flood"), "finished",
                     test_accuracy=0.95 + i / 1000)  # fmt: skip
    s.finish_run(s.start_run({**cfg, "framing": "frame"}, "app", "ann1", owner="a"), "finished", test_accuracy=0.9)
    s.start_run({**cfg, "framing": "frame"}, "app", "bo1", owner="b")  # still training
    board = app(board=True)
    (table,) = board.table
    rows = table.value
    assert list(rows["who"]) == ["Mallory", "Ann", "Bo"] and list(rows["name"]) == ["m14", "ann1", "bo1"]
    assert any("3 of 17 runs by 3 people" in c.value for c in board.caption)
    assert next(m for m in board.metric if m.label == "Runs").value == "17"


def test_the_leaderboard_keeps_each_persons_best_and_running_runs_and_at_most_ten_rows():
    def row(run, owner, mnist, status=Status.FINISHED):
        return {"run": run, "owner": owner, "room": None, "mnist": mnist, "status": status}

    rows = [row(1, "a", 0.9), row(2, "a", 0.95), row(3, "a", 0.5, Status.RUNNING), row(4, "b", 0.92)]
    assert [r["run"] for r in room.leaders(rows)] == [2, 4, 3]
    many = [row(i, f"p{i}", 0.5 + i / 100) for i in range(25)]
    assert [r["run"] for r in room.leaders(many)] == list(range(24, 14, -1))


def _train(at) -> None:
    at.session_state["cfg_epochs"], at.session_state["cfg_framing"], at.session_state["cfg_batch_size"] = 1, "none", 64
    at.run()
    next(b for b in at.button if b.label == "Train").click().run()


def test_a_reload_or_a_second_tab_does_not_reset_a_persons_run_limit(app, monkeypatch):
    """The Train rate is counted per person in the store: a reload is a new session, not a new person."""
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    from ui import limits

    first, s = app(), the_store()
    owner = first.session_state["owner"]
    cfg = {"model": "softmax", "optimizer": "adam", "lr": 0.02, "batch_size": 64, "epochs": 1, "framing": "none"}
    for i in range(limits.RATES["train"][0]):  # runs this person started in the last minute, from other tabs
        s.finish_run(s.start_run(cfg, "app", f"r{i}", owner=owner), Status.FINISHED, test_accuracy=0.5)
    again = app(owner=owner)
    _train(again)
    assert again.session_state.job is None
    assert any("all your tabs together" in w.value for w in again.sidebar.warning)
    someone_else = app()
    _train(someone_else)  # the limit is that person's, not the room's
    assert someone_else.session_state.job is not None
    someone_else.session_state.job.join(60)


def test_one_person_trains_one_run_at_a_time_whatever_the_tabs(app, monkeypatch):
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    tab = app()
    owner, slots = tab.session_state["owner"], shared.training_slots()

    class Other:  # their run in another tab, waiting for a slot or training
        done = False

    other = Other()
    assert slots.claim(owner, other)
    try:
        _train(app(owner=owner))
        second = app(owner=owner)
        _train(second)
        assert second.session_state.job is None
        assert any("already have a run waiting or training" in w.value for w in second.sidebar.warning)
    finally:
        other.done = True  # that run ended
    _train(second)  # this tab may train now
    assert second.session_state.job is not None
    second.session_state.job.join(60)


def test_a_run_training_on_another_replica_counts_as_the_persons_one_run(app, monkeypatch):
    """nginx routes a browser by a cookie: a tab without it may land on another replica, whose slots
    know nothing of this one's runs. The store, which the replicas share, does."""
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    tab = app()
    owner = tab.session_state["owner"]
    other_replica = store.Store(store.default_url())  # the same database, another process's instance
    rid = other_replica.start_run({"model": "softmax"}, "app", owner=owner)
    try:
        here = app(owner=owner)
        _train(here)
        assert here.session_state.job is None
        assert any("already have a run waiting or training" in w.value for w in here.sidebar.warning)
    finally:
        other_replica.finish_run(rid, Status.FINISHED, test_accuracy=0.5)
    _train(here)  # that run ended: this tab may train now
    assert here.session_state.job is not None
    here.session_state.job.join(60)


def test_a_long_nickname_is_cut_with_a_word_why_not_dropped(app):
    at = app()
    at.text_input(key="nickname").input("Ann" + "a" * 497).run()
    assert the_store().nickname(at.session_state["owner"]) == "Ann" + "a" * (store.NICK_MAX - 3)
    assert at.text_input(key="nickname").value == "Ann" + "a" * (store.NICK_MAX - 3)
    assert any(f"at most {store.NICK_MAX} characters" in c.value for c in at.sidebar.caption)


def test_a_nickname_behind_a_long_run_of_blanks_is_kept(app):
    at = app()
    at.text_input(key="nickname").input(" " * 150 + "\x00" * 150 + "\t\n" * 60 + "Zoë").run()
    assert the_store().nickname(at.session_state["owner"]) == "Zoë"
    assert at.text_input(key="nickname").value == "Zoë"
    assert not any("at most" in c.value for c in at.sidebar.caption)  # nothing was cut


def test_punctuation_does_not_make_a_name_new_and_guest_labels_are_reserved_only_as_labels(app):
    s = the_store()
    s.set_nickname("a", "Nora", "Guest 0000")
    for taken in ("Nora.", "N-o-r-a!"):
        with pytest.raises(store.NicknameTaken):
            s.set_nickname("b", taken, "Guest 1111")
    for reserved in ("PRESENTER!", "Guest 1a2b", "guest"):
        with pytest.raises(store.Refused):
            s.set_nickname("b", reserved, "Guest 1111")
    assert s.set_nickname("b", "Guestina", "Guest 1111") == "Guestina"
    with pytest.raises(store.Refused, match="at least one letter or digit"):
        s.set_nickname("c", "!!!", "Guest 2222")


def test_the_presence_note_is_written_on_every_tick_of_its_timer_and_on_the_board(app, monkeypatch):
    """The fragment ticks every SEEN_EVERY s; a tick a little early was skipped before, so an idle
    participant was written every 40 s of the 60 s window. The board page has the timer too."""
    import time

    from ui import access

    at = app()
    owner, s = at.session_state["owner"], the_store()
    s.away(owner)
    assert owner not in {p["id"] for p in s.online()}
    at.session_state["seen_at"] = time.time() - access.SEEN_EVERY * 0.9  # the next tick, a little early
    at.run()
    assert owner in {p["id"] for p in s.online()}
    ticks = []
    monkeypatch.setattr(room, "presence", lambda: ticks.append(1))
    app(board=True, owner=owner)
    assert ticks  # the board registers the timer that keeps a watching participant online


def test_a_browser_that_becomes_the_presenters_leaves_the_people_online(app, monkeypatch):
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    p = app()
    owner = p.session_state["owner"]
    assert owner in {x["id"] for x in the_store().online()}
    p.text_input(key="presenter_passcode").set_value("correct horse")
    next(x for x in p.button if x.label == "Unlock presenter mode").click().run()
    assert p.session_state["is_presenter"] and owner not in {x["id"] for x in the_store().online()}


def test_the_presenters_other_tabs_are_not_participants(app, monkeypatch):
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    p = app()
    owner = p.session_state["owner"]
    p.text_input(key="presenter_passcode").set_value("correct horse")
    next(x for x in p.button if x.label == "Unlock presenter mode").click().run()
    second = app(owner=owner)  # the same browser (its identity cookie), another tab, not unlocked
    assert not second.session_state["is_presenter"]
    assert owner not in {x["id"] for x in the_store().online()}
    assert not any(c.value.startswith("Guest") for c in app(board=True).caption if "In the room" in c.value)
    next(x for x in p.button if x.label == "Leave presenter mode").click().run()
    app(owner=owner)  # the browser left presenter mode: its tabs are participants again
    assert owner in {x["id"] for x in the_store().online()}


def test_the_board_shows_the_epoch_a_stopped_run_reached_not_its_setting(app):
    from train.loop import EpochMetrics

    s = the_store()
    cfg = {"model": "softmax", "optimizer": "adam", "lr": 0.02, "batch_size": 60, "epochs": 200, "framing": "none"}
    rid = s.start_run(cfg, "app", "long", owner="a")
    s.add_epochs(rid, [EpochMetrics(e, 0.5, [0.5], 0.5, 0.8, 0.1) for e in (1, 2, 3)])
    s.finish_run(rid, Status.STOPPED, test_accuracy=0.8)
    done = s.start_run({**cfg, "epochs": 2}, "app", "short", owner="b")
    s.finish_run(done, Status.FINISHED, test_accuracy=0.7)
    (table,) = app(board=True).table
    rows = table.value.set_index("name")
    assert rows.loc["long", "epoch"] == 3 and rows.loc["short", "epoch"] == 2


def test_the_presenter_removes_an_offensive_nickname_and_nobody_can_take_it_again(app, monkeypatch):
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    rude, s = app(), the_store()
    rude.text_input(key="nickname").input("Rude Name").run()
    owner = rude.session_state["owner"]
    with pytest.raises(store.PermissionDenied):
        s.remove_nickname(owner, store.Actor(owner))  # a participant cannot
    board = app(board=True, presenter=True)
    board.selectbox(key="people_pick").set_value(owner)
    next(b for b in board.button if b.label == "Remove the nickname").click().run()
    assert not board.exception and any("was removed" in m.value for m in board.success)
    assert s.nickname(owner) is None and s.names([owner])[owner].startswith("Guest ")
    for again in ("Rude Name", "rude name!", "RUDENAME"):
        with pytest.raises(store.Refused, match="removed from this room"):
            s.set_nickname("someone else", again, "Guest 0000")
    assert s.set_nickname(owner, "Polite", "Guest 0000") == "Polite"  # they may pick another


def test_a_removed_nickname_leaves_the_participants_own_field_too(app, monkeypatch):
    monkeypatch.setenv("DIGIT_STUDIO_PRESENTER_PASSCODE", "correct horse")
    at = app()
    at.text_input(key="nickname").input("Rude Name").run()
    owner = at.session_state["owner"]
    the_store().remove_nickname(owner, PRESENTER)
    at.session_state["nickname_checked"] = 0.0  # the presence timer's next tick
    at.run()
    assert not at.exception and at.text_input(key="nickname").value == ""
    assert any("taken off the room's board" in e.value for e in at.sidebar.error)


def test_the_boards_confusion_matrix_reads_from_the_back_of_the_room():
    """On the projector the counts were 10 pt in a 520 px image (about 9 px): twice that now, and
    each count in the colour that stands out of its cell."""
    import numpy as np

    from ui.widgets import plots

    cm = np.diag(np.full(10, 40))
    cm[9, 4], cm[1, 7] = 30, 1
    studio, board = (plots.plot_confusion(cm, board=b).axes[0] for b in (False, True))
    sizes = lambda ax: [t.get_fontsize() for t in ax.texts]  # noqa: E731
    assert min(sizes(board)) >= 2 * max(sizes(studio))
    assert board.xaxis.label.get_fontsize() >= 18 > studio.xaxis.label.get_fontsize()
    assert min(t.get_fontsize() for t in board.get_xticklabels()) >= 18
    colour = {t.get_text(): t.get_color() for t in board.texts}
    assert colour["40"] == colour["30"] == "white" and colour["1"] == "black"  # dark cells, a light one
    cm[0, 0] = 400  # three digits: smaller, still big
    assert 14 <= min(sizes(plots.plot_confusion(cm, board=True).axes[0])) < min(sizes(board))


def test_the_run_pickers_mark_a_run_that_did_not_finish(app):
    from train.config import PRESETS

    s, cfg = the_store(), PRESETS["recommended"].to_dict()
    fine = s.start_run(cfg, "app", "fine", owner="a")
    s.finish_run(fine, Status.FINISHED, test_accuracy=0.9)
    broken = s.start_run(cfg, "app", "broken", owner="a")
    s.finish_run(broken, Status.FAILED, error="Training diverged in epoch 1")
    at = app()
    at.session_state["tab"] = "Runs"
    at.run()
    options = at.selectbox(key="run_pick").options
    assert any("broken" in o and o.endswith("(failed)") for o in options)
    assert any("fine" in o and not o.endswith(")") for o in options)
    assert any(o.endswith("(failed)") for o in at.multiselect(key="compare_runs").options)


def _in_order(node):
    """A block's elements as the page shows them, top to bottom."""
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _in_order(child)


def test_the_nickname_comes_first_in_the_sidebar(app):
    at = app()
    order = list(_in_order(at.sidebar))
    keys = [getattr(e, "key", None) for e in order]
    train = next(i for i, e in enumerate(order) if getattr(e, "label", None) == "Train")
    assert keys.index("nickname") < train
    assert keys.index("nickname") < min(i for i, k in enumerate(keys) if k and str(k).startswith("cfg_"))


def test_a_copycat_nickname_is_refused_with_the_name_it_copies(app):
    """The room play: "AIice" (a capital I) and "Al1ce" were accepted beside "Alice", and the board
    read "Alice, Alice"."""
    a, b = app(), app()
    a.text_input(key="nickname").input("Alice").run()
    for copy in ("AIice", "Al1ce", "A|ice", "\u0410l\u0456ce"):  # the last with Cyrillic А and і
        b.text_input(key="nickname").input(copy).run()
        assert [shown(e.value) for e in b.error] == [
            f"“{copy}” is taken in this room: it looks like “Alice”, who is here. Pick another nickname."
        ]
        assert b.text_input(key="nickname").value == "" and the_store().nickname(b.session_state["owner"]) is None
    b.text_input(key="nickname").input("Alina").run()
    assert not b.error and the_store().nickname(b.session_state["owner"]) == "Alina"
