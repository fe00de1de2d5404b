"""Load test of the server alone: simulated participants that speak Streamlit's WebSocket protocol.

python -m bench.wsload --replicas 1 --sessions 150 [--every 5] [--seconds 60]
python -m bench.wsload --replicas 2 --sessions 300          # PostgreSQL + 2 replicas + nginx
python -m bench.wsload --url http://127.0.0.1:8500 --pids 123,456 --sessions 50   # a running server

No browser: each participant is one WebSocket to ``/_stcore/stream`` carrying the protobuf
messages a browser sends (``BackMsg.rerun_script`` with its widget states) and receives
(``ForwardMsg``). Like a browser it keeps a table of every widget's state, built from the deltas
it receives (each widget's id and its current or default value, as Streamlit's frontend commits
them on mount), and sends all of it with every rerun. It opens a session (the first script
run), then, as the page's layout helper does once the canvas is laid out, sends its
``canvas_ready`` trigger, which gives the page's second run: the sidebar (its settings widgets
and the presence heartbeat). Then every ``--every`` seconds
(random phase) sends a drawing as the canvas component sends it: the component's JSON state
``{"strokes": [{"w": width, "p": [x0, y0, x1, y1, ...]}]}`` in the coordinates of a 280x280
drawing, with the fragment id the canvas was rendered in (a browser reruns only that
fragment). It times send -> arrival of the "Prediction" metric, then fetches the page's
images from /media as a browser would (the Draw tab has none now). Like a browser, it reruns
each ``run_every`` fragment on its timer (the presence heartbeat: one small rerun per
participant every 20 s). Sessions carry the cookies a browser has (``ds_id``, and nginx's
``ds_replica`` from a first GET /). ``--no-layout`` leaves the trigger out (the client before
2 December: no sidebar, no heartbeat), to compare.

Reports sessions, strokes/s, p50/p95/p99 stroke -> prediction, strokes unanswered, server CPU
per stroke and resident memory per session (from /proc of the server processes), and this
client's own CPU (it runs on the same machine). Loopback only, bounded in sessions and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.load import cpu_seconds
from testkit.browser import free_port, start_server, stop_server
from testkit.wsclient import DRAWINGS, Participant

ROOT = Path(__file__).resolve().parents[1]
MAX_SESSIONS, MAX_SECONDS = 600, 600


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds of the processes and all their descendants (a compiler the warm-up runs),
    reaped children included."""
    parent, times = {}, {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(d.name)] = int(fields[1])
            times[int(d.name)] = sum(int(f) for f in fields[11:15])
    total = 0
    for pid in times:
        p = pid
        while p > 1 and p not in pids:
            p = parent.get(p, 0)
        if p in pids:
            total += times[pid]
    return total / os.sysconf("SC_CLK_TCK")


async def settle(pids: list[int], idle: float = 0.1, quiet: int = 3, timeout: float = 180.0) -> None:
    """Wait until the servers are idle (under ``idle`` cores for ``quiet`` seconds in a row): the first
    session starts each server's background warm-up (a compiler, MNIST framed, figures drawn),
    which is no part of the load."""
    deadline, calm = time.monotonic() + timeout, 0
    before = tree_cpu_seconds(pids)
    while time.monotonic() < deadline and calm < quiet:
        await asyncio.sleep(1)
        now = tree_cpu_seconds(pids)
        calm = calm + 1 if now - before < idle * max(1, len(pids)) else 0
        before = now


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


