"""Inside the model: the weights as images, the confusion matrix, and the digits it gets wrong."""

from __future__ import annotations

import numpy as np
import streamlit as st

import model
from train.data import to_float
from ui import plots, state

N_GALLERY = 24


def test_predictions(entry: state.ModelEntry, data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(framed test images, true labels, predictions) for this model, computed once per model."""
    if "test" not in entry.cache:
        framed = data.framed(entry.framing)
        pred = model.predict_proba(entry.net, to_float(framed.test_x).numpy()).argmax(1)
        entry.cache["test"] = (framed.test_x.numpy(), framed.test_y.numpy(), pred)  # shared uint8, not copied
    return entry.cache["test"]


def confusion(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    return np.bincount(true * 10 + pred, minlength=100).reshape(10, 10)


def render() -> None:
    from ui.runs import gone_notice

    gone_notice()
    entry = state.current()
    st.subheader(f"Weights of {state.plain(entry.label, state.LABEL_LEN)}")
    st.image(state.cached_png(entry, "weights", lambda: plots.plot_weights(entry.net.linear.weight.detach().numpy())))
    st.caption(
        "Each digit's score is the sum of weight × pixel over the 784 pixels, plus a bias. Red pixels are "
        "evidence for the digit, blue against: you can often see the digit's shape, and its rivals' in blue."
    )
    data = state.dataset()
    if data is None:
        return
    images, true, pred = test_predictions(entry, data)
    cm = confusion(true, pred)
    st.metric("Test accuracy", f"{(true == pred).mean():.2%}", help="On the 10,000 MNIST test digits.")
    c1, c2 = st.columns([4, 3])
    c1.image(state.cached_png(entry, "confusion", lambda: plots.plot_confusion(cm)))
    c1.caption(
        "Each row is the true digit, each column what the model said: the diagonal counts the right answers, "
        "every other square a kind of mistake (how many times a true 4 was read as a 9, for example)."
    )
    c2.image(state.cached_png(entry, "per_class", lambda: plots.plot_per_class(cm.diagonal() / cm.sum(1))))
    c2.caption("For each digit, the share of its test images the model reads right.")
    worst = np.unravel_index(np.argmax(cm - np.diag(np.diag(cm))), cm.shape)
    c2.caption(f"The most common mistake: a true {worst[0]} read as {worst[1]} ({cm[worst]} times).")
    wrong = np.flatnonzero(true != pred)[:N_GALLERY]
    st.image(
        state.cached_png(
            entry,
            "gallery",
            lambda: plots.plot_gallery(
                images[wrong] / 255,
                [f"{t} → {p}" for t, p in zip(true[wrong], pred[wrong], strict=True)],
                title=f"Misclassified test digits (true → predicted), {len(np.flatnonzero(true != pred))} in all",
            ),
        )
    )
    st.caption("Test digits this model gets wrong: above each, the true digit → what the model said.")
