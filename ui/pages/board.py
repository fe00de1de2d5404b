"""The room board (/room): the presenter's view for the projector.

Live, without rerunning anyone's script: two fragments redraw from one shared snapshot of the
room (ui/room.py), read from the store at most once per REFRESH for every board of the server.
Below them, for the presenter only: sharing, the join address, the board's model, timed rounds,
the review of shared drawings, clearing the room and the exports.
"""

from __future__ import annotations

import time

import streamlit as st

import store
from common import _, text
from common.status import Status
from store import dataset
from ui import access, pages, room, session, shared
from ui.widgets import layout, plots

_CSS = """
<style>
/* The board is read from the back of a room: on a wide screen (a projector) no text of it is under
   24 px. max(.., 1em) keeps what is bigger (headings, the metrics' values) as big as it is. */
@media (min-width: 1600px) {
  [data-testid="stMainBlockContainer"]:has(.st-key-board) { padding: 2.5rem 2rem 3rem 2rem; max-width: none; }
  .st-key-board :is(p, span, div, td, th, li, a, small, label, code) { font-size: max(1.5rem, 1em); }
  .st-key-board [data-testid="stMetricValue"] { font-size: 3rem; line-height: 1.1; }
  .st-key-board [data-testid="stMetricValue"] * { font-size: inherit; }
  .st-key-board_runs :is(td, th) { padding: 0.3rem 0.6rem; line-height: 1.3; }
  .st-key-board h3 { padding: 0.25rem 0 0 0; }
}
.st-key-join_address p { font-size: 1.9rem; font-weight: 700; line-height: 1.2; word-break: break-all; margin: 0; }
.st-key-board .st-key-round_clock [data-testid="stMetricValue"] { font-size: 3.5rem; line-height: 1.05; }
.st-key-round_winner p { font-size: 2rem; font-weight: 700; }
.st-key-board_people [data-testid="stCaptionContainer"] { color: inherit; }
.st-key-board_latest [data-testid="stImageCaption"] { line-height: 1.25; }
</style>
"""
ROUND_SHOWN = 30 * 60.0  # seconds a finished round's winner stays on the board
PEOPLE = 40  # names listed under the online count
PEOPLE_CHARS = 150  # ... or fewer: two lines of them at 24 px, so the board below stays in the first screen
REVIEW = 60  # drawings the presenter reviews at once
REVIEW_EVERY = 5.0  # seconds between redraws of the presenter's panel (names, the round, new drawings)
FLASH_SECONDS = 8.0  # a confirmation stays at least this long, unless the presenter's next action replaces it
DRAWING_PX = 160  # a shared drawing's width on the board
QR_PX = 180
CONFUSION_DPI = plots.BOARD_CONFUSION_DPI
FORMATS = {"MNIST test %": "{:.1f}", "room %": "{:.1f}", "epoch": "{:.0f}"}


def render() -> None:
    st.html(_CSS)
    with st.sidebar:
        st.page_link(pages.get(pages.STUDIO), label="Back to the studio", icon=":material/draw:")
        access.render_panel()
        room.presence()  # a participant watching the board is in the room too
    layout.board(access.is_presenter())
    # One screen of a 1920x1080 projector: on the left who is here, the round, the latest drawings
    # and the leaderboard (whose later rows may run below); on the right how to join and the
    # confusion matrix, at its natural size.
    with st.container(key="board"):
        left, right = st.columns([1.8, 1], gap="large")
        with left:
            _header()
            _round()
            _live()
        with right:
            _join()
            _confusion()
    if access.is_presenter():
        _presenter()


def _snapshot() -> room.Snapshot:
    return room.feed().get(shared.store_or_none())


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.999))
    return f"{seconds // 60}:{seconds % 60:02d}"


@st.fragment(run_every=1.0)
def _header() -> None:
    """Who is here, how many runs and drawings: redrawn every second from the shared snapshot, so a
    new drawing shows within a second of the snapshot that has it."""
    snap = _snapshot()
    with st.container(horizontal=True, vertical_alignment="bottom", key="board_counts"):
        st.title("Room board")
        if not snap.error:
            _counts(snap)
    if snap.error:
        st.warning(text.message(snap.error))
        return
    _in_the_room(snap)
    if not snap.sharing:
        st.caption(_("Sharing is off: the room keeps no new drawings until the presenter turns it on."))


