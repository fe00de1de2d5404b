"""The room, shared by every session of this server: room accuracy of models and runs, the
board's data (one read of the store per refresh interval, for every board at once), the join
address, and each session's presence.

Nothing here belongs to one session: the scorer and the feed are ``st.cache_resource``
objects that only ever hold what anyone in the room may see.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

import model
import store
from common import _, text
from common.status import Status
from store import Run
from train.roomeval import RoomScorer, Score
from ui import access, session, shared

REFRESH = 2.0  # seconds: how often the board redraws, and the age of the data it shows at most
JOIN_ENV = "DIGIT_STUDIO_JOIN_URL"
# Behind a proxy on this machine (make cluster: nginx), the port participants open instead of
# this process's own, which listens on loopback only.
JOIN_PORT_ENV = "DIGIT_STUDIO_JOIN_PORT"
LATEST = 6  # shared drawings on the board: one row of them at 1920 px, so the leaderboard stays in view
BOARD_ROWS = 10  # leaderboard rows on the projector: readable from the back of the room
ONLINE_WITHIN = 60.0  # seconds: a session that said "still here" this recently is online


@st.cache_resource(show_spinner=False)
def scorer() -> RoomScorer:
    return RoomScorer()


def room_score(entry: session.ModelEntry) -> Score | None:
    """A session's model scored on the room's test half (None without a store)."""
    runs = shared.store_or_none()
    if runs is None:
        return None
    try:
        key = "shipped" if entry.key == session.SHIPPED else entry.run_id or f"{entry.key}:{id(entry.net)}"
        return scorer().score(key, entry.net, runs)
    except store.StoreError:
        return None


def run_scores(runs_store: store.Store, runs: list[Run]) -> dict[int, Score]:
    """Room scores of runs that have a model, by run id (computed once per set of drawings)."""
    revision = runs_store.drawings_revision()
    out = {}
    for r in runs:
        if r.has_model and r.status != Status.RUNNING:
            net = scorer().run_model(runs_store, r.id)
            if net is not None:
                out[r.id] = scorer().score(r.id, net, runs_store, revision)
    return out


def scores_for(runs: list[Run]) -> dict[int, Score]:
    """``run_scores`` with this server's store; {} when it cannot be read."""
    runs_store = shared.store_or_none()
    try:
        return {} if runs_store is None else run_scores(runs_store, runs)
    except store.StoreError:
        return {}


def percent(score: Score | None) -> float:
    """A room score as a table cell: percent, NaN when there is none."""
    return float("nan") if score is None or score.accuracy is None else round(100 * score.accuracy, 2)


def pct(score: Score | None) -> str:
    """A room score as a metric: "83.3%", or "–" when there is none."""
    return "–" if score is None or score.accuracy is None else f"{score.accuracy:.1%}"


def describe(score: Score | None) -> str:
    if score is None:
        return "no run history on this server"
    if score.accuracy is None:
        return "no labelled drawings in the room's test half yet"
    return f"{score.accuracy:.1%} of {score.n} drawing{'s' * (score.n != 1)} in the room's test half"


# -- joining -------------------------------------------------------------------------------------


def lan_address() -> str:
    """This machine's address on the network the room is on (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def join_url(runs_store: store.Store | None) -> str:
    """What participants open: the presenter's setting, else $DIGIT_STUDIO_JOIN_URL, else this
    server's LAN address and port ($DIGIT_STUDIO_JOIN_PORT where a proxy in front has its own)."""
    chosen = ""
    if runs_store is not None:
        try:
            chosen = runs_store.join_url()
        except store.StoreError:
            chosen = ""
    chosen = chosen or os.environ.get(JOIN_ENV, "").strip()
    if chosen:
        return chosen
    port = os.environ.get(JOIN_PORT_ENV, "").strip()
    port = int(port) if port.isdigit() and 0 < int(port) < 65536 else st.get_option("server.port")
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{lan_address()}:{port}/" + (f"{base}/" if base else "")


@st.cache_resource(show_spinner=False, max_entries=8)
def qr_png(url: str) -> bytes:
    """The join address as a QR code (PNG), made once per address."""
    import io

    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=12, border=2)
    return buf.getvalue()


# -- presence ------------------------------------------------------------------------------------


@st.fragment(run_every=access.SEEN_EVERY)
def presence() -> None:
    """Says "still here" for this session while its tab is open, so an idle participant who is
    listening still counts as online (only this empty fragment reruns)."""
    access.note_seen()
    _nickname_still_kept()


def _nickname_still_kept() -> None:
    """Every SEEN_EVERY / 2 s: is this session's nickname still the store's? The presenter may
    have removed it, or another tab of the same person changed it; the field then shows the
    store's (a full rerun), and a removed name says so."""
    ss = st.session_state
    kept = ss.get("nickname_kept")
    if not kept or time.time() - ss.get("nickname_checked", 0.0) < access.SEEN_EVERY / 2:
        return
    ss.nickname_checked = time.time()
    runs = shared.store_or_none()
    try:
        now = runs.nickname(ss.owner) if runs is not None else kept
    except store.StoreError:
        return
    if now != kept:
        del ss["nickname_kept"]  # nickname_field reads the store's again
        if not now:
            ss.nickname_note = ("error", "Your nickname was taken off the room's board: pick another one.")
        st.rerun(scope="app")


