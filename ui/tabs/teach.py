"""Teach it: under every prediction, "Right" or "Wrong, it is a …". A labelled drawing joins the
room's dataset (store/room.py) when the presenter has sharing on and this participant has not
turned it off; otherwise nothing of it is kept anywhere."""

from __future__ import annotations

import hashlib
import html
import io
import time

import numpy as np
import streamlit as st
from PIL import Image

import model
import store
from common import text
from ui import access, limits, room, shared

SIDE = 280  # the stored drawing's longer side at most: the canvas's own size


def drawing_png(image) -> bytes:
    """A small grayscale PNG of a drawing or photo as the model reads it: white ink on black,
    its longer side at most SIDE pixels, so a model with any framing can be scored on it later."""
    ink = Image.fromarray((np.clip(model.to_ink(image), 0, 1) * 255).round().astype(np.uint8))
    if max(ink.size) > SIDE:
        ink.thumbnail((SIDE, SIDE), Image.LANCZOS)
    buf = io.BytesIO()
    ink.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def source(image, result: model.Reading):
    """What to keep of a prediction's input: the canvas drawing, or a photo's cleaned-up digit."""
    return result.steps.get("digit", image) if isinstance(image, bytes) else image


@st.cache_data(ttl=room.REFRESH, show_spinner=False)
def _room_sharing(url: str) -> bool | None:
    """The presenter's switch, read at most once per REFRESH for every session (None: no store)."""
    runs = shared.store_or_none()
    try:
        return None if runs is None else runs.sharing()
    except store.StoreError:
        return None


def _init_choice(runs: store.Store) -> None:
    ss = st.session_state
    if "share_drawings" not in ss:
        try:
            ss.share_drawings = runs.shares(ss.owner)
        except store.StoreError:
            ss.share_drawings = True


def _set_choice() -> None:
    runs = shared.store_or_none()
    if runs is not None:
        try:
            runs.set_shares(st.session_state.owner, bool(st.session_state.share_drawings))
        except store.StoreError as exc:
            _say(f"Your choice could not be saved: {text.public(exc)}")


def _teach(label: int | None) -> None:
    """A callback: keep the drawing whose answer is on screen with this label (or say why not)."""
    ss = st.session_state
    ss.teach_label = None  # the pills are a one-shot choice
    image, runs = ss.get("teach_image"), shared.store_or_none()
    if label is None or image is None or runs is None:
        return
    if not ss.get("share_drawings", True):
        _say("Not kept: you turned sharing off, so nothing of your drawings leaves this page.")
        return
    if limits.allow(ss, "teach"):
        _say("That is a lot of labels in a short time: wait a little, then try again.")
        return
    try:
        why = limits.person_waits("teach", lambda since: runs.drawings_added(ss.owner, since))
    except store.StoreError:
        why = None  # add_drawing below says what is wrong with the store
    if why and not access.is_presenter():
        _say(f"Not kept: {why}")
        return
    png, framed = drawing_png(image), room.framed_bytes(image)
    if framed is None:
        return
    key = hashlib.sha256(png).hexdigest()
    taught = ss.setdefault("taught", {})
    if taught.get(key, (None, None))[1] == int(label):  # clicked again: it is kept already, as this
        _say(f"Already kept for the room as a {int(label)}.")
        return
    try:
        if key in taught:  # the same drawing again: its label is corrected, not counted twice
            try:
                runs.delete_drawing(taught.pop(key)[0], access.actor())
            except store.NotFound:
                pass  # the presenter removed it meanwhile
        kept = runs.add_drawing(ss.owner, int(label), png, framed)
    except (store.StoreError, store.Refused) as exc:
        _say(f"Not kept: {text.public(exc)}")
        return
    if kept is None:
        _say("Not kept: the presenter has turned sharing off for the room.")
        return
    taught[key] = (kept, int(label))
    room.feed().invalidate()
    _say(f"Thank you: kept for the room as a {int(label)}.")


