"""Runs tab: every run on this server, a leaderboard, curves side by side, load, delete,
and export / import of models."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pandas as pd
import streamlit as st

import model
from train.history import Run, RunHistory
from train.loop import EpochMetrics
from ui import plots, state, text

MAX_COMPARE = 6
MAX_UPLOAD_MB = 1
COLUMNS = {"test accuracy %": st.column_config.NumberColumn(format="%.2f")}


def _table(runs: list[Run]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run": r.id,
                "name": text.clean(r.name, 40),
                "model": r.model,
                "optimizer": r.config["optimizer"],
                "lr": r.config["lr"],
                "batch": r.config["batch_size"],
                "epochs set": r.config["epochs"],
                "framing": r.config["framing"],
                "test accuracy %": float("nan") if r.test_accuracy is None else round(100 * r.test_accuracy, 2),
                "seconds": float("nan") if r.duration is None else round(r.duration, 1),
                "status": r.status,
                "from": r.source,
                "started": datetime.fromtimestamp(r.started).strftime("%H:%M:%S"),
            }
            for r in runs
        ]
    )


def _leaderboard(runs: list[Run]) -> None:
    scored = sorted((r for r in runs if r.test_accuracy is not None), key=lambda r: -r.test_accuracy)
    if not scored:
        return
    st.subheader("Leaderboard")
    best = scored[0]
    c = best.config
    st.metric(
        "Best test accuracy",
        f"{best.test_accuracy:.2%}",
        help="The highest test accuracy of any finished or stopped run on this server.",
    )
    who = state.plain(best.name) if best.name else f"Run #{best.id}"
    st.markdown(
        f"**{who}**: {c['model']}, {c['optimizer']}, lr {c['lr']:g}, "
        f"batch {c['batch_size']}, {c['epochs']} epochs, {c['framing']}"
        f"{', augmented' if c['augment'] else ''}, weight decay {c['weight_decay']:g}."
    )
    st.dataframe(_table(scored[:5]), hide_index=True, width="stretch", column_config=COLUMNS)


def _compare(history: RunHistory, runs: list[Run]) -> None:
    st.subheader("Compare runs")
    scored = [r for r in runs if r.status != "running"]
    labels = {r.id: text.clean(r.label, state.LABEL_LEN) for r in scored}
    chosen = st.multiselect(
        f"Pick 2 to {MAX_COMPARE} runs",
        list(labels),
        format_func=labels.get,
        max_selections=MAX_COMPARE,
        key="compare_runs",
    )
    if len(chosen) < 2:
        st.caption("Their loss and accuracy curves will be drawn on one figure.")
        return
    curves = [(labels[i], history.epochs(i)) for i in chosen]
    st.image(state.figure_png(plots.plot_compare([(lab, e) for lab, e in curves if e])))


def _load_or_delete(history: RunHistory, runs: list[Run]) -> None:
    st.subheader("Load or delete a run")
    with_model = {r.id: r for r in runs if r.checkpoint}
    if not with_model:
        st.caption("No saved models yet.")
        return
    rid = st.selectbox(
        "Run", list(with_model), format_func=lambda i: text.clean(with_model[i].label, state.LABEL_LEN), key="run_pick"
    )
    run = with_model[rid]
    c1, c2 = st.columns(2)
    if c1.button("Load this model to draw with", key="run_load"):
        try:
            net = model.load(history.checkpoint_path(run.id))  # the path comes from the id, never from input
        except model.CheckpointError as exc:
            st.error(f"Run #{run.id}'s model cannot be loaded: {text.message(exc)}")
        else:
            acc = f" ({run.test_accuracy:.1%})" if run.test_accuracy is not None else ""
            state.add_model(
                f"{run.label}{acc}",
                net,
                [EpochMetrics.from_dict(e) for e in history.epochs(run.id)],
                f"Loaded run #{run.id}: it is now the model on the Draw tab.",
            )
    sure = c2.checkbox(f"Yes, delete run #{run.id} and its model", key="run_delete_sure")
    c2.button("Delete", disabled=not sure, key="run_delete", on_click=_delete, args=(history, run.id))


def _delete(history: RunHistory, run_id: int) -> None:
    """A callback: it runs before the widgets, so it may reset the confirmation box."""
    history.delete(run_id)
    st.session_state.run_delete_sure = False
    st.session_state.flash = f"Run #{run_id} and its model were deleted."


def history_csv(entry: state.ModelEntry) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "partial"])
    for m in entry.history:
        w.writerow([m.epoch, m.train_loss, m.test_loss, m.test_accuracy, m.seconds, m.partial])
    return buf.getvalue().encode()


def _export_import() -> None:
    st.subheader("Export and import models")
    entry = state.current()
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in entry.label.lower()).split())[:60]
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download the current model (.safetensors)",
        entry.checkpoint_bytes(),
        file_name=f"digit-studio-{slug}.safetensors",
        mime="application/octet-stream",
        help=f"{state.plain(entry.label, state.LABEL_LEN)}: weights plus its settings and metrics. Never a pickle.",
    )
    c2.download_button(
        "Download its training history (.csv)",
        history_csv(entry),
        file_name=f"{slug}-history.csv",
        mime="text/csv",
        disabled=not entry.history,
    )
    upload = st.file_uploader(
        "Upload a model file to draw with it",
        type=["safetensors"],
        key="model_upload",
        max_upload_size=MAX_UPLOAD_MB,
        help="A .safetensors file exported from Digit Studio.",
    )
    if upload is None or st.session_state.get("model_upload_done") == upload.file_id:
        return
    try:
        net = model.from_bytes(upload.getvalue())
    except model.CheckpointError as exc:
        st.error(f"{state.plain(upload.name)} was refused: {text.message(exc)}")
        return
    acc = net.metadata.get("metrics", {}).get("test_accuracy")
    st.session_state.model_upload_done = upload.file_id
    state.add_model(
        f"Uploaded {text.clean(upload.name, 40)}" + (f" ({acc:.1%})" if isinstance(acc, float) else ""),
        net,
        [EpochMetrics.from_dict(e) for e in net.metadata.get("history", [])],  # validated by the reader
        message=f"{state.plain(upload.name)} loaded: it is now the model on the Draw tab.",
    )


def render() -> None:
    state.flash()
    _export_import()
    history, error = state.run_history()
    if history is None:
        st.warning(text.message(error, 400))
        return
    history.mark_interrupted()
    runs = history.runs()
    st.subheader(f"All runs on this server ({len(runs)})")
    if not runs:
        st.info("No runs yet: train a model in the sidebar, or run `python -m train` on the server.")
        return
    query = st.text_input("Filter by name or model kind", key="runs_filter", placeholder="e.g. alice or sigmoid")
    shown = [r for r in runs if query.lower() in f"{r.name} {r.model}".lower()] if query else runs
    st.dataframe(_table(shown), hide_index=True, width="stretch", column_config=COLUMNS)
    st.caption("Click a column header to sort. Runs of a server that stopped mid-training show as interrupted.")
    _leaderboard(runs)
    _compare(history, runs)
    _load_or_delete(history, runs)
