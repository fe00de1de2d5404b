"""Runs tab: every run on this server, a leaderboard, curves side by side, load, delete,
and export / import of models."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import TYPE_CHECKING

import streamlit as st

import model
import store
from common import _, text
from common.status import Status
from store import Run, Store
from train.loop import EpochMetrics
from ui import access, room, session, shared
from ui.tabs import takehome
from ui.widgets import plots

if TYPE_CHECKING:
    import pandas as pd

MAX_COMPARE = 6
MAX_UPLOAD_MB = 1
COLUMNS = {
    "test accuracy %": st.column_config.NumberColumn(format="%.2f"),
    "room accuracy %": st.column_config.NumberColumn(format="%.1f", help="On the room's own drawings (test half)"),
}


def _table(runs: list[Run], names: dict[str, str], me: str) -> pd.DataFrame:
    import pandas as pd  # here, not at import: pandas and pyarrow cost a server ~30 MB

    scores = room.scores_for(runs)
    # Who and how well first: on a laptop beside the sidebar the table shows about ten columns,
    # and the scores after the settings were cut off at the right edge.
    return pd.DataFrame(
        [
            {
                "run": r.id,
                "name": text.clean(r.name, 40),
                "by": "you" if r.owner == me else text.clean(names.get(r.owner, "?"), 40),
                "test accuracy %": float("nan") if r.test_accuracy is None else round(100 * r.test_accuracy, 2),
                "room accuracy %": room.percent(scores.get(r.id)),
                "model": r.model,
                "optimizer": r.config["optimizer"],
                "lr": r.config["lr"],
                "batch": r.config["batch_size"],
                "epochs set": r.config["epochs"],
                "framing": r.config["framing"],
                "seconds": float("nan") if r.duration is None else round(r.duration, 1),
                "status": r.status,
                "from": r.source,
                "started": datetime.fromtimestamp(r.started).strftime("%H:%M:%S"),
            }
            for r in runs
        ]
    )


def _leaderboard(runs: list[Run], names: dict[str, str], me: str) -> None:
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
    who = session.plain(best.name) if best.name else f"Run #{best.id}"
    st.markdown(
        f"**{who}**: {c['model']}, {c['optimizer']}, lr {c['lr']:g}, "
        f"batch {c['batch_size']}, {c['epochs']} epochs, {c['framing']}"
        f"{', augmented' if c['augment'] else ''}, weight decay {c['weight_decay']:g}."
    )
    st.dataframe(_table(scored[:5], names, me), hide_index=True, width="stretch", column_config=COLUMNS)


def _forget_missing(key: str, present: set[int], what: str) -> None:
    """Before a picker is drawn: drop the runs it holds that are gone, and say so (a picker that
    silently moved to another run could load or delete the wrong one)."""
    ss = st.session_state
    held = ss.get(key)
    if held is None:
        return
    held_ids = held if isinstance(held, list) else [held]
    gone = [i for i in held_ids if i not in present]
    if not gone:
        return
    ss[key] = [i for i in held_ids if i in present] if isinstance(held, list) else None
    ids = ", ".join(f"#{i}" for i in gone)
    st.warning(f"Run {ids}, which you had selected {what}, was deleted by its owner or the presenter.")


# How a picker marks a run that did not finish: a failed one must not pass for a finished one.
_MARKS = {
    Status.RUNNING: _("training"),
    Status.STOPPED: _("stopped"),
    Status.FAILED: _("failed"),
    Status.INTERRUPTED: _("interrupted"),
}


def picked(run: Run) -> str:
    """A run as a picker lists it: its label, and how it ended unless it finished."""
    mark = _MARKS.get(run.status)
    label = text.clean(run.label, session.LABEL_LEN)
    return f"{label} ({mark})" if mark else label


def _compare(runs_store: Store, runs: list[Run]) -> None:
    st.subheader("Compare runs")
    scored = [r for r in runs if r.status != Status.RUNNING]
    labels = {r.id: picked(r) for r in scored}
    _forget_missing("compare_runs", set(labels), "to compare")
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
    curves = [(labels[i], runs_store.epochs(i)) for i in chosen]
    scores = room.scores_for([r for r in scored if r.id in chosen])
    st.caption("Room accuracy: " + ", ".join(f"#{i} {room.pct(scores.get(i))}" for i in chosen) + ".")
    drawn = [(lab, e) for lab, e in curves if e]
    if drawn:
        st.image(plots.figure_png(plots.plot_compare(drawn)))
        st.caption(
            "Left: the loss, how wrong each run is on average (lower is better). Right: the share of the "
            "10,000 test digits it reads right. A run that failed is drawn up to its last whole epoch."
        )
    for i, (lab, epochs) in zip(chosen, curves, strict=True):
        run = next(r for r in scored if r.id == i)
        if run.status in (Status.FAILED, Status.INTERRUPTED):
            upto = f"after epoch {epochs[-1]['epoch']}" if epochs else "in its first epoch, so there is no curve"
            why = f" {text.message(run.error, 300)}" if run.error else ""
            st.caption(f"{text.md(lab)} {run.status} {upto}.{why}")


def _manage(runs_store: Store, runs: list[Run], names: dict[str, str]) -> None:
    """Load any run's model; rename or delete the runs this person may change."""
    st.subheader("Load, rename or delete a run")
    me = access.actor()
    by_id = {r.id: r for r in runs}
    _forget_missing("run_pick", set(by_id), "here")
    rid = st.selectbox(
        "Run",
        list(by_id),
        index=None,
        format_func=lambda i: picked(by_id[i]),
        key="run_pick",
        placeholder="Choose a run",
    )
    if rid is None:
        return
    run = by_id[rid]
    mine = run.may_change(me)
    whose = "yours" if run.owner == me.owner else f"by {names.get(run.owner, '?')}"
    st.caption(
        f"Run #{run.id} is {session.plain(whose)}."
        + ("" if mine else " Only its owner or the presenter may rename or delete it.")
    )
    c1, c2 = st.columns(2)
    c1.button(
        "Load this model to draw with",
        key=f"run_load_{run.id}",
        disabled=not run.has_model,
        on_click=_load,
        args=(runs_store, run.id),
        help=None if run.has_model else "This run saved no model (it failed or was interrupted).",
    )
    with c1:
        takehome.downloads(runs_store, run)
    with c2:
        st.text_input(
            "New name", value=run.name, key=f"run_rename_{run.id}", max_chars=store.NAME_MAX, disabled=not mine
        )
        st.button(
            "Rename",
            key=f"run_rename_go_{run.id}",
            disabled=not mine,
            on_click=_rename,
            args=(runs_store, run.id),
        )
        # The confirmation is bound to this run id: moving the picker gives a fresh, unticked box.
        sure = st.checkbox(f"Yes, delete run #{run.id}", key=f"run_delete_sure_{run.id}", disabled=not mine)
        st.button(
            "Delete",
            disabled=not (mine and sure),
            key=f"run_delete_{run.id}",
            on_click=_delete,
            args=(runs_store, run.id),
            help="Moves the run to the archive: its owner or the presenter can restore it.",
        )


