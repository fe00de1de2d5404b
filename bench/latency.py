"""Drawing latency: 280x280 RGBA canvas -> framing -> forward -> probabilities (target <= 5 ms)."""

import statistics
import time

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


if __name__ == "__main__":
    main()
