"""Training settings: one dataclass that the sidebar, the CLI and the presets all build."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields, replace

from model.nets import KINDS
from model.preprocess import FRAMINGS

OPTIMIZERS = ("sgd", "sgd-momentum", "adam")
SCHEDULES = ("constant", "linear")
N_TRAIN = 60_000
# Caps that hold from every door (sidebar, shared link, CLI): one run cannot hold a training slot
# for hours. The tutorial preset (50 epochs of batch 32) takes 93,750 steps, about 30 s here.
MAX_EPOCHS = 200
MAX_STEPS = 200_000  # optimiser steps per run: epochs x ceil(training digits / batch size)
MAX_TIME_LIMIT = 1800.0  # seconds; a run that reaches its time limit stops and keeps its model
MIN_LR = 1e-6  # measured: 1e-7 for 50 epochs of the recommended preset read 7.5 % of MNIST test, 1e-6 69 %
MAX_ROOM_WEIGHT = 100  # copies of each of the room's drawings in a training set


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
    time_limit: float = 600.0  # seconds of training; then the run stops itself and keeps its model
    room_weight: int = 0  # copies of each of the room's training drawings added to MNIST (0: MNIST only)
    lr_schedule: str = "constant"  # constant | linear: from lr down to 0 at the last step (less noise at the end)

    def __post_init__(self) -> None:
        _choice("model", self.model, KINDS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("framing", self.framing, FRAMINGS)
        _choice("lr_schedule", self.lr_schedule, SCHEDULES)
        _number("lr", self.lr, float, lo=MIN_LR, hi=100, hint=LR_HINT)
        _number("batch_size", self.batch_size, int, lo=1, hi=N_TRAIN)
        _number("epochs", self.epochs, int, lo=1, hi=MAX_EPOCHS)
        _number("weight_decay", self.weight_decay, float, lo=0, hi=1)
        _number("seed", self.seed, int, lo=0, hi=2**31 - 1)
        _number("train_subset", self.train_subset, int, lo=10, hi=N_TRAIN)
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be true or false, got {self.augment!r}")
        _number("time_limit", self.time_limit, float, lo=1, hi=MAX_TIME_LIMIT, hint=TIME_HINT)
        _number("room_weight", self.room_weight, int, lo=0, hi=MAX_ROOM_WEIGHT)
        if self.total_steps > MAX_STEPS:
            raise ValueError(
                f"{self.epochs} epochs of {self.train_subset:,} digits in batches of {self.batch_size} would take "
                f"{self.total_steps:,} optimiser steps; the limit is {MAX_STEPS:,}: use fewer epochs, fewer "
                "digits or a bigger batch"
            )

    @property
    def total_steps(self) -> int:
        """Optimiser steps of the whole run (on the full training set)."""
        n = min(self.train_subset, N_TRAIN)
        return self.epochs * math.ceil(n / min(self.batch_size, n))

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


LR_HINT = f"the learning rate must be between {MIN_LR:g} and 100: smaller ones barely move the weights in any run"
TIME_HINT = f"time_limit must be between 1 and {MAX_TIME_LIMIT:g} seconds"


SHOWN_LEN = 60  # of a refused value, in a message: enough to recognise a typo or read a short note, not a wall of text


def quoted(value) -> str:
    """``value`` quoted for a message, cut to SHOWN_LEN characters (a link's value is anyone's text)."""
    text = repr(value)
    return text if len(text) <= SHOWN_LEN else text[: SHOWN_LEN - 1] + "…"


def _why(exc: Exception) -> str:
    """An error's reason for a note that already quotes the value: without its "; got ..." part."""
    return str(exc).split("; got ")[0]


def _choice(name: str, value, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}; got {quoted(value)}")


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
    # Our standard: framed + deskewed digits, Adam at a high rate that decays to 0 over three epochs
    # (the decay takes the last steps' noise out). Three read other hands better than two: over 6
    # training seeds each (one-off script on the benches' sets), other writers (UCI, drawn) 91.4 ->
    # 91.7 %, photos 89.3 -> 89.9 % (1,440 of bench.photos' seeds 1, 7, 11), MNIST test 96.66 ->
    # 96.69 %; five read the same photos (89.8 %) for 5/3 of the time, and each participant's run
    # costs the room's CPU.
    "recommended": TrainConfig(lr=0.02, batch_size=256, epochs=3, lr_schedule="linear"),
}


# ASCII digits only: Python's float() and int() also read "١٢", "１２" and "1_2" as numbers.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def parse_number(text: str, kind: str = "float") -> int | float:
    """A number written in plain ASCII (``5``, ``0.001``, ``1e-3``); ``int`` wants a whole one.

    Raises ValueError for anything else: other scripts' digits, underscores, hex, inf, nan."""
    text = str(text).strip()
    if not _NUMBER.fullmatch(text):
        raise ValueError("not a number")
    value = float(text)
    if kind == "int":
        if not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    return value


def _parse(kind: str, text: str):
    if kind == "bool":
        if text.lower() in ("true", "1", "yes", "on"):
            return True
        if text.lower() in ("false", "0", "no", "off"):
            return False
        raise ValueError("not true or false")
    return parse_number(text, kind) if kind in ("int", "float") else text


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
            notes.append(f"preset={quoted(preset)} is not a preset; using recommended")
        base = PRESETS.get(preset or "recommended", PRESETS["recommended"])
    parsed, texts = {}, {}
    for f in fields(TrainConfig):
        if f.name not in params:
            continue
        texts[f.name] = str(params[f.name])[:100]
        try:
            parsed[f.name] = _parse(str(f.type), texts[f.name].strip())
        except (ValueError, OverflowError) as exc:
            notes.append(f"{f.name}={quoted(texts[f.name])} ignored ({_why(exc)}); kept {getattr(base, f.name)!r}")
    try:
        return base.replace(**parsed), notes  # together: epochs and batch size are only limited jointly
    except ValueError:
        pass
    cfg, pending, failed = base, parsed, {}
    for _ in range(2):  # a value refused next to the base's may fit once the link's other values are in
        failed = {}
        for name, value in pending.items():
            try:
                cfg = cfg.replace(**{name: value})
            except (ValueError, OverflowError) as exc:
                failed[name] = exc
        pending = {name: parsed[name] for name in failed}
    for name, exc in failed.items():
        notes.append(f"{name}={quoted(texts[name])} ignored ({_why(exc)}); kept {getattr(cfg, name)!r}")
    return cfg, notes


def config_to_strings(cfg: TrainConfig) -> dict[str, str]:
    """The inverse of config_from_strings, for links."""
    return {
        k: (str(v).lower() if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v))
        for k, v in cfg.to_dict().items()
    }
