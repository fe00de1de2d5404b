"""Who may do what: every browser is a participant with a secret identity; the presenter unlocks
presenter mode with a passcode set by whoever starts the server.

Identity: a 256-bit random secret, kept in a cookie (``ds_id``) so that it survives a reload and a
dropped connection, and never put in a link. The store only ever sees its SHA-256 (the owner id):
nothing shown on a page (a nickname, a run name, an anonymous label) can be used to take it over.

Roles: with ``DIGIT_STUDIO_PRESENTER_PASSCODE`` (or ``presenter_passcode`` in
.streamlit/secrets.toml) set, whoever enters it is presenter. With none set, the app is in
single-user mode: a browser on the server's own machine is presenter, everyone else is a
participant. Passcodes are compared in constant time; wrong ones are counted per client address
in the store, so a reload (or another replica) does not reset the wait.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import re
import secrets

import streamlit as st

import store
from ui import shared
from ui.widgets.cookies import set_cookie

PASSCODE_ENV = "DIGIT_STUDIO_PRESENTER_PASSCODE"
COOKIE = "ds_id"
FREE_TRIES = 3  # wrong passcodes from one browser before its first wait
# Wrong passcodes from one address (all browsers behind it) before the address waits too. A room
# behind one NAT or proxy shares an address: a participant guessing locks out their own browser
# first, and only many browsers guessing (cookies cleared again and again) lock out the address.
ADDRESS_FREE_TRIES = 20
BASE_WAIT, MAX_WAIT = 15.0, 15 * 60.0  # seconds; doubles with each further wrong try
SEEN_EVERY = 20.0  # seconds between "still here" notes in the store
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")

log = logging.getLogger("digit_studio.access")


def passcode() -> str:
    """The presenter passcode set on the server ('' when none: single-user mode)."""
    value = os.environ.get(PASSCODE_ENV, "")
    if not value:
        try:
            value = str(st.secrets.get("presenter_passcode", "") or "")
        except Exception:  # no secrets.toml, or a malformed one: treat as unset
            value = ""
    return value.strip()


@st.cache_resource(show_spinner=False)
def _announce_mode(has_passcode: bool) -> bool:
    """Say once in the server log which mode this server is in."""
    if not has_passcode:
        log.warning(
            "Digit Studio: no presenter passcode is set, so only a browser on this machine is presenter. "
            "For a room, set %s=... (or presenter_passcode in .streamlit/secrets.toml) and restart.",
            PASSCODE_ENV,
        )
    return True


def owner_of(token: str) -> str:
    """The owner id the store keeps for a secret: 128 bits of its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def anonymous_label(owner: str) -> str:
    """A short label to tell people apart before they pick a nickname (not the owner id)."""
    return "Guest " + hashlib.sha256(f"label:{owner}".encode()).hexdigest()[:4]


def client_address() -> str:
    """The browser's address: the proxy's X-Forwarded-For when the connection comes from a local
    proxy (nginx on this machine), else the connection's own; 'local' for this machine."""
    direct = _text(st.context.ip_address)  # None for loopback (and outside a real server)
    if direct is None:
        forwarded = (_text(st.context.headers.get("X-Forwarded-For")) or "").split(",")[0].strip()
        if forwarded:
            try:
                ip = ipaddress.ip_address(forwarded)
            except ValueError:
                return "unknown"
            return "local" if ip.is_loopback else str(ip)
        return "local"
    return direct


def _text(value) -> str | None:
    """A request value if it is a string (AppTest and bare runs give placeholders), else None."""
    return value if isinstance(value, str) else None


def init() -> None:
    """Give this session its identity (from the cookie, or a new one) and its role."""
    ss = st.session_state
    if "owner" not in ss:
        token = _text(st.context.cookies.get(COOKIE)) or ""
        ss.new_identity = not _TOKEN.fullmatch(token or "")
        if ss.new_identity:
            token = secrets.token_urlsafe(32)
        ss.identity_token = token
        ss.owner = owner_of(token)
        ss.is_presenter = False
        ss.seen_at = 0.0
    if ss.new_identity:
        assert _TOKEN.fullmatch(ss.identity_token)  # ours, from secrets or a cookie that matched it
        set_cookie(COOKIE, ss.identity_token)
    _announce_mode(bool(passcode()))
    if not passcode() and client_address() == "local":
        ss.is_presenter = True  # single-user mode: the machine's own browser
    elif not passcode():
        ss.is_presenter = False
    _note_seen()


