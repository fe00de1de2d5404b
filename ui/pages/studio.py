"""The studio page: draw, train, compare (the app as a participant sees it)."""

from __future__ import annotations

import streamlit as st

from common import _
from ui import access, pages, room, session, shared
from ui.sidebar import training as sidebar
from ui.tabs import data as data_tab
from ui.tabs import draw, inside, runs, sigmoid, teach, training
from ui.widgets import layout

TABS = {
    "Draw": draw,
    "Training": training,
    "Sigmoid": sigmoid,
    "Inside the model": inside,
    "Data": data_tab,
    "Runs": runs,
}


def render() -> None:
    # A page's first run leaves the sidebar out; the browser asks for the next run once the canvas is
    # laid out. It renders everything it is sent before the canvas's own script runs, and the sidebar's
    # settings widgets are most of that, so the canvas is ready sooner without them. On a phone the
    # sidebar is closed anyway. Not under AppTest: no
    # browser there, and its tests drive the sidebar from the first run.
    later = not st.session_state.get("page_shown") and shared.served()
    layout.page(layout.presenter(), await_canvas=later)
    session.harvest()  # a run that just ended: its model is the one the tabs show
    # The page before the sidebar: the browser builds elements in the order the script sends them,
    # so the canvas is ready to draw on before the sidebar's many settings widgets are.
    with st.container(horizontal=True, vertical_alignment="bottom", key="title_row"):
        st.title("Digit Studio", width="content")
        layout.toggle()
    tabs = st.tabs(list(TABS), key="tab", on_change="rerun")
    # Not on the page's first run: the browser would fetch the hidden tab's pictures before the canvas is ready.
    prerender = not later and inside.ready()
    for (name, view), tab in zip(TABS.items(), tabs, strict=True):
        # Only the open tab runs, except Draw (its canvas must stay mounted to keep the drawing) and
        # Inside the model once its figures are made (sent hidden: opening it needs no wait).
        if tab.open or name == "Draw" or (view is inside and prerender):
            with tab:
                view.render()
    inside.await_figures()
    if not later:
        _sidebar()
    st.session_state.page_shown = True


def _sidebar() -> None:
    # The participant's first step, their nickname, comes first: on a phone the training panel's
    # dozen settings would push it below the fold.
    with st.sidebar:
        room.nickname_field()
        teach.share_toggle()
        st.page_link(pages.get(pages.BOARD), label=_("Room board"), help=_("Runs, shared drawings and how to join"))
    sidebar.render()
    with st.sidebar:
        access.render_panel()
        room.presence()
