"""Digit Studio: draw a digit, a logistic regression trained on MNIST classifies it."""

import streamlit as st

import model
from ui import draw

st.set_page_config(page_title="Digit Studio", page_icon="✏️", layout="wide")


@st.cache_resource
def shipped_model() -> model.LinearDigits:
    """Read-only and shared by every session: the model that ships in assets/."""
    return model.load_default()


st.title("Digit Studio")
draw.render(shipped_model())