def note_seen() -> None:
    """Tell the store this session is here (at most once per half SEEN_EVERY)."""
    _note_seen()


def _note_seen() -> None:
    import time

    ss = st.session_state
    if ss.is_presenter and passcode():
        return  # the board's "Online" counts participants; the presenter runs the room
    runs = shared.store_or_none()
    # Half the period: the presence fragment ticks every SEEN_EVERY, and a tick that came a little
    # early was skipped, so a note was written only every other tick (40 s of the 60 s window).
    if runs is None or time.time() - ss.seen_at < SEEN_EVERY / 2:
        return
    try:
        if passcode() and runs.setting(_presenter_key(ss.owner)):
            ss.seen_at = time.time()
            return  # another tab of the presenter's browser: not one of the participants either
        runs.seen(ss.owner, anonymous_label(ss.owner))
        ss.seen_at = time.time()
    except store.StoreError:
        pass  # the Runs tab says what is wrong with the store


def _presenter_key(owner: str) -> str:
    """The room setting that marks ``owner``'s browser as the presenter's (set when it unlocks)."""
    return f"presenter_browser:{owner}"


def actor() -> store.Actor:
    ss = st.session_state
    return store.Actor(ss.owner, presenter=bool(ss.is_presenter))


def is_presenter() -> bool:
    return bool(st.session_state.get("is_presenter"))


def try_passcode(entered: str) -> tuple[bool, str]:
    """Check a passcode try; returns (unlocked, message)."""
    runs = shared.store_or_none()
    # One count per browser (its identity cookie) and one per address, each with its own allowance.
    counts = {
        "browser": (f"passcode:id:{st.session_state.owner}", FREE_TRIES),
        "address": (f"passcode:{client_address()}", ADDRESS_FREE_TRIES),
    }
    for what, (key, _) in counts.items():
        wait = runs.passcode_wait(key) if runs is not None else 0.0
        if wait > 0:
            return False, f"Too many wrong passcodes from this {what}: wait {wait:.0f} s, then try again."
    expected = passcode()
    if expected and hmac.compare_digest(entered.strip().encode(), expected.encode()):
        if runs is not None:
            for key, _ in counts.values():
                runs.passcode_ok(key)
            runs.away(st.session_state.owner)  # the presenter runs the room: not one of "In the room"
            st.session_state.is_presenter = True
            # Every tab of this browser (its identity cookie) is the presenter's, not a participant.
            runs.set_setting(_presenter_key(st.session_state.owner), "1", actor())
        st.session_state.is_presenter = True
        return True, "Presenter mode is on for this browser session."
    waits = (
        [runs.passcode_failed(key, free, BASE_WAIT, MAX_WAIT) for key, free in counts.values()]
        if runs is not None
        else [0]
    )
    more = f" Wait {max(waits):.0f} s before the next try." if max(waits) else ""
    return False, f"That is not the presenter passcode.{more}"


def render_panel() -> None:
    """The sidebar's role panel: who you are, and presenter mode."""
    ss = st.session_state
    with st.expander("Presenter" if not ss.is_presenter else "Presenter mode: on", expanded=False):
        if ss.get("access_flash"):
            st.success(ss.pop("access_flash"))
        if not passcode():
            st.caption(
                "Single-user mode: no presenter passcode is set on this server, so only a browser on the "
                "server's own machine is presenter. To run a room, start the server with "
                f"{PASSCODE_ENV}=... (or presenter_passcode in .streamlit/secrets.toml)."
            )
            st.caption("This browser is the presenter." if ss.is_presenter else "This browser is a participant.")
            return
        if ss.is_presenter:
            st.caption("You can delete and restore any run, clear the room and empty the archive (Runs tab).")
            if st.button("Leave presenter mode", key="presenter_leave"):
                runs = shared.store_or_none()
                if runs is not None:
                    try:
                        runs.set_setting(_presenter_key(ss.owner), "", actor())
                    except store.StoreError:
                        pass  # its other tabs stay out of "In the room" until the store is back
                ss.is_presenter = False
                st.rerun()
            return
        with st.form("presenter_form", clear_on_submit=True, border=False):
            entered = st.text_input("Presenter passcode", type="password", key="presenter_passcode", max_chars=200)
            submitted = st.form_submit_button("Unlock presenter mode")
        if submitted:
            ok, message = try_passcode(entered or "")
            if ok:
                ss.access_flash = message
                st.rerun()
            st.error(message)
