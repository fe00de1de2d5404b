"""Digit Studio: draw a digit, a logistic regression trained on MNIST classifies it.

The router and what every page shares (identity, role, session defaults); each page is a
module in ui/ (ui/pages.py): the studio (ui/studio.py) and the room board at /room (ui/board.py).
"""

import time

import streamlit as st

from ui import access, layout, pages, state, streamlit_patches

streamlit_patches.install()  # Streamlit's own per-rerun costs, cut where they need not be paid

st.set_page_config(page_title="Digit Studio", page_icon="✏️", layout="wide")
started = time.perf_counter()
state.init()
access.init()
page = st.navigation(
    [pages.studio(), pages.board()],
    position="hidden",  # the studio's sidebar is its training panel; the board is one link away
)
page.run()
layout.replica_caption()
layout.pin_replica()
state.record_run_time(time.perf_counter() - started)
