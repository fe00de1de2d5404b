"""What one stroke's own work costs the server, part by part, outside Streamlit.

python -m bench.strokeparts

The same 30 drawings as bench/wsload.py sends (testkit/wsclient.py: the canvas component's JSON),
through what the Draw tab's ``_live`` fragment runs for them (ui/draw.py, ui/canvas.py): the
strokes checked, drawn, the ink checked, framed and classified, the digitness check, and the
pictures and HTML of the answer. One torch thread, as the app runs. Best of 3 passes,
milliseconds per drawing. Compare with bench/wsload.py's server CPU per stroke: the rest is
Streamlit's rerun and its messages.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import torch

import model
from testkit.wsclient import DRAWINGS
from ui.tabs import draw
from ui.widgets import canvas, inline


def _best(items: list, f, reps: int = 3) -> float:
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        for item in items:
            f(item)
        best = min(best, (time.perf_counter() - t) / len(items))
    return 1000 * best


def main() -> None:
    torch.set_num_threads(1)
    net = model.load_default()
    entry = SimpleNamespace(net=net)
    raws = [json.loads(d)["strokes"] for d in DRAWINGS]
    strokes = [canvas.clean_strokes(r) for r in raws]
    inks = [canvas._ink(s) for s in strokes]
    results = [draw.classify(net, d) for d in inks]
    parts = {
        "strokes checked (clean_strokes)": (raws, canvas.clean_strokes),
        "drawn (canvas._ink)": (strokes, canvas._ink),
        "ink checked (ink_problem)": (inks, model.ink_problem),
        "framed and classified (classify)": (inks, lambda d: draw.classify(net, d)),
        "digitness (not_a_digit)": (results, lambda r: model.not_a_digit(r.steps["ink"], r.framed)),
        "why (_explain, 2 PNGs)": (results, lambda r: draw._explain(entry, r)),
        "what it sees (3 PNGs)": (
            results,
            lambda r: (
                draw._ink_figure(r.steps["ink"], r.steps["box"]),
                inline.png_uri(inline.gray8(r.steps["scaled"])),
                inline.png_uri(inline.gray8(r.steps["framed"])),
            ),
        ),
        "bars (inline.bars)": (results, lambda r: inline.bars(r.proba, int(r.proba.argmax()), "x")),
    }
    total = 0.0
    for name, (items, f) in parts.items():
        ms = _best(items, f)
        total += ms
        print(f"  {name:34s} {ms:6.3f} ms")
    print(f"  {'all of it, per drawing':34s} {total:6.3f} ms  ({len(DRAWINGS)} drawings, best of 3)")


if __name__ == "__main__":
    main()
