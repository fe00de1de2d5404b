"""The room in real Chromium: a presenter with the board (/room) on the projector and two
participants, one server. Nicknames and runs appear on the board live; a correction raises its
drawing count within 3 s; a participant with sharing off adds nothing; a round counts down and
names its winner."""

import re
import time

import pytest

from store import Store
from testkit.browser import (
    PASSCODE,
    ROOT,
    draw_digit,
    participant,
    presenter_board,
    read_prediction,
    set_epochs,
    set_training_digits,
    sidebar,
    streamlit_server,
    wait_for,
    wait_idle,
)
from testkit.drawing import PLACEMENTS

pytestmark = pytest.mark.browser
SHOTS = ROOT / ".pytest_cache" / "room"


def board_value(board, label: str) -> str:
    metric = board.get_by_test_id("stMetric").filter(has_text=label).first
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def table_text(board) -> str:
    return board.locator(".st-key-board_runs").inner_text()


def test_a_room_on_the_board(browser, tmp_path):
    history = tmp_path / "history.sqlite"
    env = {"DIGIT_STUDIO_RUNS": str(history), "DIGIT_STUDIO_PRESENTER_PASSCODE": PASSCODE}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(env=env) as url:
        board = presenter_board(browser, url)

        alice, bob = participant(browser, url, "alice"), participant(browser, url, "bob")
        wait_for(
            lambda: {"alice", "bob"} <= set(re.findall(r"\w+", board.get_by_text("In the room:").inner_text())), 45
        )

        # Alice's long run shows on the board while it trains (it started before the round: not in it).
        set_epochs(alice, 200)
        sidebar(alice).get_by_role("button", name="Train", exact=True).click()
        wait_for(lambda: re.search(r"alice.*running", table_text(board), re.S), 60)

        # The presenter starts a round; it counts down.
        board.get_by_label("Round length (s)").fill("300")
        board.get_by_role("spinbutton", name="Training time per run, at most (s)").fill("60")
        board.get_by_role("button", name="Start the round").click()
        clock = board.locator(".st-key-round_clock [data-testid='stMetricValue']")
        first, _ = wait_for(lambda: clock.inner_text().strip() if clock.count() else "", 20)
        time.sleep(2.5)
        later = clock.inner_text().strip()
        seconds = [int(m) * 60 + int(s) for m, s in (v.split(":") for v in (first, later))]
        assert seconds[1] < seconds[0] <= 300

        # Bob corrects the model: the board's drawing count goes up while it is on screen. The goal is
        # 3 s (a 1 s refresh); the test allows 10 s so a loaded CI machine does not fail it, and prints
        # the figure.
        draw_digit(bob, 7, PLACEMENTS["big"])
        read_prediction(bob)
        wait_idle(bob)
        assert board_value(board, "Shared drawings") == "0"
        bob.locator(".st-key-teach_label").get_by_role("radio", name="2", exact=True).click()
        _, took = wait_for(lambda: board_value(board, "Shared drawings") == "1", 15.0, step=0.05)
        print(f"correction -> board count: {took:.2f} s (goal 3 s)")
        assert took <= 10.0, f"the board showed the correction after {took:.2f} s"

        # Alice turns sharing off: her Right adds nothing, on the board or in the store.
        sidebar(alice).get_by_text("Share my labelled drawings with the room").click()
        wait_idle(alice)
        draw_digit(alice, 4, PLACEMENTS["big"])
        read_prediction(alice)
        wait_idle(alice)
        right = alice.locator(".st-key-teach_right").get_by_role("button", name="Right")
        assert right.is_disabled()
        time.sleep(3)
        assert board_value(board, "Shared drawings") == "1" and len(Store(history).drawings()) == 1

        # Bob's short run during the round wins it once the presenter ends it.
        set_epochs(bob, 1)
        set_training_digits(bob, 2)
        sidebar(bob).get_by_role("button", name="Train", exact=True).click()
        sidebar(bob).get_by_text("It is now the model").first.wait_for(timeout=120_000)
        winner = board.locator(".st-key-round_winner")
        wait_for(lambda: "Leading: bob" in winner.inner_text(), 10)
        board.get_by_role("button", name="End the round now").click()
        wait_for(lambda: "Winner: bob" in winner.inner_text(), 10)
        board.wait_for_timeout(2500)
        board.screenshot(path=str(SHOTS / "board.png"))
        sidebar(alice).get_by_role("button", name="Stop").click()


def test_markup_in_a_nickname_and_a_run_name_reads_literally_on_the_board(browser, tmp_path):
    """st.table cells and st.image captions are Markdown: a participant's text must not become
    bold, a link or an image on the projector (leaderboard, latest drawings, the presenter's review,
    which shows a new drawing without a click)."""
    nick, run_name = "**Z**[q](http://e.x)", "**WIN** [go](http://evil.example)"
    env = {"DIGIT_STUDIO_RUNS": str(tmp_path / "history.sqlite"), "DIGIT_STUDIO_PRESENTER_PASSCODE": PASSCODE}
    with streamlit_server(env=env) as url:
        board = presenter_board(browser, url)

        bad = participant(browser, url, nick)
        field = bad.locator(".st-key-run_name input")
        field.fill(run_name)
        field.press("Enter")
        wait_idle(bad)
        set_epochs(bad, 1)
        set_training_digits(bad, 2)
        sidebar(bad).get_by_role("button", name="Train", exact=True).click()
        sidebar(bad).get_by_text("It is now the model").first.wait_for(timeout=120_000)
        draw_digit(bad, 7, PLACEMENTS["big"])
        read_prediction(bad)
        wait_idle(bad)
        bad.locator(".st-key-teach_right").get_by_role("button", name="Right").click()
        wait_for(lambda: "finished" in table_text(board) and board_value(board, "Shared drawings") == "1", 30)
        board.get_by_text("7 → 7").first.wait_for(timeout=30_000)
        # The presenter's review shows it too, without a click (it is redrawn every few seconds).
        board.get_by_text(re.compile(r"^#\d+: 7 · ")).first.wait_for(timeout=20_000)
        page_text = board.locator("[data-testid='stMain']").inner_text().replace("\u200b", "")
        assert nick[:8] in page_text and run_name[:9] in page_text  # the leaderboard, as typed
        assert page_text.count("**Z**") >= 3  # the leaderboard, the latest drawings, the review
        main = board.locator("[data-testid='stMain']")
        assert main.locator("a[href*='e.x'], a[href*='evil'], strong, em").count() == 0
