"""Training tab: the full curves of the last run, its settings, and the tutorial for scale."""

from __future__ import annotations

import streamlit as st

from common import _, text
from train.config import in_words
from ui import room, session, shared
from ui.widgets import plots

TUTORIAL_SECONDS = 11 * 60  # the tutorial's 50 epochs, timed on this 2-core CPU


def run_length(history) -> str:
    """How long a run went, in the same words everywhere: "5 epochs", or "stopped in epoch 4" for a
    run ended with Stop (3 whole epochs and part of the 4th)."""
    last = history[-1]
    if last.partial:
        return f"stopped in epoch {last.epoch}"
    return f"{last.epoch} epoch" + ("" if last.epoch == 1 else "s")


def render() -> None:
    import pandas as pd  # here, not at import: pandas and pyarrow cost a server ~30 MB

    job = st.session_state.job
    if job is not None and not job.done:
        st.info("Training is running: follow it in the sidebar. Its full curves appear here when it ends.")
    entry = session.current()
    if entry.key == session.SHIPPED:
        history, cfg = entry.history, shared.shipped_record()["config"]
        st.subheader("How the shipped model was trained")
        st.caption("Train your own in the sidebar: the curves of your latest run replace these.")
    else:
        history, cfg = entry.history, entry.net.metadata["config"]
        st.subheader(session.plain(entry.label, session.LABEL_LEN))
    if not history:
        st.info("No training curves for this model.")
        return
    st.image(session.cached_png(entry, "training", lambda: plots.plot_training(history)))
    st.caption(
        "Left: the loss, how wrong the model is on average (lower is better): grey for each batch, blue for "
        "the training digits and orange for the test digits after each epoch. Right: test accuracy, the "
        "share of the 10,000 test digits it reads right after each epoch. If the orange line rises while "
        "the blue one keeps falling, the model is memorising its training digits (overfitting)."
    )
    last = history[-1]
    seconds = sum(m.seconds for m in history)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        "Test accuracy",
        f"{last.test_accuracy:.1%}",
        help="The share of the 10,000 MNIST test digits, never used for training, that this model reads right.",
    )
    c2.metric("Training time", f"{seconds:.1f} s", help="Sum of epoch times: training steps and test evaluation.")
    c3.metric(
        "Stopped in epoch" if last.partial else "Epochs",
        f"{last.epoch}",
        help="An epoch is one pass through all the training digits. A run ended with Stop is "
        "'stopped in epoch N': N - 1 whole epochs and part of the next.",
    )
    score = room.room_score(entry)
    c4.metric(
        "Room accuracy", room.pct(score), help=f"How well it reads this room's handwriting: {room.describe(score)}."
    )
    st.markdown(
        f"**Against the tutorial.** The tutorials report about **86 %** after 50 epochs, which took "
        f"**{TUTORIAL_SECONDS // 60} minutes** on this CPU (sigmoid before `CrossEntropyLoss`, SGD at 0.001, "
        f"batch 32, a `DataLoader` turning every image into a tensor one by one). This run: "
        f"**{last.test_accuracy:.1%}**, {run_length(history)}, in **{seconds:.1f} s**"
        + (_(", {n} times as fast.").format(n=f"{TUTORIAL_SECONDS / seconds:,.0f}") if seconds > 0 else ".")
    )
    st.markdown("**Settings of this run**")
    rows = in_words(cfg)
    st.dataframe(
        pd.DataFrame({_("setting"): [text.clean(k) for k, _v in rows], _("value"): [text.clean(v) for _k, v in rows]}),
        hide_index=True,
        width=420,
    )
