"""Data tab: the sizes, a grid of samples, the class balance, and one digit through the framing."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

import model
from train import styles
from ui import shared
from ui.widgets import plots

STYLED_DIGITS = (1, 7, 9)  # the digits train/styles.py restyles


def _training_digits(data):
    """The training digits as the model learns from them: MNIST's, some 1s, 7s and 9s restyled."""
    return data.framed("none").train_x


@st.cache_data(show_spinner=False)
def _samples_png(_data, n: int = 32) -> bytes:
    imgs = _training_digits(_data)[:n].numpy() / 255
    return plots.figure_png(
        plots.plot_gallery(
            imgs, [str(int(y)) for y in _data.train_labels[:n]], title=f"The first {n} training digits and their labels"
        )
    )


def styled_examples(data, n: int = 4) -> list[tuple[torch.Tensor, str]]:
    """Up to ``n`` restyled training digits of each of STYLED_DIGITS, each as MNIST has it and as
    the model is trained on it: [(image uint8 28x28, caption)], a digit's originals then its styled."""
    styled = _training_digits(data)
    raw, labels = data.train_images, data.train_labels
    picks = []
    for digit in STYLED_DIGITS:
        rows = torch.nonzero((labels == digit) & (styled != raw).flatten(1).any(1))[:n, 0]
        picks += [(raw[r], f"{digit} in MNIST") for r in rows] + [(styled[r], f"{digit} as trained") for r in rows]
    return picks


@st.cache_data(show_spinner=False)
def _styled_png(_data, n: int = 4) -> bytes:
    """A few 1s, 7s and 9s before and after the style training gave them (train/styles.py)."""
    picks = styled_examples(_data, n)
    if not picks:
        return b""
    imgs = torch.stack([p[0] for p in picks]).numpy() / 255
    return plots.figure_png(plots.plot_gallery(imgs, [p[1] for p in picks], cols=2 * n))


@st.cache_data(show_spinner=False)
def _histogram_png(_data) -> bytes:
    return plots.figure_png(
        plots.plot_class_histogram(
            np.bincount(_data.train_labels.numpy(), minlength=10), np.bincount(_data.test_labels.numpy(), minlength=10)
        )
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _before_after_png(_data, index: int, framing: str) -> bytes:
    raw = _training_digits(_data)[index].numpy() / 255
    steps = model.framing_steps(raw, framing)
    return plots.figure_png(plots.plot_before_after(raw, steps, str(int(_data.train_labels[index]))))


def render() -> None:
    data = shared.dataset()
    if data is None:
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("Training digits", f"{len(data.train_labels):,}")
    c2.metric("Test digits", f"{len(data.test_labels):,}")
    c3.metric("Pixels per digit", "28 × 28 = 784")
    st.image(_samples_png(data))
    st.caption("MNIST: 70,000 handwritten digits, each 28×28 grey pixels with the digit it shows (its label).")
    styled = _styled_png(data)
    if styled:
        st.image(styled)
        st.caption(
            "MNIST's writers write a 1 as one stroke, a 7 without a bar and a 9 with a straight stem; many "
            "people give a 1 a flag (and a foot), cross their 7s and curl a 9's tail back to the left. So "
            f"{styles.SHARE:.0%} of the training 1s get a flag (half of those a foot), {styles.SHARE:.0%} of "
            f"the 7s a bar and {styles.NINE_SHARE:.0%} of the 9s a curled tail; the test digits stay as MNIST "
            "has them."
        )
    st.image(_histogram_png(data))
    st.caption(
        "How many images of each digit there are, for training (blue) and for testing (orange): about the same "
        "for every digit, so no digit is favoured by sheer numbers."
    )
    st.subheader("One digit before and after framing")
    st.caption(
        "MNIST's own recipe, which we apply to every training digit and every drawing alike: crop to the "
        "ink, scale the longer side to 20 px (a narrow digit is widened part way to square), centre the mass "
        "in 28×28, then straighten the slant (deskew)."
    )
    a, b = st.columns([1, 2])
    index = a.number_input(
        "Training digit number",
        0,
        len(data.train_labels) - 1,
        0,
        key="data_index",
        help="Which of the 60,000 training digits to show, counting from 0.",
    )
    framing = (
        b.segmented_control(
            "Framing",
            ["frame", "frame+deskew"],
            default="frame+deskew",
            key="data_framing",
            help="frame: cut to the ink, scale, centre. frame+deskew: also straighten the slant.",
        )
        or "frame+deskew"
    )
    st.image(_before_after_png(data, int(index), framing))
