"""Take-home code: the exported script and notebook against the app's own framing and fit()."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import zipfile
from dataclasses import fields
from io import BytesIO

import nbformat
import numpy as np
import pytest
import torch

import model
import train.__main__ as cli
from store import Store
from testkit.drawing import random_drawing
from testkit.mnist import synthetic_mnist
from train import TrainConfig, fit
from train import export as ex
from train.data import REPO_ROOT, to_float
from train.styles import with_styles

CONFIGS = [
    TrainConfig(framing="none", epochs=3, batch_size=32, lr=0.05),
    TrainConfig(framing="none", epochs=2, batch_size=50, model="tutorial-sigmoid", optimizer="sgd", lr=0.5),
    TrainConfig(
        framing="frame", epochs=2, batch_size=64, model="one-vs-rest", optimizer="sgd-momentum", lr=0.05, seed=4
    ),
    TrainConfig(framing="frame+deskew", epochs=2, batch_size=40, weight_decay=1e-3, augment=True, train_subset=300),
]


def load_script(source: str) -> dict:
    """The exported script as a module namespace (its command line not run)."""
    ns = {"__name__": "exported", "__file__": "exported.py"}
    exec(compile(source, "exported.py", "exec"), ns)
    return ns


def framed_data(data, framing):
    f = data.framed(framing)
    return f.train_x, f.train_y, f.test_x, f.test_y


def test_script_and_notebook_share_every_code_cell():
    cfg = CONFIGS[2].to_dict()
    script = ex.script(cfg, {"id": 7})
    nb = nbformat.reads(ex.notebook(cfg, {"id": 7}), as_version=4)
    nbformat.validate(nb)
    shared = [
        c for c in nb.cells if c.cell_type == "code" and "plt." not in c.source and "load_mnist(DATA" not in c.source
    ]
    assert len(shared) >= 5
    for cell in shared:  # the same text, not a second copy that could drift
        assert cell.source in script
    assert "import matplotlib" not in script and "def main(" not in "".join(c.source for c in nb.cells)
    assert sum("plt.show()" in c.source for c in nb.cells) >= 3
    assert any(c.cell_type == "markdown" and c.source.startswith("# ") for c in nb.cells)


def test_script_carries_every_setting_of_the_run():
    cfg = CONFIGS[3].replace(seed=11, time_limit=42.0)
    ns = load_script(ex.script(cfg.to_dict(), {"id": 3, "test_accuracy": 0.5}))
    assert ns["CONFIG"] == cfg.to_dict() and ns["RUN"]["id"] == 3
    code = "\n".join(c.source for c in ex.cells() if c.kind != "markdown")
    for f in fields(TrainConfig):  # each field is read by the code, not only written into CONFIG
        assert re.search(rf"""cfg(\["{f.name}"\]|\.get\("{f.name}")|CONFIG\["{f.name}"\]""", code), f.name


def test_script_imports_only_torch_torchvision_and_the_standard_library():
    tree = ast.parse(ex.script(TrainConfig().to_dict()))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    # numpy only reads the room's .npz file; torchvision depends on it.
    assert names <= {"argparse", "math", "time", "pathlib", "torch", "torchvision", "numpy"}, names


def test_script_framing_equals_frame_batch_on_drawings():
    frame = load_script(ex.script(TrainConfig().to_dict()))["frame_batch"]
    rng = np.random.default_rng(0)
    ink = torch.stack([torch.from_numpy(model.to_ink(random_drawing(d % 10, rng))) for d in range(40)])
    for framing in model.FRAMINGS:
        assert torch.allclose(frame(ink, framing), model.frame_batch(ink, framing), atol=1e-6), framing


@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: f"{c.model}-{c.optimizer}-{c.framing}")
def test_exported_training_is_fit(tiny, cfg):
    net = model.build(cfg.model, seed=cfg.seed)
    history = list(fit(net, tiny, cfg))
    ns = load_script(ex.script(cfg.to_dict()))
    theirs, records = ns["train"](cfg.to_dict(), framed_data(tiny, cfg.framing), log=lambda line: None)
    assert [r["test_accuracy"] for r in records] == pytest.approx([m.test_accuracy for m in history], abs=1e-6)
    assert torch.allclose(theirs.weight, net.linear.weight, atol=1e-4)
    assert [r["train_loss"] for r in records] == pytest.approx([m.train_loss for m in history], rel=1e-4)


def test_a_linear_schedule_is_fits_schedule(tiny):
    cfg = TrainConfig(framing="none", epochs=2, batch_size=32, lr=0.05, lr_schedule="linear")
    test_exported_training_is_fit(tiny, cfg)
    constant = load_script(ex.script(cfg.to_dict()))["train"](
        cfg.replace(lr_schedule="constant").to_dict(), framed_data(tiny, "none"), log=lambda line: None
    )[0]
    scheduled = load_script(ex.script(cfg.to_dict()))["train"](cfg.to_dict(), framed_data(tiny, "none"), log=print)[0]
    assert not torch.allclose(constant.weight, scheduled.weight)


def record_run(cfg: TrainConfig, accuracy=0.9) -> tuple[Store, int]:
    runs = Store()
    rid = runs.start_run(cfg.to_dict(), "cli", "alice")
    runs.finish_run(rid, "finished", test_accuracy=accuracy)
    return runs, rid


def test_cli_export_writes_both_files(tmp_path, capsys):
    runs, rid = record_run(CONFIGS[1])
    script, notebook = tmp_path / "out" / "run.py", tmp_path / "run.ipynb"
    assert cli.main(["export", str(rid), "--script", str(script), "--notebook", str(notebook)]) == 0
    assert load_script(script.read_text())["CONFIG"] == CONFIGS[1].to_dict()
    nbformat.validate(nbformat.read(notebook, as_version=4))
    assert str(script) in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["999", "--script", "{tmp}/a.py"], "there is no run #999"),
        (["{rid}"], "give --script PATH, --notebook PATH or both"),
        (["{rid}", "--script", "{tmp}"], "is not a regular file"),
        (["{rid}", "--script", "{tmp}/f/a.py"], "is not a folder"),
        (["{rid}", "--script", "{tmp}/a", "--notebook", "{tmp}/a"], "name the same file"),
        (["x1", "--script", "{tmp}/a.py"], "invalid int value"),
        (["{rid}", "--bogus"], "unrecognized arguments"),
    ],
)
def test_cli_export_refuses_bad_input_with_one_line(tmp_path, capsys, argv, message):
    _, rid = record_run(CONFIGS[0])
    (tmp_path / "f").write_text("a file where a folder should be")
    argv = [a.format(tmp=tmp_path, rid=rid) for a in argv]
    try:
        rc = cli.main(["export", *argv])
    except SystemExit as exc:  # argparse's own refusals
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2 and message in err and err.count("\n") == 1, err


def test_a_room_run_downloads_as_a_zip_with_the_room_beside_it():
    cfg = TrainConfig(framing="none").to_dict() | {"room_weight": 3}
    images = np.zeros((4, 28, 28), np.uint8)
    images[:, 5:20, 10:14] = 255
    labels = np.array([1, 1, 7, 7])
    home = ex.TakeHome(
        ex.stem(5),
        ex.script(TrainConfig(framing="none").to_dict(), {"id": 5}, "r.npz"),
        ex.notebook(TrainConfig(framing="none").to_dict(), {"id": 5}, "r.npz"),
        ex.room_npz(images, labels),
        "r.npz",
    )
    name, mime = ex.download_name(5, "script", ex.uses_room(cfg))
    assert name.endswith(".zip") and mime == "application/zip"
    with zipfile.ZipFile(BytesIO(home.download("script"))) as zf:
        assert sorted(zf.namelist()) == ["digit_studio_run_5/digit_studio_run_5.py", "digit_studio_run_5/r.npz"]
        back = load_script(zf.read("digit_studio_run_5/digit_studio_run_5.py").decode())["load_room"](
            BytesIO(zf.read("digit_studio_run_5/r.npz"))
        )
    assert torch.equal(back[0], torch.from_numpy(images)) and back[1].tolist() == [1, 1, 7, 7]


@pytest.mark.integration
def test_script_framing_equals_frame_batch_on_mnist(mnist):
    frame = load_script(ex.script(TrainConfig().to_dict()))["frame_batch"]
    x = to_float(mnist.train_images[:4096])
    for framing in model.FRAMINGS:
        assert torch.allclose(frame(x, framing), model.frame_batch(x, framing), atol=1e-6), framing


@pytest.mark.integration
def test_script_styles_the_training_digits_as_the_app_does(mnist):
    styles = load_script(ex.script(TrainConfig().to_dict()))["with_styles"]
    x, y = mnist.train_images, mnist.train_labels
    assert torch.equal(styles(x, y), with_styles(x, y))


@pytest.mark.integration
def test_the_exported_script_reproduces_the_run_on_a_subset(tmp_path, mnist):
    recorded = TrainConfig(batch_size=64, seed=5, weight_decay=1e-4)
    cfg = recorded.replace(train_subset=2000, epochs=2)  # the same run, on 2,000 digits for 2 epochs
    net = model.build(cfg.model, seed=cfg.seed)
    own = list(fit(net, mnist, cfg))[-1].test_accuracy
    runs, rid = record_run(recorded, own)
    path = tmp_path / "run.py"
    assert cli.main(["export", str(rid), "--script", str(path)]) == 0
    cmd = [sys.executable, str(path), "--data-dir", str(REPO_ROOT / "data"), "--subset", "2000", "--epochs", "2"]
    proc = subprocess.run([*cmd, "--save", str(tmp_path / "w.pt")], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = float(re.search(r"final test accuracy ([\d.]+)%", proc.stdout).group(1)) / 100
    assert abs(got - own) <= 0.005, (got, own)
    weights = torch.load(tmp_path / "w.pt", weights_only=True)
    assert torch.allclose(weights["weight"], net.linear.weight, atol=1e-3)


@pytest.mark.integration
def test_the_notebook_runs_and_draws_its_plots(tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # set to Agg under pytest; the kernel must use its inline one
    pytest.importorskip("ipykernel")
    nb = nbformat.reads(ex.notebook(TrainConfig(train_subset=1000, epochs=1).to_dict(), {"id": 1}), as_version=4)
    for cell in nb.cells:  # point it at the local MNIST
        cell.source = cell.source.replace('DATA_DIR = "data"', f"DATA_DIR = {str(REPO_ROOT / 'data')!r}")
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum(o.output_type == "display_data" and "image/png" in o.data for o in outputs) == 3
    assert "test accuracy" in "".join(o.get("text", "") for o in outputs)
    json.dumps(nb)  # still plain JSON after running


@pytest.mark.apptest
def test_the_runs_tab_offers_the_script_and_the_notebook(monkeypatch):
    from streamlit.testing.v1 import AppTest

    from testkit.apptest import APP, train_once
    from testkit.drawing import PLACEMENTS, render
    from ui import shared
    from ui.tabs import takehome
    from ui.widgets import canvas

    data = synthetic_mnist()
    monkeypatch.setattr(shared, "is_provisioned", lambda: True)
    monkeypatch.setattr(shared, "loaded_mnist", lambda: data)
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: render(1, PLACEMENTS["big"]))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    train_once(at, 1, "alice")
    at.session_state["tab"] = "Runs"
    at.run()
    at.selectbox(key="run_pick").set_value(1).run()
    assert not at.exception
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    for label in ("Download as a Python script", "Download as a notebook"):
        assert not buttons[label].disabled and buttons[label].deferred_file_id  # built only when clicked
    # What a click downloads: the run's own settings, as recorded.
    runs = Store()
    ns = load_script(takehome._bundle(runs, 1, "script").decode())
    assert ns["CONFIG"] == runs.run(1).config | {"room_weight": 0} and ns["RUN"]["name"] == "alice"
    nbformat.validate(nbformat.reads(takehome._bundle(runs, 1, "notebook").decode(), as_version=4))
    assert b"could not be exported" in takehome._bundle(runs, 99, "script")