async def run(
    url: str,
    pids: list[int],
    sessions: int,
    every: float,
    seconds: float,
    ramp: float,
    media: bool,
    timers: bool,
    layout: bool = True,
):
    stats = {"messages": 0, "errors": [], "auto_reruns": 0 if timers else None}
    people = [Participant(i, url, stats, media, layout) for i in range(sessions)]
    warm = Participant(-1, url, stats, media, layout)  # the first session loads what every session shares
    await warm.open()
    await warm.stroke(DRAWINGS[0])
    await warm.close()
    await settle(pids)
    base_rss = sum(rss_mb(p) for p in pids)
    t_open = time.perf_counter()

    async def open_one(p: Participant, delay: float) -> bool:
        await asyncio.sleep(delay)
        try:
            await p.open()
            return True
        except Exception as exc:
            stats["errors"].append(f"open: {type(exc).__name__}: {exc}")
            return False

    opened = await asyncio.gather(*(open_one(p, ramp * i / sessions) for i, p in enumerate(people)))
    live = [p for p, ok in zip(people, opened, strict=True) if ok]
    open_seconds = time.perf_counter() - t_open
    await settle(pids)  # a second replica warms up at its first session
    rss_per_session = (sum(rss_mb(p) for p in pids) - base_rss) / max(1, len(live))
    latencies, unanswered, sent = [], 0, 0
    cpu0, me0, t0 = sum(cpu_seconds(p) for p in pids), time.process_time(), time.perf_counter()
    messages0, auto0 = stats["messages"], stats["auto_reruns"] or 0
    sent0, received0 = sum(p.sent for p in live), sum(p.received for p in live)
    end = t0 + seconds

    async def loop(p: Participant) -> None:
        nonlocal unanswered, sent
        rng = random.Random(p.index)
        first = t0 + rng.uniform(0, every)  # a random phase; past the end (a long --every): no stroke
        await asyncio.sleep(max(0.0, min(first, end) - time.perf_counter()))
        while time.perf_counter() < end:
            started = time.perf_counter()
            sent += 1
            took = await p.stroke(DRAWINGS[rng.randrange(len(DRAWINGS))])
            if took is None:
                unanswered += 1
            else:
                latencies.append(took)
            if started + every >= end:
                break  # no idle wait after the last stroke: it would dilute strokes/s and cores
            await asyncio.sleep(max(0.0, every - (time.perf_counter() - started)))

    await asyncio.gather(*(loop(p) for p in live))
    wall = time.perf_counter() - t0
    cpu = sum(cpu_seconds(p) for p in pids) - cpu0
    client_cpu = time.process_time() - me0
    per_minute = 60 / wall / max(1, len(live))
    replicas = sorted({p.replica for p in live if p.replica})
    await asyncio.gather(*(p.close() for p in live), return_exceptions=True)
    return {
        "sessions": len(live),
        "failed_to_open": sessions - len(live),
        "open_seconds": open_seconds,
        "strokes": sent,
        "answered": len(latencies),
        "unanswered": unanswered,
        "strokes_per_s": len(latencies) / wall,
        "messages_per_stroke": (stats["messages"] - messages0) / max(1, len(latencies)),
        "auto_reruns_per_s": ((stats["auto_reruns"] or 0) - auto0) / wall,
        "with_sidebar": sum(1 for p in live if p.sidebar),
        "widgets_sent": max((len(p.widgets.states) for p in live), default=0),
        "backmsgs_per_minute": (sum(p.sent for p in live) - sent0) * per_minute,
        "forwardmsgs_per_minute": (sum(p.received for p in live) - received0) * per_minute,
        "p50": pct(latencies, 50),
        "p95": pct(latencies, 95),
        "p99": pct(latencies, 99),
        "max": max(latencies, default=float("nan")),
        "server_cpu_ms_per_stroke": 1000 * cpu / max(1, len(latencies)),
        "server_cores": cpu / wall,
        "client_cores": client_cpu / wall,
        "rss_mb_per_session": rss_per_session,
        "server_rss_mb": sum(rss_mb(p) for p in pids),
        "replicas_seen": replicas,
        "errors": stats["errors"][:5],
    }


