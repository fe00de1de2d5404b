"""Real-browser helpers: start the app, drive Debian's Chromium through Playwright, draw digits."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.drawing import stroke_points

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
PINNED = """() => [...document.querySelectorAll("[data-testid='stBidiComponentIsolated']")]
    .some(h => h.shadowRoot && h.shadowRoot.querySelector("style[data-pin-toolbar]"))"""


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
    page.get_by_test_id("stSidebar").get_by_role("button", name="Train").wait_for(timeout=90_000)
    wait_idle(page)


def canvas_box(page) -> dict:
    """The drawing surface's box, once the component's script has wired it up (toolbar built)."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    page.get_by_role("button", name="Reset canvas & history").first.wait_for(timeout=60_000)
    page.wait_for_function(PINNED, timeout=10_000)  # ui/canvas.py moved the toolbar off the surface
    canvas.scroll_into_view_if_needed()
    return canvas.bounding_box()


def draw_strokes(page, strokes, steps: int = 4) -> None:
    """Draw polylines given in canvas pixels with the mouse."""
    box = canvas_box(page)
    for pts in strokes:
        (x, y), rest = pts[0], pts[1:]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for x, y in rest:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=steps)
        page.mouse.up()


def draw_digit(page, digit: int, placement: tuple[float, float, float, float]) -> None:
    draw_strokes(page, stroke_points(digit, placement))


def clear_canvas(page) -> None:
    page.get_by_role("button", name="Reset canvas & history").first.click()


def read_prediction(page, timeout: float = 30_000) -> str:
    """The value of the "Prediction" metric, once it is on screen."""
    metric = page.get_by_test_id("stMetric").filter(has_text="Prediction").first
    metric.wait_for(timeout=timeout)
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def set_epochs(page, n: int) -> None:
    field = sidebar(page).get_by_label("Epochs")
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
