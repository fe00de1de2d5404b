"""Training settings: one dataclass that the sidebar, the CLI and the presets all build."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from model.nets import KINDS
from model.preprocess import FRAMINGS

OPTIMIZERS = ("sgd", "sgd-momentum", "adam")
N_TRAIN = 60_000


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. Invalid values raise ValueError."""

    model: str = "softmax"  # softmax | tutorial-sigmoid | one-vs-rest
    optimizer: str = "adam"  # sgd | sgd-momentum (0.9) | adam
    lr: float = 0.005  # learning rate; the right scale depends on the optimizer
    batch_size: int = 512  # digits per gradient step
    epochs: int = 5  # passes over the training digits
    weight_decay: float = 0.0  # L2 penalty on the weights
    seed: int = 0  # same seed, same data order, same initial weights, same result
    framing: str = "frame+deskew"  # none | frame | frame+deskew, applied to training and drawing alike
    train_subset: int = N_TRAIN  # train on this many digits (a seeded random subset)
    augment: bool = False  # random small rotations, scalings and shifts of each batch

    def __post_init__(self) -> None:
        _choice("model", self.model, KINDS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("framing", self.framing, FRAMINGS)
        _number("lr", self.lr, float, lo=0, hi=100, lo_open=True, hint="the learning rate must be > 0 and <= 100")
        _number("batch_size", self.batch_size, int, lo=1, hi=N_TRAIN)
        _number("epochs", self.epochs, int, lo=1, hi=200)
        _number("weight_decay", self.weight_decay, float, lo=0, hi=1)
        _number("seed", self.seed, int, lo=0, hi=2**31 - 1)
        _number("train_subset", self.train_subset, int, lo=10, hi=N_TRAIN)
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be true or false, got {self.augment!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        """Build from a dict (checkpoint metadata, URL); unknown keys are refused."""
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**d)

    def replace(self, **changes) -> TrainConfig:
        return replace(self, **changes)


def _choice(name: str, value, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}; got {value!r}")


def _number(name, value, kind, lo, hi, lo_open=False, hint=None) -> None:
    ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        ok_type = ok_type and float(value).is_integer()
    if not ok_type or not math.isfinite(value):
        raise ValueError(f"{name} must be {'a whole number' if kind is int else 'a number'}; got {value!r}")
    if value < lo or value > hi or (lo_open and value == lo):
        raise ValueError(hint or f"{name} must be between {lo} and {hi}; got {value!r}")


PRESETS: dict[str, TrainConfig] = {
    # Exactly the tutorials' settings: sigmoid fed to CrossEntropyLoss, plain SGD at 0.001,
    # batch 32, raw (unframed) MNIST. They report ~86 % after 50 epochs.
    "tutorial": TrainConfig(
        model="tutorial-sigmoid", optimizer="sgd", lr=0.001, batch_size=32, epochs=50, framing="none"
    ),
    # Our standard: framed + deskewed digits, Adam. >= 95 % test accuracy in about a second.
    "recommended": TrainConfig(),
}


def _parse(kind: str, text: str):
    if kind == "bool":
        if text.lower() in ("true", "1", "yes", "on"):
            return True
        if text.lower() in ("false", "0", "no", "off"):
            return False
        raise ValueError("not true or false")
    try:
        value = float(text) if kind in ("int", "float") else None
    except ValueError:
        raise ValueError("not a number") from None
    if kind == "int":
        if not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    return value if kind == "float" else text


def config_from_strings(params: dict[str, str], base: TrainConfig | None = None) -> tuple[TrainConfig, list[str]]:
    """A TrainConfig from text settings (a shared link's query string).

    Starts from ``base`` (or the preset named by ``preset``, else ``recommended``); each setting
    that cannot be read or is out of range is left at that value and explained in the notes.
    Never raises. Unknown names are ignored.
    """
    notes: list[str] = []
    preset = params.get("preset")
    if base is None:
        if preset is not None and preset not in PRESETS:
            notes.append(f"preset={preset!r} is not a preset; using recommended")
        base = PRESETS.get(preset or "recommended", PRESETS["recommended"])
    cfg = base
    for f in fields(TrainConfig):
        if f.name not in params:
            continue
        text = str(params[f.name])[:100]
        try:
            cfg = cfg.replace(**{f.name: _parse(str(f.type), text.strip())})
        except (ValueError, OverflowError) as exc:
            notes.append(f"{f.name}={text!r} ignored ({exc}); kept {getattr(cfg, f.name)!r}")
    return cfg, notes


def config_to_strings(cfg: TrainConfig) -> dict[str, str]:
    """The inverse of config_from_strings, for links."""
    return {
        k: (str(v).lower() if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v))
        for k, v in cfg.to_dict().items()
    }
