"""Per-session limits: how often Train and Stop may be clicked, how many runs a session may
start, and how many models it keeps. Pure functions on a session-state-like mapping."""

from __future__ import annotations

import time
from collections.abc import MutableMapping

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
