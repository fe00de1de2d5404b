"""Sidebar training panel: settings -> TrainConfig, Train / Stop, live progress, the result."""

from __future__ import annotations

import streamlit as st

import store
from model import FRAMINGS, KINDS
from model.checkpoint import downsample
from train import OPTIMIZERS, PRESETS, TrainConfig
from train.config import config_from_strings, config_to_strings
from train.job import QUEUED, TrainingJob
from ui import limits, state, text
from ui.plots import GREEN, GREY, line_spec

LRS = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
BATCHES = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
DECAYS = [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1]
SUBSETS = [100, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000]
PRESET_LABELS = {"recommended": "Recommended", "tutorial": "Tutorial"}
FIELDS = (
    "model",
    "optimizer",
    "lr",
    "batch_size",
    "epochs",
    "weight_decay",
    "seed",
    "framing",
    "train_subset",
    "augment",
    "time_limit",  # no widget: set by a preset or a shared link, capped in TrainConfig
)
MAX_LIVE_POINTS = 400


def _key(name: str) -> str:
    return f"cfg_{name}"


def apply_config(cfg: TrainConfig) -> None:
    """Put a config's values into the sidebar widgets (presets, shared links)."""
    for name in FIELDS:
        st.session_state[_key(name)] = getattr(cfg, name)


def _apply_preset() -> None:
    apply_config(PRESETS[st.session_state.preset])
    st.session_state.link_notes = []


def _scale(options: list, value) -> list:
    """A slider's options, with a value from elsewhere (a shared link) added rather than snapped."""
    return options if value in options else sorted([*options, value])


def _from_link() -> None:
    """Once per session: settings from the URL (a shared link), with a note on anything ignored."""
    params = {k: st.query_params[k] for k in st.query_params}
    known = {*FIELDS, "preset"}
    if not known & set(params):
        return
    cfg, notes = config_from_strings({k: v for k, v in params.items() if k in known})
    apply_config(cfg)
    st.session_state.preset = params.get("preset") if params.get("preset") in PRESETS else "recommended"
    st.session_state.link_notes = notes


def _to_link(cfg: TrainConfig) -> None:
    """Keep the URL in step with the settings, so copying it shares them."""
    wanted = {"preset": st.session_state.preset, **config_to_strings(cfg)}
    if any(st.query_params.get(k) != v for k, v in wanted.items()):
        st.query_params.update(wanted)


def settings() -> TrainConfig | None:
    """The settings widgets; returns the TrainConfig they describe (None with a message if invalid)."""
    ss = st.session_state
    if _key("model") not in ss:
        ss.preset = "recommended"
        apply_config(PRESETS["recommended"])
        _from_link()
    for note in ss.get("link_notes", []):
        st.warning(f"Shared link: {state.plain(note, 300)}", icon=":material/link:")
    st.selectbox(
        "Preset",
        list(PRESET_LABELS),
        format_func=PRESET_LABELS.get,
        key="preset",
        on_change=_apply_preset,
        help="Tutorial: sigmoid before CrossEntropyLoss, SGD lr 0.001, batch 32, 50 epochs, raw MNIST. "
        "Recommended: softmax, Adam, framed and deskewed digits.",
    )
    st.selectbox(
        "Model",
        KINDS,
        key=_key("model"),
        help="softmax: logits into cross-entropy. tutorial-sigmoid: the tutorials' flawed model. "
        "one-vs-rest: ten independent sigmoid classifiers.",
    )
    st.selectbox("Optimizer", OPTIMIZERS, key=_key("optimizer"))
    st.select_slider(
        "Learning rate (log scale)", _scale(LRS, ss[_key("lr")]), key=_key("lr"), format_func=lambda v: f"{v:g}"
    )
    c1, c2 = st.columns(2)
    c1.select_slider("Batch size", _scale(BATCHES, ss[_key("batch_size")]), key=_key("batch_size"))
    c2.number_input("Epochs", 1, 200, step=1, key=_key("epochs"))
    c1.select_slider(
        "Weight decay",
        _scale(DECAYS, ss[_key("weight_decay")]),
        key=_key("weight_decay"),
        format_func=lambda v: f"{v:g}",
    )
    c2.number_input("Seed", 0, 2**31 - 1, step=1, key=_key("seed"))
    st.select_slider(
        "Training digits",
        _scale(SUBSETS, ss[_key("train_subset")]),
        key=_key("train_subset"),
        format_func=lambda v: f"{v:,}",
    )
    st.selectbox(
        "Framing",
        FRAMINGS,
        key=_key("framing"),
        help="How digits are framed for training and for drawing: none (raw), frame (crop, 20 px, "
        "centre of mass), frame+deskew (and straighten the slant).",
    )
    st.toggle("Augmentation", key=_key("augment"), help="Random small rotations, scalings and shifts of each batch.")
    st.text_input(
        "Run name (optional)",
        key="run_name",
        max_chars=40,
        placeholder="e.g. your name",
        help="Shown in the Runs tab and its leaderboard.",
    )
    try:
        cfg = TrainConfig(**{name: ss[_key(name)] for name in FIELDS})
    except ValueError as exc:
        st.error(f"These settings cannot be used: {text.message(exc)}")
        return None
    if cfg != PRESETS[ss.preset]:
        st.caption(f"Changed from the {PRESET_LABELS[ss.preset]} preset.")
    _to_link(cfg)
    return cfg


