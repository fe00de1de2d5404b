"""Photos of paper whose answer is known: a 7 on a page of any paper and ink, ruled lines, a
marker's bar; encoded as a phone would send them."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from testkit.drawing import render

H, W = 300, 400  # a small landscape "photo"


def seven_mask() -> np.ndarray:
    """A 7's ink coverage (0..1) in the middle of a 300x400 page."""
    ink = render(7, (0, 0, 180, 250), width=22)[..., 0].astype(np.float32) / 255  # 280x280 canvas
    page = np.zeros((H, W), np.float32)
    page[10:290, 60:340] = ink
    return page


def page(paper=(0.95, 0.95, 0.95), ink=(0.05, 0.05, 0.05), mask=None, light=None) -> np.ndarray:
    """An RGB page: ``ink`` laid over ``paper`` where ``mask`` says, lit by ``light`` (H,W)."""
    mask = seven_mask() if mask is None else mask
    img = np.asarray(paper, np.float32) * (1 - mask[..., None]) + np.asarray(ink, np.float32) * mask[..., None]
    if light is not None:
        img = img * light[..., None]
    return img


def encode(rgb: np.ndarray, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray((np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)).save(buf, format=fmt, **kw)
    return buf.getvalue()


def ruled(step=24, width=2, slant=0.03, grid=False) -> np.ndarray:
    yy, xx = np.mgrid[:H, :W]
    lines = ((yy + slant * xx) % step) < width
    if grid:
        lines |= ((xx - slant * yy) % step) < width
    return lines.astype(np.float32)


def ellipse(ry: float, rx: float, degrees: float = 0.0) -> np.ndarray:
    """A filled ellipse's ink in the middle of the page (radii in px, the long axis turned ``degrees``
    from vertical), anti-aliased. Under half the page's height: a shape that fills the page is
    taken for its light (the paper's light is a wide rank filter)."""
    yy, xx = np.mgrid[:H, :W].astype(np.float32)
    a = math.radians(degrees)
    dy, dx = yy - H / 2, xx - W / 2
    u, v = dy * math.cos(a) + dx * math.sin(a), dx * math.cos(a) - dy * math.sin(a)
    r = np.sqrt((u / ry) ** 2 + (v / rx) ** 2)
    return np.clip((1 - r) * min(ry, rx) + 0.5, 0, 1).astype(np.float32)
