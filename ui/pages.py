"""The app's pages, for st.navigation and for links between them (a page is named by its URL path)."""

from __future__ import annotations

import streamlit as st

BOARD_PATH = "room"


def studio() -> st.Page:
    from ui import studio as view

    return st.Page(view.render, title="Digit Studio", default=True)


def board() -> st.Page:
    from ui import board as view

    return st.Page(view.render, title="Room board", url_path=BOARD_PATH, icon=":material/groups:")
