"""Sidebar training panel: settings -> TrainConfig, Train / Stop, live progress, the result."""

from __future__ import annotations

import math
from dataclasses import Field, fields
from functools import partial

import streamlit as st

import store
from common import text
from common.status import Status
from model.checkpoint import downsample
from store import Recorder
from train import PRESETS, TrainConfig
from train.config import Setting, config_from_strings, config_to_strings, described, kind_of, quoted
from train.job import TrainingJob
from train.room import with_room
from ui import access, limits, session, shared
from ui.tabs import training
from ui.widgets.plots import GREEN, GREY, line_spec

PRESET_LABELS = {"recommended": "Recommended", "tutorial": "Tutorial"}
MAX_LIVE_POINTS = 400


def _key(name: str) -> str:
    return f"cfg_{name}"


def _names() -> list[str]:
    """Every setting's name: those without a widget too (a preset or a link sets them)."""
    return [f.name for f in fields(TrainConfig)]


def apply_config(cfg: TrainConfig) -> None:
    """Put a config's values into the sidebar widgets (presets, shared links)."""
    for name in _names():
        st.session_state[_key(name)] = getattr(cfg, name)


def _apply_preset() -> None:
    apply_config(PRESETS[st.session_state.preset])
    st.session_state.link_notes = []


def _scale(options: tuple, value) -> list:
    """A slider's options, with a value from elsewhere (a shared link) added rather than snapped."""
    return list(options) if value in options else sorted([*options, value])


def _in_order() -> list[tuple[Field, Setting]]:
    """The settings that have a widget, in the fields' order except where one follows another."""
    shown = [(f, spec) for f, spec in described(TrainConfig) if spec.shown]
    names = {f.name for f, _spec in shown}
    order: list[tuple[Field, Setting]] = []

    def place(item: tuple[Field, Setting]) -> None:
        order.append(item)
        for other in shown:
            if other[1].after == item[0].name:
                place(other)

    for item in shown:
        if item[1].after not in names:
            place(item)
    return order


def _widget(where, f: Field, spec: Setting) -> None:
    """One setting's widget, picked by its Setting: a select slider, a select box, a toggle or a number."""
    key = _key(f.name)
    help_text = f"{spec.help} {spec.slider_help}" if spec.slider_help else spec.help
    if spec.notches:
        options = _scale(spec.notches, st.session_state[key])
        fmt = spec.fmt
        where.select_slider(spec.label, options, key=key, format_func=lambda v: format(v, fmt), help=help_text)
    elif spec.choices:
        where.selectbox(spec.label, spec.choices, key=key, help=help_text)
    elif kind_of(f) == "bool":
        where.toggle(spec.label, key=key, help=help_text)
    else:
        number = float if kind_of(f) == "float" else int  # Streamlit refuses a float bound on an int
        lo, hi = (None if v is None else number(v) for v in (spec.lo, spec.hi))
        where.number_input(spec.label, lo, hi, step=spec.step, key=key, help=help_text)


def _setting_widgets() -> None:
    """Every shown setting's widget; half-width ones side by side fill two columns in turn."""
    columns, placed = None, 0
    for f, spec in _in_order():
        if not spec.half:
            columns, placed = None, 0
            _widget(st, f, spec)
            continue
        columns = columns or st.columns(2)
        _widget(columns[placed % 2], f, spec)
        placed += 1


# Link parameters read elsewhere: the presenter display (ui/layout.py) and Streamlit's own.
LINK_ELSEWHERE = {"view", "embed", "embed_options"}
LINK_TOAST = "Part of this link was not used: the training panel (») says what and why."


def _from_link() -> None:
    """Once per session: settings from the URL (a shared link), with a note on anything ignored.

    Parameters that are no setting are named in a note and taken off the address bar, so that a
    link copied from it carries only what the app reads."""
    params = {k: st.query_params[k] for k in st.query_params}
    known = {*_names(), "preset"}
    unknown = [k for k in params if k not in known and k not in LINK_ELSEWHERE]
    notes = []
    if unknown:
        for k in unknown:
            del st.query_params[k]
        names = ", ".join(quoted(k) for k in unknown[:5])
        names += f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        notes.append(f"{names} {'is not a setting' if len(unknown) == 1 else 'are not settings'} of this app: ignored")
    if known & set(params):
        cfg, more = config_from_strings({k: v for k, v in params.items() if k in known})
        apply_config(cfg)
        st.session_state.preset = params.get("preset") if params.get("preset") in PRESETS else "recommended"
        notes += more
    st.session_state.link_notes = notes
    if notes:  # on a phone or a tablet the sidebar starts closed: say so where the person looks
        st.toast(LINK_TOAST, icon=":material/link:")


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
        st.warning(f"Shared link: {session.plain(note, 300)}", icon=":material/link:")
    st.selectbox(
        "Preset",
        list(PRESET_LABELS),
        format_func=PRESET_LABELS.get,
        key="preset",
        on_change=_apply_preset,
        help="A starting point for every setting below. Tutorial copies the popular PyTorch tutorials, "
        "mistakes included (about 86 % after 50 epochs, 11 minutes). Recommended trains a better model "
        "in a few seconds.",
    )
    _setting_widgets()
    st.text_input(  # no max_chars: Streamlit silently ignores a longer paste; the name is cut instead
        "Run name (optional)",
        key="run_name",
        placeholder="e.g. your name",
        help="Shown in the Runs tab and its leaderboard, so you can find your run.",
    )
    if len(str(ss.get("run_name", "")).strip()) > store.NAME_MAX:
        st.caption(f"Only the first {store.NAME_MAX} characters of the run name are kept.")
    try:
        cfg = TrainConfig(**{name: ss[_key(name)] for name in _names()})
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
    data = shared.dataset(where=st.sidebar)
    if data is None:
        return
    runs, _ = shared.run_history()
    owner = ss.get("owner", store.PRESENTER)
    why = None if runs is None or access.is_presenter() else _person_limit(runs, owner)
    if why:
        st.warning(why)
        return
    name = text.clean(ss.get("run_name", ""), store.NAME_MAX)
    load = lambda: data
    if cfg.room_weight:  # the room's training half joins MNIST (train/room.py), read in the job's thread
        if runs is None:
            st.warning("The room's drawings are kept in the run history, which is not available now.")
            return

        load = lambda: with_room(data, runs, cfg)
    slots = shared.training_slots()
    sink = partial(Recorder, runs, cfg.to_dict(), "app", name, owner)
    job = TrainingJob(cfg, load, slots, name=name, sink=sink, owner=owner)
    if _training_elsewhere(runs, owner) or not slots.claim(owner, job):
        st.warning(
            "You already have a run waiting or training, perhaps in another tab: stop it there or let it "
            "finish, then start this one. (One run at a time per person keeps the room's slots fair.)"
        )
        return
    limits.count_run(ss)
    session.start_job(job)


