"""Upload view: a photo or scan of one digit, read by ``model.photo`` and shown step by step."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from model.photo import UnreadableImage, photo_steps
from ui import session
from ui.widgets.plots import enlarge

TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"]


def uploaded(framing: str) -> bytes | None:
    """The uploader and the photo as read; the file's bytes, or None.

    The uploader is on the page only while its tab is open (``hidden`` marks the others), and
    Streamlit forgets a widget's file once it is off the page: the last photo is kept here, so
    going to Draw and back shows it again. Removing it in the uploader forgets it."""
    ss = st.session_state
    upload = st.file_uploader("Upload a PNG or JPEG of one digit", type=TYPES, key="upload")
    if upload is not None:
        ss.last_upload = (upload.getvalue(), upload.name)
    elif ss.get("upload_shown"):
        ss.pop("last_upload", None)  # it was on the page and is empty now: the user removed the file
    ss.upload_shown = True
    if ss.get("last_upload") is None:
        return None
    data, name = ss.last_upload
    if upload is None:
        st.caption(f"Your last photo, {session.plain(name)}: upload another to replace it.")
    show_photo(read(data, framing), name)
    return data


def hidden() -> None:
    """The upload tab is closed: the uploader is not on the page in this run."""
    st.session_state.upload_shown = False


def read(data: bytes, framing: str) -> dict:
    """``photo_steps`` for these bytes, decoded once per file and framing (reruns reuse it).

    On a file that cannot be read: ``{"reason": ..., "framed": None}``.
    """
    key = (hashlib.sha256(data).hexdigest(), framing)
    cached = st.session_state.get("photo_steps")
    if cached is None or cached[0] != key:
        try:
            steps = photo_steps(data, framing)
        except UnreadableImage as exc:
            steps = {"reason": f"That file cannot be used: {exc}.", "framed": None}
        st.session_state.photo_steps = cached = (key, steps)
    return cached[1]


def show_photo(steps: dict, name: str | None = None) -> None:
    if "photo" in steps:
        st.image(steps["photo"], caption=session.plain(name) if name else None, width=280, clamp=True)


def _grey(a: np.ndarray, size: int = 120) -> np.ndarray:
    step = max(1, max(a.shape[:2]) // size)
    return np.clip(a[::step, ::step], 0, 1)


def show_steps(steps: dict) -> None:
    """What the model sees, for a photo: each cleaning step, then the framed 28x28."""
    cols = st.columns(5)
    cols[0].image(_grey(steps["paper"]), caption="the paper's light", width="stretch", clamp=True)
    cols[1].image(
        _grey(steps["ink"]),
        caption="ink: paper divided out" + (" (light on dark, inverted)" if steps.get("inverted") else ""),
        width="stretch",
        clamp=True,
    )
    cols[2].image(_grey(steps["no_lines"]), caption="ruled lines removed", width="stretch", clamp=True)
    digit = "a filled bar, drawn as a 1's stroke" if steps.get("bar") else "the digit, full strength"
    cols[3].image(_grey(steps["digit"]), caption=digit, width="stretch", clamp=True)
    cols[4].image(enlarge(steps["framed"], 4), caption="framed 28×28", width="stretch")
