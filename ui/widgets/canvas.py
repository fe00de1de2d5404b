"""The drawing canvas: Digit Studio's own small Streamlit component (ui/static/canvas.js).

Why our own: streamlit-drawable-canvas draws at a fixed pixel size, so on a tablet its
280 px canvas was cut off by a 212 px column, and its toolbar carried an edit mode users
took for "draw". This component is plain JS on Streamlit's components v2 API (no iframe, no
npm build): the canvas is as wide as its column, mouse, touch and pen share one code path
(pointer events), and the toolbar is Undo and Clear.

The browser sends strokes, not pixels, in the coordinates of a 280x280 drawing (the size the
framing expects), widths included; ``render`` rasterises them here. So the model sees the
same drawing whatever the size of the screen it was drawn on.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image, ImageDraw

from model.preprocess import pen_width

SIZE = 280
# Bounds on a drawing from the browser (hostile input; the JS keeps to them too). A digit takes
# a few hundred points (rendered in ~3 ms); the worst a client can send renders in ~0.1 s.
MAX_STROKES = 100
MAX_POINTS = 4000  # in all strokes together
MAX_WIDTH = 40.0  # the stroke-width slider's maximum
MIN_STEP = 1.0  # points closer than this to the previous one add nothing
RENDER_STEP = 1.5  # thinner still for drawing: at a 6-40 px pen the difference is invisible
_STATIC = Path(__file__).parents[1] / "static"
_SUPERSAMPLE = 2  # anti-aliasing: draw at twice the size, then shrink

_component = st.components.v2.component(
    "digit_studio.canvas",
    js=(_STATIC / "canvas.js").read_text(),
    css=(_STATIC / "canvas.css").read_text(),
)


def clean_strokes(raw) -> list[tuple[float, list[tuple[float, float]]]]:
    """The strokes the browser sent, as (width, points), with anything malformed dropped.

    At most MAX_STROKES strokes and MAX_POINTS points; coordinates are clamped to a margin
    around the drawing and widths to 1..MAX_WIDTH, so any input costs bounded work.
    """
    strokes, budget = [], MAX_POINTS
    if not isinstance(raw, list):
        return strokes
    for item in raw[:MAX_STROKES]:
        if budget <= 0:
            break
        if not isinstance(item, dict) or not isinstance(item.get("p"), list):
            continue
        width, flat = item.get("w"), item["p"][: 2 * budget]
        if not _number(width) or len(flat) < 2 or not all(type(v) in _NUMBER_TYPES for v in flat):
            continue
        # All at once in numpy (a stroke is hundreds of numbers, on every stroke of every participant);
        # an integer too large for a float (JSON allows it) is not a number.
        try:
            xy = np.asarray(flat[: len(flat) // 2 * 2], dtype=np.float64)
        except OverflowError:
            continue
        if not np.isfinite(xy).all():
            continue
        pts: list[tuple[float, float]] = []
        for p in map(tuple, np.clip(xy, -SIZE, 2 * SIZE).reshape(-1, 2).tolist()):
            if not pts or math.dist(p, pts[-1]) >= MIN_STEP:
                pts.append(p)
        strokes.append((_clamp(width, 1.0, MAX_WIDTH), pts))
        budget -= len(pts)
    return strokes


_NUMBER_TYPES = (int, float)  # what JSON numbers are (exactly: a bool is no number here)


def _number(v) -> bool:
    try:
        return type(v) in _NUMBER_TYPES and math.isfinite(v)
    except OverflowError:  # an integer too large for a float
        return False


def _clamp(v: float, lo: float, hi: float) -> float:
    return float(min(max(v, lo), hi))


def pen_cap(strokes: list[tuple[float, list[tuple[float, float]]]]) -> float:
    """The widest pen these strokes are rasterised with (``model.preprocess.pen_width``): a small
    digit drawn with a fat pen keeps its loops open."""
    return pen_width(MAX_WIDTH, [p for _, stroke in strokes for p in stroke])


def render(strokes: list[tuple[float, list[tuple[float, float]]]], size: int = SIZE) -> np.ndarray:
    """RGBA pixels of the strokes as the model is shown them: white, round caps and joins, on black,
    at the canvas's pen unless the digit is small for it (``pen_cap``).

    Drawn in grey at twice the size and halved with a 2x2 box filter (anti-aliasing); each stroke
    is its segments plus a disc at every point (round joins and caps), on points thinned to one
    per RENDER_STEP. About 10x cheaper than RGBA, PIL's curved joints and a Lanczos resize.
    """
    ink = _ink(strokes, size)
    return np.dstack([ink, ink, ink, np.full_like(ink, 255)])


def _ink(strokes: list[tuple[float, list[tuple[float, float]]]], size: int = SIZE) -> np.ndarray:
    """The strokes' grey levels (H,W) uint8, white on black: ``render`` without its colour planes."""
    k = _SUPERSAMPLE * size / SIZE
    img = Image.new("L", (size * _SUPERSAMPLE,) * 2, 0)
    pen = ImageDraw.Draw(img)
    cap = pen_cap(strokes)
    for width, pts in strokes:
        w, xy = min(width, cap) * k, [(x * k, y * k) for x, y in _thin(pts, RENDER_STEP)]
        if len(xy) > 1:
            pen.line(xy, fill=255, width=max(1, round(w)))
        r = w / 2
        for x, y in xy:
            pen.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(img.reduce(_SUPERSAMPLE))


