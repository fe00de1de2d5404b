"""The one place that imports streamlit-drawable-canvas (it cannot be imported outside a
running Streamlit script, so tests patch ``draw`` instead)."""

from __future__ import annotations

import numpy as np
import streamlit as st

SIZE = 280

# With live updates the canvas's toolbar floats: invisible (opacity 0) at top:-1rem, above the
# drawing surface's top strip, so strokes starting there went to the toolbar. This pins it
# above the canvas, as the component itself does when live updates are off. The component
# lives in an open shadow root, out of reach of page CSS, hence the script; its text is static.
_PIN_TOOLBAR = """
<script>
(() => {
  if (window.__digitStudioPin) return;
  const css = ".dc-toolbar{opacity:1!important;top:auto!important;bottom:100%!important}";
  // The toolbar is built inside the shadow root after the host mounts, where no document-level
  // MutationObserver sees it; a cheap periodic check catches every (re)mount.
  window.__digitStudioPin = setInterval(() => {
    document.querySelectorAll("[data-testid='stBidiComponentIsolated']").forEach((host) => {
      const root = host.shadowRoot;
      if (!root || !root.querySelector(".dc-toolbar") || root.querySelector("style[data-pin-toolbar]")) return;
      const style = document.createElement("style");
      style.dataset.pinToolbar = "1";
      style.textContent = css;
      root.appendChild(style);
    });
  }, 200);
})();
</script>
"""


def draw(key: str = "canvas", stroke_width: int = 22) -> np.ndarray | None:
    """Show a 280x280 black drawing canvas with a white pen; return its RGBA pixels or None."""
    from streamlit_drawable_canvas import st_canvas

    st.html(_PIN_TOOLBAR, unsafe_allow_javascript=True)
    st.container(height=8, border=False)  # room for the pinned toolbar above the canvas
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
