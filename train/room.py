"""Training with the room's drawings: the room's training half added to MNIST, at the data level.

``RoomMnist`` looks like ``Mnist`` to ``fit()``: its framed training set has exactly
``train_subset`` digits, ``room_weight`` copies of each of the room's training drawings (at most
half of them) and MNIST digits for the rest, so ``fit()``, the fused loop and the step caps work
unchanged. Room accuracy is only ever measured on the room's *test* half (``room_accuracy``):
the drawings a run trains on are never the ones it is scored on (store/room.py splits them).
The take-home script (train/takehome_template.py, ``with_room``) mixes the same way.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

import model
from common.splits import TEST, TRAIN
from train.config import TrainConfig
from train.data import Framed, Mnist
from train.loop import evaluate, fit

MAX_DRAWINGS = 2000  # the newest training drawings a run uses; a workshop has a few hundred
MAX_SIDE = 1024  # a stored drawing is 280x280: anything bigger is not one of ours and is not decoded


def frame_png(png: bytes | None, framing: str) -> np.ndarray:
    """A stored drawing framed with ``framing`` as uint8 (28,28); all zeros if it cannot be read."""
    try:
        with Image.open(io.BytesIO(png or b"")) as img:
            if max(img.size) > MAX_SIDE:
                raise ValueError("too large")
            img.load()
            x = model.to_mnist(np.asarray(img.convert("L")), framing=framing)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        x = None
    return np.zeros((28, 28), np.uint8) if x is None else np.round(x * 255).astype(np.uint8)


@dataclass
class RoomHalf:
    """One half of the room's dataset: drawing ids, labels, PNGs; framed once per framing."""

    ids: list[int]
    labels: torch.Tensor  # int64 (N,)
    pngs: list[bytes]
    _framed: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def images(self, framing: str) -> torch.Tensor:
        """uint8 (N,28,28), framed from the drawings as drawn, the way ``framing`` frames them."""
        with self._lock:
            if framing not in self._framed:
                found = [frame_png(p, framing) for p in self.pngs]
                self._framed[framing] = (
                    torch.from_numpy(np.stack(found)) if found else torch.zeros((0, 28, 28), dtype=torch.uint8)
                )
            return self._framed[framing]


def room_half(store, split: str, ids: list[int] | None = None) -> RoomHalf:
    """The room's live ``split`` half from ``store`` (the newest MAX_DRAWINGS); ``ids``: exactly
    those drawings, deleted ones included while the archive keeps them (a run's record)."""
    if ids is None:
        found = store.drawings(split, with_png=True, limit=MAX_DRAWINGS, newest_first=True)[::-1]
    else:
        want = set(ids)
        found = [
            d for live in (False, True) for d in store.drawings(split, with_png=True, archived=live) if d.id in want
        ]
        found.sort(key=lambda d: d.id)
    return RoomHalf(
        [d.id for d in found], torch.tensor([d.label for d in found], dtype=torch.int64), [d.png for d in found]
    )


def mix(train_x, train_y, room_x, room_y, weight: int, total: int, seed: int):
    """``total`` training digits: each room drawing ``weight`` times (at most half), then MNIST
    digits picked at random with ``seed``. The take-home script's ``with_room`` is the same."""
    n_room = min(len(room_x) * weight, total // 2)
    rows = torch.arange(len(room_x)).repeat(weight)[:n_room]
    pick = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(seed))[: total - n_room]
    return torch.cat([train_x[pick], room_x[rows]]), torch.cat([train_y[pick], room_y[rows]])


class RoomMnist:
    """MNIST with the room's training half mixed in for one run's ``cfg``; what ``fit()`` reads."""

    def __init__(self, base: Mnist, train: RoomHalf, test: RoomHalf, cfg: TrainConfig) -> None:
        self.base, self.train, self.test, self.cfg = base, train, test, cfg
        self.test_images, self.test_labels = base.test_images, base.test_labels
        self._framed: dict[str, Framed] = {}

    @property
    def train_labels(self) -> torch.Tensor:
        return self.framed(self.cfg.framing).train_y

    def framed(self, framing: str) -> Framed:
        if framing not in self._framed:
            f = self.base.framed(framing)
            x, y = f.train_x, f.train_y
            if self.cfg.room_weight and len(self.train):
                x, y = mix(x, y, self.train.images(framing), self.train.labels, self.cfg.room_weight,
                           min(self.cfg.train_subset, len(x)), self.cfg.seed)  # fmt: skip
            self._framed[framing] = Framed(framing, x, y, f.test_x, f.test_y)
        return self._framed[framing]

    def report(self, net: model.LinearDigits, keep_going: Callable[[], bool] = lambda: True) -> dict:
        """Room accuracy (test half only) of ``net`` and of the same settings trained without the
        room's drawings ("before"), with which drawings it trained on, for the run's record."""
        before = None
        if len(self.test):
            twin = model.build(self.cfg.model, seed=self.cfg.seed)
            finished = True
            for _ in fit(twin, self.base, self.cfg.replace(room_weight=0)):
                if not keep_going():
                    finished = False
                    break
            before = room_accuracy(twin, self.test, self.cfg.framing) if finished else None
        return {
            "weight": self.cfg.room_weight,
            "train_drawings": list(self.train.ids),
            "test_drawings": len(self.test),
            "before": before,
            "after": room_accuracy(net, self.test, self.cfg.framing),
        }


def room_accuracy(net: model.LinearDigits, test: RoomHalf, framing: str) -> float | None:
    """Accuracy of ``net`` on the room's test half framed with ``framing`` (None: no drawings)."""
    if not len(test):
        return None
    return evaluate(net, test.images(framing), test.labels)[1]


def with_room(base: Mnist, store, cfg: TrainConfig) -> Mnist | RoomMnist:
    """``base`` with the room's training half for ``cfg`` (``base`` itself when room_weight is 0)."""
    if not cfg.room_weight:
        return base
    return RoomMnist(base, room_half(store, TRAIN), room_half(store, TEST), cfg)
