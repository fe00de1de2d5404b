"""Load test: one server on loopback, N browser sessions drawing, some of them training at once.

python -m bench.load [--sessions 20] [--trainers 4] [--seconds 150] [--epochs 30]

Every session (its own Playwright browser context, so its own Streamlit session) loops:
clear the canvas, draw a digit with the mouse, and time mouse-up -> "Prediction" visible.
The first --trainers sessions all click "Train" at the same moment. Reports draw latency
percentiles (overall and while trainings run), errors, training queue waits and the server's
peak RSS. Traffic goes only to 127.0.0.1, and the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright

from testkit.browser import CANVAS, CHROMIUM_ARGS, chromium_path, start_server, stop_server
from testkit.drawing import PLACEMENTS, stroke_points

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Session:
    def __init__(self, index: int, context, url: str, stats: dict) -> None:
        self.index, self.context, self.url, self.stats = index, context, url, stats
        self.rng = random.Random(index)

    async def open(self) -> None:
        self.page = await self.context.new_page()
        self.page.on("pageerror", lambda exc: self.stats["errors"].append(f"session {self.index}: {exc}"))
        await self.page.goto(self.url)
        await self.page.get_by_role("button", name="Train", exact=True).wait_for(timeout=180_000)
        await self.page.locator(CANVAS).first.wait_for(timeout=180_000)
        self.box = await self.page.locator(CANVAS).first.bounding_box()

    async def draw_once(self) -> None:
        page = self.page
        clear = page.locator(".st-key-canvas").get_by_role("button", name="Clear")
        if await clear.is_enabled():  # disabled while the canvas is empty
            await clear.click()
            await page.get_by_text("Draw a digit").first.wait_for(timeout=60_000)
        digit = self.rng.randrange(10)
        strokes = stroke_points(digit, PLACEMENTS[self.rng.choice(list(PLACEMENTS))])
        for pts in strokes:
            k = self.box["width"] / 280  # strokes are in pixels of the 280x280 drawing
            await page.mouse.move(self.box["x"] + pts[0][0] * k, self.box["y"] + pts[0][1] * k)
            await page.mouse.down()
            for x, y in pts[1:]:
                await page.mouse.move(self.box["x"] + x * k, self.box["y"] + y * k, steps=3)
            await page.mouse.up()
        start = time.perf_counter()
        metric = page.get_by_test_id("stMetric").filter(has_text="Prediction").first
        await metric.wait_for(timeout=30_000)
        self.stats["latency"].append((time.perf_counter() - start, self.stats["training"] > 0))
        if await page.get_by_test_id("stException").count():
            self.stats["errors"].append(f"session {self.index}: exception on the page")

    async def train(self, epochs: int) -> None:
        page = self.page
        field = page.get_by_role("spinbutton", name="Epochs")
        await field.fill(str(epochs))
        await field.press("Enter")
        await page.wait_for_selector(IDLE)
        self.stats["training"] += 1
        clicked = time.perf_counter()
        await page.get_by_role("button", name="Train", exact=True).click()
        waited = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            text = " ".join(await page.get_by_test_id("stProgress").all_inner_texts())
            if waited is None and text and "Waiting for a free training slot" not in text:
                waited = time.perf_counter() - clicked
            if await page.get_by_text("It is now the model").count():
                break
            await asyncio.sleep(0.25)
        self.stats["training"] -= 1
        self.stats["queue_waits"].append(waited if waited is not None else float("nan"))
        self.stats["train_seconds"].append(time.perf_counter() - clicked)


async def run(args) -> dict:
    stats = {"latency": [], "errors": [], "queue_waits": [], "train_seconds": [], "training": 0}
    runs = tempfile.mkdtemp(prefix="digit-studio-load-")
    timings = Path(runs) / "run-times.txt"
    proc, url = start_server({"DIGIT_STUDIO_RUNS": f"{runs}/history.sqlite", "DIGIT_STUDIO_TIMINGS": str(timings)})
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            sessions = []
            for i in range(args.sessions):  # open one by one: 20 first loads at once would only measure start-up
                context = await browser.new_context(viewport={"width": 1280, "height": 900})
                s = Session(i, context, url, stats)
                await s.open()
                sessions.append(s)
            print(f"{len(sessions)} sessions open; drawing for {args.seconds} s", flush=True)
            stop_at = time.monotonic() + args.seconds
            cpu0, wall0 = cpu_seconds(proc.pid), time.monotonic()

            async def draw_loop(s: Session) -> None:
                while time.monotonic() < stop_at:
                    try:
                        await s.draw_once()
                    except Exception as exc:  # a timeout is a finding, not a crash of the bench
                        stats["errors"].append(f"session {s.index}: {type(exc).__name__}: {str(exc)[:120]}")

            async def trainer(s: Session) -> None:
                await asyncio.sleep(args.seconds / 4)
                await s.train(args.epochs)
                await draw_loop(s)

            tasks = [trainer(s) if s.index < args.trainers else draw_loop(s) for s in sessions]
            await asyncio.gather(*tasks)
            stats["server_cpu"] = (cpu_seconds(proc.pid) - cpu0) / (time.monotonic() - wall0)
            await browser.close()
        stats["rss_mb"] = peak_rss_mb(proc.pid)
        stats["server_runs"] = [float(x) for x in timings.read_text().split()] if timings.exists() else []
    finally:
        stop_server(proc)
    return stats


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] if values else float("nan")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--trainers", type=int, default=4)
    p.add_argument("--seconds", type=int, default=150)
    p.add_argument("--epochs", type=int, default=30, help="epochs of each training (recommended preset)")
    args = p.parse_args(argv)
    started = time.time()
    stats = asyncio.run(run(args))
    all_l = [t for t, _ in stats["latency"]]
    busy = [t for t, training in stats["latency"] if training]
    print(
        f"\nload test: {args.sessions} sessions, {args.trainers} trainings at once, {args.seconds} s, "
        f"{os.cpu_count()} cores, wall {time.time() - started:.0f} s"
    )
    print(
        f"draw -> prediction visible: n={len(all_l)}  p50 {pct(all_l, 0.5):.2f} s  p95 {pct(all_l, 0.95):.2f} s  "
        f"max {max(all_l, default=float('nan')):.2f} s"
    )
    print(
        f"  while trainings ran:      n={len(busy)}  p50 {pct(busy, 0.5):.2f} s  p95 {pct(busy, 0.95):.2f} s "
        "(target p95 <= 1 s)"
    )
    srv = stats["server_runs"]
    print(
        f"server-side script run (every rerun: strokes, clears, widgets): n={len(srv)}  "
        f"p50 {1000 * pct(srv, 0.5):.0f} ms  p95 {1000 * pct(srv, 0.95):.0f} ms  "
        f"max {1000 * max(srv, default=0):.0f} ms"
    )
    waits = ", ".join(f"{w:.1f}" for w in stats["queue_waits"])
    runs = ", ".join(f"{t:.1f}" for t in stats["train_seconds"])
    print(f"training: queue waits (click -> started) [{waits}] s; click -> finished [{runs}] s")
    print(f"errors: {len(stats['errors'])}  (target 0)")
    for e in stats["errors"][:10]:
        print("  ", e)
    print(f"server peak RSS: {stats['rss_mb']:.0f} MB  (target <= 1536 MB)")
    print(
        f"server CPU: {stats['server_cpu']:.2f} cores on average, of {os.cpu_count()}; the rest of the machine "
        "ran the Chromium sessions"
    )
    if all_l:
        print(f"(mean {statistics.mean(all_l):.2f} s)")


if __name__ == "__main__":
    main()
