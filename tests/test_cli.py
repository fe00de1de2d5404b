"""python -m train: flags, outputs and one-line errors."""

import json
import subprocess
import sys

import pytest

import model
import train.__main__ as cli
import train.run
from testkit.mnist import synthetic_mnist
from train.loop import TrainingDiverged


@pytest.fixture
def offline_data(monkeypatch):
    monkeypatch.setattr(cli, "load_mnist", lambda root=None, progress=None: synthetic_mnist())


def test_trains_writes_checkpoint_and_metrics(offline_data, tmp_path, capsys):
    out, metrics = tmp_path / "m.safetensors", tmp_path / "m.json"
    rc = cli.main(
        [
            "--framing",
            "none",
            "--epochs",
            "2",
            "--lr",
            "0.05",
            "--batch-size",
            "50",
            "--model",
            "one-vs-rest",
            "--seed",
            "3",
            "--out",
            str(out),
            "--metrics-json",
            str(metrics),
            "--quiet",
        ]
    )
    assert rc == 0
    net = model.load(out)
    assert net.kind == "one-vs-rest" and net.metadata["config"]["seed"] == 3
    report = json.loads(metrics.read_text())
    assert [h["epoch"] for h in report["history"]] == [1, 2]
    assert report["metrics"]["test_accuracy"] == report["history"][-1]["test_accuracy"] > 0.5
    assert report["wall_seconds"] > 0 and report["config"]["batch_size"] == 50
    err = capsys.readouterr().err
    assert err.count("test acc") == 2  # one line per epoch


def test_preset_then_flags_override(offline_data):
    args = cli.parse_args(["--preset", "tutorial", "--epochs", "3", "--augment"])
    cfg = cli.config_from_args(args)
    assert (cfg.model, cfg.lr, cfg.epochs, cfg.augment) == ("tutorial-sigmoid", 0.001, 3, True)


def test_dry_run_is_small(offline_data):
    cfg = cli.config_from_args(cli.parse_args(["--dry-run"]))
    assert cfg.epochs == 1 and cfg.train_subset == 1000


def test_divergence_is_one_line_and_non_zero(offline_data, monkeypatch, capsys):
    def diverging(net, data, cfg, on_batch=None):
        raise TrainingDiverged("Training diverged in epoch 1")
        yield

    monkeypatch.setattr(train.run, "fit", diverging)
    assert cli.main(["--quiet"]) == 1
    assert capsys.readouterr().err.strip() == "python -m train: error: Training diverged in epoch 1"


@pytest.mark.integration
@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr", "0"], "learning rate must be between 1e-06 and 100"),
        (["--lr", "1e-300"], "learning rate must be between 1e-06 and 100"),
        (["--lr", "abc"], "invalid float value"),
        (["--epochs", "500"], "epochs must be between 1 and 200"),
        (["--model", "mlp"], "model must be one of"),
        (["--preset", "fastest"], "invalid choice"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(argv, message):
    proc = subprocess.run([sys.executable, "-m", "train", *argv], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr


def test_help_gives_every_setting_its_description_and_bounds(capsys):
    from train.config import described

    with pytest.raises(SystemExit):
        cli.parse_args(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the help
    for f, spec in described():
        assert f"--{f.name.replace('_', '-')}" in out and spec.help in out, f.name
    assert "(1 to 200)" in out and "(1 to 1800 seconds)" in out
    assert "--model {softmax,tutorial-sigmoid,one-vs-rest}" in out
