"""A participant without a browser: one WebSocket to ``/_stcore/stream`` speaking Streamlit's protocol.

It carries the protobuf messages a browser sends (``BackMsg.rerun_script`` with its widget states)
and receives (``ForwardMsg``). Like a browser it keeps a table of every widget's state, built from
the deltas it receives (each widget's id and its current or default value, as Streamlit's frontend
commits them on mount), and sends all of it with every rerun. It opens a session (the first script
run), then, as the page's layout helper does once the canvas is laid out, sends its
``canvas_ready`` trigger, which gives the page's second run: the sidebar (its settings widgets and
the presence heartbeat). A stroke is sent as the canvas component sends it: the component's JSON
state ``{"strokes": [{"w": width, "p": [x0, y0, x1, y1, ...]}]}`` in the coordinates of a 280x280
drawing, with the fragment id the canvas was rendered in (a browser reruns only that fragment).
Like a browser, it reruns each ``run_every`` fragment on its timer. Sessions carry the cookies a
browser has (``ds_id``, and nginx's ``ds_replica`` from a first GET /).

The server load test (bench/wsload.py) runs many of them; tests/test_wsload.py checks that what
they send is what a browser sends.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
import urllib.parse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

from testkit.drawing import PLACEMENTS, stroke_points

CANVAS = "digit_studio.canvas"
LAYOUT = "digit_studio.layout"  # ui/layout.py: tells the server once the canvas is laid out
SIDEBAR = 1  # RootContainer.SIDEBAR: the first index of a sidebar element's delta path
TRIGGERS = "$$STREAMLIT_INTERNAL_KEY_{id}__events"  # a v2 component's trigger widget (its events)
ANSWER_TIMEOUT = 30.0  # a stroke without a prediction by then counts as unanswered


def drawing(digit: int, placement: str, width: float = 22) -> dict:
    """The canvas component's state after drawing ``digit``: dense points, as pointer moves give."""
    strokes = []
    for pts in stroke_points(digit, PLACEMENTS[placement]):
        flat = [round(pts[0][0], 1), round(pts[0][1], 1)]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            n = max(1, int(max(abs(x1 - x0), abs(y1 - y0)) // 3))  # a point every ~3 px
            for k in range(1, n + 1):
                flat += [round(x0 + (x1 - x0) * k / n, 1), round(y0 + (y1 - y0) * k / n, 1)]
        strokes.append({"w": width, "p": flat})
    return {"strokes": strokes}


DRAWINGS = [json.dumps(drawing(d, p)) for d in range(10) for p in ("big", "small", "top-left")]


async def http_get(host: str, port: int, path: str, cookie: str) -> bytes:
    """A minimal HTTP/1.1 GET (the benchmark needs nothing more): the response's headers and body."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n".encode()
    )
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data


class WidgetTable:
    """The widget states a browser holds and sends with each rerun, built from received elements.

    Streamlit's frontend commits each value widget's state when it mounts: the value the server
    set (``set_value``) or else the widget's default, in the widget's value type; a button, a
    tab bar or a component commits nothing until used. Widgets inside a form wait for its submit
    button. A full run's widgets replace the table when it finishes (a fragment's run adds to
    it). Triggers (a component's event) are sent with one rerun only.
    """

    def __init__(self) -> None:
        self.states: dict[str, WidgetState] = {}
        self.seen: set[str] = set()  # widget ids of the full run in flight
        self.kinds: dict[str, int] = {}  # widget elements seen, by type (what the table knows)

    def element(self, el) -> None:
        """A new element from a delta: if it is a widget with a value, commit it."""
        kind = el.WhichOneof("type")
        w = getattr(el, kind)
        wid = getattr(w, "id", "")
        if not wid or not isinstance(wid, str):
            return
        self.seen.add(wid)
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if getattr(w, "form_id", ""):
            return
        state = mounted_state(kind, w)
        if state is not None:
            state.id = wid
            old = self.states.get(wid)
            # the frontend keeps what the user set unless the server sets a value
            if old is None or getattr(w, "set_value", False):
                self.states[wid] = state

    def set_json(self, wid: str, value: str) -> None:
        """A component's state, as ``setStateValue`` sends it (the canvas's drawing)."""
        self.states[wid] = WidgetState(id=wid, json_value=value)

    def full_run_started(self) -> None:
        self.seen = set()

    def full_run_finished(self) -> None:
        self.states = {k: v for k, v in self.states.items() if k in self.seen}

    def proto(self, triggers: list[WidgetState] = ()) -> WidgetStates:
        return WidgetStates(widgets=[*self.states.values(), *triggers])


def mounted_state(kind: str, w) -> WidgetState | None:
    """The state Streamlit's frontend commits for a widget element when it mounts (None: none)."""
    s, set_value = WidgetState(), bool(getattr(w, "set_value", False))
    if kind == "checkbox":
        s.bool_value = w.value if set_value else w.default
    elif kind in ("selectbox", "radio"):
        if set_value:
            if not w.HasField("raw_value"):
                return None
            s.string_value = w.raw_value
        elif w.HasField("default") and 0 <= w.default < len(w.options):
            s.string_value = w.options[w.default]
        else:
            return None
    elif kind == "slider":
        if w.type == 2:  # SELECT_SLIDER: the options' labels
            values = list(w.raw_value) if set_value else [w.options[int(i)] for i in w.default]
            s.string_array_value.data[:] = values
        else:
            s.double_array_value.data[:] = list(w.value if set_value else w.default)
    elif kind == "number_input":
        value = w.value if set_value and w.HasField("value") else w.default if w.HasField("default") else None
        if value is None:
            return None
        if w.data_type == 0:  # INT
            s.int_value = int(value)
        else:
            s.double_value = value
    elif kind in ("text_input", "text_area"):
        if set_value and w.HasField("value"):
            s.string_value = w.value
        elif w.HasField("default"):
            s.string_value = w.default
        else:
            return None
    elif kind == "button_group":
        values = list(w.raw_values) if set_value else [w.options[i].content for i in w.default]
        s.string_array_value.data[:] = values
    elif kind == "multiselect":
        values = list(w.raw_values) if set_value else [w.options[i] for i in w.default]
        s.string_array_value.data[:] = values
    else:
        return None  # buttons, tab bars, components, uploaders: nothing until used
    return s


class Participant:
    def __init__(self, index: int, url: str, stats: dict, media: bool, layout: bool = True) -> None:
        u = urllib.parse.urlparse(url)
        self.host, self.port, self.index, self.stats, self.media = u.hostname, u.port, index, stats, media
        self.layout = layout  # send the layout helper's canvas_ready trigger, as the page does
        self.cookies = {"ds_id": secrets.token_urlsafe(32)}
        self.ws = None
        self.canvas_id = self.fragment_id = self.page_hash = ""
        self.layout_id, self.layout_token, self.told = "", None, None
        self.widgets = WidgetTable()
        self.sidebar = 0  # sidebar elements received
        self.sent = self.received = 0  # BackMsgs sent, ForwardMsgs received
        self.waiting: asyncio.Future | None = None
        self.finished: asyncio.Future | None = None
        self.images: list[str] = []
        self.replica = ""
        self.timers: dict[str, tuple[float, asyncio.Task]] = {}  # fragment id -> its run_every timer

    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def open(self) -> None:
        """The first page, then (as the layout helper does) its second run with the sidebar."""
        head = (await http_get(self.host, self.port, "/", self.cookie())).split(b"\r\n\r\n", 1)[0].decode("latin-1")
        for line in head.split("\r\n"):
            if line.lower().startswith("set-cookie:"):
                name, _, value = line.split(":", 1)[1].strip().split(";", 1)[0].partition("=")
                self.cookies[name] = value
        self.ws = await websockets.connect(
            f"ws://{self.host}:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers={"Cookie": self.cookie()},
            max_size=None,
            ping_interval=None,
            compression=None,
        )
        asyncio.get_running_loop().create_task(self._reader())
        await self._full_run(BackMsg(rerun_script={"query_string": "", "page_script_hash": ""}))
        if not self.canvas_id:
            raise RuntimeError("the first page has no canvas")
        if self.layout and self.layout_token and self.told != self.layout_token:
            await self.canvas_ready()
            if not self.sidebar:
                raise RuntimeError("no sidebar after the canvas_ready trigger")

    async def canvas_ready(self) -> None:
        """What ui/layout.py's component sends once the canvas is laid out: a full rerun with its
        trigger beside every widget's state."""
        self.told = self.layout_token
        trigger = WidgetState(
            id=TRIGGERS.format(id=self.layout_id),
            json_trigger_value=json.dumps([{"event": "canvas_ready", "value": True}]),
        )
        await self._full_run(BackMsg(rerun_script=self._rerun(trigger)))

    async def _full_run(self, msg: BackMsg) -> None:
        self.finished = asyncio.get_running_loop().create_future()
        self.widgets.full_run_started()
        await self._send(msg)
        await asyncio.wait_for(self.finished, ANSWER_TIMEOUT * 4)

    async def _send(self, msg: BackMsg) -> None:
        self.sent += 1
        await self.ws.send(msg.SerializeToString())

    async def _reader(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg.FromString(raw)
                kind = msg.WhichOneof("type")
                self.stats["messages"] += 1
                self.received += 1
                if kind == "delta":
                    self._delta(msg)
                elif kind == "auto_rerun" and self.stats["auto_reruns"] is not None:
                    self._auto_rerun(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
                elif kind == "stop_auto_rerun":
                    self._stop_auto_rerun(msg.stop_auto_rerun.fragment_ids)
                elif kind == "new_session":
                    self.page_hash = msg.new_session.page_script_hash
                elif kind == "script_finished":
                    if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                        self.widgets.full_run_finished()
                    if self.finished and not self.finished.done():
                        self.finished.set_result(time.perf_counter())
        except websockets.ConnectionClosed:
            pass
        except Exception as exc:  # a client bug must show, not hang the run
            self.stats["errors"].append(f"{type(exc).__name__}: {exc}")

    def _delta(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        if msg.metadata.delta_path and msg.metadata.delta_path[0] == SIDEBAR:
            self.sidebar += 1
        el = delta.new_element
        kind = el.WhichOneof("type")
        self.widgets.element(el)
        if kind == "bidi_component" and el.bidi_component.component_name == CANVAS:
            self.canvas_id, self.fragment_id = el.bidi_component.id, delta.fragment_id
        elif kind == "bidi_component" and el.bidi_component.component_name == LAYOUT:
            self.layout_id = el.bidi_component.id
            self.layout_token = json.loads(el.bidi_component.json or "{}").get("await_canvas")
        elif kind == "metric" and el.metric.label == "Prediction":
            if self.waiting is not None and not self.waiting.done():
                self.waiting.set_result(time.perf_counter())
        elif kind == "imgs":
            self.images += [i.url for i in el.imgs.imgs if i.url.startswith("/media/")]
        elif kind == "markdown" and el.markdown.body.startswith("replica "):
            self.replica = el.markdown.body

    async def stroke(self, value: str) -> float | None:
        """Send one drawing; seconds until its prediction arrived (None: never)."""
        loop = asyncio.get_running_loop()
        self.waiting, self.finished, self.images = loop.create_future(), loop.create_future(), []
        self.widgets.set_json(self.canvas_id, value)
        rerun = self._rerun()
        if self.fragment_id:
            rerun["fragment_id"] = self.fragment_id
        t0 = time.perf_counter()
        await self._send(BackMsg(rerun_script=rerun))
        try:
            t1 = await asyncio.wait_for(asyncio.shield(self.waiting), ANSWER_TIMEOUT)
            await asyncio.wait_for(self.finished, ANSWER_TIMEOUT)
        except TimeoutError:
            return None
        if self.media:
            await asyncio.gather(*(http_get(self.host, self.port, u, self.cookie()) for u in self.images))
        return t1 - t0

    def _rerun(self, *triggers: WidgetState) -> dict:
        """A rerun as the browser sends it: this page, and the state of every widget it holds."""
        return {
            "query_string": "",
            "page_script_hash": self.page_hash,
            "widget_states": self.widgets.proto(list(triggers)),
        }

    def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        """A fragment with ``run_every`` (the presence heartbeat): the browser reruns it on a timer,
        a ``setInterval`` that sends whether or not a script is running (Streamlit's App.tsx,
        ``handleAutoRerun``); the same interval again keeps the timer, a new one replaces it."""
        old = self.timers.get(fragment_id)
        if old is not None and old[0] == interval:
            return
        self._stop_auto_rerun([fragment_id])
        if interval <= 0:
            return

        async def tick() -> None:
            while True:
                await asyncio.sleep(interval)
                self.stats["auto_reruns"] += 1
                await self._send(BackMsg(rerun_script={**self._rerun(), "fragment_id": fragment_id}))

        self.timers[fragment_id] = (interval, asyncio.get_running_loop().create_task(tick()))

    def _stop_auto_rerun(self, fragment_ids) -> None:
        for fragment_id in fragment_ids:
            timer = self.timers.pop(fragment_id, None)
            if timer is not None:
                timer[1].cancel()

    async def close(self) -> None:
        self._stop_auto_rerun(list(self.timers))
        if self.ws is not None:
            await self.ws.close()
