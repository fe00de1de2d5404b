"""Hostile input from a room, class by class: user text, model files, caps from every door, the CLI.

The image classes live in test_catalogue.py (and the reading helper's tests); the link catalogue
there covers garbage URL values. Each test here is one class, parametrised over its cases.
"""

import io
import json
import os
import re
import struct
import threading
from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.torch import save as st_save
from streamlit.testing.v1 import AppTest

import model
import train.__main__ as cli
from common import text
from common.status import Status
from model import CheckpointError
from model.checkpoint import MAX_CURVE_POINTS, MAX_HEADER, curves
from model.preprocess import FRAMING_VERSION
from testkit.apptest import shown
from testkit.drawing import PLACEMENTS, render
from testkit.mnist import synthetic_mnist
from train import TrainConfig
from train.config import MAX_STEPS, PRESETS, config_from_strings, parse_number
from train.job import TrainingJob, TrainingSlots
from train.loop import EpochMetrics, run_metadata
from train.run import MAX_STORED_LOSSES
from ui import limits, session, shared
from ui.widgets import canvas, plots

APP = str(Path(__file__).resolve().parents[1] / "app.py")

# --- 1. user text is plain text ---------------------------------------------------------------

HOSTILE_TEXT = {
    "markdown link and image": "![px](http://evil.example/p.png) [win](http://evil.example)",
    "html": "<img src=x onerror=alert(1)><b>bold</b>&amp;",
    "katex": "$\\frac{1}{0}$ and $x^2$",
    "mathtext that crashes matplotlib": "$x^{$",
    "streamlit directives": ":red[alarm] :material/warning: :smile:",
    "autolinks": "www.evil.example and mail me@evil.example or https://evil.example",
    "emphasis and headings": "# **big** _it_ `code` > quote",
}
LIVE_MARKDOWN = re.compile(r"(?<!\\)[\[\]()!*_`#<>$:&]|://|www\.|@\w")


@pytest.mark.parametrize("case", list(HOSTILE_TEXT))
def test_user_text_reads_as_typed_but_nothing_in_it_is_live(case):
    raw = HOSTILE_TEXT[case]
    md = text.md(raw)
    assert shown(md) == raw
    assert not LIVE_MARKDOWN.search(md.replace("\u200b", " "))
    assert not matplotlib.cbook.is_math_text(text.chart(raw))


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("a\nb\tc\r\nd", "a b c d"),
        ("left\u202eright\u200bzero\x00nul\x1b[31m", "leftrightzeronul[31m"),
        ("x" * 500, "x" * 79 + "…"),
        ("", ""),
        (None, "None"),
        ("Z" + "\u0336\u0301\u0316" * 5 + "oë", "Z\u0336\u0301\u0316oë"),
        ("Tiê\u0301ng Vie\u0323\u0302t", "Tiê\u0301ng Vie\u0323\u0302t"),
        ("Zoë 👩🏽\u200d🔬 and 👨\u200d👩\u200d👧", "Zoë 👩🏽\u200d🔬 and 👨\u200d👩\u200d👧"),
        ("x" * 77 + "👨\u200d👩\u200d👧", "x" * 77 + "…"),
        ("x" * 78 + "🇫🇷🇫🇷", "x" * 78 + "…"),
        ("x" * 78 + "e\u0301yy", "x" * 78 + "…"),
        ("x" * 77 + "क्षa", "x" * 77 + "…"),
    ],
    ids=[
        "newlines and tabs",
        "controls, bidi override, zero-width",
        "too long",
        "empty",
        "not text",
        "stacked combining marks (Zalgo)",
        "two marks on a letter (Vietnamese)",
        "emoji joined by zero-width joiners",
        "too long, the cut inside a joined emoji",
        "too long, the cut inside a flag",
        "too long, the cut between a letter and its accent",
        "too long, the cut inside a Devanagari conjunct",
    ],
)
def test_control_characters_are_removed_and_length_is_limited(raw, expected):
    assert text.clean(raw) == expected


