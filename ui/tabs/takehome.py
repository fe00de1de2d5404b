"""A run's take-home code in the Runs tab: download it as a standalone script or a notebook."""

from __future__ import annotations

import functools

import streamlit as st

from store import Store, StoreError
from train import export


@functools.lru_cache(maxsize=16)  # a recorded run never changes: clicking again costs nothing
def _built(runs_store: Store, run_id: int, which: str, status: str) -> bytes:
    return export.from_store(runs_store, run_id).download(which)


def _bundle(runs_store: Store, run_id: int, which: str, status: str = "") -> bytes:
    """Built only when the button is clicked (Streamlit calls it in its own thread); a refusal
    is not kept, so the same click works once the run can be exported."""
    try:
        return _built(runs_store, run_id, which, status)  # a run that finishes since is built again
    except (export.ExportError, StoreError) as exc:
        return f"# Run #{run_id} could not be exported: {exc}\n".encode()


def room_line(run) -> None:
    """For a run trained with the room's drawings: its room accuracy without and with them."""
    room = run.info.get("room") if isinstance(run.info, dict) else None
    if not isinstance(room, dict):
        return
    score = ["not measured" if room.get(k) is None else f"{room[k]:.1%}" for k in ("before", "after")]
    st.caption(
        f"Trained with {len(room.get('train_drawings') or [])} of the room's drawings, each "
        f"{room.get('weight', '?')} times. Room accuracy on {room.get('test_drawings', 0)} test drawings: "
        f"{score[0]} with the same settings on MNIST alone, {score[1]} with the room's drawings."
    )


def downloads(runs_store: Store, run) -> None:
    """Two buttons: the run as a script (torch and torchvision only) and as a Jupyter notebook."""
    room_line(run)
    problem = export.exportable(run.config)
    room = export.uses_room(run.config)
    beside = " With the room's training drawings in a file beside it (a zip)." if room else ""
    for which, label, what in (
        ("script", "Download as a Python script", "A standalone script: PyTorch and torchvision only."),
        ("notebook", "Download as a notebook", "A Jupyter notebook with the same steps and plots."),
    ):
        name, mime = export.download_name(run.id, which, room)
        st.download_button(
            label,
            data=lambda which=which: _bundle(runs_store, run.id, which, run.status),
            file_name=name,
            mime=mime,
            key=f"run_takehome_{which}_{run.id}",
            on_click="ignore",
            disabled=problem is not None,
            help=f"This run cannot be exported: {problem}"
            if problem
            else f"{what} It downloads MNIST, frames it "
            f"as the app does and trains with run #{run.id}'s settings.{beside}",
        )
