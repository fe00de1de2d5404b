"""Digits drawn as strokes on a 280x280 canvas: what the tests and the benches draw."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from model.preprocess import pen_width

# Unit-square polylines of each digit, one list per stroke, (x, y) with y down.
STROKES: dict[int, list[list[tuple[float, float]]]] = {
    0: [
        [
            (0.5, 0.0),
            (0.15, 0.2),
            (0.05, 0.5),
            (0.15, 0.8),
            (0.5, 1.0),
            (0.85, 0.8),
            (0.95, 0.5),
            (0.85, 0.2),
            (0.5, 0.0),
        ]
    ],
    1: [[(0.5, 0.0), (0.5, 1.0)]],
    2: [[(0.1, 0.25), (0.3, 0.03), (0.7, 0.03), (0.9, 0.25), (0.8, 0.5), (0.1, 1.0), (0.95, 1.0)]],
    3: [
        [
            (0.1, 0.1),
            (0.5, 0.0),
            (0.85, 0.15),
            (0.8, 0.38),
            (0.4, 0.5),
            (0.85, 0.62),
            (0.9, 0.85),
            (0.5, 1.0),
            (0.1, 0.9),
        ]
    ],
    4: [[(0.65, 1.0), (0.65, 0.0), (0.05, 0.7), (0.95, 0.7)]],
    5: [[(0.9, 0.0), (0.15, 0.0), (0.1, 0.45), (0.5, 0.38), (0.88, 0.55), (0.88, 0.85), (0.5, 1.0), (0.1, 0.9)]],
    6: [
        [
            (0.8, 0.0),
            (0.35, 0.3),
            (0.12, 0.7),
            (0.3, 0.98),
            (0.7, 0.98),
            (0.85, 0.72),
            (0.6, 0.5),
            (0.3, 0.55),
            (0.15, 0.7),
        ]
    ],
    7: [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)]],
    8: [
        [
            (0.5, 0.48),
            (0.15, 0.25),
            (0.5, 0.0),
            (0.85, 0.25),
            (0.5, 0.48),
            (0.1, 0.74),
            (0.5, 1.0),
            (0.9, 0.74),
            (0.5, 0.48),
        ]
    ],
    9: [[(0.85, 0.25), (0.5, 0.0), (0.15, 0.2), (0.3, 0.45), (0.85, 0.3), (0.8, 1.0)]],
}

# Other ways people write some digits: random_drawing picks among them.
VARIANTS: dict[int, list[list[list[tuple[float, float]]]]] = {
    4: [[[(0.4, 0.0), (0.05, 0.62), (0.95, 0.62)], [(0.72, 0.2), (0.72, 1.0)]]],  # open top, two strokes
    7: [[[(0.05, 0.05), (0.95, 0.0), (0.45, 1.0)], [(0.3, 0.5), (0.8, 0.5)]]],  # crossed 7
}

# (left, top, width, height) boxes on a 280 px canvas: big, small and off-centre.
PLACEMENTS = {
    "big": (60, 15, 160, 250),
    "small": (115, 105, 50, 75),
    "top-left": (15, 10, 80, 120),
    "bottom-right": (170, 140, 90, 125),
}


def stroke_points(digit: int, box: tuple[float, float, float, float]) -> list[list[tuple[float, float]]]:
    """Canvas-pixel polylines of ``digit`` fitted into ``box``."""
    left, top, w, h = box
    return [[(left + x * w, top + y * h) for x, y in stroke] for stroke in STROKES[digit]]


def render(digit: int, box: tuple[float, float, float, float], width: int = 22, size: int = 280) -> np.ndarray:
    """An RGBA canvas like the app's: white round-capped strokes on opaque black, anti-aliased."""
    return _render_strokes(stroke_points(digit, box), width, size)


def random_drawing(digit: int, rng: np.random.Generator, size: int = 280) -> np.ndarray:
    """A redrawn digit as a person might draw it: big, small or off-centre, slanted, wobbly."""
    kind = rng.choice(["big", "small", "off-centre"])
    h = {"big": rng.uniform(180, 250), "small": rng.uniform(50, 90), "off-centre": rng.uniform(80, 140)}[kind]
    w = h * rng.uniform(0.45, 0.75) if digit != 1 else h * 0.1
    if kind == "off-centre":
        left = rng.uniform(5, size - w - 5)
        top = rng.choice([rng.uniform(5, 30), rng.uniform(size - h - 30, size - h - 5)])
    else:
        left, top = (size - w) / 2 + rng.uniform(-15, 15), (size - h) / 2 + rng.uniform(-15, 15)
    slant = rng.uniform(-0.25, 0.25)
    styles = [STROKES[digit], *VARIANTS.get(digit, [])]
    strokes = []
    for stroke in styles[rng.integers(len(styles))]:
        pts = []
        for x, y in stroke:
            x, y = x + rng.normal(0, 0.03), y + rng.normal(0, 0.03)
            pts.append((left + (x + slant * (0.5 - y)) * w, top + y * h))
        strokes.append(pts)
    width = int(rng.uniform(12, 30) if kind != "small" else rng.uniform(6, 14))
    return _render_strokes(strokes, width, size)


# How much of a room writes 1 and 7, and MNIST hardly has (train/styles.py): (x, y) with y down,
# "flag" and "arm" stand for the flag's length and how far down it ends.
FOOT = [(0.2, 1.0), (0.8, 1.0)]
STYLES = {
    "1 with a flag": lambda flag, arm: [[(0.5 - flag, arm), (0.5, 0.0), (0.5, 1.0)]],
    "1 with a flag and a foot": lambda flag, arm: [[(0.5 - flag, arm), (0.5, 0.0), (0.5, 1.0)], FOOT],
    "crossed 7": lambda flag, arm: [[(0.05, 0.0), (0.95, 0.0), (0.4, 1.0)], [(0.3, 0.5), (0.8, 0.5)]],
}


def styled_drawing(style: str, rng: np.random.Generator, size: int = 280) -> np.ndarray:
    """A 1 or 7 written one of the ``STYLES`` ways, at a random size, slant and pen width."""
    h = rng.uniform(80, 240)
    w = h * rng.uniform(0.45, 0.7)
    left, top = (size - w) / 2 + rng.uniform(-15, 15), (size - h) / 2 + rng.uniform(-15, 15)
    slant = rng.uniform(-0.25, 0.25)
    lines = STYLES[style](rng.uniform(0.25, 0.5), rng.uniform(0.2, 0.45))
    jitter = lambda: rng.normal(0, 0.02)  # noqa: E731
    point = lambda x, y: (left + (x + jitter() + slant * (0.5 - y)) * w, top + (y + jitter()) * h)  # noqa: E731
    strokes = [[point(x, y) for x, y in line] for line in lines]
    return _render_strokes(strokes, int(rng.uniform(10, 26)), size)


def _render_strokes(strokes, width: int, size: int) -> np.ndarray:
    """The strokes as the app rasterises them for the model: a small digit's pen is narrowed
    (``model.preprocess.pen_width``, as ui/canvas.py does)."""
    width = round(pen_width(width, [p for s in strokes for p in s]))
    img = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 255))
    d = ImageDraw.Draw(img)
    for pts in strokes:
        pts2 = [(x * 2, y * 2) for x, y in pts]
        d.line(pts2, fill=(255, 255, 255, 255), width=width * 2, joint="curve")
        for x, y in pts2:
            d.ellipse((x - width, y - width, x + width, y + width), fill=(255, 255, 255, 255))
    return np.asarray(img.resize((size, size), Image.LANCZOS))