@pytest.mark.parametrize(
    "message, leaked",
    [
        ("cannot open the run history /srv/app/data/runs/history.sqlite: disk I/O error", "/srv/app"),
        ("could not connect to postgresql://admin:secret@db.internal:5432/runs", "secret"),
        ("[Errno 13] Permission denied: '/home/presenter/.cache/x.db'", "/home/presenter"),
    ],
)
def test_messages_for_participants_carry_no_server_path_or_database_url(message, leaked):
    assert leaked not in text.public(message) and leaked not in shown(text.message(message))


def test_run_names_with_mathtext_render_literally_in_the_compare_chart():
    epochs = [{"epoch": 1, "train_loss": 0.3, "test_loss": 0.3, "test_accuracy": 0.9}]
    fig = plots.plot_compare([(HOSTILE_TEXT["mathtext that crashes matplotlib"], epochs), ("$\\alpha$", epochs)])
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert not any(matplotlib.cbook.is_math_text(t) for t in legend)
    assert plots.figure_png(fig)  # unescaped, "$x^{$" raises ValueError while drawing


@pytest.fixture
def app(monkeypatch):
    data = synthetic_mnist()
    monkeypatch.setattr(shared, "is_provisioned", lambda: True)
    monkeypatch.setattr(shared, "loaded_mnist", lambda: data)
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: render(1, PLACEMENTS["big"]))

    def make(params=None):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params.update(params or {})
        at.run()
        assert not at.exception
        return at

    return make


def markdown_sources(at) -> list[str]:
    """Every Markdown string the page renders: bodies, labels, captions and tooltips."""
    out = []
    for node in at.main, at.sidebar:
        for el in _walk(node):
            for attr in ("value", "body", "label", "help", "caption"):
                v = getattr(el.proto, attr, None) if hasattr(el, "proto") else None
                if isinstance(v, str) and v:
                    out.append(v)
    return out


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def wait_for_job(at):
    job = at.session_state.job
    job.join(60)
    at.run()
    assert not at.exception and job.done


def test_a_run_name_and_a_link_note_reach_markdown_only_escaped(app):
    name, note = "$x^{$ [a](http://e.example) <b>", "[note](http://evil.example) $x^2$"
    at = app({"epochs": note})
    at.session_state["run_name"] = name
    at.session_state["cfg_epochs"], at.session_state["cfg_framing"], at.session_state["cfg_batch_size"] = 1, "none", 64
    at.run()
    next(b for b in at.button if b.label == "Train").click().run()
    wait_for_job(at)
    seen = set()
    for tab in ("Draw", "Training", "Inside the model", "Runs"):
        at.session_state["tab"] = tab
        at.run()
        assert not at.exception, tab
        sources = markdown_sources(at)
        assert not any(raw in s for raw in (name, note, "[a](http", "[note](http") for s in sources), tab
        seen |= {raw for raw in (name, note) for s in sources if raw in shown(s)}
    assert seen == {name, note}  # both are on the page, reading as typed
    assert text.md(name) in " ".join(markdown_sources(at))  # the leaderboard: escaped by common/text.py


# --- 2. model files from anyone -------------------------------------------------------------

GOOD = {"linear.weight": torch.zeros(10, 784), "linear.bias": torch.zeros(10)}
HEADER = {
    "format": "digit-studio",
    "format_version": 1,
    "kind": "softmax",
    "framing": "frame",
    "framing_version": FRAMING_VERSION,
    "config": {"lr": 0.005},
    "metrics": {"test_accuracy": 0.9},
}


def blob(meta, tensors=GOOD) -> bytes:
    return st_save(tensors, metadata={"digit_studio": meta if isinstance(meta, str) else json.dumps(meta)})


def raw_header(header: bytes) -> bytes:
    return struct.pack("<Q", len(header)) + header


EPOCH = {"epoch": 1, "train_loss": 1.0, "test_loss": 1.0, "test_accuracy": 0.5, "seconds": 1.0, "partial": False}
EPOCH["batch_losses"] = [1.0, 0.9]


def without(key, d=HEADER):
    return {k: v for k, v in d.items() if k != key}


without_seconds = without("seconds", EPOCH)


