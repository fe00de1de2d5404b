"""Does bench.wsload's client cost the server what a browser does? One Chromium session and one
client session on the same server, the same steps, their WebSocket messages counted.

python -m bench.wsparity [--idle 25]

A first client session warms the server up (a server's first session starts its warm-up). Then
each opens the page (its first run, then the run the layout helper asks for once the canvas is
laid out), draws two digits, then stays idle for ``--idle`` seconds (the presence heartbeat
reruns every 20 s). Prints, per step, the reruns sent (BackMsg) and the messages received
(ForwardMsg), and whether the widget states of a stroke's rerun are the same widgets with the
same values. Needs Chromium (testkit/browser.py); loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from streamlit.proto.BackMsg_pb2 import BackMsg

from testkit import wsclient
from testkit.browser import CHROMIUM_ARGS, chromium_path, draw_strokes, start_server, stop_server, wait_idle
from testkit.drawing import PLACEMENTS, stroke_points

DIGITS = (3, 7)


def browser_session(url: str, idle: float) -> tuple[dict, list[BackMsg]]:
    """Counts per step for one Chromium session, and the BackMsgs it sent."""
    from playwright.sync_api import sync_playwright

    sent, received, counts = [], [0], {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})

        def on_ws(ws):
            if ws.url.endswith("/_stcore/stream"):
                ws.on("framesent", lambda f: sent.append(BackMsg.FromString(f if isinstance(f, bytes) else f.encode())))
                ws.on("framereceived", lambda f: received.__setitem__(0, received[0] + 1))

        page.on("websocket", on_ws)
        page.goto(url)
        page.get_by_test_id("stSidebar").get_by_role("button", name="Train", exact=True).wait_for(timeout=90_000)
        wait_idle(page)
        page.wait_for_timeout(2000)  # anything else the page sends by itself
        counts["open"] = (len(sent), received[0])
        for d in DIGITS:
            n = len(sent)
            draw_strokes(page, stroke_points(d, PLACEMENTS["big"]))
            deadline = time.monotonic() + 30
            while len(sent) == n and time.monotonic() < deadline:
                page.wait_for_timeout(100)
            page.wait_for_timeout(1500)
            wait_idle(page)
        counts["strokes"] = (len(sent) - counts["open"][0], received[0] - counts["open"][1])
        before = (len(sent), received[0])
        page.wait_for_timeout(idle * 1000)
        counts["idle"] = (len(sent) - before[0], received[0] - before[1])
        browser.close()
    return counts, sent


async def client_session(url: str, idle: float, drawings: list[str]) -> tuple[dict, wsclient.Participant]:
    stats = {"messages": 0, "errors": [], "auto_reruns": 0}
    p = wsclient.Participant(0, url, stats, media=False)
    await p.open()
    await asyncio.sleep(2)
    counts = {"open": (p.sent, p.received)}
    for d in drawings:
        if await p.stroke(d) is None:
            stats["errors"].append("a stroke went unanswered")
        await asyncio.sleep(1.5)
    counts["strokes"] = (p.sent - counts["open"][0], p.received - counts["open"][1])
    before = (p.sent, p.received)
    await asyncio.sleep(idle)
    counts["idle"] = (p.sent - before[0], p.received - before[1])
    await p.close()
    if stats["errors"]:
        raise RuntimeError("; ".join(stats["errors"]))
    return counts, p


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--idle", type=float, default=25.0, help="seconds idle after the strokes (heartbeat: 20 s)")
    args = ap.parse_args(argv)
    if chromium_path() is None:
        raise SystemExit("no Chromium (testkit/browser.py looks for /usr/bin/chromium)")
    with tempfile.TemporaryDirectory(prefix="digit-studio-wsparity-") as tmp:
        proc, url = start_server({"DIGIT_STUDIO_RUNS": f"{tmp}/history.sqlite"})
        try:
            asyncio.run(client_session(url, 0, wsclient.DRAWINGS[:1]))  # the server's warm-up, for neither
            seen, sent = browser_session(url, args.idle)
            strokes = [m for m in sent if m.rerun_script.fragment_id and m.rerun_script.widget_states.widgets]
            canvas = [w for w in strokes[0].rerun_script.widget_states.widgets if w.id.endswith("-canvas")]
            # the client sends the browser's own drawings: the same work for the server
            drawings = [
                next(w.json_value for w in m.rerun_script.widget_states.widgets if w.id == canvas[0].id)
                for m in strokes[: len(DIGITS)]
            ]
            mine, p = asyncio.run(client_session(url, args.idle, drawings))
        finally:
            stop_server(proc)
    print(f"{'step':<28}{'Chromium sent / received':>26}{'bench.wsload sent / received':>32}")
    names = {"open": "open (2 runs)", "strokes": f"{len(DIGITS)} strokes", "idle": f"idle {args.idle:g} s"}
    for step, name in names.items():
        theirs, ours = "{} / {}".format(*seen[step]), "{} / {}".format(*mine[step])
        print(f"{name:<28}{theirs:>26}{ours:>32}")
    theirs = {w.id: w for w in strokes[-1].rerun_script.widget_states.widgets}
    ours = {w.id: w for w in p.widgets.proto().widgets}
    differ = sorted(k for k in theirs.keys() & ours.keys() if theirs[k] != ours[k])
    print(
        f"a stroke's widget states: Chromium {len(theirs)}, client {len(ours)}; only Chromium "
        f"{sorted(theirs.keys() - ours.keys()) or '-'}, only client {sorted(ours.keys() - theirs.keys()) or '-'}, "
        f"values differ {differ or '-'}"
    )


if __name__ == "__main__":
    main()
