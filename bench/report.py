"""Write docs/performance.md from the quick benchmarks: python -m bench.report [NAME ...].

Each benchmark runs in its own process (``python -m bench NAME``, as a reader would run it) and
prints its figures; every printed line that states its goal ("(goal ...)", "(target ...)",
"(budget ...)") becomes a row of the table, the goal beside the figure. The page says which
machine and which commit measured them. It keeps no history: git does.

The long benchmarks (a real browser, many sessions, a cluster) are not run here: they take
minutes each and want a machine of their own. The page lists them with their commands.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "performance.md"
GOAL = re.compile(r"^(?P<figure>.*?)\s+\((?P<goal>(?:goal|target|budget)\b.*)\)\s*$")


@dataclass(frozen=True)
class Bench:
    name: str  # python -m bench NAME
    what: str  # what it measures, for the page's heading


QUICK = [
    Bench("speed", "Training speed: the tutorials' loop against `fit()`, same settings"),
    Bench("accuracy", "The recommended preset's accuracy and training time, and the shipped model on drawings"),
    Bench("prep", "Framing all 70,000 MNIST digits"),
    Bench("latency", "A stroke's own work: strokes to pixels, framing and the forward pass"),
    Bench("hands", "The shipped model on other hands"),
    Bench("photos", "Photos of digits on paper"),
    Bench("nondigits", "What is not a digit"),
    Bench("upload", "One upload's CPU and memory"),
]

# Long benchmarks: (command, what it measures, goal). Run by hand on a quiet machine.
LONG = [
    (
        "python -m bench.coldstart --sessions 30",
        "server start, canvas ready in a second browser, first epoch on screen, memory per session",
        "canvas ready <= 3 s; first epoch <= 1 s after Train; <= 400 MB RssAnon; <= 5 MB per idle session",
    ),
    (
        "python -m bench.wsload --replicas 1 --sessions 150 --seconds 30",
        "one server, 150 simulated participants drawing every 5 s (WebSocket, no browser)",
        "every stroke answered; stroke -> prediction p95 <= 1 s",
    ),
    (
        "python -m bench.wsload --replicas 2 --sessions 300 --seconds 30",
        "PostgreSQL, two replicas and nginx, 300 simulated participants",
        "every stroke answered; stroke -> prediction p95 <= 1 s",
    ),
    (
        "python -m bench.room_board",
        "server CPU with 40 participants' sessions open, then with the room board",
        "the board adds <= 10 % of one core",
    ),
    (
        "python -m bench.load --sessions 20 --trainers 4 --seconds 150 --epochs 30",
        "20 Chromium sessions drawing on one server while 4 of them train",
        "no errors; draw -> prediction p95 <= 1 s (each browser on its own device)",
    ),
]


def machine() -> str:
    """CPU model, cores, memory and load average, read from /proc where there is one."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return f"{cpu}, {os.cpu_count()} logical cores{mem}, {platform.system()} {platform.release()}; load average {load}"


def commit() -> str:
    """The commit measured, with a note when the working tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown (no git)"
    sha = head.stdout.strip() or "unknown"
    return sha + (" with uncommitted changes" if dirty.stdout.strip() else "")


def rows(output: str) -> list[tuple[str, str]]:
    """(figure, goal) for every printed line that states its goal."""
    found = []
    for line in output.splitlines():
        m = GOAL.match(line.strip())
        if m:
            found.append((m["figure"].strip(), m["goal"].strip()))
    return found


def run(bench: Bench) -> tuple[list[tuple[str, str]], float, str | None]:
    """Run one benchmark in its own process: its rows, its wall seconds, and an error if it failed."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bench", bench.name], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    sys.stdout.write(done.stdout)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return rows(done.stdout), seconds, f"exit {done.returncode}: {last}"
    return rows(done.stdout), seconds, None


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(results: list[tuple[Bench, list[tuple[str, str]], float, str | None]], where: str, sha: str) -> str:
    out = [
        "# Performance",
        "",
        "<!-- Written by `python -m bench.report` (make performance). Do not edit by hand: run it again. -->",
        "",
        "The quick benchmarks' figures, each beside its goal. Regenerate them with",
        "",
        "```sh",
        "make performance",
        "```",
        "",
        f"- **Machine:** {where}",
        f"- **Commit:** {sha}",
        "- **How:** each benchmark in its own process, one after another; a shared machine's load moves",
        "  the times (not the accuracies), so compare times only between runs on the same machine.",
        "",
    ]
    for bench, found, seconds, error in results:
        command = f"python -m bench {bench.name}"
        out += [f"## {bench.what}", "", f"`{command}` ({seconds:.0f} s)", ""]
        if error:
            out += [f"**Failed** ({cell(error)}).", ""]
        if found:
            out += ["| figure | goal |", "|---|---|"]
            out += [f"| {cell(figure)} | {cell(goal)} |" for figure, goal in found]
            out.append("")
        elif not error:
            out += ["(It printed no figure with a goal.)", ""]
    out += [
        "## Longer benchmarks",
        "",
        "Not run by this command: each takes minutes, starts servers or browsers, and wants a machine",
        "of its own. Run one by hand and compare its output with the goal.",
        "",
        "| command | what it measures | goal |",
        "|---|---|---|",
    ]
    out += [f"| `{command}` | {cell(what)} | {cell(goal)} |" for command, what, goal in LONG]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help=f"benchmarks to run (default: {' '.join(b.name for b in QUICK)})")
    ap.add_argument("--out", type=Path, default=OUT, help="where to write the page")
    args = ap.parse_args(argv)
    known = {b.name: b for b in QUICK}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        ap.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(known)}")
    where, sha = machine(), commit()
    results = []
    for bench in [known[n] for n in args.names] or QUICK:
        results.append((bench, *run(bench)))
    args.out.write_text(render(results, where, sha))
    print(f"\nwrote {args.out}")
    return 1 if any(error for *_, error in results) else 0


if __name__ == "__main__":
    sys.exit(main())