def _counts(snap: room.Snapshot) -> None:
    running = sum(r["status"] == Status.RUNNING for r in snap.runs)
    st.metric("Online", snap.online, help="Participants with the app open in the last minute (not the presenter).")
    st.metric("Runs", len(snap.runs), delta=f"{running} training" if running else None, delta_color="off")
    drawn = snap.counts[store.TEST] + snap.counts[store.TRAIN]
    st.metric(
        "Shared drawings",
        drawn,
        help=f"Test half {snap.counts[store.TEST]}, training half {snap.counts[store.TRAIN]}.",
    )
    st.metric("Shipped model on the room", _pct(snap.shipped_score and snap.shipped_score.accuracy))


def _in_the_room(snap: room.Snapshot) -> None:
    if snap.people:
        names, length = [], 0
        for n in snap.people[:PEOPLE]:
            name = text.clean(n, 24)
            if names and length + len(name) > PEOPLE_CHARS:
                break
            names.append(name)
            length += len(name) + 2
        more = len(snap.people) - len(names)
        shown = ", ".join(names) + (_(" and {n} more").format(n=more) if more else "")
        with st.container(key="board_people"):
            st.caption(f"In the room: {text.md(shown, 2000)}")


@st.fragment(run_every=1.0)
def _round() -> None:
    """The timed round's clock, counted down here every second from the round's end."""
    snap = _snapshot()
    found = snap.round
    if snap.error or not found or time.time() - found["ends"] > ROUND_SHOWN:
        return
    left = found["ends"] - time.time()
    title = text.md(found.get("title") or "Timed round")
    limit = _("runs started in it with at most {s} s of training compete").format(s=f"{found['max_seconds']:g}")
    leader = snap.standings[0] if snap.standings else None
    with st.container(border=True, key="round_panel"):
        c1, c2 = st.columns([1, 4], vertical_alignment="center")
        with c1.container(key="round_clock"):
            st.metric(f"Round {found['id']}", _clock(left) if left > 0 else "Over")
        c2.markdown(f"**{title}**: {limit}.")
        with c2.container(key="round_winner"):
            if leader is None:
                st.markdown("No run qualifies yet." if left > 0 else "No run qualified: no winner.")
            else:
                word = "Leading" if left > 0 else "Winner"
                st.markdown(f"{word}: {text.md(leader['who'], 40)} (run \\#{leader['run']}), {_score_of(leader)}")


def _score_of(row: dict) -> str:
    if row["room"] is not None:
        return f"room accuracy {row['room']:.1%}"
    return f"MNIST test accuracy {row['mnist']:.1%} (the room has no test drawings yet)"


@st.fragment(run_every=room.REFRESH)
def _live() -> None:
    snap = _snapshot()
    if snap.error:
        return
    _latest(snap)
    _leaderboard(snap)


def _pct(value) -> str:
    return "–" if value is None else f"{value:.1%}"


def _leaderboard(snap: room.Snapshot) -> None:
    import pandas as pd  # here, not at import: pandas and pyarrow cost a server ~30 MB

    st.subheader("Leaderboard")
    if not snap.runs:
        st.info("No runs yet: train a model in the studio's sidebar, and it appears here while it trains.")
        return
    shown = room.leaders(snap.runs)
    table = pd.DataFrame(
        [
            {
                "rank": i + 1,  # not "#": st.table reads a header as Markdown too, and "#" is an empty heading
                "who": text.md(r["who"], 24),  # st.table reads its cells as Markdown
                "run": r["run"],
                "name": text.md(r["name"], 30),
                "settings": r["settings"],
                "status": r["status"],
                "epoch": r["epoch"],
                "MNIST test %": float("nan") if r["mnist"] is None else round(100 * r["mnist"], 2),
                "room %": float("nan") if r["room"] is None else round(100 * r["room"], 2),
            }
            for i, r in enumerate(shown)
        ]
    )
    # A plain table: large, readable text on a projector, and every row in the page (no scrolling grid).
    with st.container(key="board_runs"):
        st.table(table.style.format(FORMATS, na_rep="–"), border="horizontal", hide_index=True)
    people = len({r["owner"] for r in snap.runs})
    st.caption(
        f"Each person's best run (and any still training): {len(shown)} of {len(snap.runs)} runs by {people} "
        f"{'person' if people == 1 else 'people'}, ranked by room accuracy (the room's own test drawings), "
        "then MNIST test accuracy. Every run is in the studio's Runs tab.",
        help="Room accuracy: how well each model reads this room's own handwriting (its test half only). "
        "A run gets its room score when it ends.",
    )


