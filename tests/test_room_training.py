"""Training with the room's drawings: the data-level mix, its honesty, and its take-home script."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from functools import partial

import numpy as np
import pytest
import torch
from PIL import Image

import model
import train.__main__ as cli
from store import Recorder, Store
from store.room import TEST, TRAIN
from testkit.drawing import random_drawing
from testkit.mnist import synthetic_mnist
from train import TrainConfig, fit
from train import export as ex
from train import room as rm
from train.data import REPO_ROOT
from train.job import TrainingJob, TrainingSlots

FAST = TrainConfig(framing="none", epochs=3, batch_size=32, lr=0.05, train_subset=600)


def png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def add(runs: Store, pixels: np.ndarray, label: int, framing: str = "frame+deskew") -> int:
    framed = rm.frame_png(png(pixels), framing)
    return runs.add_drawing("p1", int(label), png(pixels), framed.tobytes())


def bar_room(runs: Store, n: int = 80, seed: int = 1) -> None:
    """A room whose style MNIST never shows: the synthetic digits' bars drawn across, not down."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        c = int(rng.integers(0, 10))
        x = rng.integers(0, 40, (28, 28)).astype(np.uint8)
        x[2 * c + 4 : 2 * c + 6, 6:22] = 255
        add(runs, x, c, "none")


def job(cfg, data, runs) -> TrainingJob:
    j = TrainingJob(
        cfg, lambda: rm.with_room(data, runs, cfg), TrainingSlots(1), sink=partial(Recorder, runs, cfg.to_dict(), "app")
    )
    j.start().join(120)
    assert j.state == "finished", j.message
    return j