def _start(cfg: TrainConfig) -> None:
    ss = st.session_state
    if ss.job is not None and not ss.job.done:
        return  # one run per session at a time: a second click cannot queue another
    wait = limits.allow(ss, "train")
    if wait:
        st.warning(f"Wait {wait:.0f} s before starting another run.")
        return
    data = state.dataset(where=st.sidebar)
    if data is None:
        return
    runs, _ = state.run_history()
    name = text.clean(ss.get("run_name", ""), 40)
    limits.count_run(ss)
    owner = ss.get("owner", store.PRESENTER)
    state.start_job(TrainingJob(cfg, lambda: data, state.training_slots(), name=name, runs=runs, owner=owner))


def _stop(job: TrainingJob) -> None:
    if not limits.allow(st.session_state, "stop"):
        job.stop()


def _batch_curve(job: TrainingJob) -> tuple[list[float], list[float]]:
    """At most MAX_LIVE_POINTS (epoch, batch loss) points. Finished epochs keep their losses
    averaged down (train/job.py), so each point's place comes from its epoch, not its index."""
    xs, ys = [], []
    for i, m in enumerate(job.history):
        n = max(len(m.batch_losses), 1)
        xs += [i + (j + 1) / n for j in range(len(m.batch_losses))]
        ys += m.batch_losses
    current = list(job.epoch_losses)
    xs += [len(job.history) + (j + 1) / max(job.steps, 1) for j in range(len(current))]
    ys += current
    return downsample(xs, MAX_LIVE_POINTS), downsample(ys, MAX_LIVE_POINTS)


@st.fragment(run_every=0.5)
def _live(job: TrainingJob) -> None:
    """Redrawn twice a second while the session's job runs; hands over to a full rerun when done."""
    if job.done:
        st.rerun()
    if job.state == QUEUED:
        st.progress(0.0, text=f"Waiting for a free training slot: number {job.queue_position} in line")
    else:
        st.progress(job.progress, text=text.message(job.message))
    st.button(
        "Stop",
        on_click=_stop,
        args=(job,),
        width="stretch",
        help="End training after the current step and keep the model as it is.",
    )
    xs, ys = _batch_curve(job)
    if ys:
        st.vega_lite_chart(line_spec(xs, ys, "epoch", "batch loss", color=GREY), width="stretch")
    if job.history:
        st.vega_lite_chart(
            line_spec(
                [m.epoch for m in job.history],
                [100 * m.test_accuracy for m in job.history],
                "epoch",
                "test accuracy %",
                color=GREEN,
                points=True,
            ),
            width="stretch",
        )


def _result(job: TrainingJob | None) -> None:
    if job is None:
        st.caption("Models you train stay in your browser session; every run is also listed in the Runs tab.")
        return
    if job.net is None:
        st.error(text.message(job.message, 400))
        st.caption("Your previous model is still the one in use.")
        return
    last = job.history[-1]
    seconds = sum(m.seconds for m in job.history)
    st.metric(
        "Test accuracy",
        f"{last.test_accuracy:.1%}",
        help="On the 10,000 MNIST test digits, framed the way this model was trained.",
    )
    done = "Stopped" if job.state == "stopped" else "Finished"
    st.caption(
        f"{done} after {last.epoch - (1 if last.partial else 0)}"
        f"{' and a part' if last.partial else ''} epoch(s), {seconds:.1f} s of training. "
        "It is now the model on the Draw tab."
    )
    if job.stop_reason:
        st.caption(state.plain(f"It stopped because {job.stop_reason}.", 200))
    if job.recorder is not None and job.recorder.error:
        st.warning(text.message(job.recorder.error, 400))


def render() -> None:
    with st.sidebar:
        st.header("Train a model")
        cfg = settings()
        job = state.harvest()
        ss = st.session_state
        for label in limits.trim(ss.models, {state.SHIPPED, ss.model_key, ss.get("select_next")}):
            st.toast(state.plain(f"{label} was let go: a session keeps {limits.MAX_MODELS} models.", 250))
        if job is not None and not job.done:
            _live(job)
            return
        left = limits.runs_left(ss)
        if st.button("Train", type="primary", width="stretch", disabled=cfg is None or left <= 0):
            _start(cfg)
            if ss.job is not job:
                st.rerun()  # show the live panel in place of the button
        if left <= 0:
            st.caption(f"This session has started {limits.MAX_RUNS} runs, the most one session may.")
        _result(job)