@st.fragment(run_every=room.REFRESH)
def _join() -> None:
    snap = _snapshot()
    with st.container(horizontal=True, vertical_alignment="center", key="board_join"):
        st.image(room.qr_png(snap.join), width=QR_PX)
        with st.container(key="join_address"):
            st.markdown(_("To join, open:"))
            st.markdown(text.md(snap.join, 200))


def _latest(snap: room.Snapshot) -> None:
    st.subheader("Latest shared drawings")
    if not snap.latest:
        st.caption("None yet: under every prediction, press Right or pick the digit it is.")
        return
    st.caption(f"What {text.md(snap.board_model, 120)} reads in each (label → read as).")
    with st.container(horizontal=True, key="board_latest"):
        for d, who, read, _confidence in snap.latest:
            mark = "✓" if read == d.label else "✗"
            st.image(
                d.png,
                caption=f"{d.label} → {read} {mark}  \n{text.md(who, 12)}",
                width=DRAWING_PX,
                output_format="PNG",
            )


@st.cache_data(max_entries=16, show_spinner=False)
def _confusion_png(confusion_bytes: bytes) -> bytes:
    import numpy as np

    cm = np.frombuffer(confusion_bytes, np.int64).reshape(10, 10)
    return plots.figure_png(plots.plot_confusion(cm, title="", board=True), dpi=CONFUSION_DPI)


@st.fragment(run_every=room.REFRESH)
def _confusion() -> None:
    snap = _snapshot()
    if snap.error:
        return
    st.subheader("The room's confusion matrix")
    score = snap.board_score
    if score is None or not score.n:
        st.caption("It appears once the room's test half has drawings.")
        return
    st.caption(
        _("{n} test drawings read by {model}: room accuracy {acc}.").format(
            n=score.n, model=text.md(snap.board_model, 120), acc=f"{score.accuracy:.1%}"
        )
    )
    width = round(plots.BOARD_CONFUSION_INCHES[0] * CONFUSION_DPI)  # its natural size: no text shrinks
    with st.container(key="board_confusion"):
        st.image(_confusion_png(score.confusion.tobytes()), width=width)


# -- the presenter's controls ----------------------------------------------------------------------


def _act(action, done: str, where: str = "top") -> None:
    """Run a store change for the presenter: a refusal is a message, never a traceback."""
    try:
        action()
    except (store.StoreError, store.Refused) as exc:
        _say("error", text.message(str(exc).capitalize() + "."), where)
    else:
        room.feed().invalidate()
        _say("ok", done, where)


def _say(kind: str, message: str, where: str = "top") -> None:
    """The confirmation of the presenter's latest action (it replaces the one before), with the
    time it was given and where it shows: at the top of the panel, or above the review's grid,
    where the click was."""
    st.session_state.board_flash = (kind, message, time.time(), where)


def _flash(where: str) -> None:
    """The latest confirmation, for FLASH_SECONDS: long enough to read, and gone after a refresh."""
    found = st.session_state.get("board_flash")
    if not found:
        return
    kind, message, at, shown_at = found
    if time.time() - at > FLASH_SECONDS:
        del st.session_state["board_flash"]
    elif shown_at == where:
        (st.error if kind == "error" else st.success)(message)


def _presenter() -> None:
    st.divider()
    st.header("Presenter")
    _presenter_live()


