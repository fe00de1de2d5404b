"""Real-browser helpers: start the app, drive Debian's Chromium through Playwright, draw digits."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import expect

from testkit.drawing import stroke_points

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
CANVAS = ".st-key-canvas .digit-canvas[data-side] canvas"  # ui/static/canvas.js sets data-side once laid out
# Phone and tablet in portrait (touch), laptop and projector (mouse): the four screens of a room.
SCREENS = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "has_touch": True,
        "is_mobile": True,
        "device_scale_factor": 2,
    },
    "tablet": {
        "viewport": {"width": 820, "height": 1180},
        "has_touch": True,
        "is_mobile": True,
        "device_scale_factor": 2,
    },
    "laptop": {"viewport": {"width": 1280, "height": 720}},
    "projector": {"viewport": {"width": 1920, "height": 1080}},
}


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict | None = None, timeout: float = 90):
    """Run ``streamlit run app.py`` on a free port; yield its URL once /_stcore/health answers."""
    proc, url = start_server(env, timeout)
    try:
        yield url
    finally:
        stop_server(proc)


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def start_server(env: dict | None = None, timeout: float = 90, port: int | None = None):
    """Start the app; return (process, url) once it is healthy."""
    port = port or free_port()
    log = (
        open(ROOT / ".pytest_cache" / f"streamlit-{port}.log", "wb")
        if (ROOT / ".pytest_cache").is_dir()
        else subprocess.DEVNULL
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        if time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError("streamlit did not become healthy in time")
        time.sleep(0.3)


def wait_idle(page, timeout: float = 60_000) -> None:
    page.wait_for_selector(IDLE, timeout=timeout)


def goto(page, url: str) -> None:
    """Open the app and wait until its first run has rendered (the idle flag alone can come first)."""
    page.goto(url)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Train", exact=True).wait_for(timeout=90_000)
    wait_idle(page)


def canvas_box(page, scroll: bool = True) -> dict:
    """The drawing surface's box on screen, once the component has laid it out."""
    canvas = page.locator(CANVAS).first
    canvas.wait_for(timeout=60_000)
    if scroll:
        canvas.scroll_into_view_if_needed()
    return canvas.bounding_box()


def _to_screen(box: dict, x: float, y: float) -> tuple[float, float]:
    """A point of the 280x280 drawing -> the page, whatever size the canvas has on screen."""
    return box["x"] + x * box["width"] / 280, box["y"] + y * box["height"] / 280


def draw_strokes(page, strokes, steps: int = 4, scroll: bool = True) -> None:
    """Draw polylines given in pixels of the 280x280 drawing with the mouse."""
    box = canvas_box(page, scroll)
    for pts in strokes:
        page.mouse.move(*_to_screen(box, *pts[0]))
        page.mouse.down()
        for x, y in pts[1:]:
            page.mouse.move(*_to_screen(box, x, y), steps=steps)
        page.mouse.up()


def touch_strokes(page, strokes, steps: int = 4, scroll: bool = True) -> None:
    """Draw polylines with a finger: real touch events through CDP (Input.dispatchTouchEvent)."""
    box = canvas_box(page, scroll)
    cdp = page.context.new_cdp_session(page)
    try:
        for pts in strokes:
            x0, y0 = _to_screen(box, *pts[0])
            cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
            for x1, y1 in (_to_screen(box, x, y) for x, y in pts[1:]):
                for k in range(1, steps + 1):
                    x, y = x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps
                    cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
                x0, y0 = x1, y1
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def draw_digit(page, digit: int, placement: tuple[float, float, float, float], touch=False, scroll=True) -> None:
    """Draw a digit from testkit/drawing.py, by mouse or (``touch``) by finger."""
    (touch_strokes if touch else draw_strokes)(page, stroke_points(digit, placement), scroll=scroll)


def clear_canvas(page) -> None:
    page.locator(".st-key-canvas").get_by_role("button", name="Clear").click()


def undo_stroke(page) -> None:
    page.locator(".st-key-canvas").get_by_role("button", name="Undo").click()


def read_prediction(page, timeout: float = 30_000) -> str:
    """The value of the "Prediction" metric, once it is on screen."""
    metric = page.get_by_test_id("stMetric").filter(has_text="Prediction").first
    metric.wait_for(timeout=timeout)
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def set_epochs(page, n: int) -> None:
    field = sidebar(page).get_by_role("spinbutton", name="Epochs")
    field.fill(str(n))
    field.press("Enter")
    wait_idle(page)


def set_training_digits(page, steps_from_smallest: int) -> None:
    """Move the "Training digits" slider with the keyboard: Home, then that many steps right."""
    thumb = sidebar(page).get_by_test_id("stSlider").filter(has_text="Training digits").get_by_role("slider")
    thumb.focus()
    thumb.press("Home")
    for _ in range(steps_from_smallest):
        thumb.press("ArrowRight")
    wait_idle(page)


def selected_model(page) -> str:
    """The label of the model the Draw tab classifies with."""
    return page.get_by_role("combobox", name="Classify with").input_value()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_timeout(200)
    wait_idle(page)


def pick_run(page, run_id: int) -> None:
    """Choose a run in the Runs tab's picker (a click that lands during a rerun may not open it)."""
    box = page.locator(".st-key-run_pick")
    box.scroll_into_view_if_needed()
    option = page.get_by_role("option", name=re.compile(rf"^#{run_id} "))
    for _ in range(4):
        box.click()
        try:
            option.click(timeout=5_000)
            break
        except Exception:
            wait_idle(page)
    else:
        raise AssertionError(f"run #{run_id} is not in the picker")
    wait_idle(page)


PASSCODE = "room-board-7"  # the presenter passcode of the room tests' servers


def participant(browser, url, nickname):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    goto(page, url)
    field = page.locator(".st-key-nickname input")
    field.fill(nickname)
    field.press("Enter")
    wait_idle(page)
    return page


def presenter_board(browser, url):
    """The room board on a projector, presenter mode unlocked."""
    board = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    board.goto(f"{url}/room")
    board.get_by_role("heading", name="Room board").wait_for(timeout=90_000)
    panel = sidebar(board)
    panel.get_by_text("Presenter", exact=True).click()
    panel.get_by_label("Presenter passcode").fill(PASSCODE)
    panel.get_by_role("button", name="Unlock presenter mode").click()
    board.get_by_role("heading", name="Timed round").wait_for(timeout=30_000)
    # unlocked, the board puts the sidebar away: the projector shows the board, not the panel
    expect(board.locator('section[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
    return board


def wait_for(condition, timeout: float, step: float = 0.1):
    """Poll until ``condition()`` is truthy; returns (value, seconds taken)."""
    start = time.monotonic()
    while True:
        value = condition()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(step)
