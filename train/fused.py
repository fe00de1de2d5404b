"""The fused training loop (train/fused.c): built with the system C compiler at first use, cached.

A batch of 32 costs the loop in Python about 0.1 ms of interpreter and dispatch overhead, more
than its arithmetic. fused.c runs all the steps of an epoch in one call instead, with the GIL
released, so drawing sessions keep the interpreter while a training runs.

No compiler, a failed build, or ``DIGIT_STUDIO_ENGINE=python``: ``library()`` returns None,
``reason()`` says why in one line, and training falls back to the loop in Python (same results,
slower). Built libraries are cached under ``$DIGIT_STUDIO_CACHE`` (else ``~/.cache/digit-studio``),
keyed by the source, the compiler and the CPU, so a change to any of them rebuilds.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import torch

from train.optim import BETAS, EPS, MOMENTUM

SOURCE = Path(__file__).with_name("fused.c")
ENGINE_ENV = "DIGIT_STUDIO_ENGINE"  # "python" turns the fused loop off
CACHE_ENV = "DIGIT_STUDIO_CACHE"
FLAGS = ["-O3", "-march=native", "-shared", "-fPIC", "-std=c11"]
KIND = {"softmax": 0, "tutorial-sigmoid": 1, "one-vs-rest": 2}
OPT = {"sgd": 0, "sgd-momentum": 1, "adam": 2}
NAME = "fused C loop"

_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_reason: str | None = None  # why there is no library (None: not tried yet, or built)

_p, _i64, _dbl, _int = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double, ctypes.c_int


def _compiler() -> str | None:
    for cc in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc):
            return shutil.which(cc)
    return None


def _cpu_id() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            lines = [ln for ln in f if ln.startswith(("model name", "flags"))][:2]
        return "".join(lines)
    except OSError:
        return platform.processor()


def _cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "digit-studio"


def _build(cc: str) -> Path:
    """Compile fused.c into the cache (atomically) unless an identical build is there; its path."""
    source = SOURCE.read_bytes()
    version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout
    key = hashlib.sha256(b"\0".join([source, " ".join(FLAGS).encode(), version.encode(), _cpu_id().encode()]))
    tag = f"{platform.machine()}-{key.hexdigest()[:16]}"
    for folder in (_cache_dir(), Path(tempfile.gettempdir()) / "digit-studio"):
        target = folder / f"fused-{tag}.so"
        if target.is_file():
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".so.tmp")
            os.close(fd)
        except OSError:
            continue  # cache not writable: try the next place
        try:
            proc = subprocess.run(
                [cc, *FLAGS, "-o", tmp, str(SOURCE), "-lm"], capture_output=True, text=True, timeout=120
            )
            if proc.returncode != 0:
                raise RuntimeError(f"{Path(cc).name} failed: {proc.stderr.strip().splitlines()[-1:]}")
            os.replace(tmp, target)  # concurrent builders each write their own file: the last one wins
            return target
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise RuntimeError("no writable cache directory for the compiled loop")


def _load(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))  # a CDLL call releases the GIL for its duration
    lib.ds_train.restype = _i64
    lib.ds_train.argtypes = [_p, _int, _p, _p, _i64, _i64, _int, _int, *[_dbl] * 6, _i64, _i64, *[_p] * 6, _p]
    lib.ds_evaluate.restype = _i64
    lib.ds_evaluate.argtypes = [_p, _int, _p, _i64, _int, _p, _p, _p]
    return lib


def library() -> ctypes.CDLL | None:
    """The compiled loop, building it on the first call (about a second); None if unavailable."""
    global _lib, _reason
    with _lock:
        if _lib is None and _reason is None:
            if os.environ.get(ENGINE_ENV, "").lower() == "python":
                _reason = f"{ENGINE_ENV}=python"
            elif sys.byteorder != "little":
                _reason = "big-endian CPU"
            elif (cc := _compiler()) is None:
                _reason = "no C compiler (cc, gcc or clang) on this machine"
            else:
                try:
                    _lib = _load(_build(cc))
                except Exception as exc:  # any build or load failure means: use the Python loop
                    _reason = f"the fused loop did not build ({type(exc).__name__}: {str(exc)[:160]})"
            if _reason is not None:
                print(f"Digit Studio: training uses the slower Python loop: {_reason}.", file=sys.stderr)
        return _lib


def reason() -> str | None:
    """Why the fused loop is not in use (None if it is, or has not been tried)."""
    return _reason


def warm_up() -> threading.Thread:
    """Build (or load) the library in a background thread, so no training waits for the compiler."""
    thread = threading.Thread(target=library, name="fused-build", daemon=True)
    thread.start()
    return thread


def _ptr(t: torch.Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


def _images(x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """uint8 or float32 images as a contiguous (N, 784) view, and whether they are float."""
    if x.dtype not in (torch.uint8, torch.float32):
        x = x.float()
    return x.reshape(len(x), -1).contiguous(), int(x.dtype == torch.float32)


def train_steps(
    lib: ctypes.CDLL,
    x: torch.Tensor,
    y: torch.Tensor,
    rows: torch.Tensor,
    batch_size: int,
    kind: str,
    opt,
    weight: torch.Tensor,
    bias: torch.Tensor,
) -> tuple[int, list[float]]:
    """Take the steps over ``x[rows]`` in batches; (steps applied, each step's loss, one more if it was not finite).

    ``opt`` is a train.optim.Optimizer: its hyperparameters, state tensors and step count.
    """

    x, is_float = _images(x)
    y, rows = y.to(torch.int64).contiguous(), rows.to(torch.int64).contiguous()
    steps = -(-len(rows) // batch_size)
    losses = torch.empty(steps, dtype=torch.float64)
    m = opt.buf or [None, None]
    v = opt.sq or [None, None]
    done = lib.ds_train(
        _ptr(x), is_float, _ptr(y), _ptr(rows), len(rows), batch_size, KIND[kind], OPT[opt.kind],
        opt.lr, opt.wd, MOMENTUM, BETAS[0], BETAS[1], EPS, opt.t, opt.decay_steps,
        _ptr(weight), _ptr(bias), _ptr(m[0]), _ptr(m[1]), _ptr(v[0]), _ptr(v[1]), _ptr(losses),
    )  # fmt: skip
    if done < 0:
        raise MemoryError("the fused training loop could not allocate its buffers")
    opt.t += done
    return done, losses[: min(done + 1, steps)].tolist()


def evaluate(lib: ctypes.CDLL, x: torch.Tensor, y: torch.Tensor, kind: str, weight, bias) -> tuple[float, int]:
    """(sum of losses, number correct) of a model over images ``x`` with labels ``y``."""
    x, is_float = _images(x)
    y = y.to(torch.int64).contiguous()
    total = ctypes.c_double()
    w, b = weight.detach().contiguous(), bias.detach().contiguous()
    correct = lib.ds_evaluate(_ptr(x), is_float, _ptr(y), len(x), KIND[kind], _ptr(w), _ptr(b), ctypes.byref(total))
    if correct < 0:
        raise MemoryError("the fused evaluation could not allocate its buffers")
    return total.value, correct


if __name__ == "__main__":  # `python -m train.fused`: build now and say what training will use
    print(f"{NAME}: ready" if library() is not None else f"Python loop: {reason()}")
