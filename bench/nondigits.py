"""Strokes that are not digits, drawn on the 280 px canvas like a person with a mouse would.

Kinds: a horizontal line, a slanted line (a vertical one is a 1), a dot, a scribble, the letters
A, K, M, W and X (they share no shape with a digit), a star, a filled blob and a smiley. Each is
drawn at a random size and place, slightly wobbly, with a random pen width.

``python -m bench.nondigits`` prints how many of them the app flags as "not a digit", and how
many real drawn digits it flags by mistake (mouse-like strokes, other writers, redrawn MNIST).
"""

from __future__ import annotations

import numpy as np

from testkit.nondigits import KINDS, non_digit_set


def build_space() -> None:
    """Write assets/digit_space.safetensors from MNIST's training set, framed frame+deskew."""
    from safetensors.numpy import save_file

    from model.digitness import SPACE_PATH
    from model.digitness import build_space as build
    from train import load_mnist

    framed = load_mnist().framed("frame+deskew")
    space = build(framed.train_x.float().div(255).numpy(), framed.train_y.numpy())
    save_file(space, str(SPACE_PATH))
    print(f"wrote {SPACE_PATH} ({SPACE_PATH.stat().st_size:,} bytes)")
    from model import digitness

    digitness._space.cache_clear()
    x = framed.train_x.float().div(255).numpy()
    scores = np.array([digitness.far_score(im) for im in x[::4]])
    print(
        "far_score on MNIST training digits (every 4th): "
        + ", ".join(f"{q} % flagged above {np.percentile(scores, 100 - q):.2f}" for q in (1, 2, 3))
        + f"  (model/digitness.py FAR = {digitness.FAR})"
    )


def main(n_per_kind: int = 40) -> None:
    import model
    from bench.writers import mnist_redrawn, writers_drawn
    from testkit.drawing import random_drawing
    from train import load_mnist

    images, kinds = non_digit_set(n_per_kind, seed=1000)
    kinds = np.array(kinds)
    flagged = np.array([model.not_a_digit(i) is not None or model.ink_problem(i) is not None for i in images])
    print(f"non-digits flagged: {flagged.mean():.1%} of {len(flagged)}  (goal >= 90 %)")
    print("  " + "  ".join(f"{k} {flagged[kinds == k].mean():.0%}" for k in KINDS))
    rng = np.random.default_rng(1000)
    sets = {
        "mouse-like strokes (testkit/drawing.py)": [random_drawing(d % 10, rng) for d in range(1000)],
        "other writers (UCI, drawn)": writers_drawn(seed=1000)[0],
        "MNIST test, redrawn on the canvas": mnist_redrawn(load_mnist().test_images[:1000].numpy(), seed=1000),
    }
    for name, drawings in sets.items():
        wrong = np.mean([model.not_a_digit(d) is not None for d in drawings])
        print(f"real digits flagged, {name}: {wrong:.1%} of {len(drawings)}  (goal <= 2 %)")


if __name__ == "__main__":
    import sys

    build_space() if "--build" in sys.argv else main()
