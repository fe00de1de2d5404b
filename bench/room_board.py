"""What the room costs the server: 40 participants' sessions open and the room board on the
projector, measured as the server process's CPU time.

python -m bench.room_board [--sessions 40] [--seconds 60]

One server on loopback, a run history filled beforehand (30 finished runs, 200 labelled
drawings, a timed round under way). The sessions are light websocket clients that speak
Streamlit's own protocol, as a browser tab does: each loads the studio page once, then reruns
every fragment when the server asks (``auto_rerun``) — the presence note every 20 s, and on the
board the live panel every 2 s and the round clock every 1 s. So this measures the server's
share only; each browser renders on its owner's machine. Phases, ``--seconds`` each:
idle server; the participants' sessions open; the same plus one board. Prints CPU as % of one
core for each and the differences.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from tornado.websocket import websocket_connect

from bench.load import cpu_seconds
from testkit.browser import start_server, stop_server


def prefill(path: Path, runs: int = 30, drawings: int = 200) -> None:
    """A room mid-workshop: finished runs with models, labelled drawings, a round running."""
    import numpy as np

    import model
    import store
    from testkit.drawing import random_drawing
    from train import TrainConfig
    from ui import room
    from ui.tabs import teach

    s = store.Store(path)
    blob = model.checkpoint.DEFAULT_PATH.read_bytes()
    presenter = store.Actor("p" * 32, presenter=True)
    for i in range(runs):
        owner = f"{i:032x}"
        s.seen(owner, f"Guest {i:04x}")
        s.set_nickname(owner, f"writer {i}")
        rid = s.start_run(TrainConfig(epochs=2).to_dict(), "app", f"run {i}", owner)
        s.finish_run(rid, "finished", test_accuracy=0.9 + i / 1000, duration=1.0, checkpoint=blob)
    rng = np.random.default_rng(0)
    for i in range(drawings):
        digit = i % 10
        image = random_drawing(digit, rng)
        s.add_drawing(f"{i % runs:032x}", digit, teach.drawing_png(image), room.framed_bytes(image))
    s.start_round(3600, 3, "Best room accuracy with at most 3 s of training", presenter)
    s.close()


class Session:
    """One browser tab's worth of Streamlit protocol: load a page, then honour auto-reruns."""

    def __init__(self, url: str, page: str = "") -> None:
        self.url, self.page = url, page
        self.page_hash = ""
        self.runs = 0
        self.timers: dict[str, asyncio.Task] = {}

    async def open(self) -> None:
        ws_url = self.url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = await websocket_connect(ws_url, subprotocols=["streamlit"])
        self.reader = asyncio.ensure_future(self._read())
        await self._rerun()

    async def _rerun(self, fragment_id: str = "") -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = ""
        cs.page_name = self.page
        if self.page_hash:
            cs.page_script_hash = self.page_hash
        if fragment_id:
            cs.fragment_id = fragment_id
            cs.is_auto_rerun = True
        await self.ws.write_message(msg.SerializeToString(), binary=True)

    async def _read(self) -> None:
        while True:
            data = await self.ws.read_message()
            if data is None:
                return
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "navigation":
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "script_finished":
                self.runs += 1
            elif kind == "auto_rerun":
                fid, every = msg.auto_rerun.fragment_id, msg.auto_rerun.interval
                if fid not in self.timers:
                    self.timers[fid] = asyncio.ensure_future(self._every(fid, every))

    async def _every(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._rerun(fragment_id)

    def close(self) -> None:
        for t in self.timers.values():
            t.cancel()
        self.reader.cancel()
        self.ws.close()


async def measure(pid: int, seconds: float) -> float:
    """Server CPU over ``seconds``, as a share of one core."""
    before, t0 = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.monotonic() - t0)


async def settle(sessions: list[Session], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while any(s.runs == 0 for s in sessions) and time.monotonic() < deadline:
        await asyncio.sleep(0.5)


async def bench(url: str, pid: int, n: int, seconds: float) -> dict:
    out = {"idle": await measure(pid, seconds)}
    people = [Session(url) for _ in range(n)]
    for s in people:
        await s.open()
        await asyncio.sleep(0.05)
    await settle(people)
    await asyncio.sleep(20)  # first-load work (one full script run each, caches warming) is over
    out["participants"] = await measure(pid, seconds)
    board = Session(url, page="room")
    await board.open()
    await settle([board])
    await asyncio.sleep(3)
    runs_before = board.runs
    out["board"] = await measure(pid, seconds)
    out["board_reruns"] = board.runs - runs_before
    for s in [*people, board]:
        s.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        history = Path(tmp) / "history.sqlite"
        prefill(history)
        env = {"DIGIT_STUDIO_RUNS": str(history), "DIGIT_STUDIO_PRESENTER_PASSCODE": "bench-only"}
        proc, url = start_server(env)
        try:
            found = asyncio.run(bench(url, proc.pid, args.sessions, args.seconds))
        finally:
            stop_server(proc)
    idle, people, board = found["idle"], found["participants"], found["board"]
    print(f"server CPU, % of one core, {args.seconds:.0f} s per phase ({os.cpu_count()} cores, shared machine):")
    print(f"  idle server                           {100 * idle:6.2f} %")
    print(f"  + {args.sessions} participants' sessions open      {100 * people:6.2f} %")
    print(f"  + the board (fragments {found['board_reruns']} reruns)    {100 * board:6.2f} %")
    print(f"  the board adds                        {100 * (board - people):6.2f} %   (target: the room <= 10 %)")
    print(f"  sessions + board over idle            {100 * (board - idle):6.2f} %")


if __name__ == "__main__":
    main()