BAD_FILES = {
    "JSON nested 40,000 deep in the metadata": (blob("[" * 40_000 + "]" * 40_000), "nested too deeply"),
    "JSON nested 40,000 deep in the header": (raw_header(b'{"a":' + b"[" * 40_000 + b"]" * 40_000 + b"}"), "nested"),
    "header that is not JSON": (raw_header(b"{not json"), "no digit_studio metadata"),
    "header that is a list": (raw_header(b"[1, 2]"), "no digit_studio metadata"),
    "metadata that is a number": (blob("3"), "metadata is a number"),
    "metadata string that is not text": (raw_header(b'{"__metadata__": {"digit_studio": 7}}'), "no digit_studio"),
    "config missing": (blob(without("config")), "lacks config"),
    "metrics missing": (blob(without("metrics")), "lacks metrics"),
    "config a list": (blob({**HEADER, "config": [1]}), "config must be an object, not a list"),
    "config null": (blob({**HEADER, "config": None}), "config must be an object, not null"),
    "metrics a number": (blob({**HEADER, "metrics": 3}), "metrics must be an object"),
    "kind null": (blob({**HEADER, "kind": None}), "model kind must be text"),
    "framing a list": (blob({**HEADER, "framing": ["frame"]}), "framing must be text"),
    "status an object": (blob({**HEADER, "status": {"a": 1}}), "status must be text"),
    "format_version true": (blob({**HEADER, "format_version": True}), "version True is not supported"),
    "accuracy as text": (blob({**HEADER, "metrics": {"test_accuracy": "95%"}}), "must be a number"),
    "accuracy above 1": (blob({**HEADER, "metrics": {"test_accuracy": 95}}), "between 0 and 1"),
    "learning rate Infinity": (blob(json.dumps({**HEADER, "config": {"lr": float("inf")}})), "between"),
    "seed with 4,000 digits": (blob(json.dumps({**HEADER, "config": {"seed": 10**4000}})), "between"),
    "a 200-character model name": (blob({**HEADER, "config": {"model": "m" * 200}}), "at most 100 characters"),
    "control characters in text": (blob({**HEADER, "created": "2026\x1b[2J"}), "printable"),
    "nested unknown field": (blob({**HEADER, "extra": {"deep": [1]}}), "extra must be text"),
    "history an object": (blob({**HEADER, "history": {}}), "history must be a list"),
    "history with 2,000 batch losses": (blob({**HEADER, "history": [{**EPOCH, "batch_losses": [1.0] * 2000}]}), "more"),
    "history losses NaN": (
        blob(json.dumps({**HEADER, "history": [{**EPOCH, "batch_losses": [float("nan")]}]})),
        "between",
    ),
    "history epoch with a field missing": (blob({**HEADER, "history": [without_seconds]}), "exactly the fields"),
    "huge finite weights": (
        blob(HEADER, {"linear.weight": torch.full((10, 784), 3e38), "linear.bias": torch.zeros(10)}),
        "beyond",
    ),
    "float64 weights": (blob(HEADER, {k: v.double() for k, v in GOOD.items()}), "float32"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_model_files_from_anyone_are_refused_with_a_one_line_reason(case):
    data, reason = BAD_FILES[case]
    with pytest.raises(CheckpointError, match=re.escape(reason)) as err:
        model.from_bytes(data)
    assert "\n" not in str(err.value) and len(str(err.value)) < 200


@pytest.mark.parametrize(
    "wrap",
    [bytes, bytearray, memoryview, lambda b: np.frombuffer(b, np.uint8)],
    ids=["bytes", "bytearray", "memoryview", "numpy"],
)
def test_any_bytes_like_object_loads(wrap):
    net = model.from_bytes(wrap(blob(HEADER)))
    assert net.kind == "softmax" and net.metadata["config"] == {"lr": 0.005}


@pytest.mark.parametrize(
    "thing", ["text", None, 42, io.BytesIO(b"abc"), [1, 2]], ids=["str", "None", "int", "file", "list"]
)
def test_things_that_are_not_bytes_are_refused(thing):
    with pytest.raises(CheckpointError, match="expected the bytes of a file"):
        model.from_bytes(thing)


def _fifo(tmp_path):
    path = tmp_path / "pipe.safetensors"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    "make",
    [lambda tmp: Path("/dev/zero"), lambda tmp: Path("/dev/urandom"), _fifo, lambda tmp: tmp],
    ids=["/dev/zero", "/dev/urandom", "FIFO with no writer", "a folder"],
)
def test_non_regular_files_are_never_read(tmp_path, make):
    path = make(tmp_path)
    if not path.exists():
        pytest.skip(f"{path} does not exist here")
    outcome = []

    def attempt():
        try:
            model.load(path)
        except CheckpointError as exc:
            outcome.append(str(exc))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "load() hung"
    assert outcome and "not a regular file" in outcome[0] and str(path.parent) not in outcome[0]


def test_curves_survive_a_download_and_upload_within_the_bound():
    cfg = TrainConfig(batch_size=1, epochs=3, train_subset=60_000)
    history = [EpochMetrics(i + 1, 0.3, [0.3 + 1e-6 * j for j in range(60_000)], 0.25, 0.9, 12.3) for i in range(3)]
    data = model.to_bytes(model.build(), run_metadata(cfg, history))
    assert struct.unpack("<Q", data[:8])[0] < MAX_HEADER
    back = model.from_bytes(data).metadata["history"]
    assert [e["epoch"] for e in back] == [1, 2, 3]
    assert sum(len(e["batch_losses"]) for e in back) <= MAX_CURVE_POINTS
    assert [EpochMetrics.from_dict(e).test_accuracy for e in back] == [0.9] * 3


def test_the_shipped_model_downloads_with_its_curves():
    entry = session.ModelEntry(session.SHIPPED, "Shipped", model.load_default(), shared.shipped_history())
    back = model.from_bytes(entry.checkpoint_bytes()).metadata["history"]
    assert [e["epoch"] for e in back] == [m.epoch for m in entry.history]
    assert [e["test_accuracy"] for e in back] == pytest.approx([m.test_accuracy for m in entry.history], rel=1e-5)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_fuzz_any_bytes_load_or_raise_checkpoint_error(data):
    try:
        model.from_bytes(data)
    except CheckpointError as exc:
        assert "\n" not in str(exc)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=30,
)
FIELDS = [*HEADER, "history", "status", "created", "run_id", "extra"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6))
def test_fuzz_metadata_with_any_values_loads_or_raises_checkpoint_error(changes):
    meta = {**HEADER, **changes}
    try:
        net = model.from_bytes(blob(json.dumps(meta)))
    except CheckpointError as exc:
        assert "\n" not in str(exc)
    else:  # what loads can be shown and saved again
        model.from_bytes(model.to_bytes(net, {k: v for k, v in net.metadata.items() if k != "format"}))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40_000), st.integers(0, 255)), min_size=1, max_size=8))