@st.fragment(run_every=REVIEW_EVERY)
def _presenter_live() -> None:
    """The presenter's controls, redrawn from the store every REVIEW_EVERY seconds (only an unlocked
    presenter's board runs this): a renamed participant, a round that ended and a new drawing show
    without a click, and a confirmation goes once it has been read. A click here reruns only this."""
    runs = shared.store_or_none()
    _flash("top")
    if runs is None:
        st.warning("There is no run history on this server.")
        return
    try:
        c1, c2 = st.columns(2, gap="large")
        with c1:
            _settings(runs)
        with c2:
            _round_controls(runs)
        _review(runs)
        _clear_and_export(runs)
    except store.StoreError as exc:
        st.warning(text.message(f"{str(exc).capitalize()}."))


def _settings(runs: store.Store) -> None:
    ss = st.session_state
    st.subheader("The room")
    ss.room_sharing = runs.sharing()
    st.toggle(
        "Share labelled drawings with the room",
        key="room_sharing",
        on_change=lambda: _act(
            lambda: runs.set_sharing(bool(ss.room_sharing), access.actor()),
            "Sharing is on." if ss.room_sharing else "Sharing is off: no new drawings are kept.",
        ),
        help="Off: Right / Wrong keep nothing, for everyone. Each participant can also turn it off for themselves.",
    )
    with st.form("room_join_form", border=False):
        st.text_input(
            "Join address (empty: this server's own)",
            value=runs.join_url(),
            key="room_join_url",
            max_chars=200,
            placeholder=room.join_url(None),
            help=f"What the board shows and encodes in the QR code. Also settable with {room.JOIN_ENV}.",
        )
        st.form_submit_button("Save the join address", on_click=_save_join, args=(runs,))
    _people(runs)
    with_model = {r.id: r for r in runs.runs() if r.has_model}
    options = [0, *with_model]
    chosen = runs.board_model()
    ss.board_model_pick = chosen if chosen in with_model else 0  # the store's, whoever changed it
    st.selectbox(
        "The board reads the drawings with",
        options,
        format_func=lambda i: "the shipped model" if i == 0 else text.clean(with_model[i].label, session.LABEL_LEN),
        key="board_model_pick",
        on_change=lambda: _act(
            lambda: runs.set_board_model(ss.board_model_pick or None, access.actor()), "The board's model was changed."
        ),
    )


def _save_join(runs: store.Store) -> None:
    url = str(st.session_state.get("room_join_url") or "")
    if url.strip() and not url.strip().lower().startswith(("http://", "https://")):
        _say("error", _("A join address starts with http:// or https://."))
    else:
        _act(lambda: runs.set_join_url(url, access.actor()), _("The join address was saved."))


def _people(runs: store.Store) -> None:
    """Take an offensive nickname off the board: it is removed, and nobody may pick it again here."""
    named = dict(runs.nicknamed())
    with st.form("people_form", border=False):
        st.selectbox(
            "Remove a nickname",
            list(named),
            index=None,
            format_func=lambda i: text.clean(named.get(i, "?"), session.LABEL_LEN),
            key="people_pick",
            placeholder="Nobody has a nickname yet" if not named else "Pick a nickname",
            help="The person becomes a Guest again, keeps their runs and drawings, and cannot take the name back.",
        )
        st.form_submit_button("Remove the nickname", disabled=not named, on_click=_remove_nickname, args=(runs,))


def _remove_nickname(runs: store.Store) -> None:
    who = st.session_state.get("people_pick")
    if who is None:
        return
    name = dict(runs.nicknamed()).get(who, "")  # as it is now: they may have renamed themselves since
    _act(
        lambda: runs.remove_nickname(who, access.actor()),
        f"“{text.md(name, store.NICK_MAX)}” was removed; nobody can pick it again in this room.",
    )
    st.session_state.people_pick = None