def _guarded(action, done: str) -> None:
    """Run a store change for this session; every refusal becomes a message, never a traceback."""
    try:
        action()
    except store.StoreError as exc:  # PermissionDenied, NotFound, or the store being away
        st.session_state.flash_error = text.message(str(exc).capitalize() + ".")
    else:
        st.session_state.flash = done


def _load(runs_store: Store, run_id: int) -> None:
    """A callback: loads exactly the run it was drawn for, or says that it is gone."""
    run = runs_store.run(run_id)
    try:
        if run is None:
            raise store.NotFound(f"run #{run_id} was deleted by its owner or the presenter; nothing was loaded")
        net = model.from_bytes(runs_store.checkpoint(run_id))
    except model.CheckpointError as exc:
        st.session_state.flash_error = f"Run #{run_id}'s model cannot be loaded: {text.message(exc)}"
        return
    except store.StoreError as exc:
        st.session_state.flash_error = text.message(str(exc).capitalize() + ".")
        return
    acc = f" ({run.test_accuracy:.1%})" if run.test_accuracy is not None else ""
    key = session.new_model(
        f"{run.label}{acc}", net, [EpochMetrics.from_dict(e) for e in runs_store.epochs(run_id)], run_id=run_id
    )
    st.session_state.model_key = key
    st.session_state.flash = f"Loaded run #{run_id}: it is now the model on the Draw tab."


def _rename(runs_store: Store, run_id: int) -> None:
    name = st.session_state.get(f"run_rename_{run_id}", "")
    _guarded(lambda: runs_store.rename_run(run_id, name, access.actor()), f"Run #{run_id} was renamed.")


def _delete(runs_store: Store, run_id: int) -> None:
    """A callback: it runs before the widgets, so it may reset the confirmation box."""
    if not st.session_state.get(f"run_delete_sure_{run_id}"):
        return
    st.session_state[f"run_delete_sure_{run_id}"] = False
    _guarded(
        lambda: runs_store.delete_run(run_id, access.actor()),
        f"Run #{run_id} was moved to the archive: you can restore it below.",
    )


def _archive(runs_store: Store, names: dict[str, str]) -> None:
    me = access.actor()
    archived = [r for r in runs_store.runs(archived=True) if r.may_change(me)]
    if not archived:
        return
    title = "Archive: every deleted run" if me.presenter else "Your deleted runs"
    with st.expander(f"{title} ({len(archived)})"):
        for r in archived:
            c1, c2 = st.columns([4, 1])
            who = "you" if r.owner == me.owner else names.get(r.owner, "?")
            c1.text(text.clean(f"{r.label} (by {who})", session.LABEL_LEN))
            c2.button(
                "Restore",
                key=f"run_restore_{r.id}",
                on_click=lambda i=r.id: _guarded(
                    lambda: runs_store.restore_run(i, access.actor()), f"Run #{i} was restored."
                ),
            )