def test_fuzz_damaged_copies_of_a_good_file(flips):
    data = bytearray(blob({**HEADER, "history": curves([EPOCH])}))
    for pos, value in flips:
        data[pos % len(data)] = value
    try:
        model.from_bytes(data)
    except CheckpointError as exc:
        assert "\n" not in str(exc)


# --- 3. caps that hold from every door ---------------------------------------------------------

CAPS = {
    "epochs over 200": ({"epochs": 201}, "epochs must be between 1 and 200"),
    "batch size 0": ({"batch_size": 0}, "batch_size must be between"),
    "too many optimiser steps": ({"batch_size": 1, "epochs": 5}, f"the limit is {MAX_STEPS:,}"),
    "time limit of an hour": ({"time_limit": 3600}, "time_limit must be between 1 and 1800"),
    "time limit infinite": ({"time_limit": float("inf")}, "inf"),
}


@pytest.mark.parametrize("case", list(CAPS))
def test_caps_hold_in_train_config(case):
    changes, message = CAPS[case]
    with pytest.raises(ValueError, match=re.escape(message)):
        TrainConfig(**changes)


@pytest.mark.parametrize("case", list(CAPS))
def test_caps_hold_from_a_settings_link(case):
    changes, message = CAPS[case]
    cfg, notes = config_from_strings({k: str(v) for k, v in changes.items()})
    assert cfg.total_steps <= MAX_STEPS and cfg.epochs <= 200 and cfg.time_limit <= 1800
    assert any(message in n for n in notes)


