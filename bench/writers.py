"""Digits by writers outside MNIST, drawn like canvas strokes, and MNIST redrawn on the canvas.

``load_digits`` (scikit-learn's bundled copy of the UCI optical digits: 1,797 digits by 43
writers who are not MNIST's, as 8x8 counts of ink) becomes a 280 px canvas drawing: smooth
upsampling to a random box, then a soft threshold, so the strokes have crisp anti-aliased edges
like the app's pen. MNIST test digits are redrawn the same way, at a random size and place.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SIZE = 280


def load_writers() -> tuple[np.ndarray, np.ndarray]:
    """UCI digits as (N,8,8) float32 in [0,1] and their labels."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return (d.images / 16.0).astype(np.float32), d.target.astype(np.int64)


def on_canvas(shape: np.ndarray, rng: np.random.Generator, level: float | None = None) -> np.ndarray:
    """A small grey digit image drawn as white strokes on a black 280x280 canvas (float32 [0,1]).

    The digit is scaled to a random height (60-240 px), placed at a random spot, and its smooth
    outline at ``level`` (random if None) becomes the stroke's edge.
    """
    h = rng.uniform(70, 240)
    zoom = h / shape.shape[0]
    big = ndimage.zoom(np.pad(shape, 1), zoom, order=3)
    big = np.clip(big, 0, None) / max(float(big.max()), 1e-6)
    level = rng.uniform(0.3, 0.55) if level is None else level
    soft = 1 / (1 + np.exp(-(big - level) * 12))  # ~1 px anti-aliased edge at this scale
    floor = 1 / (1 + np.exp(level * 12))  # where there is no ink at all: a canvas has none there, not 1-3 %
    soft = np.clip((soft - floor) / (1 - floor), 0, 1)
    bh, bw = soft.shape
    bh, bw = min(bh, SIZE), min(bw, SIZE)
    top, left = rng.integers(0, SIZE - bh + 1), rng.integers(0, SIZE - bw + 1)
    out = np.zeros((SIZE, SIZE), np.float32)
    out[top : top + bh, left : left + bw] = soft[:bh, :bw]
    return out


def writers_drawn(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """All 1,797 UCI digits as canvas drawings."""
    rng = np.random.default_rng(seed)
    images, labels = load_writers()
    return [on_canvas(im, rng) for im in images], labels


def mnist_redrawn(images: np.ndarray, seed: int = 0) -> list[np.ndarray]:
    """MNIST digits (N,28,28 uint8) redrawn on the canvas at random sizes and places."""
    rng = np.random.default_rng(seed)
    return [on_canvas(im.astype(np.float32) / 255.0, rng, level=0.5) for im in images]
