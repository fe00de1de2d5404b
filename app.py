"""Digit Studio: draw a digit, a logistic regression trained on MNIST classifies it.

The router and what every page shares (identity, role, session defaults); each page is a
module in ui/pages/: the studio (studio.py) and the room board at /room (board.py).
"""

import time

import streamlit as st

from ui import access, pages, session, shared, streamlit_patches
from ui.pages import board, studio
from ui.widgets import layout

streamlit_patches.install()  # Streamlit's own per-rerun costs, cut where they need not be paid

st.set_page_config(page_title="Digit Studio", page_icon="✏️", layout="wide")
started = time.perf_counter()
session.init()
access.init()
built = {
    pages.STUDIO: st.Page(studio.render, title="Digit Studio", default=True),
    pages.BOARD: st.Page(board.render, title="Room board", url_path=pages.BOARD_PATH, icon=":material/groups:"),
}
pages.register(**built)
page = st.navigation(
    list(built.values()),
    position="hidden",  # the studio's sidebar is its training panel; the board is one link away
)
page.run()
layout.replica_caption()
layout.pin_replica()
shared.record_run_time(time.perf_counter() - started)
