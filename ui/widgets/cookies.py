"""Cookies this app writes into the browser: the participant's identity and the replica it is pinned to."""

from __future__ import annotations

import re

import streamlit as st

COOKIE_DAYS = 30  # how long a browser keeps its identity and its replica


def set_cookie(name: str, value: str, same_site: str = "Strict", days: int = COOKIE_DAYS) -> None:
    """Store ``name=value`` in this browser (a script in the page). Only our own values, never
    user input: [A-Za-z0-9_-]."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", f"{name}{value}"):
        raise ValueError("a cookie written into the page holds only [A-Za-z0-9_-]")
    st.html(
        f"<script>document.cookie = '{name}={value}; Path=/; Max-Age={days * 86400}; SameSite={same_site}';</script>",
        unsafe_allow_javascript=True,
        width=1,
    )