# -- the board's data ----------------------------------------------------------------------------


@dataclass
class Snapshot:
    """What every board shows, read at ``at``."""

    at: float
    online: int = 0
    people: list = field(default_factory=list)  # what the online participants are called
    runs: list = field(default_factory=list)  # dicts, best room accuracy first
    counts: dict = field(default_factory=lambda: {store.TEST: 0, store.TRAIN: 0})
    latest: list = field(default_factory=list)  # (Drawing with png, name, read as, confidence)
    board_model: str = "the shipped model"
    board_score: Score | None = None
    shipped_score: Score | None = None
    round: dict | None = None
    standings: list = field(default_factory=list)  # eligible runs of the round, best first
    sharing: bool = True
    join: str = ""
    error: str = ""


class Feed:
    """The board's data, rebuilt at most once per REFRESH for every board of this server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snap: Snapshot | None = None
        self.builds = 0  # for the bench and the tests

    def get(self, runs_store: store.Store | None) -> Snapshot:
        snap = self._snap
        if snap is not None and time.time() - snap.at < REFRESH:
            return snap
        with self._lock:  # one rebuild; the other boards wait for it and share it
            snap = self._snap
            if snap is None or time.time() - snap.at >= REFRESH:
                snap = self._snap = build(runs_store)
                self.builds += 1
            return snap

    def invalidate(self) -> None:
        """Something changed here (a drawing kept, a setting): the next board refresh reads anew."""
        self._snap = None


@st.cache_resource(show_spinner=False)
def feed() -> Feed:
    return Feed()


# The leaderboard's words for a run's settings: a newcomer reads them on the projector, so no
# abbreviations and no field names. The default model (softmax) goes unsaid.
_OPTIMIZER_WORDS = {"sgd": "SGD", "sgd-momentum": "SGD with momentum", "adam": "Adam"}
_MODEL_WORDS = {"tutorial-sigmoid": "Tutorial sigmoid", "one-vs-rest": "One-vs-rest"}


def short_settings(c: dict) -> str:
    """A run's settings in plain words, for example "Adam, learning rate 0.02, 3 passes"."""
    epochs = int(c.get("epochs") or 0)
    parts = [
        _(_MODEL_WORDS[c["model"]]) if c.get("model") in _MODEL_WORDS else "",
        _(_OPTIMIZER_WORDS.get(c.get("optimizer"), str(c.get("optimizer", "")))),
        _("learning rate {lr}").format(lr=f"{c['lr']:g}") if "lr" in c else "",
        (_("1 pass") if epochs == 1 else _("{n} passes").format(n=epochs)) if epochs else "",
        _("varied digits") if c.get("augment") else "",
    ]
    return ", ".join(p for p in parts if p)


def build(runs_store: store.Store | None) -> Snapshot:
    """Read the room once: people, runs and their scores, drawings, the round, the join address."""
    snap = Snapshot(at=time.time(), join=join_url(runs_store))
    if runs_store is None:
        snap.error = "There is no run history on this server, so there is no room to show."
        return snap
    try:
        runs_store.mark_interrupted()
        runs = runs_store.runs()
        names = runs_store.names([r.owner for r in runs])
        # a stopped, failed or interrupted run shows the epoch it reached, not the epochs it was set to
        latest_epoch = runs_store.latest_epochs([r.id for r in runs if r.status != Status.FINISHED])
        revision = runs_store.drawings_revision()
        scores = run_scores(runs_store, runs)
        online = runs_store.online(ONLINE_WITHIN)
        snap.online = len(online)
        snap.people = sorted((p["nickname"] or p["label"] for p in online), key=lambda n: (n.startswith("Guest "), n))
        snap.counts = runs_store.drawing_counts()
        snap.sharing = runs_store.sharing()
        snap.round = runs_store.round()
        snap.shipped_score = scorer().score("shipped", shared.shipped_model(), runs_store, revision)
        net, snap.board_model, snap.board_score = _board_model(runs_store, revision, scores)
        latest = runs_store.drawings(with_png=True, limit=LATEST, newest_first=True)
        who = runs_store.names([d.owner for d in latest])
        snap.latest = [
            (d, who.get(d.owner, "?"), *read) for d, read in zip(latest, scorer().read(net, latest), strict=True)
        ]
    except store.StoreError as exc:
        snap.error = f"The room cannot be read just now: {exc}."
        return snap
    for r in runs:
        epoch, acc = latest_epoch.get(r.id, (None, None))
        score = scores.get(r.id)
        snap.runs.append(
            {
                "run": r.id,
                "owner": r.owner,
                "who": names.get(r.owner, "?"),
                "name": r.name,
                "settings": short_settings(r.config),
                "status": r.status,
                "epoch": r.config["epochs"] if r.status == Status.FINISHED else (epoch or 0),
                "mnist": acc if r.status == Status.RUNNING else r.test_accuracy,
                "room": None if score is None else score.accuracy,
                "seconds": r.duration,
                "time_limit": r.config.get("time_limit"),
                "started": r.started,
            }
        )
    snap.runs.sort(key=_rank)
    snap.standings = standings(snap.round, snap.runs)
    return snap


