"""Checkpoints as safetensors: raw tensors plus a JSON header. Nothing is ever unpickled.

A file carries what is needed to rebuild and trust the model: its kind, the framing it was
trained with (drawings are framed the same way), the training config, final metrics and its
training curves. Files come from anyone (uploads), so the reader takes any bytes and either
returns a model or raises CheckpointError with a one-line reason; its work is bounded by the
file's size, which is capped before anything is read.
"""

from __future__ import annotations

import json
import os
import stat
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
MAX_BYTES = 2 * 1024 * 1024  # a model is ~31 KB plus its curves; anything near this is not one of ours
MAX_HEADER = 100_000  # bytes of JSON header; a 200-epoch run with its curves needs about a third of it
MAX_WEIGHT = 1e6  # |weight| above this is no trained model (inputs are 0..1); scores would overflow
MAX_CURVE_POINTS = 1_000  # per curve: epochs, and batch losses over the whole run (averaged down)
MAX_TEXT = 100  # characters in any text field of the metadata
MAX_FIELDS = 32  # keys in config or metrics
SHAPES = {"linear.weight": (N_CLASSES, N_PIXELS), "linear.bias": (N_CLASSES,)}
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "assets" / "default_model.safetensors"
EPOCH_KEYS = ("epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "partial", "batch_losses")


class CheckpointError(ValueError):
    """The file is not a valid Digit Studio model; the message (one line) says why."""


def to_bytes(net: LinearDigits, metadata: dict) -> bytes:
    """Serialise ``net`` with ``metadata`` (must include ``framing``) to safetensors bytes.

    A ``history`` (per-epoch records with batch losses) is averaged down to the curve bound,
    and the header is checked by the reader's own rules: what this writes, the reader loads.
    """
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
    if "history" in header:
        header["history"] = curves(header["history"])
    header.setdefault("config", {})
    header.setdefault("metrics", {})
    validate_metadata(header)
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in net.state_dict().items()}
    data = st_save(tensors, metadata={"digit_studio": json.dumps(header, allow_nan=False)})
    if struct.unpack("<Q", data[:8])[0] > MAX_HEADER:
        raise ValueError("checkpoint metadata is too large for the reader's bound")
    return data


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


