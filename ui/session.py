"""What belongs to one browser session (``st.session_state``): its models, the one it draws with,
its training job, and the messages left for its next run.

A participant's trained models live only in their session: one person's training never changes
anyone else's model.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import streamlit as st

import model
import store
from common import text
from common.status import Status
from train.job import TrainingJob
from ui import shared
from ui.widgets import figures, plots

SHIPPED = "shipped"


LABEL_LEN = 160  # a model's label: a run name (40) plus its settings and accuracy


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
    shared.warm_up()
    if "models" not in ss:
        shipped = shared.shipped_model()
        acc = shipped.metadata["metrics"]["test_accuracy"]
        ss.models = {SHIPPED: ModelEntry(SHIPPED, f"Shipped model ({acc:.1%})", shipped, shared.shipped_history())}
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
    if shared.is_provisioned():
        figures.figures(net, net.metadata["framing"], shared.loaded_mnist())
    shared.release_memory()  # what training and drawing freed goes back to the system, not kept per thread


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
