"""Checkpoints as safetensors: raw tensors plus a JSON header. Nothing is ever unpickled.

A file carries what is needed to rebuild and trust the model: its kind, the framing it was
trained with (drawings are framed the same way), the training config and final metrics.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from model.nets import KINDS, N_CLASSES, N_PIXELS, LinearDigits, build
from model.preprocess import FRAMING_VERSION, FRAMINGS

FORMAT = "digit-studio"
FORMAT_VERSION = 1
MAX_BYTES = 2 * 1024 * 1024  # a model is ~31 KB; anything near this is not one of ours
SHAPES = {"linear.weight": (N_CLASSES, N_PIXELS), "linear.bias": (N_CLASSES,)}
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "assets" / "default_model.safetensors"


class CheckpointError(ValueError):
    """The file is not a valid Digit Studio model; the message says why."""


def to_bytes(net: LinearDigits, metadata: dict) -> bytes:
    """Serialise ``net`` with ``metadata`` (must include ``framing``) to safetensors bytes."""
    framing = metadata.get("framing")
    if framing not in FRAMINGS:
        raise ValueError(f"metadata must name the framing the model was trained with ({', '.join(FRAMINGS)})")
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": net.kind,
        "framing_version": FRAMING_VERSION,
        **metadata,
    }
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in net.state_dict().items()}
    return st_save(tensors, metadata={"digit_studio": json.dumps(header)})


def save(net: LinearDigits, path: str | os.PathLike, metadata: dict) -> Path:
    """Write a checkpoint atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    data = to_bytes(net, metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _header(data: bytes) -> dict:
    if len(data) < 8:
        raise CheckpointError("file is too short to be a safetensors model")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8 or size > 100_000:
        raise CheckpointError("not a safetensors file (bad header length); is it a pickle or another format?")
    try:
        header = json.loads(data[8 : 8 + size])
        meta = json.loads(header["__metadata__"]["digit_studio"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise CheckpointError("not a Digit Studio model: the safetensors header has no digit_studio metadata") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError("not a Digit Studio model: unknown format in metadata")
    return meta


def _validate(meta: dict, tensors: dict[str, torch.Tensor]) -> None:
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"model format version {meta.get('format_version')!r} is not supported")
    if meta.get("kind") not in KINDS:
        raise CheckpointError(f"unknown model kind {meta.get('kind')!r}; expected one of {', '.join(KINDS)}")
    if meta.get("framing") not in FRAMINGS:
        raise CheckpointError(f"unknown framing {meta.get('framing')!r}")
    if meta.get("framing_version") != FRAMING_VERSION:
        raise CheckpointError("model was trained with another version of the framing; retrain it")
    if set(tensors) != set(SHAPES):
        raise CheckpointError(f"expected tensors {sorted(SHAPES)}, found {sorted(tensors)}")
    for name, shape in SHAPES.items():
        t = tensors[name]
        if tuple(t.shape) != shape or t.dtype != torch.float32:
            raise CheckpointError(f"{name} has shape {tuple(t.shape)} {t.dtype}, expected {shape} float32")
        if not torch.isfinite(t).all():
            raise CheckpointError(f"{name} contains NaN or infinite values")


def from_bytes(data: bytes) -> LinearDigits:
    """Validate and rebuild a model from checkpoint bytes; metadata lands on ``net.metadata``."""
    if len(data) > MAX_BYTES:
        raise CheckpointError(f"file is {len(data) / 1e6:.1f} MB; a model is about 0.03 MB")
    meta = _header(data)
    try:
        tensors = st_load(data)
    except Exception as exc:  # safetensors raises its own error types for damaged payloads
        raise CheckpointError(f"damaged safetensors payload: {exc}") from None
    _validate(meta, tensors)
    net = build(meta["kind"])
    net.load_state_dict(tensors)
    net.metadata = meta
    return net.eval()


def load(path: str | os.PathLike) -> LinearDigits:
    """Load a checkpoint written by ``save``; raises CheckpointError on anything else."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CheckpointError(f"{path.name} is {size / 1e6:.1f} MB; a model is about 0.03 MB")
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror or exc}") from None
    return from_bytes(data)


def load_default() -> LinearDigits:
    """The shipped model (trained with the ``recommended`` preset), in eval mode."""
    return load(DEFAULT_PATH)