@pytest.mark.parametrize("case", list(CAPS))
def test_caps_hold_from_the_command_line(case, monkeypatch, capsys):
    changes, message = CAPS[case]
    argv = [a for k, v in changes.items() for a in (f"--{k.replace('_', '-')}", str(v))]
    monkeypatch.setattr(cli, "load_mnist", lambda *a, **k: pytest.fail("training started"))
    try:
        rc = cli.main([*argv, "--no-history"])
    except SystemExit as exc:  # argparse's own refusals
        rc = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and message in err[0]


def test_the_tutorial_preset_fits_the_caps():
    from train import PRESETS

    assert all(p.total_steps <= MAX_STEPS for p in PRESETS.values())


@pytest.mark.parametrize(
    "text_in", ["١٢", "１２", "1_0", "0x10", "٣.٥", "inf", "nan", "1e", "", "²"], ids=lambda s: repr(s)
)
def test_digits_outside_ascii_are_not_numbers(text_in):
    with pytest.raises(ValueError, match="not a number"):
        parse_number(text_in)
    cfg, notes = config_from_strings({"epochs": text_in, "seed": text_in})
    assert (cfg.epochs, cfg.seed) == (PRESETS["recommended"].epochs, 0) and len(notes) == 2


@pytest.mark.parametrize("text_in, value", [("12", 12), (" 3 ", 3), ("1e2", 100), ("+7", 7)])
def test_plain_ascii_numbers_still_work(text_in, value):
    assert parse_number(text_in, "int") == value


def test_a_job_stores_a_bounded_number_of_batch_losses():
    data = synthetic_mnist()
    job = TrainingJob(
        TrainConfig(framing="none", epochs=10, batch_size=1, train_subset=600), lambda: data, TrainingSlots(1)
    )
    job.start().join(120)
    assert job.done and len(job.history) == 10
    assert sum(len(m.batch_losses) for m in job.history) <= MAX_STORED_LOSSES  # 6,000 steps were taken


def test_a_job_stops_itself_at_its_time_limit_and_keeps_its_model():
    data = synthetic_mnist()
    cfg = TrainConfig(framing="none", epochs=200, batch_size=1, train_subset=600, time_limit=1)
    job = TrainingJob(cfg, lambda: data, TrainingSlots(1)).start()
    job.join(60)
    assert job.state == Status.STOPPED and job.net is not None and "time limit of 1 s" in job.stop_reason
    assert sum(m.seconds for m in job.history) < 10


def test_the_cli_stops_at_its_time_limit(monkeypatch, capsys):
    monkeypatch.setattr(cli, "load_mnist", lambda root=None, progress=None: synthetic_mnist())
    argv = ["--framing", "none", "--epochs", "200", "--batch-size", "1", "--train-subset", "600", "--time-limit", "1"]
    assert cli.main([*argv, "--quiet", "--no-history"]) == 0
    out = capsys.readouterr()
    assert "time limit of 1 s reached" in out.err and out.out.startswith("stopped:")


@pytest.mark.parametrize("action", list(limits.RATES))
def test_clicks_are_rate_limited(action):
    ss, (most, window) = {}, limits.RATES[action]
    assert all(limits.allow(ss, action, now=100.0 + i * 0.1) == 0 for i in range(most))
    wait = limits.allow(ss, action, now=100.0 + most * 0.1)
    assert 0 < wait <= window
    assert limits.allow(ss, action, now=100.0 + window + 1) == 0  # the window moves on


def test_a_session_keeps_a_bounded_number_of_models():
    class Entry:
        def __init__(self, label):
            self.label = label

    models = {k: Entry(k) for k in ["shipped", *[f"m{i}" for i in range(20)]]}
    dropped = limits.trim(models, {"shipped", "m0"}, limit=5)
    assert "shipped" in models and "m0" in models and len(models) == 7
    assert dropped == [f"m{i}" for i in range(1, 15)]  # the oldest went first


