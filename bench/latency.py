"""Drawing latency: 280x280 RGBA canvas -> framing -> forward -> probabilities (target <= 5 ms)."""

import statistics
import time
from pathlib import Path

import numpy as np

import model
from tests.drawing import random_drawing


def main(n: int = 300) -> None:
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


def app_rerun(n: int = 40) -> None:
    """Server-side time of one stroke: the whole script rerun (sidebar + Draw tab) under AppTest.

    AppTest adds its own message handling, so this is an upper bound on what a stroke costs.
    """
    from streamlit.testing.v1 import AppTest

    from ui import canvas

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
    main()
    app_rerun()
