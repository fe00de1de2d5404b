"""Strokes that are not digits, drawn on the 280 px canvas like a person with a mouse would.

Kinds: a horizontal line, a slanted line (a vertical one is a 1), a dot, a scribble, the letters
A, K, M, W and X (they share no shape with a digit), a star, a filled blob and a smiley. Each is
drawn at a random size and place, slightly wobbly, with a random pen width. ``strokes`` draws
given polylines the same way.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

SIZE = 280

LETTERS = {
    "A": [[(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)], [(0.22, 0.6), (0.78, 0.6)]],
    "K": [[(0.1, 0.0), (0.1, 1.0)], [(0.9, 0.0), (0.15, 0.55)], [(0.35, 0.4), (0.95, 1.0)]],
    "M": [[(0.0, 1.0), (0.1, 0.0), (0.5, 0.6), (0.9, 0.0), (1.0, 1.0)]],
    "W": [[(0.0, 0.0), (0.25, 1.0), (0.5, 0.35), (0.75, 1.0), (1.0, 0.0)]],
    "X": [[(0.0, 0.0), (1.0, 1.0)], [(1.0, 0.0), (0.0, 1.0)]],
}
KINDS = ("horizontal line", "slanted line", "dot", "scribble", *LETTERS, "star", "filled blob", "smiley")


def _canvas():
    img = Image.new("L", (SIZE * 2, SIZE * 2), 0)
    return img, ImageDraw.Draw(img)


def _finish(img: Image.Image) -> np.ndarray:
    """An RGBA canvas like the app's: white strokes on opaque black."""
    a = np.asarray(img.resize((SIZE, SIZE), Image.Resampling.LANCZOS))
    out = np.zeros((SIZE, SIZE, 4), np.uint8)
    out[..., :3] = a[..., None]
    out[..., 3] = 255
    return out


def _polyline(d: ImageDraw.ImageDraw, pts, width: int) -> None:
    pts = [(x * 2, y * 2) for x, y in pts]
    d.line(pts, fill=255, width=width * 2, joint="curve")
    for x, y in pts:
        d.ellipse((x - width, y - width, x + width, y + width), fill=255)


def _box(rng: np.random.Generator, aspect: float = 1.0):
    h = rng.uniform(70, 230)
    w = min(SIZE - 10, h * aspect * rng.uniform(0.8, 1.2))
    return rng.uniform(5, SIZE - w - 5), rng.uniform(5, SIZE - h - 5), w, h


def _wobble(pts, rng, amount=0.02):
    return [(x + rng.normal(0, amount), y + rng.normal(0, amount)) for x, y in pts]


def non_digit(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One canvas drawing of ``kind`` (one of KINDS)."""
    img, d = _canvas()
    width = int(rng.uniform(10, 30))
    if kind in ("horizontal line", "slanted line"):
        angle = rng.uniform(-8, 8) if kind == "horizontal line" else rng.choice([-1, 1]) * rng.uniform(25, 60)
        length = rng.uniform(90, 250)
        cx, cy = rng.uniform(90, 190), rng.uniform(60, 220)
        dx, dy = math.cos(math.radians(angle)) * length / 2, math.sin(math.radians(angle)) * length / 2
        _polyline(d, [(cx - dx, cy - dy), (cx + dx, cy + dy)], width)
    elif kind == "dot":
        r = rng.uniform(6, 16)
        cx, cy = rng.uniform(40, 240, 2)
        d.ellipse((2 * (cx - r), 2 * (cy - r), 2 * (cx + r), 2 * (cy + r)), fill=255)
    elif kind == "scribble":
        left, top, w, h = _box(rng, rng.uniform(0.7, 1.5))
        pts = [(left + w * u, top + h * v) for u, v in rng.uniform(0, 1, (int(rng.integers(8, 20)), 2))]
        _polyline(d, pts, int(rng.uniform(6, 20)))
    elif kind in LETTERS:
        left, top, w, h = _box(rng, rng.uniform(0.7, 1.1))
        for stroke in LETTERS[kind]:
            _polyline(d, [(left + x * w, top + y * h) for x, y in _wobble(stroke, rng)], width)
    elif kind == "star":
        left, top, w, h = _box(rng)
        turn = rng.uniform(0, 2 * math.pi)
        pts = [
            (0.5 + 0.5 * math.sin(turn + k * 4 * math.pi / 5), 0.5 - 0.5 * math.cos(turn + k * 4 * math.pi / 5))
            for k in range(6)
        ]
        _polyline(d, [(left + x * w, top + y * h) for x, y in _wobble(pts, rng)], int(rng.uniform(6, 20)))
    elif kind == "filled blob":
        left, top, w, h = _box(rng, rng.uniform(0.6, 1.4))
        t = np.linspace(0, 2 * math.pi, 24, endpoint=False)
        r = 0.5 * (1 + rng.normal(0, 0.08, len(t)))
        pts = [
            (2 * (left + w * (0.5 + ri * math.cos(a))), 2 * (top + h * (0.5 + ri * math.sin(a))))
            for a, ri in zip(t, r, strict=True)
        ]
        d.polygon(pts, fill=255)
    elif kind == "smiley":
        left, top, w, h = _box(rng)
        t = np.linspace(0, 2 * math.pi, 40)
        face = [(left + w * (0.5 + 0.5 * math.cos(a)), top + h * (0.5 + 0.5 * math.sin(a))) for a in t]
        _polyline(d, face, int(rng.uniform(6, 16)))
        for ex in (0.33, 0.67):
            x, y, r = left + w * ex, top + h * 0.35, max(4, w * 0.05)
            d.ellipse((2 * (x - r), 2 * (y - r), 2 * (x + r), 2 * (y + r)), fill=255)
        s = np.linspace(0.2 * math.pi, 0.8 * math.pi, 12)
        mouth = [(left + w * (0.5 + 0.28 * math.cos(a)), top + h * (0.55 + 0.18 * math.sin(a))) for a in s]
        _polyline(d, mouth, int(rng.uniform(6, 14)))
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return _finish(img)


def non_digit_set(n_per_kind: int = 50, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    rng = np.random.default_rng(seed)
    images, kinds = [], []
    for kind in KINDS:
        for _ in range(n_per_kind):
            images.append(non_digit(kind, rng))
            kinds.append(kind)
    return images, kinds


def strokes(*lines, width=18):
    img = Image.new("L", (560, 560), 0)
    d = ImageDraw.Draw(img)
    for pts in lines:
        _polyline(d, pts, width)
    return _finish(img)


STAR = [(140 + 100 * np.sin(k * 0.8 * np.pi), 140 - 100 * np.cos(k * 0.8 * np.pi)) for k in range(6)]  # 5 points