def remember(image, predicted: int | None) -> None:
    """The drawing (or photo) whose answer is on screen now, and that answer: what Right and the
    pills label. Each stroke sets them; the teach row itself is not rebuilt by a stroke."""
    ss = st.session_state
    ss.teach_image, ss.teach_predicted, ss.teach_for = image, predicted, _identity(image)


def _identity(image) -> bytes | None:
    """What tells one drawing from another (a digest of its pixels or bytes; None: no drawing)."""
    if image is None:
        return None
    data = image if isinstance(image, bytes) else np.ascontiguousarray(image).tobytes()
    return hashlib.blake2b(data, digest_size=16).digest()


def _say(note: str) -> None:
    """The teach row's answer to a click (plain text), for the drawing on screen now: a new stroke,
    Clear or Undo makes another drawing, and the note goes with the drawing it was about."""
    st.session_state.teach_note = (note, st.session_state.get("teach_for"))


def note_html() -> str:
    """The teach row's answer to a click as a line of HTML, if it is about the drawing on screen
    ("" otherwise). It goes out with the bars (ui/tabs/draw.py), which every stroke rewrites anyway:
    a place of its own would cost every stroke two more messages."""
    note = st.session_state.get("teach_note")
    if note is None or note[1] is None or note[1] != st.session_state.get("teach_for"):
        return ""
    return f'<p class="ds-note">{html.escape(note[0])}</p>'


_LATEST: dict[str, tuple[float, bool | None]] = {}  # store URL -> (when read, the room's switch)


def stale() -> bool:
    """Has the room's sharing switch changed since the teach row was built? Asked on every stroke,
    so it reads the switch from this process's memory (at most REFRESH old), not through the
    store and Streamlit's caches (about a millisecond)."""
    shown = st.session_state.get("_teach_shown")  # (store URL, the room's switch was off)
    if shown is None:
        return False
    url, room_off = shown
    when, sharing = _LATEST.get(url, (-room.REFRESH, None))
    if time.monotonic() - when >= room.REFRESH:
        sharing = _room_sharing(url)
        _LATEST[url] = (time.monotonic(), sharing)
    return (sharing is False) != room_off


def render() -> None:
    """The teach row under the answer: Right, or Wrong, it is a ... (built once per rerun of the
    Draw tab, not per stroke; the page hides it while there is no answer). Its answer to a click
    goes out with each stroke's bars (``note_html``)."""
    ss = st.session_state
    runs = shared.store_or_none()
    if runs is None:
        return
    _init_choice(runs)
    room_off, mine_off = _room_sharing(runs.url) is False, not ss.share_drawings
    ss._teach_shown = (runs.url, room_off)
    off = room_off or mine_off
    with st.container(key="teach_area"):
        with st.container(key="teach", horizontal=True, vertical_alignment="bottom"):
            st.button(
                "Right",
                key="teach_right",
                icon=":material/check:",
                on_click=lambda: _teach(ss.get("teach_predicted")),
                disabled=off,
                help="The model read it right: add this drawing, labelled, to the room's dataset.",
            )
            st.pills(
                "Wrong, it is a …",
                list(range(10)),
                key="teach_label",
                on_change=lambda: _teach(ss.get("teach_label")),
                disabled=off,
                help="Tell the model what it should have read: the drawing joins the room's dataset with that label.",
            )
        if room_off:
            st.caption("The presenter has turned sharing off: labels are not kept.")
        elif mine_off:
            st.caption("You turned sharing off (sidebar): nothing of your drawings is kept.")


def share_toggle() -> None:
    """The participant's own switch (widget key ``share_drawings``), kept in the store so that a
    reload keeps it; in the sidebar, so it can be turned off before the first drawing."""
    runs = shared.store_or_none()
    if runs is None:
        return
    _init_choice(runs)
    st.toggle(
        "Share my labelled drawings with the room",
        key="share_drawings",
        on_change=_set_choice,
        help="On: when you press Right or pick a digit under a prediction, the drawing, its label and your "
        "nickname go into the room's dataset (the presenter can delete any of them). Off: nothing of your "
        "drawings is kept.",
    )
