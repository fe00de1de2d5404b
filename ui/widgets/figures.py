"""A model's Inside-the-model figures (weights, confusion matrix, per-digit accuracy, misread
digits), drawn once per weights and shared by every session: they depend only on the model.

The warm-up and a finished training job draw them in the background (ui/shared.py, ui/session.py), so the tab
shows them at once; the tab (ui/tabs/inside.py) reads them.
"""

from __future__ import annotations

import hashlib
import threading

import numpy as np
import streamlit as st

import model
from train.data import to_float
from ui.widgets import plots

N_GALLERY = 24
CACHED = 64  # models whose figures are kept


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
    return plots.figure_png(plots.plot_weights(_net.linear.weight.detach().numpy()))


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
        "confusion": plots.figure_png(plots.plot_confusion(cm)),
        "per_class": plots.figure_png(plots.plot_per_class(cm.diagonal() / cm.sum(1))),
        "gallery": plots.figure_png(
            plots.plot_gallery(
                framed.test_x[shown].numpy() / 255,
                [f"{t} → {p}" for t, p in zip(true[shown], pred[shown], strict=True)],
                title=f"Misclassified test digits (true → predicted), {len(wrong)} in all",
            )
        ),
    }


_made: dict[str, None] = {}  # digests whose figures are made, least recently used first (as the caches keep them)
_made_lock = threading.Lock()


def made() -> dict[str, None]:
    """Digests of the models whose figures are made."""
    return _made


def weights_png(net: model.LinearDigits) -> bytes:
    """The weights of ``net`` as ten images, one per digit."""
    return _weights_png(digest(net), net)


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
