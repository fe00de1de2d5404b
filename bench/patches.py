"""What each of ui/streamlit_patches.py's patches saves: server CPU per stroke, with and without it.

python -m bench.patches [--pairs 3] [--sessions 150] [--seconds 40]

For each patch, ``--pairs`` interleaved pairs of bench.wsload runs on one fresh server each: every
patch installed (A), and every patch but that one (B); the order within a pair alternates, so a
machine that slows down or speeds up over the run weighs on both alike. A patch earns its place
when it saves at least KEEP_SHARE of a stroke's server CPU in every pair. Loopback only; nothing
else should run meanwhile (``flock /tmp/bench.lock``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import urllib.request
from pathlib import Path

from bench import wsload
from ui.streamlit_patches import PATCHES, PATCHES_ENV

KEEP_SHARE = 0.10  # a patch must save this share of a stroke's server CPU in every pair


def cpu_per_stroke(patches: tuple[str, ...], sessions: int, seconds: float) -> float:
    """Server CPU ms per stroke of one bench.wsload run on a fresh server with only ``patches``."""
    with tempfile.TemporaryDirectory(prefix="digit-studio-patches-") as tmp:
        env = {"DIGIT_STUDIO_RUNS": str(Path(tmp) / "history.sqlite"), PATCHES_ENV: ",".join(patches)}
        proc, url = wsload.start_server(env)
        try:
            urllib.request.urlopen(url + "/", timeout=30).read()
            r = asyncio.run(wsload.run(url, [proc.pid], sessions, 5.0, seconds, 0.1 * sessions, True, True, True))
        finally:
            wsload.stop_server(proc)
    return r["server_cpu_ms_per_stroke"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=150)
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--only", default="", help="comma-separated patch names (default: all)")
    args = ap.parse_args(argv)
    names = [n for n in PATCHES if not args.only or n in args.only.split(",")]
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for name in names:
        others = tuple(n for n in PATCHES if n != name)
        saved = []
        for pair in range(args.pairs):
            runs = [("with", PATCHES), ("without", others)]
            if pair % 2:
                runs.reverse()
            ms = {label: cpu_per_stroke(p, args.sessions, args.seconds) for label, p in runs}
            saved.append(1 - ms["with"] / ms["without"])
            print(
                f"{name}: pair {pair + 1}: {ms['with']:.2f} ms with, {ms['without']:.2f} ms without "
                f"({saved[-1]:+.1%} saved)",
                flush=True,
            )
        verdict = "keep" if min(saved) >= KEEP_SHARE else "remove"
        print(f"{name}: saves {min(saved):+.1%} .. {max(saved):+.1%} of a stroke's server CPU: {verdict}")


if __name__ == "__main__":
    main()
