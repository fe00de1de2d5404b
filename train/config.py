"""Training settings: one dataclass that the sidebar, the CLI and the presets all build.

Each field carries its description (a ``Setting`` in the field's metadata): its label, help text,
bounds or choices and how the sidebar shows it. Validation, the CLI's flags and the sidebar's
widgets are all built from it, so a field added with its ``Setting`` appears everywhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import Field, asdict, dataclass, field, fields, replace

from common import _
from model.nets import KINDS
from model.preprocess import FRAMINGS

OPTIMIZERS = ("sgd", "sgd-momentum", "adam")
SCHEDULES = ("constant", "linear")
N_TRAIN = 60_000
# Caps that hold from every door (sidebar, shared link, CLI), so that one run cannot hold a training
# slot for hours.
MAX_EPOCHS = 200
MAX_STEPS = 200_000  # optimiser steps per run: epochs x ceil(training digits / batch size)
MAX_TIME_LIMIT = 1800.0  # seconds; a run that reaches its time limit stops and keeps its model
MIN_LR = 1e-6  # below it the weights barely move within the caps above: a run would waste its slot
MAX_ROOM_WEIGHT = 100  # copies of each of the room's drawings in a training set

# The sidebar's slider notches. A value from elsewhere (a preset, a shared link) is added to them.
LRS = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
BATCHES = (1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
DECAYS = (0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1)
SUBSETS = (100, 500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000)


@dataclass(frozen=True)
class Setting:
    """How one TrainConfig field is described, checked and shown (the field's ``metadata["setting"]``).

    The sidebar picks its widget from it: a select slider over ``notches``, a select box over
    ``choices``, a toggle for a bool, else a number input within ``lo`` and ``hi``."""

    label: str  # the sidebar's label
    help: str  # what it does, in a sentence a newcomer follows: the sidebar's (?) and the CLI's --help
    lo: float | None = None  # the smallest allowed value of a number
    hi: float | None = None  # the largest
    choices: tuple[str, ...] = ()  # the allowed values of a text setting
    unit: str = ""  # of a number, in the CLI's help ("seconds")
    refusal: str = ""  # the message for a number out of bounds, with {lo} and {hi}; else a generic one
    notches: tuple = ()  # the sidebar shows a select slider over these values
    fmt: str = ""  # format spec of a notch's label ("g", ",")
    step: float | None = None  # a number input's step (1 for whole numbers)
    slider_help: str = ""  # added to the sidebar's (?) text: what a notch of the slider means
    half: bool = False  # the sidebar puts it in a column, beside the half-width settings next to it
    after: str = ""  # the sidebar shows it right after this setting rather than in the fields' order
    shown: bool = True  # False: set by a preset, a shared link or the CLI only, no sidebar widget
    word: str = ""  # what a table of a run's settings calls it, where that differs from the label

    def bounds(self) -> str:
        """The allowed values in words, for the CLI's help: "1 to 200", "1 to 1800 seconds"."""
        if self.lo is None or self.hi is None:
            return ""
        words = _("{lo} to {hi}").format(lo=_as_text(self.lo), hi=_as_text(self.hi))
        return f"{words} {self.unit}" if self.unit else words


def _as_text(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def setting(default, **spec) -> Field:
    """A TrainConfig field with its default and its ``Setting``."""
    return field(default=default, metadata={"setting": Setting(**spec)})


def kind_of(f: Field) -> str:
    """A field's type as a name: "int", "float", "bool" or "str" (annotations are strings here)."""
    return f.type if isinstance(f.type, str) else f.type.__name__


def described(cls: type | None = None) -> list[tuple[Field, Setting]]:
    """TrainConfig's fields (or ``cls``'s) with their ``Setting``, in the fields' order."""
    return [(f, f.metadata["setting"]) for f in fields(cls or TrainConfig) if "setting" in f.metadata]


def in_words(config: dict) -> list[tuple[str, str]]:
    """A run's settings as a person reads them: (the sidebar's label, the value), in the fields'
    order; a key no field has (an older run's record) keeps its name."""
    labels = {f.name: spec.word or spec.label for f, spec in described()}
    order = list(labels)
    rows = []
    for key in sorted(config, key=lambda k: order.index(k) if k in order else len(order)):
        value = config[key]
        if isinstance(value, bool):
            shown = _("yes") if value else _("no")
        elif isinstance(value, int):
            shown = f"{value:,}"
        elif isinstance(value, float):
            shown = f"{value:g}"
        else:
            shown = str(value)
        rows.append((labels.get(key, key), shown))
    return rows


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. Invalid values raise ValueError."""

    model: str = setting(
        "softmax",
        label=_("Model"),
        choices=KINDS,
        help=_(
            "How the ten scores a digit gets become probabilities. softmax: the usual choice, the ten "
            "compete and add up to 100 %. tutorial-sigmoid: the tutorials' mistake, it squashes the scores "
            "before the loss, so it learns slowly and is never sure. one-vs-rest: ten separate yes/no "
            "questions, one per digit."
        ),
    )
    optimizer: str = setting(
        "adam",
        label=_("Optimizer"),
        choices=OPTIMIZERS,
        help=_(
            "The rule that nudges the weights after each batch to make the loss smaller. sgd: a step "
            "straight downhill. sgd-momentum: keeps some speed from earlier steps, like a rolling ball. "
            "adam: picks a step size for every weight by itself, usually the quickest start."
        ),
    )
    lr: float = setting(
        0.005,
        label=_("Learning rate (log scale)"),
        word=_("Learning rate"),
        lo=MIN_LR,
        hi=100,
        refusal=_(
            "the learning rate must be between {lo:g} and {hi:g}: smaller ones barely move the weights in any run"
        ),
        notches=LRS,
        fmt="g",
        help=_(
            "How big each nudge to the weights is. Too small and learning crawls; too big and the loss "
            "jumps about or blows up (the run then ends as failed)."
        ),
        slider_help=_("Each notch multiplies it by 2 to 2.5."),
    )
    batch_size: int = setting(
        512,
        label=_("Batch size"),
        lo=1,
        hi=N_TRAIN,
        notches=BATCHES,
        half=True,
        help=_(
            "How many digits the model looks at before each nudge to its weights. Small batches make "
            "many noisy steps; big ones make fewer, steadier steps and finish an epoch sooner."
        ),
    )
    epochs: int = setting(
        5,
        label=_("Epochs"),
        lo=1,
        hi=MAX_EPOCHS,
        step=1,
        half=True,
        help=_("How many times training goes through all the training digits."),
    )
    weight_decay: float = setting(
        0.0,
        label=_("Weight decay"),
        lo=0,
        hi=1,
        notches=DECAYS,
        fmt="g",
        half=True,
        help=_(
            "A small pull of every weight towards zero at each step, so the model does not lean too "
            "hard on a few pixels. 0 turns it off."
        ),
    )
    seed: int = setting(
        0,
        label=_("Seed"),
        lo=0,
        hi=2**31 - 1,
        step=1,
        half=True,
        help=_(
            "The number the random choices start from (the first weights, the order of the digits). "
            "The same seed and settings give the same model again; change it to see how much is luck."
        ),
    )
    framing: str = setting(
        "frame+deskew",
        label=_("Framing"),
        choices=FRAMINGS,
        after="train_subset",
        help=_(
            "How each digit is placed in its 28×28 square before the model sees it, for training and "
            "for your drawing alike. none: as it comes. frame: cut to the ink, scale to 20 px, centre it. "
            "frame+deskew: also straighten a slanted digit (deskew)."
        ),
    )
    train_subset: int = setting(
        N_TRAIN,
        label=_("Training digits"),
        lo=10,
        hi=N_TRAIN,
        notches=SUBSETS,
        fmt=",",
        help=_(
            "How many of MNIST's 60,000 training digits to learn from. Fewer is quicker and usually less "
            "accurate. The test always uses all 10,000 test digits, which training never sees."
        ),
    )
    augment: bool = setting(
        False,
        label=_("Augmentation"),
        help=_(
            "Shows each batch a little rotated, resized and shifted, so the model learns that a digit "
            "drawn a bit off is still the same digit. Slower to learn; sometimes better on drawings."
        ),
    )
    time_limit: float = setting(
        600.0,
        label=_("Time limit"),
        lo=1,
        hi=MAX_TIME_LIMIT,
        unit=_("seconds"),
        refusal=_("time_limit must be between {lo:g} and {hi:g} seconds"),
        shown=False,
        help=_("Seconds of training; then the run stops itself and keeps its model."),
    )
    room_weight: int = setting(
        0,
        label=_("Room's drawings (weight)"),
        lo=0,
        hi=MAX_ROOM_WEIGHT,
        step=1,
        help=_(
            "Adds the room's own labelled drawings (their training half) to MNIST, each this many times; "
            "0 trains on MNIST only. The run then shows its room accuracy with and without them, always "
            "measured on the room's test half, which training never sees."
        ),
    )
    lr_schedule: str = setting(
        "constant",
        label=_("Learning rate schedule"),
        choices=SCHEDULES,
        shown=False,
        help=_(
            "constant: the same learning rate at every step. linear: from the learning rate down to 0 "
            "at the last step, which takes the noise out of the last steps."
        ),
    )

    def __post_init__(self) -> None:
        for f, spec in described(type(self)):
            check(f.name, kind_of(f), spec, getattr(self, f.name))
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


SHOWN_LEN = 60  # of a refused value, in a message: enough to recognise a typo or read a short note, not a wall of text


def quoted(value) -> str:
    """``value`` quoted for a message, cut to SHOWN_LEN characters (a link's value is anyone's text)."""
    text = repr(value)
    return text if len(text) <= SHOWN_LEN else text[: SHOWN_LEN - 1] + "…"


def _why(exc: Exception) -> str:
    """An error's reason for a note that already quotes the value: without its "; got ..." part."""
    return str(exc).split("; got ")[0]


def check(name: str, kind: str, spec: Setting, value) -> None:
    """Raise ValueError, with a message that names the setting, if ``value`` is not allowed."""
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(_("{name} must be true or false, got {value!r}").format(name=name, value=value))
    elif spec.choices:
        if value not in spec.choices:
            raise ValueError(
                _("{name} must be one of {options}; got {value}").format(
                    name=name, options=", ".join(spec.choices), value=quoted(value)
                )
            )
    elif kind in ("int", "float"):
        _number(name, kind, spec, value)


def _number(name: str, kind: str, spec: Setting, value) -> None:
    ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "int":
        ok_type = ok_type and float(value).is_integer()
    if not ok_type or not math.isfinite(value):
        what = _("a whole number") if kind == "int" else _("a number")
        raise ValueError(_("{name} must be {what}; got {value!r}").format(name=name, what=what, value=value))
    lo, hi = spec.lo, spec.hi
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        refusal = spec.refusal or _("{name} must be between {lo} and {hi}; got {value!r}")
        raise ValueError(refusal.format(name=name, lo=lo, hi=hi, value=value))


PRESETS: dict[str, TrainConfig] = {
    # Exactly the tutorials' settings: sigmoid fed to CrossEntropyLoss, plain SGD at 0.001,
    # batch 32, raw (unframed) MNIST. They report ~86 % after 50 epochs.
    "tutorial": TrainConfig(
        model="tutorial-sigmoid", optimizer="sgd", lr=0.001, batch_size=32, epochs=50, framing="none"
    ),
    # Our standard: framed + deskewed digits, Adam at a high rate that decays to 0 over three epochs
    # (the decay takes the last steps' noise out). Three epochs read other hands (other writers,
    # photos) a little better than two, and more cost the room's CPU for every participant's run
    # without reading them better.
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
            parsed[f.name] = _parse(kind_of(f), texts[f.name].strip())
        except (ValueError, OverflowError) as exc:
            notes.append(f"{f.name}={quoted(texts[f.name])} ignored ({_why(exc)}); kept {getattr(base, f.name)!r}")
    try:
        return base.replace(**parsed), notes  # together: epochs and batch size are only limited jointly
    except ValueError:
        pass
    cfg, pending, failed = base, parsed, {}
    for _round in range(2):  # a value refused next to the base's may fit once the link's other values are in
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
