"""The room's dataset as files to take home: a zip of PNGs with a CSV of labels, and a zip of
IDX files laid out as torchvision's ``MNIST`` expects (``MNIST/raw/train-images-idx3-ubyte``
...), so ``torchvision.datasets.MNIST(root, download=False)`` or any IDX reader loads it.

Participants appear as ``p1``, ``p2``... (numbered in order of their first drawing): the export
keeps who drew what apart without carrying nicknames or identities out of the room.
"""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime

from common.splits import TEST, TRAIN
from store.room import Drawing

IDX_FILES = {  # MNIST's own names: the room's test half is "t10k", as in MNIST
    TRAIN: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    TEST: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _writers(found: Iterable[Drawing]):
    numbers: dict[str, str] = {}
    for d in found:
        yield d, numbers.setdefault(d.owner, f"p{len(numbers) + 1}")


def png_zip(found: Iterable[Drawing]) -> bytes:
    """``room/<split>/<id>_<label>.png`` for every drawing (with its PNG) and ``room/labels.csv``:
    file, label, split, writer, created_utc, id."""
    buf, table = io.BytesIO(), io.StringIO()
    rows = csv.writer(table)
    rows.writerow(["file", "label", "split", "writer", "created_utc", "id"])
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:  # PNGs are compressed already
        for d, writer in _writers(found):
            name = f"{d.split}/{d.id:06d}_{d.label}.png"
            z.writestr(f"room/{name}", d.png or b"")
            when = datetime.fromtimestamp(d.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            rows.writerow([name, d.label, d.split, writer, when, d.id])
        z.writestr("room/labels.csv", table.getvalue())
    return buf.getvalue()


def idx_images(found: list[Drawing]) -> bytes:
    """IDX3: magic 0x00000803 (unsigned bytes, 3 dimensions), N, 28, 28, then the pixels."""
    return struct.pack(">IIII", 0x0803, len(found), 28, 28) + b"".join(d.framed for d in found)


def idx_labels(found: list[Drawing]) -> bytes:
    """IDX1: magic 0x00000801 (unsigned bytes, 1 dimension), N, then the labels."""
    return struct.pack(">II", 0x0801, len(found)) + bytes(d.label for d in found)


def idx_zip(found: Iterable[Drawing]) -> bytes:
    """The framed 28x28 drawings of each half as MNIST's four IDX files, under ``MNIST/raw/``."""
    halves: dict[str, list[Drawing]] = {TRAIN: [], TEST: []}
    for d in found:
        halves[d.split].append(d)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for split, (images, labels) in IDX_FILES.items():
            z.writestr(f"MNIST/raw/{images}", idx_images(halves[split]))
            z.writestr(f"MNIST/raw/{labels}", idx_labels(halves[split]))
    return buf.getvalue()
