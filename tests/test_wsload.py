"""testkit/wsclient.py, the load test's client: the widget states it sends are those a browser sends."""

import asyncio
import json

import pytest
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from testkit import wsclient


def element(kind: str, **fields) -> Element:
    el = Element()
    getattr(el, kind).SetInParent()
    for name, value in fields.items():
        target = getattr(el, kind)
        if isinstance(value, list):
            getattr(target, name).extend(value)
        else:
            setattr(target, name, value)
    return el


def states(table: wsclient.WidgetTable) -> dict:
    return {w.id: (w.WhichOneof("value"), getattr(w, w.WhichOneof("value"))) for w in table.proto().widgets}


def test_widgets_commit_their_value_on_mount_as_the_frontend_does():
    """The values Chromium sent for the app's sidebar (captured from its WebSocket, 2 December)."""
    table = wsclient.WidgetTable()
    table.element(element("checkbox", id="toggle", type=1))  # default False, nothing set
    table.element(element("checkbox", id="share", value=True, set_value=True))
    table.element(element("selectbox", id="model", default=0, options=["a", "b"], raw_value="b", set_value=True))
    table.element(element("selectbox", id="preset", default=1, options=["a", "b"]))
    table.element(element("slider", id="pen", type=1, default=[22.0], min=6, max=40))
    table.element(
        element("slider", id="lr", type=2, options=["0.01", "0.02"], default=[0], raw_value=["0.02"], set_value=True)
    )
    table.element(element("number_input", id="epochs", data_type=0, default=1, value=2, set_value=True))
    table.element(element("number_input", id="scale", data_type=1, default=0.5))
    table.element(element("text_input", id="name", default=""))
    table.element(element("button_group", id="label"))
    table.element(element("button", id="train"))  # a trigger: nothing until clicked
    table.element(element("text_input", id="passcode", default="", form_id="form"))  # waits for submit
    table.element(element("bidi_component", id="canvas", component_name=wsclient.CANVAS))  # sets its own state
    got = states(table)
    assert got["toggle"] == ("bool_value", False)
    assert got["share"] == ("bool_value", True)
    assert got["model"] == ("string_value", "b")
    assert got["preset"] == ("string_value", "b")
    assert got["pen"][0] == "double_array_value" and list(got["pen"][1].data) == [22.0]
    assert got["lr"][0] == "string_array_value" and list(got["lr"][1].data) == ["0.02"]
    assert got["epochs"] == ("int_value", 2)
    assert got["scale"] == ("double_value", 0.5)
    assert got["name"] == ("string_value", "")
    assert got["label"][0] == "string_array_value" and list(got["label"][1].data) == []
    assert not {"train", "passcode", "canvas"} & set(got)


def test_a_drawing_is_kept_and_a_full_run_drops_widgets_it_no_longer_has():
    table = wsclient.WidgetTable()
    table.element(element("checkbox", id="toggle", type=1))
    table.element(element("bidi_component", id="canvas", component_name=wsclient.CANVAS))
    table.set_json("canvas", '{"strokes": []}')
    table.element(element("checkbox", id="toggle", value=True))  # re-rendered: the browser keeps its own
    assert states(table) == {"toggle": ("bool_value", False), "canvas": ("json_value", '{"strokes": []}')}
    table.full_run_started()
    table.element(element("bidi_component", id="canvas", component_name=wsclient.CANVAS))
    table.full_run_finished()
    assert set(states(table)) == {"canvas"}


def test_the_layout_trigger_goes_with_every_widget_once_and_brings_the_sidebar():
    """The participant reads the layout helper's token from the first page and answers it once."""
    p = wsclient.Participant(0, "http://127.0.0.1:1", {"messages": 0, "errors": [], "auto_reruns": 0}, media=False)
    sent = []

    async def send(msg):
        sent.append(msg)

    async def full_run(msg):
        sent.append(msg)
        sidebar = ForwardMsg()
        sidebar.metadata.delta_path[:] = [wsclient.SIDEBAR, 0]
        sidebar.delta.new_element.CopyFrom(element("text_input", id="nickname", default=""))
        p._delta(sidebar)

    p._send, p._full_run = send, full_run
    first = ForwardMsg()
    first.metadata.delta_path[:] = [0, 0]
    first.delta.new_element.CopyFrom(
        element("bidi_component", id="$$ID-1-layout_js", component_name=wsclient.LAYOUT, json='{"await_canvas": "t1"}')
    )
    p._delta(first)
    p.widgets.element(element("checkbox", id="toggle", type=1))
    asyncio.run(p.canvas_ready())
    widgets = {w.id: w for w in sent[0].rerun_script.widget_states.widgets}
    trigger = widgets.pop("$$STREAMLIT_INTERNAL_KEY_$$ID-1-layout_js__events")
    assert json.loads(trigger.json_trigger_value) == [{"event": "canvas_ready", "value": True}]
    assert set(widgets) == {"toggle"} and not sent[0].rerun_script.fragment_id
    assert p.told == "t1" and p.sidebar == 1
    assert "$$STREAMLIT_INTERNAL_KEY_$$ID-1-layout_js__events" not in states(p.widgets)  # one rerun only


@pytest.mark.integration
def test_a_session_gets_the_sidebar_and_every_stroke_its_prediction(tmp_path):
    """Against the real app: the trigger's run brings the sidebar, and strokes after it (which carry
    the sidebar's widget states, model selector included) are all answered."""
    from testkit.browser import start_server, stop_server

    proc, url = start_server({"DIGIT_STUDIO_RUNS": str(tmp_path / "history.sqlite")})

    async def session():
        stats = {"messages": 0, "errors": [], "auto_reruns": 0}
        p = wsclient.Participant(0, url, stats, media=False)
        await p.open()
        try:
            answers = [await p.stroke(d) for d in wsclient.DRAWINGS[:3]]
        finally:
            await p.close()
        return p, answers, stats

    try:
        p, answers, stats = asyncio.run(session())
    finally:
        stop_server(proc)
    assert p.sidebar > 0 and not stats["errors"]
    assert any(k.endswith("-model_key") for k in p.widgets.states)
    assert any(k.endswith("-nickname") for k in p.widgets.states)
    assert all(a is not None for a in answers)


def test_run_every_timers_follow_the_server_as_the_frontend_does():
    """One timer per fragment (the same interval again keeps it, a new one replaces it), stopped by
    stop_auto_rerun; each tick sends the fragment's rerun with every widget state."""
    p = wsclient.Participant(0, "http://127.0.0.1:1", {"messages": 0, "errors": [], "auto_reruns": 0}, media=False)
    sent = []

    async def send(msg):
        sent.append(msg)

    async def scenario():
        p._send = send
        p.widgets.element(element("checkbox", id="toggle", type=1))
        p._auto_rerun("presence", 0.01)
        first = p.timers["presence"][1]
        p._auto_rerun("presence", 0.01)
        assert p.timers["presence"][1] is first
        await asyncio.sleep(0.05)
        p._auto_rerun("presence", 0.02)
        assert p.timers["presence"][1] is not first
        await asyncio.sleep(0)
        assert first.cancelled()
        p._stop_auto_rerun(["presence"])
        assert not p.timers

    asyncio.run(scenario())
    assert sent and all(m.rerun_script.fragment_id == "presence" for m in sent)
    assert {w.id for w in sent[0].rerun_script.widget_states.widgets} == {"toggle"}
