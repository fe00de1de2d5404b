import pytest

from train.config import PRESETS, TrainConfig


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