def _thin(pts: list[tuple[float, float]], step: float) -> list[tuple[float, float]]:
    """The points at least ``step`` apart, keeping the first and the last."""
    kept = pts[:1]
    for p in pts[1:-1]:
        if math.dist(p, kept[-1]) >= step:
            kept.append(p)
    return kept + pts[-1:] if len(pts) > 1 else kept


_ECHO = "_canvas_echo"


def _echoed() -> None:
    """The canvas's callback: this rerun comes from a stroke (or Undo, Clear) in the browser."""
    st.session_state[_ECHO] = True


def draw(key: str = "canvas", stroke_width: int = 22, fit: dict | None = None) -> np.ndarray | None:
    """Show the drawing canvas (white pen on black); return the drawing or None.

    The drawing is 280x280 grey levels (uint8, white on black): what ``render`` shows, in one plane,
    which the framing reads three times faster than RGBA; a small digit's strokes are thinner there
    than on the canvas (``pen_cap``).

    ``stroke_width`` is in pixels of the 280x280 drawing. ``fit`` tells the canvas how much room
    to leave below it, in CSS px: ``reserve`` beside a second column, ``reserveStacked`` where
    Streamlit stacks the columns (narrow screens), ``maxSide`` a cap on its side.
    """
    fit = {"reserve": 16, "reserveStacked": 16, "maxSide": 0, **(fit or {})}
    # A list of one dict: Streamlit scans a dict's values, and any other object, for dataframes,
    # and that check alone imports pandas and pyarrow (~30 MB of a server's private memory).
    # The drawing goes back to the browser only for a canvas mounted afresh (a full rerun may
    # rebuild the layout); a rerun the canvas itself asked for has it already. A drawing is
    # kilobytes, serialised and hashed in every rerun: on every stroke of every participant.
    # (Reading the widget's state builds a new object each time, in Streamlit: only when it is sent.)
    echo = st.session_state.pop(_ECHO, False)
    kept = [] if echo else (st.session_state.get(key) or {}).get("strokes") or []
    data = [{"pen": stroke_width, "fit": fit, "strokes": kept}]
    result = _component(key=key, data=data, default={"strokes": []}, on_strokes_change=_echoed)
    strokes = clean_strokes(result.get("strokes"))
    if not strokes:
        return None
    memo = st.session_state.get("_canvas_memo")
    if memo is None or memo[0] != strokes:
        memo = (strokes, _ink(strokes))
        st.session_state._canvas_memo = memo
    return memo[1]
