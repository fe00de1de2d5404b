"""Every setting is described once: a TrainConfig field added with its Setting (field metadata)
gets a CLI flag with its help and bounds and a sidebar widget with its label, help and bounds,
with no edit to the CLI or the sidebar."""

import dataclasses
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import train.__main__ as cli
import train.config
from testkit.apptest import shown
from testkit.mnist import synthetic_mnist
from train.config import PRESETS, TrainConfig, setting
from ui import shared
from ui.sidebar import training as sidebar
from ui.widgets import canvas

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PATIENCE_HELP = "How many epochs without a better test accuracy a run waits for before it stops early."
STOPPING_HELP = "What a run does when it stops early: keep its last model or its best one so far."


@pytest.fixture
def extended(monkeypatch):
    """TrainConfig with two more fields, each described only by its Setting, put where the CLI,
    the sidebar and the link parser read TrainConfig (and the presets made of it)."""
    more = [
        ("patience", "int", setting(3, label="Patience (epochs)", help=PATIENCE_HELP, lo=1, hi=9, step=1)),
        ("stopping", "str", setting("last", label="Stopping keeps", help=STOPPING_HELP, choices=("last", "best"))),
    ]
    extended = dataclasses.make_dataclass("TrainConfig", more, bases=(TrainConfig,), frozen=True)
    for module in (train.config, cli, sidebar):
        monkeypatch.setattr(module, "TrainConfig", extended)
    for name, preset in list(PRESETS.items()):
        monkeypatch.setitem(PRESETS, name, extended(**preset.to_dict()))
    return extended


@pytest.fixture
def studio(monkeypatch):
    """The app under AppTest with a tiny synthetic MNIST and a blank canvas, opened with a link's parameters."""
    data = synthetic_mnist()
    monkeypatch.setattr(shared, "is_provisioned", lambda: True)
    monkeypatch.setattr(shared, "loaded_mnist", lambda: data)
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: None)

    def open_with(**params):
        at = AppTest.from_file(APP, default_timeout=60)
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        assert not at.exception and not at.sidebar.error
        return at

    return open_with


def test_a_new_setting_is_checked_by_its_bounds_and_choices(extended):
    assert extended().patience == 3
    with pytest.raises(ValueError, match="patience must be between 1 and 9; got 10"):
        extended(patience=10)
    with pytest.raises(ValueError, match="stopping must be one of last, best"):
        extended(stopping="worst")


def test_a_new_setting_gets_a_cli_flag_with_its_help_and_bounds(extended, capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(["--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps the help
    assert f"--patience PATIENCE {PATIENCE_HELP} (1 to 9)" in out
    assert f"--stopping {{last,best}} {STOPPING_HELP}" in out
    cfg = cli.config_from_args(cli.parse_args(["--preset", "tutorial", "--patience", "5", "--stopping", "best"]))
    assert (cfg.model, cfg.patience, cfg.stopping) == ("tutorial-sigmoid", 5, "best")
    with pytest.raises(ValueError, match="patience must be between 1 and 9"):
        cli.config_from_args(cli.parse_args(["--patience", "12"]))


@pytest.mark.apptest
def test_a_new_setting_gets_a_sidebar_widget_with_its_help_and_bounds(extended, studio):
    at = studio(patience="7", epochs="4")
    patience = at.sidebar.number_input(key="cfg_patience")
    assert (patience.label, patience.help, patience.min, patience.max) == ("Patience (epochs)", PATIENCE_HELP, 1, 9)
    assert patience.value == 7 and at.session_state["cfg_epochs"] == 4  # from the link, as every setting
    stopping = at.sidebar.selectbox(key="cfg_stopping")
    assert (stopping.label, stopping.help, stopping.options) == ("Stopping keeps", STOPPING_HELP, ["last", "best"])
    stopping.set_value("best").run()
    assert not at.exception and at.query_params["stopping"] == "best"  # back into the shared link
    labels = [w.label for w in at.sidebar if getattr(w, "key", "") and w.key.startswith("cfg_")]
    assert labels[-3:] == ["Room's drawings (weight)", "Patience (epochs)", "Stopping keeps"]  # fields' order


@pytest.mark.apptest
def test_a_value_out_of_a_new_settings_bounds_in_a_link_is_explained(extended, studio):
    at = studio(patience="12")
    assert at.sidebar.number_input(key="cfg_patience").value == 3
    note = "patience='12' ignored (patience must be between 1 and 9); kept 3"
    assert any(note in shown(w.value) for w in at.sidebar.warning), [w.value for w in at.sidebar.warning]
