"""Digit Studio: draw a digit, a logistic regression trained on MNIST classifies it.

Layout and wiring only: every tab and panel is a module in ui/.
"""

import time

import streamlit as st

from ui import access, data_tab, draw, inside, layout, runs, sidebar, sigmoid, state, training

st.set_page_config(page_title="Digit Studio", page_icon="✏️", layout="wide")
started = time.perf_counter()
state.init()
access.init()
layout.page(layout.presenter())
sidebar.render()
with st.sidebar:
    access.render_panel()

with st.container(horizontal=True, vertical_alignment="bottom", key="title_row"):
    st.title("Digit Studio", width="content")
    layout.toggle()
TABS = {
    "Draw": draw,
    "Training": training,
    "Sigmoid": sigmoid,
    "Inside the model": inside,
    "Data": data_tab,
    "Runs": runs,
}
tabs = st.tabs(list(TABS), key="tab", on_change="rerun")
for (name, view), tab in zip(TABS.items(), tabs, strict=True):
    # Only the open tab runs, except Draw: its canvas must stay mounted to keep the drawing.
    if tab.open or name == "Draw":
        with tab:
            view.render()
layout.replica_caption()
state.record_run_time(time.perf_counter() - started)