def _round_controls(runs: store.Store) -> None:
    st.subheader("Timed round")
    # Enter in a field must not start a round: a round replaces the last one's winner on the board.
    with st.form("round_form", border=False, enter_to_submit=False):
        st.text_input(
            "Challenge",
            "Best room accuracy",
            key="round_title",
            max_chars=80,  # the board states the time limit
        )
        c1, c2 = st.columns(2)
        c1.number_input("Round length (s)", 10, 3600, 120, step=10, key="round_seconds")
        c2.number_input(
            "Training time per run, at most (s)",
            0.1,
            600.0,
            3.0,
            step=0.5,
            key="round_max_seconds",
            help=_("Only runs that train at most this long compete: a room compares settings, not patience."),
        )
        st.form_submit_button("Start the round", type="primary", on_click=_start_round, args=(runs,))
    found = runs.round()
    if found and found["ends"] > time.time():
        st.button(
            "End the round now",
            key="round_end",
            on_click=lambda: _act(lambda: runs.end_round(access.actor()), "The round was ended."),
        )


def _start_round(runs: store.Store) -> None:
    ss = st.session_state
    seconds, most, title = ss.round_seconds, ss.round_max_seconds, ss.round_title
    _act(
        lambda: runs.start_round(float(seconds), float(most), title, access.actor()),
        f"The round started: {seconds} s.",
    )


def _review(runs: store.Store) -> None:
    st.subheader("Review shared drawings")
    _flash("review")
    found = runs.drawings(with_png=True, limit=REVIEW, newest_first=True)
    if not found:
        st.caption("No shared drawings yet.")
    names = runs.names([d.owner for d in found])
    _drawing_grid(
        found,
        lambda d: f"#{d.id}: {d.label} · {text.md(names.get(d.owner, '?'), 14)}",  # captions are Markdown
        "Delete",
        lambda i: (lambda: runs.delete_drawing(i, access.actor()), f"Drawing #{i} was moved to the archive."),
    )
    archived = runs.drawings(with_png=True, archived=True, limit=REVIEW, newest_first=True)
    if archived:
        with st.expander(f"Deleted drawings ({len(archived)}{'+' if len(archived) == REVIEW else ''})"):
            _drawing_grid(
                archived,
                lambda d: f"#{d.id}: {d.label}",
                "Restore",
                lambda i: (lambda: runs.restore_drawing(i, access.actor()), f"Drawing #{i} was restored."),
            )


def _drawing_grid(drawings, caption, verb: str, action) -> None:
    """Drawings ten to a row, each with a ``verb`` button; ``action(id)`` gives (the store call,
    the message once it is done)."""
    cols = st.columns(10)
    for i, d in enumerate(drawings):
        with cols[i % 10]:
            st.image(d.png, caption=caption(d), width=72)
            st.button(verb, key=f"drawing_{verb.lower()}_{d.id}", on_click=lambda i=d.id: _act(*action(i), "review"))


def _clear_and_export(runs: store.Store) -> None:
    c1, c2 = st.columns(2, gap="large")
    with c1:
        st.subheader("Clear the room")
        sure = st.checkbox("Yes, archive every run and every shared drawing", key="board_clear_sure")
        st.button(
            "Clear the room",
            key="board_clear",
            disabled=not sure,
            on_click=_clear,
            args=(runs,),
            help="Everything goes to the archive: it can be restored (Runs tab, and above) until you empty it.",
        )
    with c2:
        st.subheader("Export the room's dataset")
        counts = runs.drawing_counts()
        st.caption(
            f"{counts[store.TRAIN]} training and {counts[store.TEST]} test drawings. Writers appear as p1, p2, ...: "
            "no nicknames leave the room."
        )
        stamp = time.strftime("%Y%m%d-%H%M")
        st.download_button(
            "PNGs + labels.csv (.zip)",
            lambda: dataset.png_zip(runs.iter_drawings()),
            file_name=f"digit-studio-room-{stamp}.zip",
            mime="application/zip",
            key="export_png",
            on_click="ignore",
        )
        st.download_button(
            "MNIST IDX files (.zip)",
            lambda: dataset.idx_zip(runs.drawings()),
            file_name=f"digit-studio-room-idx-{stamp}.zip",
            mime="application/zip",
            key="export_idx",
            on_click="ignore",
            help="MNIST/raw/train-images-idx3-ubyte and the other three: torchvision.datasets.MNIST(root) loads them.",
        )


def _clear(runs: store.Store) -> None:
    st.session_state.board_clear_sure = False
    _act(lambda: runs.clear_room(access.actor()), "The room was cleared: every run and drawing is in the archive.")
