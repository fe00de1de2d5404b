"""The whole app under Streamlit's AppTest: where it is, what a reader sees, the sidebar's settings
and a training run to its end."""

from __future__ import annotations

import re
import time
from pathlib import Path

import store
from ui import shared

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def shown(markdown: str) -> str:
    """What a reader sees of Markdown made from user text (common/text.md): escapes and breaks removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def metric(at, label):
    found = [m for m in at.metric if m.label == label]
    return found[0].value if found else None


def button(at, label):
    return next(b for b in at.button if b.label == label)


def wait_for_job(at, timeout=60):
    deadline = time.monotonic() + timeout
    while not at.session_state.job.done:
        assert time.monotonic() < deadline, "training did not finish"
        time.sleep(0.05)
    at.run()
    assert not at.exception


def small_config(at, epochs=2):
    at.session_state["cfg_epochs"] = epochs
    at.session_state["cfg_framing"] = "none"
    at.session_state["cfg_batch_size"] = 64
    at.run()


def train_once(at, epochs=1, name=""):
    at.session_state["run_name"] = name
    small_config(at, epochs=epochs)
    button(at, "Train").click().run()
    wait_for_job(at)


PRESENTER = store.Actor("p" * 32, presenter=True)  # the presenter as the room's AppTests play it


def the_store() -> store.Store:
    """The store the app under AppTest uses (the server's run history)."""
    return shared.run_history()[0]


def board_page():
    """The /room page as app.py frames it (AppTest cannot switch to a page that is a function), with
    the pages app.py registers for the links between them."""
    import streamlit as st

    from ui import access, pages, session  # noqa: F811 - AppTest runs this function's source alone
    from ui.pages import board, studio

    session.init()
    access.init()
    pages.register(
        **{
            pages.STUDIO: st.Page(studio.render, title="Digit Studio", default=True),
            pages.BOARD: st.Page(board.render, title="Room board", url_path=pages.BOARD_PATH),
        }
    )
    board.render()
