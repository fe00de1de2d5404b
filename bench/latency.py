"""Drawing latency: the browser's strokes -> 280x280 pixels (ui/canvas.render), and 280x280 RGBA
canvas -> framing -> forward -> probabilities (target <= 5 ms)."""

import statistics
import time
from pathlib import Path

import numpy as np

import model
from testkit.drawing import random_drawing


def main(n: int = 300) -> None:
    import torch

    torch.set_num_threads(1)  # as the app runs (ui/shared.py): on 2 shared cores, 2 threads fight
    net = model.load_default()
    rng = np.random.default_rng(0)
    drawings = [random_drawing(d % 10, rng) for d in range(n)]
    for img in drawings[:20]:  # warm-up
        model.predict_proba(net, model.to_mnist(img))
    times = []
    for img in drawings:
        start = time.perf_counter()
        model.predict_proba(net, model.to_mnist(img))
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(
        f"drawing -> probabilities over {n} drawings: median {statistics.median(times):.2f} ms, "
        f"p95 {times[int(0.95 * n)]:.2f} ms  (target <= 5 ms)"
    )


def strokes_to_pixels(n: int = 300) -> None:
    """What the server does with a drawing before framing it: check the strokes, render them."""
    from testkit.drawing import PLACEMENTS, stroke_points
    from ui.widgets import canvas

    def as_sent(pts, step=1.0):  # the canvas sends a point per unit of movement, at most
        flat = [*pts[0]]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            k = max(1, int(np.hypot(x1 - x0, y1 - y0) / step))
            flat += [v for j in range(1, k + 1) for v in (x0 + (x1 - x0) * j / k, y0 + (y1 - y0) * j / k)]
        return flat

    places = list(PLACEMENTS.values())
    sent = [[{"w": 22, "p": as_sent(s)} for s in stroke_points(i % 10, places[i % 4])] for i in range(n)]
    times, points = [], []
    for raw in sent:
        start = time.perf_counter()
        canvas.render(canvas.clean_strokes(raw))
        times.append((time.perf_counter() - start) * 1000)
        points.append(sum(len(s["p"]) // 2 for s in raw))
    times.sort()
    rng = np.random.default_rng(0)
    worst = [{"w": 1e9, "p": list(rng.uniform(-1e4, 1e4, 2 * canvas.MAX_POINTS // 40))} for _ in range(40)]
    start = time.perf_counter()
    canvas.render(canvas.clean_strokes(worst))
    print(
        f"strokes -> 280x280 pixels over {n} drawings (median {statistics.median(points):.0f} points): "
        f"median {statistics.median(times):.2f} ms, p95 {times[int(0.95 * n)]:.2f} ms; "
        f"the largest drawing a client may send: {(time.perf_counter() - start) * 1000:.0f} ms"
    )


def app_rerun(n: int = 40) -> None:
    """Server-side time of one stroke: the whole script rerun (sidebar + Draw tab) under AppTest.

    AppTest adds its own message handling, so this is an upper bound on what a stroke costs.
    """
    from streamlit.testing.v1 import AppTest

    from ui.widgets import canvas

    rng = np.random.default_rng(1)
    drawings = [random_drawing(d % 10, rng) for d in range(n + 5)]
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
    times = []
    for i, img in enumerate(drawings):
        canvas.draw = lambda *a, _img=img, **k: _img
        start = time.perf_counter()
        at.run()
        if i >= 5:
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    print(
        f"whole app rerun per stroke (AppTest, {n} drawings): median {statistics.median(times):.0f} ms, "
        f"p95 {times[int(0.95 * n)]:.0f} ms  (target for framing + forward: <= 100 ms)"
    )


if __name__ == "__main__":
    strokes_to_pixels()
    main()
    app_rerun()
