"""Draw tab: the canvas, what the model sees, and its prediction."""

from __future__ import annotations

import numpy as np
import streamlit as st

import model
from ui import canvas

PROMPT = "Draw a digit from 0 to 9 in the black box: one stroke is enough to start."


def classify(net: model.LinearDigits, image) -> tuple[np.ndarray, np.ndarray] | None:
    """Frame ``image`` the way ``net`` was trained and return (framed 28x28, probabilities)."""
    framed = model.to_mnist(image, framing=net.metadata["framing"])
    if framed is None:
        return None
    return framed, model.predict_proba(net, framed)[0]


def render(net: model.LinearDigits) -> None:
    left, right = st.columns([3, 2], gap="large")
    with left:
        image = canvas.draw()
    result = classify(net, image) if image is not None else None
    with right:
        if result is None:
            st.info(PROMPT)
            return
        framed, proba = result
        digit = int(proba.argmax())
        st.metric("Prediction", str(digit), help="The class with the highest probability.")
        st.caption(f"Confidence {proba[digit]:.0%}")
        st.image(framed, caption="What the model sees: 28×28, framed like MNIST", width=168, clamp=True)
