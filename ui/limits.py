"""Limits: how often Train and Stop may be clicked, how many runs a session may start, and how
many models it keeps (pure functions on a session-state-like mapping), and the same counts per
person, read from the store (``person_waits``): a reload or a second tab is a new session, not a
new person."""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping

MAX_RUNS = 50  # trainings one browser session may start; one at a time (queued or running)
MAX_MODELS = 12  # models a session keeps to draw with, besides the shipped one; the oldest go first
RATES = {
    "train": (6, 60.0),
    "stop": (5, 10.0),
    "teach": (30, 60.0),
}  # at most N clicks that count per this many seconds


def allow(ss: MutableMapping, action: str, now: float | None = None) -> float:
    """0 if ``action`` may happen now (and it is counted), else the seconds left to wait."""
    now = time.monotonic() if now is None else now
    most, window = RATES[action]
    recent = [t for t in ss.setdefault("_clicks", {}).get(action, []) if t > now - window]
    if len(recent) >= most:
        ss["_clicks"][action] = recent
        return recent[0] + window - now
    ss["_clicks"][action] = [*recent, now]
    return 0.0


PERSON_DAY = 24 * 3600.0  # MAX_RUNS per person counts the runs of the last day (a room's session)


def person_waits(action: str, started: Callable[[float], int], now: float | None = None) -> str | None:
    """Why one person may not ``action`` ("train" or "teach") now, or None; ``started(since)``
    counts what they did since then (unix seconds) in the store, over all their sessions."""
    now = time.time() if now is None else now
    most, window = RATES[action]
    if action == "train" and started(now - PERSON_DAY) >= MAX_RUNS:
        return f"You have started {MAX_RUNS} runs today, the most one person may."
    if started(now - window) >= most:
        what = "runs" if action == "train" else "drawings kept for the room"
        return f"That is {most} {what} in {window:.0f} s from you (all your tabs together): wait a little."
    return None


def runs_left(ss: MutableMapping) -> int:
    return MAX_RUNS - ss.get("_runs_started", 0)


def count_run(ss: MutableMapping) -> None:
    ss["_runs_started"] = ss.get("_runs_started", 0) + 1


def trim(models: MutableMapping, keep: set[str], limit: int = MAX_MODELS) -> list[str]:
    """Drop the oldest models (insertion order) beyond ``limit``, never those in ``keep``.
    Returns the labels of those dropped."""
    dropped = []
    for key in list(models):
        if len(models) - len(keep & set(models)) <= limit:
            break
        if key not in keep:
            dropped.append(models.pop(key).label)
    return dropped