def _presenter_controls(runs_store: Store, runs: list[Run]) -> None:
    """Only the presenter sees these (and the store checks again)."""
    if not access.is_presenter():
        return
    st.subheader("Presenter controls")
    online = runs_store.online()
    st.caption(
        f"Online now ({len(online)}): "
        + (", ".join(session.plain(p["nickname"] or p["label"]) for p in online) or "nobody")
    )
    c1, c2 = st.columns(2)
    with c1:
        sure = st.checkbox(f"Yes, archive all {len(runs)} runs", key="room_clear_sure")
        st.button(
            "Clear the room",
            disabled=not sure,
            key="room_clear",
            on_click=_clear_room,
            args=(runs_store,),
            help="Moves every run and shared drawing to the archive; they can be restored until you empty it.",
        )
    with c2:
        sure = st.checkbox("Yes, delete the archive for good", key="archive_empty_sure")
        st.button(
            "Empty the archive",
            disabled=not sure,
            key="archive_empty",
            on_click=_empty_archive,
            args=(runs_store,),
            help="Deleted runs and drawings are gone for good after this.",
        )


def _clear_room(runs_store: Store) -> None:
    st.session_state.room_clear_sure = False
    _guarded(lambda: runs_store.clear_room(access.actor()), "The room was cleared: every run is in the archive.")


def _empty_archive(runs_store: Store) -> None:
    st.session_state.archive_empty_sure = False
    _guarded(lambda: runs_store.empty_archive(access.actor()), "The archive was emptied.")


def history_csv(entry: session.ModelEntry) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "partial"])
    for m in entry.history:
        w.writerow([m.epoch, m.train_loss, m.test_loss, m.test_accuracy, m.seconds, m.partial])
    return buf.getvalue().encode()


def _export_import() -> None:
    st.subheader("Export and import models")
    entry = session.current()
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in entry.label.lower()).split())[:60]
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download the current model (.safetensors)",
        entry.checkpoint_bytes(),
        file_name=f"digit-studio-{slug}.safetensors",
        mime="application/octet-stream",
        help=f"{session.plain(entry.label, session.LABEL_LEN)}: weights plus its settings and metrics. Never a pickle.",
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
        st.error(f"{session.plain(upload.name)} was refused: {text.message(exc)}")
        return
    acc = net.metadata.get("metrics", {}).get("test_accuracy")
    st.session_state.model_upload_done = upload.file_id
    session.add_model(
        f"Uploaded {text.clean(upload.name, 40)}" + (f" ({acc:.1%})" if isinstance(acc, float) else ""),
        net,
        [EpochMetrics.from_dict(e) for e in net.metadata.get("history", [])],  # validated by the reader
        message=f"{session.plain(upload.name)} loaded: it is now the model on the Draw tab.",
    )


def _flash_error() -> None:
    if st.session_state.get("flash_error"):
        st.error(st.session_state.pop("flash_error"))


def gone_notice() -> None:
    """The current model came from a run that someone has since deleted: say so (the model stays
    usable in this session; it is this session's copy). Never raises."""
    entry = session.current()
    runs_store = shared.store_or_none()
    if entry.run_id is None or runs_store is None:
        return
    try:
        gone = runs_store.run(entry.run_id) is None
    except store.StoreError:
        return
    if gone:
        st.info(
            f"Run #{entry.run_id}, the model you are drawing with, was deleted from the room by its owner "
            "or the presenter. Your copy stays in this session."
        )


def render() -> None:
    session.flash()
    _flash_error()
    runs_store, error = shared.run_history()
    gone_notice()
    _export_import()
    if runs_store is None:
        st.warning(text.message(error, 400))
        return
    if runs_store.notice and not st.session_state.get("store_notice_shown"):
        st.session_state.store_notice_shown = True
        st.warning(runs_store.notice)
    try:
        runs_store.mark_interrupted()
        runs = runs_store.runs()
        names = runs_store.names(r.owner for r in runs)
    except store.StoreError as exc:
        st.warning(text.message(f"{str(exc).capitalize()}. Drawing and training still work."))
        return
    me = st.session_state.get("owner", "")
    st.subheader(f"All runs on this server ({len(runs)})")
    if runs:
        query = st.text_input("Filter by name or model kind", key="runs_filter", placeholder="e.g. alice or sigmoid")
        shown = [r for r in runs if query.lower() in f"{r.name} {r.model}".lower()] if query else runs
        st.dataframe(_table(shown, names, me), hide_index=True, width="stretch", column_config=COLUMNS)
        st.caption("Click a column header to sort. Runs of a server that stopped mid-training show as interrupted.")
        try:
            _leaderboard(runs, names, me)
            _compare(runs_store, runs)
            _manage(runs_store, runs, names)
        except store.StoreError as exc:
            st.warning(text.message(f"{str(exc).capitalize()}. Drawing and training still work."))
    else:
        st.info("No runs yet: train a model in the sidebar, or run `python -m train` on the server.")
    try:
        _archive(runs_store, names)
        _presenter_controls(runs_store, runs)
    except store.StoreError as exc:
        st.warning(text.message(f"{str(exc).capitalize()}."))