def downsample(values, n: int) -> list[float]:
    """At most ``n`` points: the means of equal consecutive runs of ``values`` (the last may be shorter)."""
    values = list(values)
    k = max(1, -(-len(values) // max(n, 1)))
    return [sum(values[i : i + k]) / len(values[i : i + k]) for i in range(0, len(values), k)]


def _round(x: float) -> float:
    return float(f"{float(x):.6g}")  # 6 significant digits: plenty for a chart, a third of repr's length


def curves(history, max_points: int = MAX_CURVE_POINTS) -> list[dict]:
    """Per-epoch records (dicts or objects with ``to_dict``) for the header: rounded, with the
    batch losses averaged down so that the whole run has at most ``max_points`` of them."""
    records = [h.to_dict() if hasattr(h, "to_dict") else dict(h) for h in history][:max_points]
    per_epoch = max(1, max_points // max(len(records), 1))
    return [
        {
            "epoch": int(r["epoch"]),
            **{k: _round(r[k]) for k in ("train_loss", "test_loss", "test_accuracy", "seconds")},
            "partial": bool(r.get("partial", False)),
            "batch_losses": [_round(x) for x in downsample(r.get("batch_losses", []), per_epoch)],
        }
        for r in records
    ]


# --- reading ------------------------------------------------------------------------------


def _show(value) -> str:
    """A hostile value, for a one-line message: repr, cut short."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number"
    )


def _text(where: str, value, options=None) -> str:
    if not isinstance(value, str):
        raise CheckpointError(f"{where} must be text, not {_kind(value)}")
    if len(value) > MAX_TEXT or not value.isprintable():
        raise CheckpointError(f"{where} must be printable text of at most {MAX_TEXT} characters")
    if options is not None and value not in options:
        raise CheckpointError(f"unknown {where} {_show(value)}; expected one of {', '.join(options)}")
    return value


def _num(where: str, value, lo: float, hi: float, whole: bool = False):
    ok = isinstance(value, int) if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok:
        raise CheckpointError(f"{where} must be {'a whole number' if whole else 'a number'}, not {_kind(value)}")
    if not lo <= value <= hi:  # also refuses NaN and infinities; safe for ints of any size
        raise CheckpointError(f"{where} must be between {lo:g} and {hi:g}, not {_show(value)}")
    return value


def _flag(where: str, value) -> bool:
    if not isinstance(value, bool):
        raise CheckpointError(f"{where} must be true or false, not {_kind(value)}")
    return value


def _scalar(where: str, value):
    """An unknown field's value: text, a number or true/false (nothing nested)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return _num(where, value, -1e15, 1e15)
    return _text(where, value)


def _object(where: str, value, typed: dict) -> dict:
    if not isinstance(value, dict):
        raise CheckpointError(f"{where} must be an object, not {_kind(value)}")
    if len(value) > MAX_FIELDS:
        raise CheckpointError(f"{where} has {len(value)} fields; at most {MAX_FIELDS} are allowed")
    out = {}
    for key, v in value.items():
        if not (isinstance(key, str) and key.isidentifier() and len(key) <= 40):
            raise CheckpointError(f"{where} has a field with a bad name {_show(key)}")
        out[key] = typed[key](f"{where}.{key}", v) if key in typed else _scalar(f"{where}.{key}", v)
    return out


def _whole(lo, hi):
    return lambda w, v: _num(w, v, lo, hi, whole=True)


def _number(lo, hi):
    return lambda w, v: _num(w, v, lo, hi)


CONFIG = {
    "model": _text,
    "optimizer": _text,
    "framing": _text,
    "lr": _number(0, 1e6),
    "weight_decay": _number(0, 1e6),
    "batch_size": _whole(1, 10**9),
    "epochs": _whole(1, 10**9),
    "seed": _whole(0, 2**63),
    "train_subset": _whole(1, 10**9),
    "augment": _flag,
    "time_limit": _number(0, 1e9),
}
METRICS = {
    "epochs_completed": _whole(0, 10**9),
    "test_accuracy": _number(0, 1),
    "test_loss": _number(0, 1e9),
    "train_loss": _number(0, 1e9),
    "train_seconds": _number(0, 1e9),
}
EPOCH = {
    "epoch": _whole(1, 10**9),
    "train_loss": _number(0, 1e9),
    "test_loss": _number(0, 1e9),
    "test_accuracy": _number(0, 1),
    "seconds": _number(0, 1e9),
    "partial": _flag,
}


def _history(value) -> list[dict]:
    if not isinstance(value, list):
        raise CheckpointError(f"history must be a list, not {_kind(value)}")
    if len(value) > MAX_CURVE_POINTS:
        raise CheckpointError(f"history has {len(value)} epochs; at most {MAX_CURVE_POINTS} are kept")
    out, points = [], 0
    for i, e in enumerate(value):
        where = f"history[{i}]"
        if not isinstance(e, dict):
            raise CheckpointError(f"{where} must be an object, not {_kind(e)}")
        if set(e) != set(EPOCH_KEYS):
            raise CheckpointError(f"{where} must have exactly the fields {', '.join(EPOCH_KEYS)}")
        losses = e["batch_losses"]
        if not isinstance(losses, list):
            raise CheckpointError(f"{where}.batch_losses must be a list, not {_kind(losses)}")
        points += len(losses)
        if points > MAX_CURVE_POINTS:
            raise CheckpointError(f"history has more than {MAX_CURVE_POINTS} batch losses; they must be averaged down")
        record = {k: check(f"{where}.{k}", e[k]) for k, check in EPOCH.items()}
        record["batch_losses"] = [_num(f"{where}.batch_losses", x, 0, 1e9) for x in losses]
        out.append(record)
    return out


REQUIRED = ("format", "format_version", "kind", "framing", "framing_version", "config", "metrics")


def validate_metadata(meta) -> dict:
    """A checked copy of a checkpoint's metadata; raises CheckpointError (one line) on anything off."""
    if not isinstance(meta, dict):
        raise CheckpointError(f"not a Digit Studio model: its metadata is {_kind(meta)}, not an object")
    if meta.get("format") != FORMAT:
        raise CheckpointError("not a Digit Studio model: unknown format in metadata")
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise CheckpointError(f"the model's metadata lacks {', '.join(missing)}")
    version = meta["format_version"]
    if type(version) is not int or version != FORMAT_VERSION:
        raise CheckpointError(f"model format version {_show(version)} is not supported")
    if meta["framing_version"] != FRAMING_VERSION or type(meta["framing_version"]) is not int:
        raise CheckpointError("model was trained with another version of the framing; retrain it")
    if len(meta) > MAX_FIELDS:
        raise CheckpointError(f"the model's metadata has {len(meta)} fields; at most {MAX_FIELDS} are allowed")
    checks = {
        "format": _text,
        "format_version": lambda w, v: v,
        "framing_version": lambda w, v: v,
        "kind": lambda w, v: _text("model kind", v, KINDS),
        "framing": lambda w, v: _text("framing", v, FRAMINGS),
        "config": lambda w, v: _object(w, v, CONFIG),
        "metrics": lambda w, v: _object(w, v, METRICS),
        "status": _text,
        "created": _text,
        "run_id": _whole(0, 2**63),
        "history": lambda w, v: _history(v),
    }
    out = {}
    for key, value in meta.items():
        if not (isinstance(key, str) and key.isidentifier() and len(key) <= 40):
            raise CheckpointError(f"the model's metadata has a field with a bad name {_show(key)}")
        out[key] = checks[key](key, value) if key in checks else _scalar(key, value)
    return out


def _header(data: bytes) -> dict:
    if len(data) < 8:
        raise CheckpointError("file is too short to be a safetensors model")
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8 or size > MAX_HEADER:
        raise CheckpointError("not a safetensors file (bad header length); is it a pickle or another format?")
    try:
        header = json.loads(data[8 : 8 + size])
        meta = header["__metadata__"]["digit_studio"]
        if not isinstance(meta, str):
            raise TypeError
        meta = json.loads(meta)
    except RecursionError:
        raise CheckpointError("not a Digit Studio model: its header is nested too deeply") from None
    except (ValueError, KeyError, TypeError, IndexError):  # UnicodeDecodeError is a ValueError
        raise CheckpointError("not a Digit Studio model: the safetensors header has no digit_studio metadata") from None
    return validate_metadata(meta)


def _check_tensors(tensors: dict[str, torch.Tensor]) -> None:
    if set(tensors) != set(SHAPES):
        found = sorted(tensors)
        shown = ", ".join(_show(n) for n in found[:4]) + (", ..." if len(found) > 4 else "")
        raise CheckpointError(f"expected tensors {sorted(SHAPES)}, found {len(found)}: {shown}")
    for name, shape in SHAPES.items():
        t = tensors[name]
        if tuple(t.shape) != shape or t.dtype != torch.float32:
            raise CheckpointError(f"{name} has shape {tuple(t.shape)[:4]} {t.dtype}, expected {shape} float32")
        if not torch.isfinite(t).all():
            raise CheckpointError(f"{name} contains NaN or infinite values")
        if t.abs().max() > MAX_WEIGHT:
            raise CheckpointError(f"{name} has values beyond ±{MAX_WEIGHT:g}; no trained model has those")


def _as_bytes(data) -> bytes:
    try:
        view = memoryview(data)
    except TypeError:
        raise CheckpointError(f"expected the bytes of a file, got {type(data).__name__}") from None
    except ValueError:  # a released buffer
        raise CheckpointError("expected the bytes of a file, got an unreadable buffer") from None
    with view:
        if view.nbytes > MAX_BYTES:
            raise CheckpointError(f"file is {view.nbytes / 1e6:.1f} MB; a model is about 0.03 MB")
        return view.tobytes()


def from_bytes(data) -> LinearDigits:
    """Validate and rebuild a model from checkpoint bytes (any bytes-like object).

    Metadata lands on ``net.metadata``; anything that is not a Digit Studio model raises
    CheckpointError with a one-line reason.
    """
    data = _as_bytes(data)
    meta = _header(data)
    try:
        tensors = st_load(data)
    except Exception as exc:  # safetensors raises its own error types for damaged payloads
        reason = " ".join(str(exc).split())[:120]
        raise CheckpointError(f"damaged safetensors payload: {reason}") from None
    _check_tensors(tensors)
    net = build(meta["kind"])
    net.load_state_dict(tensors)
    net.metadata = meta
    return net.eval()


def read_bounded(path: str | os.PathLike, limit: int = MAX_BYTES) -> bytes:
    """A regular file's bytes, refusing devices, FIFOs and folders and anything over ``limit``.

    Opened non-blocking, so a FIFO with no writer cannot hang it; at most ``limit + 1`` bytes are read.
    """
    name = Path(path).name
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise CheckpointError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CheckpointError(f"{name} is not a regular file")
        if info.st_size > limit:
            raise CheckpointError(f"{name} is {info.st_size / 1e6:.1f} MB; a model is about 0.03 MB")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise CheckpointError(f"cannot read {name}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:  # it grew while we read
        raise CheckpointError(f"{name} is over {limit / 1e6:.1f} MB; a model is about 0.03 MB")
    return data


def load(path: str | os.PathLike) -> LinearDigits:
    """Load a checkpoint written by ``save``; raises CheckpointError on anything else.

    Messages name the file, never its folder: they may be shown to whoever uploaded it.
    """
    return from_bytes(read_bounded(path))


def load_default() -> LinearDigits:
    """The shipped model (trained with the ``recommended`` preset), in eval mode."""
    return load(DEFAULT_PATH)