def test_mix_is_the_take_home_scripts_mix():
    g = torch.Generator().manual_seed(0)
    x, y = (
        torch.randint(0, 255, (500, 28, 28), generator=g, dtype=torch.uint8),
        torch.randint(0, 10, (500,), generator=g),
    )
    rx, ry = torch.randint(0, 255, (7, 28, 28), generator=g, dtype=torch.uint8), torch.randint(0, 10, (7,), generator=g)
    theirs = {"__name__": "exported"}
    exec(ex.script(TrainConfig().to_dict()), theirs)
    for weight, total in ((3, 400), (100, 60), (1, 500)):
        ours = rm.mix(x, y, rx, ry, weight, total, seed=4)
        assert all(
            torch.equal(a, b) for a, b in zip(ours, theirs["with_room"](x, y, rx, ry, weight, total, 4), strict=True)
        )
        n_room = min(7 * weight, total // 2)
        assert len(ours[0]) == total and torch.equal(ours[0][-n_room:], rx.repeat(weight, 1, 1)[:n_room])


def test_the_room_joins_the_training_set_only_and_fit_is_unchanged():
    runs, data = Store(), synthetic_mnist()
    bar_room(runs, 40)
    cfg = FAST.replace(room_weight=5)
    mixed = rm.with_room(data, runs, cfg)
    f = mixed.framed("none")
    n_train = len(runs.drawings(TRAIN))
    assert len(f.train_x) == cfg.train_subset  # the epoch keeps its size: its step count and caps hold
    base = data.framed("none")
    for x, y in zip(f.train_x[: -n_train * 5], f.train_y[: -n_train * 5], strict=True):
        same = (base.train_x == x).flatten(1).all(1)
        assert same.any() and y in base.train_y[same]  # every other row is an MNIST training digit, its label kept
    assert torch.equal(f.test_x, data.framed("none").test_x)  # MNIST's test set is untouched
    room_rows = f.train_x[-n_train * 5 :]
    train_half = rm.room_half(runs, TRAIN).images("none")
    assert torch.equal(room_rows, train_half.repeat(5, 1, 1))
    assert torch.equal(f.train_y[-n_train * 5 :], rm.room_half(runs, TRAIN).labels.repeat(5))
    test_half = rm.room_half(runs, TEST).images("none")
    assert not any(torch.equal(t, r) for t in test_half for r in train_half)  # never trained on its test
    assert rm.with_room(data, runs, FAST) is data  # weight 0: MNIST only


def test_training_with_the_room_raises_its_score_and_the_script_reproduces_it(tmp_path):
    runs, data = Store(), synthetic_mnist()
    bar_room(runs, 80)
    assert len(runs.drawings(TEST)) >= 30
    j = job(FAST.replace(room_weight=4), data, runs)
    room = j.room
    assert room["before"] is not None and room["after"] >= room["before"] + 0.3, room
    assert room["test_drawings"] == len(runs.drawings(TEST)) and "room accuracy" in j.message
    recorded = runs.run(j.recorder.run_id)
    assert recorded.info["room"]["train_drawings"] == [d.id for d in runs.drawings(TRAIN)]
    # The take-home script trains the same model from MNIST plus the room file beside it.
    home = ex.from_store(runs, recorded.id)
    assert home.room is not None
    (tmp_path / home.room_name).write_bytes(home.room)
    ns = {"__name__": "exported"}
    exec(home.script, ns)
    f = data.framed("none")
    net, _ = ns["train"](ns["CONFIG"], (f.train_x, data.train_labels, f.test_x, f.test_y),
                         ns["load_room"](tmp_path / home.room_name), log=lambda line: None)  # fmt: skip
    assert torch.allclose(net.weight, j.net.linear.weight, atol=1e-4)
    scored = model.build("softmax")
    scored.linear.load_state_dict(net.state_dict())
    assert rm.room_accuracy(scored, rm.room_half(runs, TEST), "none") == pytest.approx(room["after"])


def test_cli_room_weight_needs_the_run_history(monkeypatch, capsys):
    monkeypatch.setattr(cli, "load_mnist", lambda root=None, progress=None: synthetic_mnist())
    assert cli.main(["--room-weight", "3", "--no-history", "--quiet", "--framing", "none"]) == 2
    assert "needs the run history" in capsys.readouterr().err


def test_cli_trains_with_the_room_and_says_its_score(monkeypatch, capsys):
    monkeypatch.setattr(cli, "load_mnist", lambda root=None, progress=None: synthetic_mnist())
    bar_room(Store(), 60)
    argv = ["--room-weight", "4", "--quiet", "--framing", "none", "--lr", "0.05", "--batch-size", "32"]
    assert cli.main([*argv, "--epochs", "3", "--train-subset", "600"]) == 0
    out = capsys.readouterr().out
    before, after = map(float, re.search(r"([\d.]+)% without them, ([\d.]+)% with them", out).groups())
    assert after > before


def mirrored_room(runs: Store, n: int, seed: int) -> None:
    """A room that writes its digits mirrored: a style MNIST does not have."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        d = i % 10
        gray = np.ascontiguousarray(random_drawing(d, rng)[:, ::-1, 0])
        add(runs, gray, d)


@pytest.mark.integration
def test_mnist_with_a_mirrored_room_raises_the_room_score_and_the_script_reproduces_it(tmp_path, mnist):
    runs = Store()
    mirrored_room(runs, 100, seed=0)
    cfg = TrainConfig(train_subset=10_000, epochs=3, seed=0, room_weight=10)
    j = job(cfg, mnist, runs)
    room = j.room
    assert len(runs.drawings(TEST)) >= 30 and room["after"] >= room["before"] + 0.15, room
    path = tmp_path / "run.py"
    assert cli.main(["export", str(j.recorder.run_id), "--script", str(path)]) == 0
    cmd = [sys.executable, str(path), "--data-dir", str(REPO_ROOT / "data"), "--save", str(tmp_path / "w.pt")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    net = model.build("softmax")
    net.linear.load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))
    got = rm.room_accuracy(net, rm.room_half(runs, TEST), cfg.framing)
    assert abs(got - room["after"]) <= 0.005, (got, room)
    own = float(re.search(r"final test accuracy ([\d.]+)%", proc.stdout).group(1)) / 100
    assert abs(own - j.history[-1].test_accuracy) <= 0.005
    net2 = model.build(cfg.model, seed=cfg.seed)
    assert list(fit(net2, mnist, cfg.replace(room_weight=0)))  # fit itself takes the plain data unchanged


@pytest.mark.apptest
def test_the_sidebar_trains_with_the_room_and_the_runs_tab_shows_its_score(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from testkit.apptest import APP, button, small_config, wait_for_job
    from testkit.drawing import PLACEMENTS, render
    from ui import shared
    from ui.widgets import canvas

    data = synthetic_mnist()
    monkeypatch.setattr(shared, "is_provisioned", lambda: True)
    monkeypatch.setattr(shared, "loaded_mnist", lambda: data)
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: render(1, PLACEMENTS["big"]))
    bar_room(Store(), 60)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.number_input(key="cfg_room_weight").set_value(4)
    at.session_state["cfg_lr"] = 0.05
    small_config(at, epochs=3)
    button(at, "Train").click().run()
    wait_for_job(at)
    job = at.session_state.job
    assert job.state == "finished" and job.room["after"] > job.room["before"], job.message
    assert "room accuracy" in job.message
    at.session_state["tab"] = "Runs"
    at.run()
    at.selectbox(key="run_pick").set_value(job.recorder.run_id).run()
    assert not at.exception
    assert any("of the room's drawings, each 4 times" in c.value for c in at.caption)
    names = {b.proto.label: b.proto for b in at.get("download_button")}
    assert names["Download as a Python script"].deferred_file_id  # a zip, with the room's file beside it


def test_a_room_run_without_its_record_of_drawings_is_not_exported_half_empty():
    runs = Store()
    bar_room(runs, 10)
    rid = runs.start_run(FAST.replace(room_weight=2).to_dict(), "app")  # still running: nothing recorded yet
    with pytest.raises(ex.ExportError, match="no record of the room's drawings"):
        ex.from_store(runs, rid)
