"""Page layout for every screen in the room: phone, tablet, laptop, projector, and the
presenter display (``?view=presenter`` or the toggle): a big canvas and a big answer.

The CSS here is static text (no user data ever goes into it). Widgets with a ``key`` carry the
class ``st-key-<key>``, which is what the rules below address.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import streamlit as st

from common import text
from ui.widgets import inline
from ui.widgets.cookies import set_cookie

PRESENTER = "presenter"
REPLICA_ENV = "DIGIT_STUDIO_REPLICA"  # set by deploy/cluster.py: which app replica this process is
NARROW_PX = 1100  # below this the sidebar overlays the page instead of squeezing it

_PAGE_CSS = f"""
<style>
/* The header is a thin strip (toolbarMode = minimal), 60 px tall, that covers what scrolls under
   it: start the page just under it. */
[data-testid="stMainBlockContainer"] {{ padding-top: 4rem; padding-bottom: 3rem; }}
/* The page's helpers (this style sheet, the layout script, a cookie's script) take no room, not
   even a gap: on a phone the 32 px they took are the answer's. */
.st-key-layout_helper, [data-testid="stLayoutWrapper"]:has(> .st-key-layout_helper),
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > script:only-child) {{ display: none; }}
/* "Wrong, it is a ...": the ten digits wrap onto a second line where the column is too narrow
   (a tablet's), instead of scrolling sideways with the 9 cut off. */
.st-key-teach_label [data-testid="stButtonGroup"] div:has(> button) {{ flex-wrap: wrap; overflow-x: visible; }}
[data-testid="stMainBlockContainer"] h1 {{ padding: 0 0 0.25rem 0; font-size: 2rem; }}
.st-key-prediction [data-testid="stElementContainer"]:first-child [data-testid="stMetricValue"] {{
  font-size: 3rem; line-height: 1.1;
}}
@media (max-width: 640px) {{
  [data-testid="stMainBlockContainer"] {{ padding-left: 0.75rem; padding-right: 0.75rem; }}
  /* A phone stacks the Draw tab's columns: the answer follows the canvas closely, so that the
     canvas, the answer and the teach row fit on one screen (FIT in ui/tabs/draw.py). */
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] .st-key-canvas) {{ row-gap: 1rem; }}
  [data-testid="stMainBlockContainer"] h1 {{ font-size: 1.5rem; }}
}}
@media (max-height: 500px) {{
  /* A phone turned sideways: the title takes less of the little height there is. */
  [data-testid="stMainBlockContainer"] h1 {{ font-size: 1.25rem; padding: 0; }}
}}
@media (max-width: {NARROW_PX}px) {{
  /* Opened on a tablet, the sidebar slides over the page instead of squeezing it. */
  section[data-testid="stSidebar"][data-collapsed="false"] {{
    position: fixed !important; top: 0; left: 0; height: 100% !important; z-index: 999990;
    box-shadow: 0 0 2rem rgba(0, 0, 0, 0.25);
  }}
}}
{inline.CSS}
</style>
"""

_PRESENTER_CSS = """
<style>
.st-key-prediction [data-testid="stElementContainer"]:first-child [data-testid="stMetricValue"] {
  font-size: 13rem; line-height: 1;
}
.st-key-prediction [data-testid="stMetricLabel"] p { font-size: 1.75rem; }
.st-key-presenter_probs p { font-size: 2.25rem; line-height: 1.3; margin: 0; white-space: nowrap; }
</style>
"""

# Collapse the sidebar once per page load on a narrow screen (a tablet, a phone turned sideways)
# or in the presenter display, where the drawing and the answer need the room. And on a page's
# first run (``await_canvas``), tell Python once the canvas is laid out, so the sidebar comes then
# (ui/pages/studio.py): what else the browser is rendering delays the canvas (ui/static/layout.js).
_LAYOUT_JS = (Path(__file__).parents[1] / "static" / "layout.js").read_text()

_helper = st.components.v2.component("digit_studio.layout", js=_LAYOUT_JS, isolate_styles=False)


def presenter() -> bool:
    """Whether this session shows the presenter display.

    ``?view=presenter`` turns it on and is then taken off the address bar, so a settings link
    copied from the presenter's screen opens the ordinary view. Anything else in ``view`` is
    ignored with a note. It is a view, not a role: it shows nothing private.
    """
    ss = st.session_state
    view = st.query_params.get("view")
    if view is not None:
        del st.query_params["view"]
        if view == PRESENTER:
            ss[PRESENTER] = True
        else:
            ss.view_note = f"The link's view={text.md(view, 40)} was ignored: the one view there is is presenter."
    return bool(ss.get(PRESENTER, False))


def page(presenter: bool, await_canvas: bool = False) -> None:
    """The page's CSS, and the sidebar collapsed where it would crowd the page. With
    ``await_canvas``, the page runs again once the browser has laid out the canvas."""
    _sidebar_helper(presenter, await_canvas, _PAGE_CSS + (_PRESENTER_CSS if presenter else ""))


def board(presenter: bool) -> None:
    """The room board's sidebar collapsed once for the presenter: the projector shows the board
    (its tenth row fell below the fold beside the sidebar), and the panel is one click away."""
    _sidebar_helper(presenter, False)


def _sidebar_helper(presenter: bool, await_canvas: bool, css: str = "") -> None:
    token = st.session_state.setdefault("_layout_token", secrets.token_hex(8)) if await_canvas else None
    with st.container(key="layout_helper"):  # hidden: a style sheet applies from anywhere on the page
        if css:
            st.html(css)
        _helper(
            key="layout_js",
            data={"presenter": presenter, "await_canvas": token, "narrow": NARROW_PX},
            on_canvas_ready_change=lambda: None,
        )


def is_presenter() -> bool:
    return bool(st.session_state.get(PRESENTER, False))


def toggle() -> None:
    """The presenter-display switch (its state is ``st.session_state.presenter``)."""
    st.toggle(
        "Presenter display",
        key=PRESENTER,
        help="For a projector: a big canvas, a big answer and the probabilities in large text. "
        "Everything else is one click away under the canvas. Anyone may turn it on; "
        "a link with ?view=presenter opens the app this way.",
    )
    note = st.session_state.pop("view_note", None)
    if note:
        st.caption(note)


REPLICA_COOKIE = "ds_replica"  # deploy/nginx.conf routes a browser by it; "r<n>" names replica n


def _replica() -> int | None:
    """Which app replica this process is, in a cluster (deploy/cluster.py sets it)."""
    number = os.environ.get(REPLICA_ENV, "")
    return int(number) if number.isdigit() else None


def pin_replica() -> None:
    """In a cluster, name this replica in the browser's routing cookie, once per session, so that
    nginx sends its uploads and downloads where its session lives. After a failover the cookie
    still named the replica that had died; once that one was back, the browser's uploads went to
    it, a server that does not know the session, and failed."""
    number = _replica()
    ss = st.session_state
    if number is None or ss.get("_replica_pinned"):
        return
    ss._replica_pinned = True
    route = f"r{number}"
    if st.context.cookies.get(REPLICA_COOKIE) != route:
        set_cookie(REPLICA_COOKIE, route, same_site="Lax")


def replica_caption() -> None:
    """In a cluster, which replica served this page ("replica 1"), in small print at its foot."""
    number = _replica()
    if number is not None:
        st.caption(f"replica {number}")
