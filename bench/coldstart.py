"""Cold start and memory: a fresh server, one real Chromium session, then a room of idle ones.

python -m bench.coldstart [--sessions 30]

Starts the server as ``make run`` does (``python -m ui.serve``: the warm-up starts with the
server) on loopback with a throwaway run store, and times:
- server start -> healthy, and -> its background warm-up done (it prints a line when it is);
- opening the page -> canvas ready to draw: the first page, then a second browser;
- the first Train click (recommended preset) -> its first epoch (or the finished run) on screen;
- the first view of "Inside the model" for the model just trained -> its figures on screen (timed
  in the page, from the click's event to the frame that shows them, every picture decoded).
Then reads the server's anonymous (private) memory, RssAnon in /proc/PID/status, after that
session has drawn and trained, and again with --sessions idle sessions open (each its own
browser context, so its own Streamlit session), for the cost of one more idle session.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from testkit.browser import CANVAS, CHROMIUM_ARGS, IDLE, ROOT, chromium_path, free_port
from testkit.drawing import PLACEMENTS, stroke_points

WARM_LINE = "Digit Studio: warmed up"


def memory_mb(pid: int) -> dict[str, float]:
    """RssAnon, RssFile and VmRSS of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile", "VmRSS"):
            out[key] = int(value.split()[0]) / 1024
    return out


def start(env: dict, port: int, log: Path) -> tuple[subprocess.Popen, float]:
    """The server process, and seconds from its start to healthy."""
    import urllib.request

    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.headless", "true"]
        + ["--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}; see {log}")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc, time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.1)


def wait_warm(log: Path, timeout: float = 600) -> float:
    """Seconds until the server prints its warm-up line."""
    t0 = time.perf_counter()
    while WARM_LINE not in log.read_text(errors="replace"):
        if time.perf_counter() - t0 > timeout:
            raise RuntimeError(f"no warm-up line in {log}")
        time.sleep(0.1)
    return time.perf_counter() - t0


