"""The presenter's panel on the room board under AppTest, refreshed the way a browser refreshes it:
only the fragments with a timer rerun, and what lies outside them stays as it was drawn. The panel
shows the room as it is now (names, the round, drawings) on every refresh; a confirmation stays
long enough to read and then goes."""

from __future__ import annotations

import pytest
from streamlit.proto.Block_pb2 import Block
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import local_script_runner as runner

from testkit.apptest import PRESENTER, board_page, the_store
from testkit.drawing import PLACEMENTS, render
from testkit.mnist import synthetic_mnist
from ui import room, shared
from ui.pages import board
from ui.tabs import teach


@pytest.fixture
def presenter(monkeypatch):
    """The unlocked presenter's board, and ``refresh(at, after=seconds)``: what the browser shows
    once the board's timers have fired ``after`` seconds from now."""
    data = synthetic_mnist()
    monkeypatch.setattr(shared, "is_provisioned", lambda: True)
    monkeypatch.setattr(shared, "loaded_mnist", lambda: data)
    room.feed().invalidate()
    page: list = []  # the messages the browser holds: the page as it is on screen
    fragments: list = []  # the fragments a refresh reruns; empty: a whole run (a click outside them)

    def forward_msgs(self):
        new = list(self.forward_msg_queue._queue)
        if fragments:  # the browser keeps every element outside the rerun fragments
            kept = [m for m in page if not (m.HasField("delta") and m.delta.fragment_id in fragments)]
            new = kept + [m for m in new if m.HasField("delta")]
        page[:] = new
        return new

    make_rerun_data = runner.RerunData

    def rerun_data(**kw):
        if fragments:  # the browser's timers ask for the fragments, not the page
            kw.update(fragment_id_queue=list(fragments), is_fragment_scoped_rerun=True)
        return make_rerun_data(**kw)

    monkeypatch.setattr(runner.LocalScriptRunner, "forward_msgs", forward_msgs)
    monkeypatch.setattr(runner, "RerunData", rerun_data)

    def refresh(at: AppTest, after: float = board.REVIEW_EVERY) -> AppTest:
        flash = at.session_state["board_flash"] if "board_flash" in at.session_state else None
        if flash and len(flash) > 2:  # as if ``after`` seconds went by
            at.session_state["board_flash"] = (*flash[:2], flash[2] - after, *flash[3:])
        fragments[:] = list(at._fragment_storage._fragments)
        try:
            at.run()
        finally:
            fragments.clear()
        assert not at.exception
        return at

    at = AppTest.from_function(board_page, default_timeout=60)
    at.session_state["owner"] = PRESENTER.owner
    at.session_state["new_identity"] = False
    at.session_state["identity_token"] = "x" * 43
    at.session_state["is_presenter"] = True
    at.session_state["seen_at"] = 0.0
    return at, refresh


def shown(at: AppTest) -> list[str]:
    return [a.value for a in (*at.success, *at.error)]


def test_a_refresh_offers_the_names_the_room_has_now(presenter):
    at, refresh = presenter
    s = the_store()
    s.set_nickname("a" * 32, "Alice", "Guest 0001")
    at.run()
    assert at.selectbox(key="people_pick").options == ["Alice"]
    s.set_nickname("a" * 32, "Alicia", "Guest 0001")  # renamed in the studio, in another tab
    s.set_nickname("b" * 32, "Bob", "Guest 0002")
    refresh(at)
    assert sorted(at.selectbox(key="people_pick").options) == ["Alicia", "Bob"]


def test_a_refresh_shows_the_round_as_it_is_now(presenter, monkeypatch):
    at, refresh = presenter
    s = the_store()
    s.start_round(60, 3, "Best room accuracy", PRESENTER)
    at.run()
    assert any(b.key == "round_end" for b in at.button)
    s.end_round(PRESENTER)  # ended: the button to end it goes with the next refresh
    refresh(at)
    assert not any(b.key == "round_end" for b in at.button)


def test_a_confirmation_stays_long_enough_to_read_then_goes(presenter):
    """ "The round started: 60 s." stayed for a quarter of an hour, "Drawing #11 was moved to the
    archive." for about a second. Both stay at least 6 s, and go after FLASH_SECONDS."""
    at, refresh = presenter
    s = the_store()
    image = render(3, PLACEMENTS["big"])
    drawing = s.add_drawing("c" * 32, 3, teach.drawing_png(image), room.framed_bytes(image))
    at.run()
    at.number_input(key="round_seconds").set_value(60)
    at.button(key="FormSubmitter:round_form-Start the round").click().run()
    assert "The round started: 60 s." in shown(at)
    refresh(at, after=3.0)
    assert "The round started: 60 s." in shown(at)  # still there 3 s later
    refresh(at, after=board.FLASH_SECONDS)
    assert "The round started: 60 s." not in shown(at)  # gone, while the board keeps refreshing
    refresh(at, after=15 * 60)
    assert not shown(at)

    at.button(key=f"drawing_delete_{drawing}").click().run()
    done = f"Drawing #{drawing} was moved to the archive."
    assert done in shown(at) and s.drawings() == []
    for _ in range(2):  # two refreshes, 3 s apart: 6 s
        refresh(at, after=3.0)
        assert done in shown(at)
    refresh(at, after=board.FLASH_SECONDS)
    assert done not in shown(at)


def test_the_next_action_replaces_a_confirmation(presenter):
    at, refresh = presenter
    at.run()
    at.button(key="FormSubmitter:round_form-Start the round").click().run()
    assert any(m.startswith("The round started") for m in shown(at))
    at.toggle(key="room_sharing").set_value(False).run()
    assert shown(at) == ["Sharing is off: no new drawings are kept."]
    refresh(at, after=1.0)
    assert shown(at) == ["Sharing is off: no new drawings are kept."]


def test_the_settings_read_in_plain_words():
    cfg = {"model": "softmax", "optimizer": "adam", "lr": 0.02, "batch_size": 128, "epochs": 3, "framing": "frame"}
    assert room.short_settings(cfg) == "Adam, learning rate 0.02, 3 passes"
    sigmoid = {**cfg, "model": "tutorial-sigmoid", "optimizer": "sgd", "lr": 0.001, "epochs": 1, "augment": True}
    assert room.short_settings(sigmoid) == "Tutorial sigmoid, SGD, learning rate 0.001, 1 pass, varied digits"
    momentum = {**cfg, "model": "one-vs-rest", "optimizer": "sgd-momentum"}
    assert room.short_settings(momentum) == "One-vs-rest, SGD with momentum, learning rate 0.02, 3 passes"


def test_enter_in_the_round_form_does_not_start_a_round(presenter):
    at, _refresh = presenter
    at.run()

    def forms(node):
        for child in getattr(node, "children", {}).values():
            proto = getattr(child, "proto", None)
            if isinstance(proto, Block) and proto.WhichOneof("type") == "form":
                yield proto.form
            yield from forms(child)

    (round_form,) = [f for f in forms(at._tree) if f.form_id == "round_form"]
    assert not round_form.enter_to_submit  # a round replaces the last one's winner on the board
