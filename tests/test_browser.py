"""The real app in headless Chromium: draw with the mouse, read what a user reads."""

import os

import pytest

from tests.browser import (
    CHROMIUM_ARGS,
    chromium_path,
    clear_canvas,
    draw_digit,
    draw_strokes,
    read_prediction,
    streamlit_server,
    wait_idle,
)
from tests.drawing import PLACEMENTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium at /usr/bin/chromium: CI must run the browser tests (make test installs it)")
        pytest.skip("no Chromium found (install Debian's chromium, or set CHROMIUM=/path)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def app_url():
    with streamlit_server() as url:
        yield url


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(app_url)
    wait_idle(page)
    yield page
    context.close()


def test_draw_a_one_and_a_seven(page):
    assert page.get_by_text("Draw a digit").first.is_visible()
    for digit, placement in ((1, PLACEMENTS["big"]), (7, PLACEMENTS["bottom-right"])):
        draw_digit(page, digit, placement)
        assert read_prediction(page) == str(digit)
        clear_canvas(page)
        page.get_by_text("Draw a digit").first.wait_for()


def test_strokes_starting_at_the_top_edge_register(page):
    # The canvas toolbar once sat invisibly over the top strip and swallowed these strokes.
    for x in (30, 140, 250):
        draw_strokes(page, [[(x, 3), (x, 200)]])
        wait_idle(page)
    assert read_prediction(page)
    assert page.evaluate("""() => {
        const host = [...document.querySelectorAll("[data-testid='stBidiComponentIsolated']")]
            .find(h => h.shadowRoot && h.shadowRoot.querySelector("canvas.dc-canvas.lower-canvas"));
        const c = host.shadowRoot.querySelector("canvas.dc-canvas.lower-canvas");
        const ctx = c.getContext("2d"), s = c.width / 280;
        return [30, 140, 250].every(x => ctx.getImageData(x * s, 100 * s, 1, 1).data[0] > 200);
    }""")
