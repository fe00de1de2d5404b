"""Shared read-only resources (st.cache_resource) and each session's own models (st.session_state).

A participant's trained models live only in their session: one person's training never
changes anyone else's model. The cache holds what every session may read but nobody writes:
the shipped model, the MNIST tensors and the training slots.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import streamlit as st
import torch

import model
import store
from common import text
from common.status import Status
from train import DataUnavailable, EpochMetrics, Mnist, fused, load_mnist
from train.data import is_provisioned, provision, release_memory
from train.job import TrainingJob, TrainingSlots
from ui.widgets import figures, plots

SHIPPED = "shipped"
LABEL_LEN = 160  # a model's label: a run name (40) plus its settings and accuracy

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
def _dataset() -> Mnist:
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
            data, shipped = _dataset(), shipped_model()
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
        return _dataset()


@dataclass
class ModelEntry:
    """A model this session can draw with: the shipped one, or one it trained."""

    key: str
    label: str
    net: model.LinearDigits
    history: list = field(default_factory=list)
    run_id: int | None = None  # the room's run this model came from, if any
    cache: dict = field(default_factory=dict)  # per-model results: figures, confusion matrix

    @property
    def framing(self) -> str:
        return self.net.metadata["framing"]

    def checkpoint_bytes(self) -> bytes:
        meta = {k: v for k, v in self.net.metadata.items() if k not in _HEADER_KEYS}
        if self.history and "history" not in meta:
            meta["history"] = self.history  # the shipped model's curves live beside it, not in its file
        return model.to_bytes(self.net, meta)


_HEADER_KEYS = {"format", "format_version", "kind", "framing_version"}


def init() -> None:
    """Session defaults, set once per browser session."""
    ss = st.session_state
    warm_up()
    if "models" not in ss:
        shipped = shipped_model()
        acc = shipped.metadata["metrics"]["test_accuracy"]
        ss.models = {SHIPPED: ModelEntry(SHIPPED, f"Shipped model ({acc:.1%})", shipped, shipped_history())}
        ss.model_key = SHIPPED
        ss.job = None
        ss.harvested = None
        ss.run_number = 0


def models() -> dict[str, ModelEntry]:
    return st.session_state.models


def current() -> ModelEntry:
    ss = st.session_state
    return ss.models.get(ss.model_key) or ss.models[SHIPPED]


def session_alive():
    """A thread-safe check that this browser session is still connected, for its training job."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not Runtime.exists():
        return None  # bare mode (AppTest, scripts): no connection to watch
    runtime, session_id = Runtime.instance(), ctx.session_id
    return lambda: runtime.is_active_session(session_id)


def start_job(job: TrainingJob) -> None:
    job.alive = session_alive()
    job.on_done = _figures_of
    st.session_state.job = job.start()


def _figures_of(net: model.LinearDigits) -> None:
    """A trained model's Inside-the-model figures, drawn in its job's thread as soon as it is done,
    so that the first look at them (often the next click) does not wait."""
    if is_provisioned():
        figures.figures(net, net.metadata["framing"], _dataset())
    release_memory()  # what training and drawing freed goes back to the system, not kept per thread


def harvest() -> TrainingJob | None:
    """Once the session's job is done, add its model (if any) and select it. Returns the job."""
    ss = st.session_state
    job: TrainingJob | None = ss.job
    if job is None or not job.done or ss.harvested is job:
        return job
    ss.harvested = job
    if job.net is not None:
        ss.run_number += 1
        cfg, acc = job.cfg, job.history[-1].test_accuracy
        stopped = ", stopped" if job.state == Status.STOPPED else ""
        rid = job.recorder.run_id if job.recorder is not None else None
        name = (
            store.run_label(rid, job.name, cfg.to_dict())
            if rid
            else f"Run {ss.run_number}: {cfg.model}, {cfg.optimizer} lr {cfg.lr:g}"
        )
        label = text.clean(f"{name} ({acc:.1%}{stopped})", LABEL_LEN)
        key = f"run-{uuid.uuid4().hex[:8]}"
        ss.models[key] = ModelEntry(key, label, job.net, list(job.history), run_id=rid)
        ss.model_key = key
    return job


def new_model(label: str, net: model.LinearDigits, history: list | None = None, run_id: int | None = None) -> str:
    """Add a model to this session's models; returns its key (the caller selects it)."""
    key = f"model-{uuid.uuid4().hex[:8]}"
    st.session_state.models[key] = ModelEntry(
        key, text.clean(label, LABEL_LEN), net, list(history or []), run_id=run_id
    )
    return key


def add_model(label: str, net: model.LinearDigits, history: list | None = None, message: str = "") -> None:
    """Add a model (uploaded) to this session, select it, and rerun.

    The model selector may already be on the page in this run, so the selection is applied by
    ``apply_pending_selection`` at the start of the next one; ``message`` is shown once there.
    """
    st.session_state.select_next = new_model(label, net, history)
    st.session_state.flash = message
    st.rerun()


def apply_pending_selection() -> None:
    """Call before the model selector is created."""
    if "select_next" in st.session_state:
        st.session_state.model_key = st.session_state.pop("select_next")


def flash() -> None:
    """Show, once, the message left by the action before the last rerun."""
    if st.session_state.get("flash"):
        st.success(st.session_state.flash)
        st.session_state.flash = ""


def cached_png(entry: ModelEntry, name: str, build) -> bytes:
    """A model's figure, built once per model per session."""
    if name not in entry.cache:
        entry.cache[name] = plots.figure_png(build())
    return entry.cache[name]


def plain(value, limit: int = text.MAX_LEN) -> str:
    """User-supplied text (a run name, a file name) shown literally in Markdown: see common/text.py."""
    return text.md(value, limit)


TIMINGS_ENV = "DIGIT_STUDIO_TIMINGS"


def record_run_time(seconds: float) -> None:
    """For benchmarks: append this script run's server-side time to $DIGIT_STUDIO_TIMINGS, if set."""
    path = os.environ.get(TIMINGS_ENV)
    if path:
        with open(path, "a") as f:
            f.write(f"{seconds:.6f}\n")
