import re

import pytest

from train.config import PRESETS, TrainConfig

REC = PRESETS["recommended"]  # what a link falls back to


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(lr=0), "learning rate"),
        (dict(lr=-1), "learning rate"),
        (dict(lr=101), "learning rate"),
        (dict(lr=float("nan")), "lr must be a number"),
        (dict(lr="fast"), "lr must be a number"),
        (dict(batch_size=0), "batch_size must be between"),
        (dict(batch_size=2.5), "whole number"),
        (dict(epochs=0), "epochs must be between 1 and 200"),
        (dict(epochs=201), "epochs must be between 1 and 200"),
        (dict(weight_decay=-0.1), "weight_decay"),
        (dict(seed=-1), "seed"),
        (dict(train_subset=5), "train_subset"),
        (dict(model="mlp"), "model must be one of"),
        (dict(optimizer="rmsprop"), "optimizer must be one of"),
        (dict(framing="crop"), "framing must be one of"),
        (dict(augment="yes"), "augment"),
        (dict(epochs=True), "whole number"),
    ],
)
def test_invalid_values_are_explained(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_boundaries_are_accepted():
    TrainConfig(lr=100, epochs=200, batch_size=1, train_subset=10)


def test_presets():
    tut = PRESETS["tutorial"]
    assert (tut.model, tut.optimizer, tut.lr, tut.batch_size, tut.epochs) == ("tutorial-sigmoid", "sgd", 0.001, 32, 50)
    assert PRESETS["recommended"].framing == "frame+deskew"


def test_dict_round_trip_and_unknown_keys():
    cfg = TrainConfig(lr=0.1, augment=True)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown setting"):
        TrainConfig.from_dict({**cfg.to_dict(), "dropout": 0.5})


def test_strings_round_trip_for_links():
    from train.config import config_from_strings, config_to_strings

    cfg = TrainConfig(model="one-vs-rest", optimizer="sgd", lr=0.05, batch_size=64, augment=True, framing="frame")
    back, notes = config_from_strings(config_to_strings(cfg))
    assert back == cfg and notes == []


@pytest.mark.parametrize(
    "params, field, expected",
    [
        ({"lr": "abc"}, "lr", REC.lr),
        ({"lr": "-3"}, "lr", REC.lr),
        ({"lr": "1e999"}, "lr", REC.lr),
        ({"lr": "nan"}, "lr", REC.lr),
        ({"lr": "1e-300"}, "lr", REC.lr),  # learns nothing in any run: refused, not a wasted training slot
        ({"epochs": "2.5"}, "epochs", REC.epochs),
        ({"epochs": "999"}, "epochs", REC.epochs),
        ({"model": "<script>alert(1)</script>"}, "model", "softmax"),
        ({"augment": "maybe"}, "augment", False),
        ({"batch_size": ""}, "batch_size", REC.batch_size),
        ({"framing": "x" * 10_000}, "framing", "frame+deskew"),
    ],
)
def test_garbage_in_a_link_falls_back_with_a_note(params, field, expected):
    from train.config import config_from_strings

    cfg, notes = config_from_strings(params)
    assert getattr(cfg, field) == expected
    assert len(notes) == 1 and notes[0].startswith(field) and len(notes[0]) < 300


@pytest.mark.parametrize("params", [{"model": "A" * 5000}, {"preset": "<b>" * 2000}])
def test_a_long_value_in_a_link_is_cut_in_its_note_so_the_note_says_what_was_kept(params):
    from train.config import config_from_strings

    _, (note,) = config_from_strings(params)
    assert len(note) < 160 and len(re.findall("A{8,}", note)) <= 1, note  # the value quoted once
    assert note.endswith("kept 'softmax'") or note.endswith("using recommended"), note


def test_links_start_from_a_named_preset_and_ignore_unknown_names():
    from train.config import config_from_strings

    cfg, notes = config_from_strings({"preset": "tutorial", "epochs": "3", "tab": "Draw", "evil": "1"})
    assert (cfg.model, cfg.epochs) == ("tutorial-sigmoid", 3) and notes == []
    cfg, notes = config_from_strings({"preset": "nope"})
    assert cfg == PRESETS["recommended"] and "not a preset" in notes[0]


def test_every_field_is_described_by_a_setting():
    from dataclasses import fields

    from train.config import described

    assert [f.name for f, _ in described()] == [f.name for f in fields(TrainConfig)]
    for f, spec in described():
        assert spec.label and len(spec.help) >= 40, f.name  # a sentence for the sidebar's (?) and --help
        assert not spec.choices or getattr(TrainConfig(), f.name) in spec.choices, f.name


def _bounded():
    from train.config import described

    return [(f.name, f.type, spec) for f, spec in described() if spec.lo is not None]


@pytest.mark.parametrize("name, kind, spec", _bounded(), ids=[name for name, _, _ in _bounded()])
def test_each_settings_bounds_are_what_validation_checks(name, kind, spec):
    small = dict(train_subset=1000)  # so that no bound trips the cap on optimiser steps
    for edge in (spec.lo, spec.hi):
        assert getattr(TrainConfig(**{**small, name: edge}), name) == edge
    step = 1 if kind == "int" else max(abs(spec.lo), 1) / 2
    for outside in (spec.lo - step, spec.hi + step):
        with pytest.raises(ValueError, match="must be between"):
            TrainConfig(**{**small, name: outside})


def test_a_runs_settings_read_in_words_with_the_sidebars_labels():
    from train.config import in_words

    rows = dict(in_words({**PRESETS["recommended"].to_dict(), "old_field": 3}))
    assert not {"batch_size", "weight_decay", "train_subset", "augment"} & set(rows)
    assert rows["Batch size"] == "256" and rows["Training digits"] == "60,000" and rows["old_field"] == "3"
    assert rows["Augmentation"] == "no" and rows["Learning rate"] == "0.02" and "False" not in rows.values()
