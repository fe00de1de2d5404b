"""Command line: ``python -m train [--preset NAME] [--lr ...] [--out model.safetensors]``, and
``python -m train export RUN_ID --script PATH --notebook PATH`` (a run's take-home code).

Every TrainConfig field has a flag; flags override the preset. Errors are one line, no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path

from tqdm import tqdm

import model
from common.status import Status
from store import Recorder, Store, StoreError
from train import export
from train.config import PRESETS, Setting, TrainConfig, described, kind_of, parse_number
from train.data import DataUnavailable, load_mnist
from train.loop import steps_per_epoch
from train.room import with_room
from train.run import train_run


def _ascii(kind: str):
    """An argparse type that reads ASCII numbers only (int() and float() also take '١٢' and '1_0')."""

    def parse(text: str):
        return parse_number(text, kind)

    parse.__name__ = kind  # argparse says "invalid int value: ..."
    return parse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        self.exit(2, f"python -m train: error: {message} (see --help)\n")


def _help(spec: Setting) -> str:
    """A flag's help: the setting's help text and its bounds (argparse reads % as a format)."""
    bounds = spec.bounds()
    return (f"{spec.help} ({bounds})" if bounds else spec.help).replace("%", "%%")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = _Parser(prog="python -m train", description="Train a logistic regression on MNIST.")
    p.add_argument("--preset", choices=sorted(PRESETS), default="recommended", help="starting settings")
    for f, spec in described(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if kind_of(f) == "bool":
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=_help(spec))
        else:
            kind = {"int": _ascii("int"), "float": _ascii("float")}.get(kind_of(f), str)
            # choices only in the help: TrainConfig refuses a wrong one with its own message
            metavar = "{" + ",".join(spec.choices) + "}" if spec.choices else None
            p.add_argument(flag, type=kind, default=None, metavar=metavar, help=_help(spec))
    p.add_argument("--out", type=Path, help="write the trained model here (safetensors)")
    p.add_argument("--metrics-json", type=Path, help="write history, final accuracy and wall seconds here")
    p.add_argument("--data-dir", type=Path, help="MNIST location (default: data/ or $DIGIT_STUDIO_DATA)")
    p.add_argument("--name", default="", help="display name for the run history")
    p.add_argument(
        "--history",
        help="run history: a SQLite file or a database URL (default: $DIGIT_STUDIO_DB, else data/runs/history.sqlite)",
    )
    p.add_argument("--no-history", action="store_true", help="do not record this run in the run history")
    p.add_argument("--dry-run", action="store_true", help="smoke run: 1 epoch on 1,000 digits")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    changes = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name) is not None}
    if args.dry_run:
        changes.update(epochs=1, train_subset=min(changes.get("train_subset", 1000), 1000))
    return PRESETS[args.preset].replace(**changes)


def _writable_file(path: Path, flag: str) -> str | None:
    """Why ``path`` cannot take an output file (None if it can): checked before any training."""
    if path.exists() and not path.is_file():
        return f"{flag} {path} is not a regular file"
    folder = path.parent
    existing = next(p for p in [folder, *folder.parents] if p.exists() or p == p.parent)
    if not existing.is_dir():
        return f"{flag} {path}: {existing} is not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        return f"{flag} {path}: cannot write in {folder} ({exc.strerror or exc})"
    return None


def _data_dir_problem(path: Path) -> str | None:
    if path.exists():
        return None if path.is_dir() else f"--data-dir {path} is not a folder"
    existing = next(p for p in path.parents if p.exists() or p == p.parent)
    if not existing.is_dir():
        return f"--data-dir {path}: {existing} is not a folder"
    if not os.access(existing, os.W_OK):
        return f"--data-dir {path} does not exist and cannot be created in {existing}"
    return None


def check_paths(args: argparse.Namespace) -> str | None:
    """The first problem with --out, --metrics-json or --data-dir, or None."""
    outputs = [(args.out, "--out"), (args.metrics_json, "--metrics-json")]
    if args.out and args.metrics_json and args.out.resolve() == args.metrics_json.resolve():
        return "--out and --metrics-json name the same file"
    for path, flag in outputs:
        if path is not None and (problem := _writable_file(path, flag)):
            return problem
    return _data_dir_problem(args.data_dir) if args.data_dir is not None else None


def export_main(argv: list[str]) -> int:
    """``export RUN_ID --script PATH --notebook PATH``: a recorded run as a script and a notebook."""

    p = _Parser(prog="python -m train export", description="Write a run's take-home script and notebook.")
    p.add_argument("run_id", type=_ascii("int"), help="the run's number (#N in the Runs tab)")
    p.add_argument("--script", type=Path, help="write the standalone script here (.py)")
    p.add_argument("--notebook", type=Path, help="write the Jupyter notebook here (.ipynb)")
    p.add_argument("--history", help="run history: a SQLite file or a database URL (default: as for training)")
    args = p.parse_args(argv)
    paths = [(path, flag) for path, flag in ((args.script, "--script"), (args.notebook, "--notebook")) if path]
    problem = None if paths else "give --script PATH, --notebook PATH or both"
    if len(paths) == 2 and args.script.resolve() == args.notebook.resolve():
        problem = "--script and --notebook name the same file"
    for path, flag in paths:
        problem = problem or _writable_file(path, flag)
    if problem:
        print(f"python -m train export: error: {problem}", file=sys.stderr)
        return 2
    try:
        home = export.from_store(Store(args.history), args.run_id)
        written = export.write(home, args.script, args.notebook)
    except (export.ExportError, StoreError) as exc:
        print(f"python -m train export: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"python -m train export: error: cannot write {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print("wrote " + ", ".join(map(str, written)))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["export"]:
        return export_main(argv[1:])
    args = parse_args(argv)
    try:
        cfg = config_from_args(args)
    except ValueError as exc:
        print(f"python -m train: error: {exc}", file=sys.stderr)
        return 2
    problem = check_paths(args)
    if problem:
        print(f"python -m train: error: {problem}", file=sys.stderr)
        return 2
    wall = time.perf_counter()
    try:
        data = load_mnist(args.data_dir, progress=lambda m: print(m, file=sys.stderr))
    except DataUnavailable as exc:
        print(f"python -m train: error: {exc}", file=sys.stderr)
        return 1
    runs = None
    if not args.no_history:
        try:
            runs = Store(args.history)
        except StoreError as exc:
            print(f"python -m train: warning: {exc}; this run is not recorded", file=sys.stderr)
    if cfg.room_weight:  # the room's drawings live in the run history's store
        if runs is None:
            print(
                "python -m train: error: --room-weight needs the run history, where the room's drawings are",
                file=sys.stderr,
            )
            return 2
        data = with_room(data, runs, cfg)
    recorder = Recorder(runs, cfg.to_dict(), "cli", args.name)
    total = cfg.epochs * steps_per_epoch(cfg, len(data.train_labels))
    bar = tqdm(total=total, unit="step", disable=args.quiet, file=sys.stderr, leave=False, dynamic_ncols=True)

    def on_epoch(m):
        tqdm.write(
            f"epoch {m.epoch:3d}  train loss {m.train_loss:.4f}  test loss {m.test_loss:.4f}  "
            f"test acc {m.test_accuracy:.2%}  {m.seconds:.2f}s",
            file=sys.stderr,
        )

    result = train_run(cfg, data, recorder, on_batch=lambda *_: bar.update(), on_epoch=on_epoch)
    bar.close()
    wall = time.perf_counter() - wall
    if result.status == Status.FAILED:
        print(f"python -m train: error: {result.error}", file=sys.stderr)
        return 1
    if result.reason.startswith("its time limit"):
        tqdm.write(f"time limit of {cfg.time_limit:g} s reached: stopping", file=sys.stderr)
    if result.net is None:
        print("python -m train: stopped before the first epoch finished; nothing saved", file=sys.stderr)
        return 1
    net, meta, history, room = result.net, result.metadata, result.history, result.room
    if room:
        scores = ["?" if room[k] is None else f"{room[k]:.2%}" for k in ("before", "after")]
        print(
            f"room accuracy on {room['test_drawings']} test drawings: {scores[0]} without them, {scores[1]} with them"
        )
    if recorder.error:
        print(f"python -m train: warning: {recorder.error}", file=sys.stderr)
    elif recorder.run_id is not None:
        print(f"recorded as run #{recorder.run_id} in the {runs.kind} run history")
    print(
        f"{result.status}: test accuracy {meta['metrics']['test_accuracy']:.2%} after {len(history)} epochs, "
        f"{meta['metrics']['train_seconds']:.2f}s training, {wall:.2f}s wall"
    )
    try:
        if args.out:
            model.save(net, args.out, meta)
            print(f"wrote {args.out}")
        if args.metrics_json:
            report = {**meta, "history": [h.to_dict() for h in history], "wall_seconds": wall}
            args.metrics_json.parent.mkdir(parents=True, exist_ok=True)
            args.metrics_json.write_text(json.dumps(report, indent=1) + "\n")
    except OSError as exc:  # the disk filled up or the folder went away during training
        print(
            f"python -m train: error: cannot write {exc.filename or 'the output'}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