def open_session(browser, url: str):
    """A new browser context and page; returns (page, seconds until the canvas is ready)."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    t = time.perf_counter()
    page.goto(url)
    page.locator(CANVAS).first.wait_for(timeout=180_000)
    return page, time.perf_counter() - t


# Timed in the page itself: from the next click's event to the first animation frame where each
# predicate (JS expressions) holds, Playwright's own round trips left out. window.__marks gets them.
_WATCH = """marks => {
  window.__marks = {};
  const tests = Object.entries(marks).map(([name, expr]) => [name, new Function("return (" + expr + ");")]);
  let t0 = null;
  document.addEventListener("click", () => { t0 = performance.now(); }, {capture: true, once: true});
  const check = () => {
    for (const [name, test] of tests) {
      if (t0 !== null && !(name in window.__marks) && test()) window.__marks[name] = (performance.now() - t0) / 1000;
    }
    if (Object.keys(window.__marks).length < tests.length) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}"""

# The open tab shows TEXT and every picture in it is decoded.
_TAB_SHOWS = """(() => {
  const panel = [...document.querySelectorAll("[role=tabpanel]")]
    .find(p => p.offsetParent !== null && p.innerText.includes(TEXT));
  return panel && [...panel.querySelectorAll("img")].every(i => i.complete && i.naturalWidth > 0);
})()"""
# The sidebar shows the finished run's accuracy; or, at the latest then, epoch 1's result.
_TRAINED = """[...document.querySelectorAll("[data-testid=stSidebar] [data-testid=stMetric]")]
  .some(m => m.innerText.includes("Test accuracy"))"""
_EPOCH_1 = "/Epoch 1\\//.test(document.querySelector('[data-testid=stSidebar]')?.innerText ?? '') || " + _TRAINED


def click_timed(page, target, last: str, **marks: str) -> dict[str, float]:
    """Click ``target``; seconds from the click to each mark (``last`` among them), timed in the page."""
    page.evaluate(_WATCH, marks)
    target.click()
    page.wait_for_function(f"window.__marks[{last!r}] !== undefined", timeout=180_000)
    return page.evaluate("window.__marks")


def open_tab(page, name: str, text: str) -> tuple[float, float]:
    """Click a tab; returns (seconds until it shows ``text`` with its pictures, until the page is idle)."""
    t = time.perf_counter()
    marks = click_timed(
        page, page.get_by_role("tab", name=name, exact=True), "seen", seen=_TAB_SHOWS.replace("TEXT", json.dumps(text))
    )
    page.wait_for_selector(IDLE, timeout=60_000)
    return marks["seen"], time.perf_counter() - t


def draw(page, digit: int = 4) -> None:
    canvas = page.locator(CANVAS).first
    box = canvas.bounding_box()
    for pts in stroke_points(digit, PLACEMENTS["big"]):
        page.mouse.move(box["x"] + pts[0][0] * box["width"] / 280, box["y"] + pts[0][1] * box["height"] / 280)
        page.mouse.down()
        for x, y in pts[1:]:
            page.mouse.move(box["x"] + x * box["width"] / 280, box["y"] + y * box["height"] / 280, steps=4)
        page.mouse.up()
    page.get_by_test_id("stMetric").filter(has_text="Prediction").first.wait_for(timeout=60_000)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=30, help="idle sessions for the per-session memory figure")
    args = ap.parse_args(argv or [])
    tmp = Path(tempfile.mkdtemp(prefix="coldstart-"))
    env = {"DIGIT_STUDIO_RUNS": str(tmp / "runs" / "history.sqlite")}
    port = free_port()
    log = tmp / "server.log"
    proc, healthy = start(env, port, log)
    url = f"http://127.0.0.1:{port}"
    print(f"server start -> healthy: {healthy:.2f} s; memory {memory_mb(proc.pid)}")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
            warm = wait_warm(log) + healthy
            print(f"server start -> warm-up done: {warm:.2f} s (MNIST loaded and framed, fused loop loaded,")
            print(f"  the shipped model's Inside-the-model figures drawn); memory {memory_mb(proc.pid)}")
            page, first = open_session(browser, url)
            print(f"first page -> canvas ready: {first:.2f} s")
            page.close()
            page, ready = open_session(browser, url)
            print(f"open page -> canvas ready on the warm server: {ready:.2f} s (target <= 3 s)")
            draw(page)
            page.wait_for_selector(IDLE, timeout=60_000)
            side = page.get_by_test_id("stSidebar")
            train = side.get_by_role("button", name="Train", exact=True)
            train.wait_for(timeout=60_000)
            marks = click_timed(page, train, "done", epoch=_EPOCH_1, done=_TRAINED)
            first, done = marks["epoch"], marks["done"]
            print(
                f"first Train click -> first epoch on screen {first:.2f} s, -> finished {done:.2f} s (target <= 1 s; "
                "timed in the page)"
            )
            page.wait_for_selector(IDLE, timeout=60_000)
            page.wait_for_timeout(1000)  # as a person would: read the result, then look inside
            inside, idle = open_tab(page, "Inside the model", "Test digits this model gets wrong")
            print(
                f"'Inside the model', first view of the trained model: {inside:.2f} s (target <= 0.5 s) "
                f"from the click to its figures on screen; the page's run after it idle at {idle:.2f} s"
            )
            page.get_by_role("tab", name="Draw", exact=True).click()
            page.wait_for_timeout(2000)
            one = memory_mb(proc.pid)
            print(f"server memory after one session drew and trained: {one}  (target RssAnon <= 400 MB)")
            for tab in ("Training", "Sigmoid", "Data", "Runs", "Draw"):  # tables (pandas, pyarrow) and plots
                page.get_by_role("tab", name=tab, exact=True).click()
                page.wait_for_timeout(300)
                page.wait_for_selector(IDLE, timeout=60_000)
            page.wait_for_timeout(1000)
            one = memory_mb(proc.pid)
            print(f"  ... and after it opened every tab: {one}")
            pages, times = [], []
            for _ in range(args.sessions - 1):
                p, s = open_session(browser, url)
                pages.append(p)
                times.append(s)
            time.sleep(3)
            room = memory_mb(proc.pid)
            per = (room["RssAnon"] - one["RssAnon"]) / max(1, args.sessions - 1)
            print(
                f"server memory with {args.sessions} sessions: {room}; {per:.1f} MB RssAnon per extra idle session "
                f"(target <= 5 MB); their canvases were ready after median {statistics.median(times):.2f} s"
            )
            browser.close()
    finally:
        proc.terminate()
        proc.wait(20)


if __name__ == "__main__":
    main(sys.argv[1:])
