"""A room in real Chromium: participant A, participant B and the presenter, one server with a
passcode. Who may change which run, what a reload keeps, and what a deletion tells the others."""

import re

import pytest

from store import Store
from testkit.browser import goto, open_tab, pick_run, set_epochs, sidebar, streamlit_server, wait_idle

pytestmark = pytest.mark.browser
PASSCODE = "tulip-42-harbour"


def new_page(browser, url):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    goto(page, url)
    return page


def unlock(page, passcode: str) -> None:
    panel = sidebar(page)
    if not panel.get_by_label("Presenter passcode").is_visible():
        panel.get_by_text("Presenter", exact=True).click()
    panel.get_by_label("Presenter passcode").fill(passcode)
    panel.get_by_role("button", name="Unlock presenter mode").click()
    wait_idle(page)


def test_a_room_of_two_participants_and_a_presenter(browser, tmp_path):
    history = tmp_path / "history.sqlite"
    env = {"DIGIT_STUDIO_RUNS": str(history), "DIGIT_STUDIO_PRESENTER_PASSCODE": PASSCODE}
    with streamlit_server(env=env) as url:
        a = new_page(browser, url)
        set_epochs(a, 1)
        name = a.locator(".st-key-run_name input")
        name.fill("alice")
        name.press("Enter")
        wait_idle(a)
        sidebar(a).get_by_role("button", name="Train", exact=True).click()
        sidebar(a).get_by_text("It is now the model").first.wait_for(timeout=120_000)
        owner_a = Store(history).run(1).owner

        b = new_page(browser, url)
        open_tab(b, "Runs")
        pick_run(b, 1)
        b.get_by_text("Only its owner or the presenter may rename or delete it").first.wait_for(timeout=30_000)
        assert b.locator(".st-key-run_delete_1 button").first.is_disabled()
        assert b.locator(".st-key-run_rename_go_1 button").first.is_disabled()
        assert b.locator(".st-key-run_delete_sure_1 input").is_disabled()
        assert b.get_by_text("Presenter controls").count() == 0

        p = new_page(browser, url)
        unlock(p, PASSCODE)
        open_tab(p, "Runs")
        p.get_by_text("Presenter controls").first.wait_for(timeout=30_000)
        pick_run(p, 1)
        p.locator(".st-key-run_delete_sure_1").get_by_text("Yes, delete run #1").click()
        wait_idle(p)
        p.locator(".st-key-run_delete_1 button").first.click()
        p.get_by_text("Run #1 was moved to the archive").first.wait_for(timeout=30_000)

        # A still draws with that run's model: the Runs tab says it is gone from the room.
        open_tab(a, "Runs")
        # (Inside the model says it too, in its tab, hidden: the one on screen)
        gone = a.get_by_text("Run #1, the model you are drawing with, was deleted").filter(visible=True)
        gone.first.wait_for(timeout=30_000)
        # A reload keeps A's identity: A may restore A's own run.
        a.reload()
        goto(a, url)
        open_tab(a, "Runs")
        a.get_by_text("Your deleted runs (1)").first.click()
        a.locator(".st-key-run_restore_1 button").first.click()
        a.get_by_text("Run #1 was restored").first.wait_for(timeout=30_000)
        restored = Store(history).run(1)
        assert restored is not None and restored.owner == owner_a

        # B guesses the passcode: after a few wrong tries, a wait.
        for guess in ("1234", "tulip", "harbour", "tulip-42"):
            unlock(b, guess)
        assert sidebar(b).get_by_text(re.compile("Too many wrong passcodes|Wait \\d+ s")).first.is_visible()
        for page in (a, b, p):
            assert page.get_by_test_id("stException").count() == 0