def leaders(rows: list[dict], top: int = BOARD_ROWS) -> list[dict]:
    """The board's leaderboard: each person's best run and any of theirs still training, best
    first, at most ``top`` rows. One person's many runs cannot push everyone else off the board."""
    seen, out = set(), []
    for r in sorted(rows, key=_rank):
        if r["owner"] not in seen or r["status"] == Status.RUNNING:
            out.append(r)
        seen.add(r["owner"])
    return out[:top]


def _rank(row: dict) -> tuple:
    """Best room accuracy first, then MNIST test accuracy; runs without either last."""
    room, mnist = row["room"], row["mnist"]
    return (room is None, -(room or 0.0), mnist is None, -(mnist or 0.0), row["run"])


def _board_model(runs_store: store.Store, revision: tuple, scores: dict) -> tuple:
    """The model that reads the board's drawings: the presenter's pick, else the shipped one."""
    chosen = runs_store.board_model()
    if chosen is not None:
        run = runs_store.run(chosen)
        net = scorer().run_model(runs_store, chosen) if run is not None and run.has_model else None
        if net is not None:
            return net, store.run_label(run.id, run.name, run.config), scores.get(chosen)
    shipped = shared.shipped_model()
    return shipped, "the shipped model", scorer().score("shipped", shipped, runs_store, revision)


def standings(found: dict | None, rows: list[dict]) -> list[dict]:
    """The runs that compete in a round: started during it, finished or stopped, with at most its
    training time (or capped at it); best room accuracy first (MNIST test accuracy while the room has no test half)."""
    if not found:
        return []
    eligible = [
        r
        for r in rows
        if found["started"] <= r["started"] <= found["ends"]
        and r["status"] in (Status.FINISHED, Status.STOPPED)
        and r["seconds"] is not None
        # Its training took at most the allowance, or the run was capped at it (time_limit): a capped
        # run's recorded time includes its last test evaluation, a little over the cap.
        and min(r["seconds"], r["time_limit"] or float("inf")) <= found["max_seconds"]
        and r["mnist"] is not None
    ]
    return sorted(eligible, key=_rank)


def confusion_of(score: Score | None) -> np.ndarray:
    return score.confusion if score is not None else np.zeros((10, 10), np.int64)


def framed_bytes(image) -> bytes | None:
    """The 28x28 a drawing is kept as: framed like MNIST itself (``store.FRAMED_WITH``), uint8."""
    x = model.to_mnist(image, framing=store.FRAMED_WITH)
    return None if x is None else (np.clip(x, 0, 1) * 255).round().astype(np.uint8).tobytes()


# -- nicknames -----------------------------------------------------------------------------------


PASTE_MAX = 10_000  # characters of a nickname paste looked at: bounded work, room for any blanks


def _save_nickname() -> None:
    ss = st.session_state
    runs = shared.store_or_none()
    if runs is None:
        ss.nickname_note = ("error", "There is no run history on this server, so nicknames cannot be kept.")
        return
    # The field has no max_chars: Streamlit silently ignores a longer paste there, and the old name
    # (or an empty field) stayed with no word why. The store keeps the first NICK_MAX characters
    # once blanks and control characters are collapsed, so a paste is bounded only generously here:
    # cutting it to a few times NICK_MAX lost a name behind a hundred leading spaces.
    entered = str(ss.get("nickname", ""))[:PASTE_MAX]
    cut = len(store.clean_nickname(entered, limit=None)) > store.NICK_MAX
    try:
        kept = runs.set_nickname(ss.owner, entered, access.anonymous_label(ss.owner))
    except store.Refused as exc:
        ss.nickname_note = ("error", text.message(exc))
        ss.nickname = ss.get("nickname_kept", "")
        return
    except store.StoreError as exc:
        ss.nickname_note = ("error", f"Not saved: {text.message(exc)}")
        return
    ss.nickname = ss.nickname_kept = kept
    feed().invalidate()
    said = f"You are {text.md(kept)} in the room." if kept else "You are anonymous again."
    ss.nickname_note = ("ok", f"{said} (A nickname is at most {store.NICK_MAX} characters.)" if cut else said)


def nickname_field() -> None:
    """The participant's nickname (widget key ``nickname``): shown on the board, in runs and drawings."""
    ss = st.session_state
    if "nickname_kept" not in ss:
        runs = shared.store_or_none()
        try:
            ss.nickname_kept = (runs.nickname(ss.owner) if runs is not None else None) or ""
        except store.StoreError:
            ss.nickname_kept = ""
        ss.nickname = ss.nickname_kept
    st.text_input(
        "Your nickname",
        key="nickname",
        on_change=_save_nickname,
        placeholder=access.anonymous_label(ss.owner),
        help="How the room board, the Runs tab and shared drawings name you. Unique in the room; change it any time.",
    )
    note = ss.pop("nickname_note", None)
    if note:
        (st.error if note[0] == "error" else st.caption)(note[1])
