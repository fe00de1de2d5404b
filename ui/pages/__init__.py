"""The app's pages: the studio (studio.py) and the room board at /room (board.py).

app.py builds their ``st.Page``s on every run and registers them here, so that a page links to
another (``st.page_link(pages.get(BOARD))``) without importing it: no page imports another.
"""

from __future__ import annotations

import streamlit as st

STUDIO, BOARD = "studio", "board"
BOARD_PATH = "room"  # the board's URL path: /room

_registered: dict[str, st.Page] = {}


def register(**built: st.Page) -> None:
    """Keep the pages app.py built, by name, for links between them."""
    _registered.update(built)


def get(name: str) -> st.Page:
    """The page called ``name`` (STUDIO or BOARD), as app.py built it."""
    return _registered[name]
