"""Inside the model: the weights as images, the confusion matrix, and the digits it gets wrong."""

from __future__ import annotations

import streamlit as st

from ui import session, shared
from ui.tabs.runs import gone_notice
from ui.widgets import figures

SPINNER = "Drawing this model's figures…"


def ready() -> bool:
    """Whether the current model's figures are made: then the tab is sent with every run of the page,
    hidden until opened, so that opening it shows them at once instead of waiting for a run."""
    return shared.dataset() is not None and figures.digest(session.current().net) in figures.made()


@st.fragment(run_every=0.3)
def _awaiting(job) -> None:
    if job.settled:
        st.rerun()  # the whole page, now with the tab's figures in it


def await_figures() -> None:
    """While the session's just-finished run has its figures drawn (in the job's thread, ``on_done``):
    a full run of the page once they are made, so that the tab is sent ready before it is opened."""
    job = st.session_state.get("job")
    if job is not None and job.done and job.net is not None and not job.settled:
        _awaiting(job)


def render() -> None:
    gone_notice()
    entry = session.current()
    st.subheader(f"Weights of {session.plain(entry.label, session.LABEL_LEN)}")
    with st.spinner(SPINNER):
        st.image(figures.weights_png(entry.net))
    st.caption(
        "Each digit's score is the sum of weight × pixel over the 784 pixels, plus a bias. Red pixels are "
        "evidence for the digit, blue against: you can often see the digit's shape, and its rivals' in blue."
    )
    data = shared.dataset()
    if data is None:
        return
    with st.spinner(SPINNER):
        _, res = figures.figures(entry.net, entry.framing, data)
    st.metric("Test accuracy", f"{res['accuracy']:.2%}", help="On the 10,000 MNIST test digits.")
    c1, c2 = st.columns([4, 3])
    c1.image(res["confusion"])
    c1.caption(
        "Each row is the true digit, each column what the model said: the diagonal counts the right answers, "
        "every other square a kind of mistake (how many times a true 4 was read as a 9, for example)."
    )
    c2.image(res["per_class"])
    c2.caption("For each digit, the share of its test images the model reads right.")
    true_digit, said, times = res["worst"]
    c2.caption(f"The most common mistake: a true {true_digit} read as {said} ({times} times).")
    st.image(res["gallery"])
    st.caption("Test digits this model gets wrong: above each, the true digit → what the model said.")
