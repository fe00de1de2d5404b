"""Sigmoid tab: the logistic function, a drawing's scores on it, and why the tutorial's model lags."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from model.checkpoint import DEFAULT_PATH
from ui import session
from ui.widgets import plots

COMPARISON = DEFAULT_PATH.parent / "sigmoid_comparison.json"
TUTORIAL_W, TUTORIAL_B = 0.7645, 0.8300  # the tutorial's randomly initialised 1-D model


@st.cache_resource(show_spinner=False)
def comparison() -> dict | None:
    return json.loads(COMPARISON.read_text()) if COMPARISON.exists() else None


@st.cache_resource(show_spinner=False)
def _comparison_png() -> bytes:
    """The measured comparison's curves: the same for every session, drawn once."""
    return plots.figure_png(plots.plot_runs(comparison()["runs"]))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _drawing_on_the_curve() -> None:
    result = st.session_state.get("last_result")
    z = None if result is None else result.logits
    predicted = None if z is None else int(np.argmax(z))
    st.image(plots.figure_png(plots.plot_sigmoid(z, predicted)))
    if z is None:
        st.info(
            "Draw a digit on the Draw tab: its ten scores (logits) will appear on the curve. A logit is the "
            "raw score z = w·x + b a digit gets, before it is turned into a probability."
        )
        return
    st.caption(
        "The S-shaped curve is the sigmoid σ(z) = 1 / (1 + e^−z): it turns any score into a number between 0 "
        "and 1. Each dot is one digit's score z = w·x + b for your drawing (its logit), put through σ: the "
        'one-vs-rest view, where each digit asks on its own "is it me?".'
    )
    st.markdown("**Softmax and sigmoid, same scores**")
    st.image(plots.figure_png(plots.plot_probability_pair(_softmax(z), plots.sigmoid(z))))
    st.caption("Softmax makes the classes compete (the probabilities sum to 1); sigmoids judge each class alone.")


def _table(rows: list[dict]) -> str:
    """A small table in Markdown: no pandas and no Arrow, whose first import was this tab's cold wait
    (about 2 s on a loaded 2-core server) and costs a server ~30 MB."""
    head = list(rows[0])
    lines = ["| " + " | ".join(session.plain(h) for h in head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(session.plain(row[h]) for h in head) + " |" for row in rows]
    return "\n".join(lines)


def _one_d() -> None:
    st.subheader("A 1-D logistic regression")
    st.caption(
        "As in the tutorial: one input x, one weight w and one bias b. The defaults are the tutorial's "
        "random initial values."
    )
    c1, c2 = st.columns(2)
    w = c1.slider(
        "w (weight)",
        -5.0,
        5.0,
        TUTORIAL_W,
        0.01,
        key="sig_w",
        help="How strongly the input x counts: a bigger w makes the curve steeper, a negative w flips it.",
    )
    b = c2.slider(
        "b (bias)",
        -5.0,
        5.0,
        TUTORIAL_B,
        0.01,
        key="sig_b",
        help="A constant added to the score: it slides the curve left or right.",
    )
    left, right = st.columns([3, 2])
    left.image(plots.figure_png(plots.plot_logistic_1d(w, b)))
    xs = np.array([1, 2, 3, 4])
    ys = plots.sigmoid(w * xs + b)
    right.markdown(_table([{"x": x, "σ(wx+b)": f"{y:.4f}"} for x, y in zip(xs, ys, strict=True)]))


def _why() -> None:
    st.subheader("Why the tutorials' model trains worse")
    st.markdown(
        "The tutorials apply a sigmoid and then `CrossEntropyLoss`, which applies a softmax of its own. "
        "Two things follow:\n"
        "1. **It can never be confident.** Every sigmoid output lies between 0 and 1, so the best the "
        "softmax can give the right digit is e/(e+9) ≈ **23 %**. The loss can never fall below ≈ 1.46, and it "
        "keeps pushing even when the answer is right.\n"
        "2. **Its gradients are small.** The chain rule multiplies every gradient by the sigmoid's slope "
        "σ(z)(1−σ(z)), at most 1/4 and near 0 once a score is large. Combined with SGD at 0.001, learning "
        "crawls: 86 % after 50 epochs.\n\n"
        "The fix is to give `CrossEntropyLoss` the raw scores (logits), as its documentation asks: that is the "
        "`softmax` model. For true per-class sigmoids use `one-vs-rest` (`BCEWithLogitsLoss`)."
    )
    data = comparison()
    if data is None:
        st.caption("Run `python -m bench.sigmoid` to measure the comparison on this machine.")
        return
    st.markdown(
        f"**Measured on this machine** (`{data['command']}`): tutorial settings (SGD, lr 0.001, "
        f"batch 32, raw MNIST), {data['epochs']} epochs, only the model changes."
    )
    st.image(_comparison_png())
    st.caption(
        "Test accuracy after each epoch, one line per model, everything else the same: the share of the "
        "10,000 test digits each one reads right."
    )
    st.markdown(
        _table(
            [
                {"model": r["label"], "test accuracy": f"{r['accuracy'][-1]:.1%}", "seconds": f"{r['seconds']:.1f}"}
                for r in data["runs"]
            ]
        )
    )


def render() -> None:
    _drawing_on_the_curve()
    _one_d()
    _why()