def test_train_clicks_beyond_the_rate_and_the_session_bound_are_refused(app, monkeypatch):
    at = app()
    at.session_state["cfg_epochs"], at.session_state["cfg_framing"], at.session_state["cfg_batch_size"] = 1, "none", 64
    at.run()
    most = limits.RATES["train"][0]
    for _ in range(most):
        next(b for b in at.button if b.label == "Train").click().run()
        wait_for_job(at)
    next(b for b in at.button if b.label == "Train").click().run()
    assert at.session_state.job.done and any("before starting another run" in w.value for w in at.sidebar.warning)
    monkeypatch.setattr(limits, "MAX_RUNS", most)
    at.run()
    assert next(b for b in at.button if b.label == "Train").proto.disabled
    assert any("the most one session may" in c.value for c in at.sidebar.caption)


# --- 4. the command line -------------------------------------------------------------------------


def _file(tmp_path):
    (tmp_path / "file").write_text("x")
    return tmp_path / "file"


BAD_PATHS = {
    "--out is a folder": (lambda t: ["--out", str(t)], "is not a regular file"),
    "--out under a file": (lambda t: ["--out", str(_file(t) / "m.safetensors")], "is not a folder"),
    "--metrics-json under /dev/null": (lambda t: ["--metrics-json", "/dev/null/m.json"], "is not a folder"),
    "--out and --metrics-json the same": (
        lambda t: ["--out", str(t / "a"), "--metrics-json", str(t / "a")],
        "same file",
    ),
    "--data-dir is a file": (lambda t: ["--data-dir", str(_file(t))], "is not a folder"),
    "--data-dir under a file": (lambda t: ["--data-dir", str(_file(t) / "mnist")], "is not a folder"),
}


@pytest.mark.parametrize("case", list(BAD_PATHS))
def test_bad_output_paths_are_found_before_training(case, tmp_path, monkeypatch, capsys):
    make_argv, message = BAD_PATHS[case]
    monkeypatch.setattr(cli, "load_mnist", lambda *a, **k: pytest.fail("training started"))
    assert cli.main([*make_argv(tmp_path), "--quiet", "--no-history"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and err[0].startswith("python -m train: error:")


def test_messages_shown_in_the_app_carry_no_server_path(app, tmp_path, monkeypatch):
    bad = tmp_path / "secret-folder" / "history.sqlite"
    bad.parent.mkdir()
    bad.write_bytes(b"not a database" * 100)
    monkeypatch.setenv("DIGIT_STUDIO_RUNS", str(bad))
    at = app()
    at.session_state["tab"] = "Runs"
    at.run()
    warnings = [shown(w.value) for w in at.warning]
    assert any("damaged" in w for w in warnings) and not any(str(tmp_path) in w for w in warnings)


EXTREME = {
    "huge epoch numbers and losses": [
        {**EPOCH, "epoch": 10**9, "train_loss": 1e9, "test_loss": 0.0, "seconds": 1e9, "batch_losses": [0.0, 1e9]}
    ],
    "tiny times and many epochs": [
        {**EPOCH, "epoch": i + 1, "seconds": 5e-324, "batch_losses": []} for i in range(200)
    ],
    "no curves": [],
}


@pytest.mark.parametrize("case", list(EXTREME))
def test_an_uploaded_model_with_extreme_but_valid_metadata_renders_everywhere(app, case):
    meta = {
        "framing": "frame",
        "config": {"model": "<b>$x$</b>", "lr": 1e6, "note": "[a](http://evil.example)"},
        "metrics": {},
        "created": "**now**",
        "history": EXTREME[case],
    }
    net = model.from_bytes(model.to_bytes(model.build(), meta))
    at = app()
    entry = session.ModelEntry(
        "up", "Uploaded $x$.safetensors", net, [EpochMetrics.from_dict(e) for e in net.metadata["history"]]
    )
    at.session_state["models"]["up"] = entry
    at.session_state["select_next"] = "up"  # as an upload does (session.add_model)
    for tab in ("Training", "Runs"):  # Draw renders on every run
        at.session_state["tab"] = tab
        at.run()
        assert not at.exception, tab
        assert not any("evil" in s and "](http" in s for s in markdown_sources(at)), tab


def test_an_unexpected_exception_shows_no_traceback_with_server_paths():
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] in ("type", "none")
