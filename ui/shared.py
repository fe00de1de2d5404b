"""What every session of this server reads and nobody writes (``st.cache_resource``): the shipped
model, MNIST (fetched with visible progress the first time), the training slots, the store with
its retry clock, and the warm-up that prepares them in the background when the server starts.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time

import streamlit as st
import torch

import model
import store
from common import text
from train import DataUnavailable, EpochMetrics, Mnist, fused, load_mnist
from train.data import is_provisioned, provision, release_memory
from train.job import TrainingSlots
from ui.widgets import figures

# One core per training: the slots bound concurrent trainings to the core count, and a linear
# model's small matrices gain little from a second thread.
torch.set_num_threads(1)


@st.cache_resource(show_spinner=False)
def shipped_model() -> model.LinearDigits:
    return model.load_default()


@st.cache_resource(show_spinner=False)
def shipped_record() -> dict:
    """The shipped model's training record (assets/default_model.json), read once."""
    return json.loads(model.checkpoint.DEFAULT_PATH.with_suffix(".json").read_text())


def shipped_history() -> list[EpochMetrics]:
    return [EpochMetrics.from_dict(h) for h in shipped_record()["history"]]


@st.cache_resource(show_spinner=False)
def loaded_mnist() -> Mnist:
    return load_mnist()


@st.cache_resource(show_spinner=False)
def _warm_up() -> threading.Thread:
    """Once per server, in the background: build the fused training loop, load and frame MNIST,
    and draw the shipped model's Inside-the-model figures, so no first click waits for them."""

    def work() -> None:
        start = time.perf_counter()
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # pages go first
        except (AttributeError, OSError):
            pass
        try:
            fused.library()
            if not is_provisioned():
                return  # the first page fetches MNIST, with visible progress
            data, shipped = loaded_mnist(), shipped_model()
            for framing in (shipped.metadata["framing"], "none"):  # the presets' framings
                data.framed(framing)
            figures.figures(shipped, shipped.metadata["framing"], data)
            release_memory()
            print(f"Digit Studio: warmed up in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        except Exception:  # the page does the same work on demand and reports any error there
            logging.getLogger(__name__).exception("warm-up failed")

    thread = threading.Thread(target=work, name="warm-up", daemon=True)
    thread.start()
    return thread


def served() -> bool:
    """Whether this script runs under a real Streamlit server with browsers (AppTest puts a mock
    in place of the Runtime, which ``Runtime.exists()`` does not tell apart)."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def warm_up(force: bool = False) -> None:
    """Start the server's warm-up (once), wherever a Streamlit runtime exists: a real server, and
    AppTest too (its mock Runtime exists; the AppTests run with the warm-up, as a server does), but
    not a plain script, unless ``force`` (ui/serve.py starts it with the server, before any page)."""
    from streamlit.runtime import Runtime

    if force or Runtime.exists():
        _warm_up()


@st.cache_resource(show_spinner=False)
def training_slots() -> TrainingSlots:
    return TrainingSlots()


@st.cache_resource(show_spinner=False)
def _store(url: str) -> store.Store:
    """One store per server process: its connection pool and the heartbeat of its runs are shared."""
    return store.Store(url)


_OPEN_FAILED: dict[str, tuple[float, str]] = {}  # url -> (when, why): a store that could not be opened

RETRY_OPEN = 10.0  # seconds before trying again to open it, so a database that comes back is picked up


def run_history() -> tuple[store.Store | None, str | None]:
    """The server's store and, if it cannot be used, why (never raises; the message names no path)."""
    url = store.default_url()
    failed = _OPEN_FAILED.get(url)
    if failed and time.monotonic() - failed[0] < RETRY_OPEN:
        return None, failed[1]
    try:
        found = _store(url)
    except store.StoreError as exc:
        why = (
            f"The run history cannot be used: {exc}. Training and drawing still work; "
            "runs are not recorded until this is fixed."
        )
        _OPEN_FAILED[url] = (time.monotonic(), why)
        return None, why
    _OPEN_FAILED.pop(url, None)
    return found, None


def store_or_none() -> store.Store | None:
    return run_history()[0]


def dataset(where=None) -> Mnist | None:
    """MNIST, provisioning it first with visible progress; None (and a message) if impossible."""
    if not is_provisioned():
        where = where or st
        with where.status("Fetching MNIST for the first time on this server…", expanded=True) as status:
            try:
                provision(progress=status.write)
            except DataUnavailable as exc:
                status.update(label="MNIST is not available", state="error")
                logging.getLogger(__name__).error("%s", exc)  # the presenter's log keeps the server paths
                where.error(text.message(exc, 1000) + " (The server log has the full paths.)")
                return None
            status.update(label="MNIST ready", state="complete", expanded=False)
    with st.spinner("Loading MNIST…"):
        return loaded_mnist()


TIMINGS_ENV = "DIGIT_STUDIO_TIMINGS"


def record_run_time(seconds: float) -> None:
    """For benchmarks: append this script run's server-side time to $DIGIT_STUDIO_TIMINGS, if set."""
    path = os.environ.get(TIMINGS_ENV)
    if path:
        with open(path, "a") as f:
            f.write(f"{seconds:.6f}\n")
