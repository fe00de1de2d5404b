"""The one place that imports streamlit-drawable-canvas (it cannot be imported outside a
running Streamlit script, so tests patch ``draw`` instead)."""

from __future__ import annotations

import numpy as np

SIZE = 280


def draw(key: str = "canvas", stroke_width: int = 22) -> np.ndarray | None:
    """Show a 280x280 black drawing canvas with a white pen; return its RGBA pixels or None."""
    from streamlit_drawable_canvas import st_canvas

    result = st_canvas(
        stroke_width=stroke_width,
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=SIZE,
        height=SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=key,
    )
    return result.image_data
