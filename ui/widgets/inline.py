"""What a stroke redraws, as one piece of inline HTML: small images as data URIs and the
probabilities as CSS bars.

Why: every stroke of every participant reruns the Draw fragment. ``st.image`` costs a PNG or
JPEG encoding, a media file kept on the server, an element and a second HTTP request per
picture; at 30 strokes a second that was most of a server process (bench/wsload.py). Here a
stroke's pictures are 28x28 PNGs (under a millisecond each) that the browser enlarges with
visible pixels, and its bar chart is ten ``div`` elements.

Everything here is built from numbers and fixed text: no user data goes into this HTML. The
CSS is in ui/layout.py (the page's style sheet), so it is not sent again with every stroke.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from ui.widgets.plots import BLUE, GREEN  # the colours of the other charts

BAR_HEIGHT = 100  # px: the tallest bar (100 %)


def gray8(values: np.ndarray) -> np.ndarray:
    """A [0,1] image as uint8 grey levels."""
    return (np.clip(np.nan_to_num(values), 0, 1) * 255).round().astype(np.uint8)


def png_uri(pixels: np.ndarray) -> str:
    """A uint8 grey (H,W) or RGB (H,W,3) image as a ``data:`` URI of a PNG (fast compression:
    these images are a few hundred pixels)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def figure(uri: str, caption: str, pixelated: bool = True, box: tuple[float, ...] | None = None) -> str:
    """One picture with its caption. ``box`` (top, bottom, left, right, as fractions of the
    picture) is drawn over it as an orange frame."""
    frame = ""
    if box is not None:
        top, bottom, left, right = (100 * float(np.clip(v, 0, 1)) for v in box)
        frame = (
            f'<span class="ds-box" style="top:{top:.2f}%;left:{left:.2f}%;'
            f'width:{right - left:.2f}%;height:{bottom - top:.2f}%"></span>'
        )
    cls = "ds-pic ds-pixelated" if pixelated else "ds-pic"
    return (
        f'<figure class="ds-fig"><span class="{cls}"><img src="{uri}" alt="{caption}">{frame}</span>'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def row(figures: Sequence[str], cols: int | None = None) -> str:
    """Pictures side by side, equally wide (on a phone too: they are small)."""
    return f'<div class="ds-figs" style="--ds-cols:{cols or len(figures)}">{"".join(figures)}</div>'


def bars(proba: Sequence[float], highlight: int | None = None, caption: str = "") -> str:
    """The ten probabilities as a bar chart: the tallest is the answer (``highlight``, in green)."""
    p = np.clip(np.nan_to_num(np.asarray(proba, dtype=float)), 0, 1)
    cells = []
    for d, v in enumerate(p):
        label = f"{v:.0%}" if v >= 0.005 else ""
        colour = GREEN if d == highlight else BLUE
        cells.append(
            f'<span class="ds-bar"><span class="ds-pct">{label}</span>'
            f'<span class="ds-fill" style="height:{max(1.0, v * BAR_HEIGHT):.1f}px;background:{colour}"></span>'
            f'<span class="ds-digit">{d}</span></span>'
        )
    said = ", ".join(f"{d}: {v:.0%}" for d, v in enumerate(p))
    note = f'<p class="ds-caption">{caption}</p>' if caption else ""
    chart = f'<div class="ds-bars" role="img" aria-label="Probability of each digit: {said}">{"".join(cells)}</div>'
    return chart + note


CSS = f"""
.ds-note {{ font-size: 0.875rem; color: rgba(49, 51, 63, 0.6); margin: 0 0 0.75rem; }}
.ds-figs {{
  display: grid; grid-template-columns: repeat(var(--ds-cols), minmax(0, 1fr)); gap: 1rem; margin: 0.5rem 0 1rem;
}}
.ds-fig {{ margin: 0; min-width: 0; }}
.ds-pic {{ position: relative; display: block; line-height: 0; }}
.ds-pic img {{ width: 100%; height: auto; border-radius: 0.25rem; }}
.ds-pixelated img {{ image-rendering: pixelated; }}
.ds-box {{ position: absolute; border: 2px solid #e8590c; box-sizing: border-box; }}
.ds-fig figcaption, .ds-caption {{
  font-size: 0.875rem; color: rgba(49, 51, 63, 0.6); text-align: center; margin: 0.35rem 0 0; line-height: 1.4;
}}
.ds-text p {{ margin: 0 0 0.5rem; }}
.ds-text p.ds-caption {{ text-align: left; margin-bottom: 0.75rem; }}
.ds-bars {{
  display: flex; align-items: flex-end; gap: 0.15rem; height: {BAR_HEIGHT + 24}px;
  border-bottom: 1px solid #8c959f; margin: 0.25rem 0 1.5rem; padding: 0 0.25rem;
}}
.ds-bar {{
  flex: 1; display: flex; flex-direction: column; align-items: center; justify-content: flex-end; position: relative;
}}
.ds-fill {{ display: block; width: 64%; }}
.ds-pct {{ font-size: 0.75rem; color: #444; line-height: 1.2; white-space: nowrap; }}
.ds-digit {{ position: absolute; bottom: -1.35rem; font-size: 0.875rem; }}
/* The teach row is built once, not per stroke (ui/draw.py): hidden while the answer is a message. */
[data-testid="stMain"]:has(.st-key-no_answer) .st-key-teach_area {{ display: none; }}
"""
