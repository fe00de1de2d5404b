"""Inside the model: the weights as images, the confusion matrix, and the digits it gets wrong."""

from __future__ import annotations

import hashlib
import threading

import numpy as np
import streamlit as st

import model
from train.data import to_float
from ui import plots, state

N_GALLERY = 24
CACHED = 64  # models whose figures are kept
SPINNER = "Drawing this model's figures…"


def digest(net: model.LinearDigits) -> str:
    """What the figures depend on: the model's kind and weights."""
    h = hashlib.sha256(net.kind.encode())
    for t in (net.linear.weight, net.linear.bias):
        h.update(t.detach().contiguous().numpy().tobytes())
    return h.hexdigest()


def confusion(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    return np.bincount(true * 10 + pred, minlength=100).reshape(10, 10)


# Shared by every session (a model's figures depend only on its weights), read-only once made.
@st.cache_resource(show_spinner=False, max_entries=CACHED)
def _weights_png(key: str, _net: model.LinearDigits) -> bytes:
    return state.figure_png(plots.plot_weights(_net.linear.weight.detach().numpy()))


@st.cache_resource(show_spinner=False, max_entries=CACHED)
def _test_set(key: str, framing: str, data_id: int, _net: model.LinearDigits, _data) -> dict:
    framed = _data.framed(framing)
    true = framed.test_y.numpy()
    pred = np.concatenate(
        [model.predict_proba(_net, to_float(x).numpy()).argmax(1) for x in framed.test_x.split(2500)]
    )  # in parts: no float copy of the whole test set
    cm = confusion(true, pred)
    worst = np.unravel_index(np.argmax(cm - np.diag(np.diag(cm))), cm.shape)
    wrong = np.flatnonzero(true != pred)
    shown = wrong[:N_GALLERY]
    return {
        "accuracy": float((true == pred).mean()),
        "worst": (int(worst[0]), int(worst[1]), int(cm[worst])),
        "confusion": state.figure_png(plots.plot_confusion(cm)),
        "per_class": state.figure_png(plots.plot_per_class(cm.diagonal() / cm.sum(1))),
        "gallery": state.figure_png(
            plots.plot_gallery(
                framed.test_x[shown].numpy() / 255,
                [f"{t} → {p}" for t, p in zip(true[shown], pred[shown], strict=True)],
                title=f"Misclassified test digits (true → predicted), {len(wrong)} in all",
            )
        ),
    }


_made: dict[str, None] = {}  # digests whose figures are made, least recently used first (as the caches keep them)
_made_lock = threading.Lock()


def figures(net: model.LinearDigits, framing: str, data) -> tuple[bytes, dict]:
    """(weights PNG, test-set results and figures) of a model, made once per weights and shared."""
    key = digest(net)
    out = _weights_png(key, net), _test_set(key, framing, id(data), net, data)
    with _made_lock:  # least recently used first, as the caches evict
        _made.pop(key, None)
        _made[key] = None
        while len(_made) > CACHED:
            del _made[next(iter(_made))]
    return out


def ready() -> bool:
    """Whether the current model's figures are made: then the tab is sent with every run of the page,
    hidden until opened, so that opening it shows them at once instead of waiting for a run."""
    return state.dataset() is not None and digest(state.current().net) in _made


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
    from ui.runs import gone_notice

    gone_notice()
    entry = state.current()
    st.subheader(f"Weights of {state.plain(entry.label, state.LABEL_LEN)}")
    with st.spinner(SPINNER):
        st.image(_weights_png(digest(entry.net), entry.net))
    st.caption(
        "Each digit's score is the sum of weight × pixel over the 784 pixels, plus a bias. Red pixels are "
        "evidence for the digit, blue against: you can often see the digit's shape, and its rivals' in blue."
    )
    data = state.dataset()
    if data is None:
        return
    with st.spinner(SPINNER):
        _, res = figures(entry.net, entry.framing, data)
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
