"""The teach row's note belongs to one drawing (Chromium): a stroke answers without rebuilding the
teach row, so a note left there from the last drawing would sit under the next drawing's answer."""

import pytest
from playwright.sync_api import expect

from testkit.browser import clear_canvas, draw_digit, goto, read_prediction, streamlit_server, wait_idle
from testkit.drawing import PLACEMENTS

pytestmark = pytest.mark.browser


def test_a_new_drawing_does_not_show_the_last_drawings_thank_you(browser, tmp_path):
    with streamlit_server({"DIGIT_STUDIO_RUNS": str(tmp_path / "history.sqlite")}) as url:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        goto(page, url)
        draw_digit(page, 3, PLACEMENTS["big"])
        read_prediction(page)
        wait_idle(page)
        page.locator(".st-key-teach_right").get_by_role("button", name="Right").click()
        wait_idle(page)
        note = page.locator(".ds-note")
        expect(note.get_by_text("Thank you: kept for the room as a")).to_be_visible()
        clear_canvas(page)
        wait_idle(page)
        draw_digit(page, 1, PLACEMENTS["big"])
        read_prediction(page)
        wait_idle(page)
        expect(note.get_by_text("Thank you")).to_have_count(0)
