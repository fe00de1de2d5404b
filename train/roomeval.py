"""The room's test: how well a model reads the room's own handwriting.

Every model is scored on the room's *test* half only (store/room.py splits the drawings), from
the drawings as drawn (their PNGs), framed the way that model was trained: a model trained
without framing is scored on plain resized drawings, as the app would read them.

``RoomScorer`` is shared by every session of a server. It frames each drawing once per framing,
keeps a run's model once loaded (a finished run's model never changes), and remembers each
model's score for the set of drawings it was computed on (``Store.drawings_revision``), so a
new drawing costs one framing and one matrix product per model, and no new drawing costs nothing.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

import model
from common.errors import StoreError
from common.splits import TEST
from train.source import StoredDrawing

MAX_MODELS = 500  # runs' models kept in memory (31 KB each)
MAX_SCORES = 5000


MAX_SIDE = 1024  # a stored drawing is 280x280; a bigger one is not ours and is not decoded


def read_png(png: bytes) -> np.ndarray | None:
    """A stored drawing's pixels, (H,W) uint8, white ink on black (None if it is not a readable,
    reasonably sized image)."""
    try:
        with Image.open(io.BytesIO(png)) as img:
            if max(img.size) > MAX_SIDE:
                return None
            img.load()
            return np.asarray(img.convert("L"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def frame(png: bytes, framing: str) -> np.ndarray:
    """A stored drawing framed for a model: (28,28) float32 (all zeros if it has no ink)."""
    pixels = read_png(png)
    x = None if pixels is None else model.to_mnist(pixels, framing=framing)
    return np.zeros((28, 28), np.float32) if x is None else x


@dataclass(frozen=True)
class Score:
    accuracy: float | None  # None: no test drawings yet
    n: int  # how many test drawings it was measured on
    confusion: np.ndarray  # (10,10) counts: row = true label, column = read as


class RoomScorer:
    """Room accuracy of models, cached across sessions (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._framed: dict[str, dict[int, np.ndarray]] = {}  # framing -> drawing id -> 28x28
        self._models: OrderedDict[int, model.LinearDigits | None] = OrderedDict()
        self._scores: OrderedDict[tuple, Score] = OrderedDict()
        self._test: tuple = ((), [], np.zeros(0, np.int64))  # revision, drawings, labels

    def test_half(self, store, revision: tuple | None = None) -> tuple[Sequence[StoredDrawing], np.ndarray]:
        """The room's live test drawings (with their PNGs) and labels, re-read only when they changed."""
        revision = revision if revision is not None else store.drawings_revision()
        with self._lock:
            if self._test[0] == revision:
                return self._test[1], self._test[2]
        found = store.drawings(TEST, with_png=True)
        labels = np.array([d.label for d in found], np.int64)
        with self._lock:
            self._test = (revision, found, labels)
        return found, labels

    def images(self, found: Sequence[StoredDrawing], framing: str) -> np.ndarray:
        """(N,28,28) float32: the drawings framed with ``framing``, each framed once per server."""
        with self._lock:
            cache = self._framed.setdefault(framing, {})
            todo = [d for d in found if d.id not in cache]
        done = {d.id: frame(d.png, framing) for d in todo}
        with self._lock:
            cache.update(done)
            if len(cache) > 4 * max(len(found), 1000):  # drop drawings that were deleted long ago
                keep = {d.id for d in found}
                for i in [i for i in cache if i not in keep]:
                    del cache[i]
            return np.stack([cache[d.id] for d in found]) if found else np.zeros((0, 28, 28), np.float32)

    def run_model(self, store, run_id: int) -> model.LinearDigits | None:
        """A run's model, loaded once (None if it has none, or it cannot be read)."""
        with self._lock:
            if run_id in self._models:
                self._models.move_to_end(run_id)
                return self._models[run_id]
        try:
            net = model.from_bytes(store.checkpoint(run_id))
        except (model.CheckpointError, StoreError):  # deleted, or unreadable: no score
            net = None
        with self._lock:
            self._models[run_id] = net
            while len(self._models) > MAX_MODELS:
                self._models.popitem(last=False)
        return net

    def score(self, key, net: model.LinearDigits, store, revision: tuple | None = None) -> Score:
        """``net``'s score on the room's test half; ``key`` names the model (a run id, 'shipped')
        and must change when the model does."""
        revision = revision if revision is not None else store.drawings_revision()
        with self._lock:
            found = self._scores.get((key, revision))
        if found is not None:
            return found
        drawings, labels = self.test_half(store, revision)
        result = evaluate(net, self.images(drawings, net.metadata.get("framing", "frame+deskew")), labels)
        with self._lock:
            self._scores[(key, revision)] = result
            while len(self._scores) > MAX_SCORES:
                self._scores.popitem(last=False)
        return result

    def read(self, net: model.LinearDigits, found: Sequence[StoredDrawing]) -> list[tuple[int, float]]:
        """What ``net`` reads in each drawing (with their PNGs): (digit, confidence)."""
        if not found:
            return []
        p = model.predict_proba(net, self.images(found, net.metadata.get("framing", "frame+deskew")))
        return [(int(row.argmax()), float(row.max())) for row in p]


def evaluate(net: model.LinearDigits, images: np.ndarray, labels: np.ndarray) -> Score:
    """Accuracy and confusion matrix of ``net`` on framed images with their labels."""
    confusion = np.zeros((10, 10), np.int64)
    if len(labels) == 0:
        return Score(None, 0, confusion)
    guess = model.logits(net, images).argmax(1)
    np.add.at(confusion, (labels, guess), 1)
    return Score(float((guess == labels).mean()), int(len(labels)), confusion)