def start_cluster(folder: Path) -> tuple[dict, str, list[int]]:
    """PostgreSQL + 2 replicas + nginx on free loopback ports in ``folder`` (deploy/cluster.py)."""
    env = {
        **os.environ,
        "CLUSTER_DATA": str(folder),
        "CLUSTER_NGINX_PORT": str(free_port()),
        "CLUSTER_REPLICA_PORTS": f"{free_port()},{free_port()}",
        "CLUSTER_PG_PORT": str(free_port()),
        "CLUSTER_LISTEN": "127.0.0.1",
    }
    subprocess.run([sys.executable, "-m", "deploy.cluster", "start"], cwd=ROOT, env=env, check=True)
    ctl = [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(folder / "supervisord.conf"), "pid"]
    pids = [
        int(subprocess.run([*ctl, f"replica-{n}"], capture_output=True, text=True, check=True).stdout) for n in (1, 2)
    ]
    return env, f"http://127.0.0.1:{env['CLUSTER_NGINX_PORT']}", pids


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, choices=(1, 2), default=1, help="start 1 server, or 2 behind nginx")
    ap.add_argument("--url", help="a server already running on this machine (then --pids for its processes)")
    ap.add_argument("--pids", default="", help="comma-separated pids of the server processes, for CPU and memory")
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--every", type=float, default=5.0, help="seconds between one participant's drawings")
    ap.add_argument("--seconds", type=float, default=60.0, help="how long to measure after all sessions opened")
    ap.add_argument("--ramp", type=float, default=None, help="seconds over which sessions open (default 0.1 each)")
    ap.add_argument("--no-media", action="store_true", help="do not fetch the page's images after each stroke")
    ap.add_argument(
        "--no-layout",
        action="store_true",
        help="do not send the layout helper's canvas_ready trigger (no sidebar, no presence heartbeat)",
    )
    ap.add_argument(
        "--no-timers", action="store_true", help="do not rerun run_every fragments (the presence heartbeat)"
    )
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS or not 1 <= args.seconds <= MAX_SECONDS or args.every <= 0:
        ap.error(f"--sessions 1..{MAX_SESSIONS}, --seconds 1..{MAX_SECONDS}, --every > 0")
    ramp = args.ramp if args.ramp is not None else 0.1 * args.sessions
    with tempfile.TemporaryDirectory(prefix="digit-studio-wsload-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)  # PostgreSQL's user works inside
        cleanup, env = None, None
        if args.url:
            host = urllib.parse.urlparse(args.url).hostname
            if host not in ("127.0.0.1", "localhost", "::1"):
                ap.error("loopback only: --url must be http://127.0.0.1:PORT")
            url, pids = args.url.rstrip("/"), [int(p) for p in args.pids.split(",") if p]
        elif args.replicas == 1:
            proc, url = start_server({"DIGIT_STUDIO_RUNS": str(folder / "history.sqlite")})
            pids, cleanup = [proc.pid], lambda: stop_server(proc)
        else:
            env, url, pids = start_cluster(folder / "cluster")
            cleanup = lambda: subprocess.run([sys.executable, "-m", "deploy.cluster", "stop"], cwd=ROOT, env=env)
        try:
            urllib.request.urlopen(url + "/", timeout=30).read()  # the first page: caches warm
            r = asyncio.run(
                run(
                    url,
                    pids,
                    args.sessions,
                    args.every,
                    args.seconds,
                    ramp,
                    not args.no_media,
                    not args.no_timers,
                    not args.no_layout,
                )
            )
        finally:
            if cleanup:
                cleanup()
    where = (
        "given server" if args.url else f"{args.replicas} replica(s)" + (" behind nginx" if args.replicas == 2 else "")
    )
    print(
        f"{where}: {r['sessions']} sessions ({r['failed_to_open']} failed to open, "
        f"opened in {r['open_seconds']:.0f} s), "
        f"one drawing every {args.every:g} s each, {args.seconds:g} s measured"
    )
    print(
        f"  strokes {r['strokes']}, answered {r['answered']}, unanswered {r['unanswered']}, "
        f"{r['strokes_per_s']:.1f} strokes/s, {r['messages_per_stroke']:.0f} messages per stroke, "
        f"{r['auto_reruns_per_s']:.1f} timed fragment reruns/s"
    )
    print(
        f"  client: {'no layout trigger' if args.no_layout else 'browser-like (layout trigger, every widget state)'}; "
        f"{r['with_sidebar']} of {r['sessions']} sessions got the sidebar, "
        f"{r['widgets_sent']} widget states a rerun; per session per minute "
        f"{r['backmsgs_per_minute']:.1f} reruns sent, {r['forwardmsgs_per_minute']:.0f} messages received"
    )
    print(
        f"  stroke -> prediction p50 {r['p50']:.3f} s, p95 {r['p95']:.3f} s, p99 {r['p99']:.3f} s, max {r['max']:.3f} s"
    )
    print(
        f"  server CPU {r['server_cpu_ms_per_stroke']:.1f} ms per stroke ({r['server_cores']:.2f} cores); "
        f"this client {r['client_cores']:.2f} cores"
    )
    print(
        f"  server RSS {r['server_rss_mb']:.0f} MB, {r['rss_mb_per_session']:.2f} MB per session; "
        f"replicas seen: {', '.join(r['replicas_seen']) or '-'}"
    )
    if r["errors"]:
        print("  errors:", *r["errors"], sep="\n    ")


if __name__ == "__main__":
    main()