def _training_elsewhere(runs: store.Store | None, owner: str) -> bool:
    """The person's run trains on another replica (a tab that nginx routed there): the slots of
    this process cannot see it, the store can."""
    if runs is None:
        return False
    try:
        return runs.training_elsewhere(owner)
    except store.StoreError:
        return False  # the run itself will say what is wrong with the store


def _person_limit(runs: store.Store, owner: str) -> str | None:
    try:
        return limits.person_waits("train", lambda since: runs.runs_started(owner, since))
    except store.StoreError:
        return None  # the run itself will say what is wrong with the store


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


# A short run (the recommended preset) has its first epoch within a fraction of a second: the panel
# waits that long for it once, rather than showing an empty bar and a whole poll later the result.
FIRST_EPOCH_WAIT = 0.4


@st.fragment(run_every=0.5)
def _live(job: TrainingJob) -> None:
    """Redrawn twice a second while the session's job runs; hands over to a full rerun when done."""
    if job.done:
        st.rerun()
    if job.state == Status.QUEUED:
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
    if ys:
        st.caption(
            "Batch loss: how wrong the model is on each batch of digits (lower is better). "
            "Test accuracy: the share of the 10,000 test digits it reads right after each epoch."
        )


def _result(job: TrainingJob | None) -> None:
    if job is None:
        st.caption("Models you train stay in your browser session; every run is also listed in the Runs tab.")
        return
    if job.net is None:
        st.error(text.message(job.message, 400))
        st.caption("Your previous model is still the one in use.")
        xs, ys = _batch_curve(job)
        finite = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
        if finite:  # the loss up to the failure: what went wrong, and when
            st.vega_lite_chart(
                line_spec(*zip(*finite, strict=True), "epoch", "batch loss", color=GREY), width="stretch"
            )
            st.caption("The loss of each batch until the run failed: a loss that shoots up means too big a step.")
        return
    last = job.history[-1]
    seconds = sum(m.seconds for m in job.history)
    st.metric(
        "Test accuracy",
        f"{last.test_accuracy:.1%}",
        help="On the 10,000 MNIST test digits, framed the way this model was trained.",
    )
    length = training.run_length(job.history)
    took = f"{seconds:.1f} s" if seconds >= 0.05 else "under 0.1 s"  # a 1,000-digit epoch read "0.0 s"
    st.caption(f"{length[0].upper()}{length[1:]}, {took} of training. It is now the model on the Draw tab.")
    if job.stop_reason:
        st.caption(session.plain(f"It stopped because {job.stop_reason}.", 200))
    if job.recorder is not None and job.recorder.error:
        st.warning(text.message(job.recorder.error, 400))


def render() -> None:
    with st.sidebar:
        st.header("Train a model")
        cfg = settings()
        job = session.harvest()
        ss = st.session_state
        for label in limits.trim(ss.models, {session.SHIPPED, ss.model_key, ss.get("select_next")}):
            st.toast(session.plain(f"{label} was let go: a session keeps {limits.MAX_MODELS} models.", 250))
        if job is not None and not job.done:
            _live(job)
            return
        left = limits.runs_left(ss)
        slot = st.empty()
        if slot.button("Train", type="primary", width="stretch", disabled=cfg is None or left <= 0):
            _start(cfg)
            if ss.job is not job:  # started: the live panel takes the button's place in this same run
                slot.empty()
                ss.job.wait_first_epoch(FIRST_EPOCH_WAIT)
                _live(ss.job)
                return
        if left <= 0:
            st.caption(f"This session has started {limits.MAX_RUNS} runs, the most one session may.")
        _result(job)
