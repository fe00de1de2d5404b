"""Take-home code for a run: a standalone script and a Jupyter notebook, from one template.

``train/takehome_template.py`` holds the cells (text, shared code, notebook-only plots, the
script's command line); this module fills in the run's settings and writes either form. For a
run trained with the room's drawings, the room's training half goes beside them as an ``.npz``.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.splits import TRAIN
from train.config import TrainConfig
from train.room import room_half

TEMPLATE = Path(__file__).with_name("takehome_template.py")
_CELL = re.compile(r"^# %%(?: \[(markdown|notebook|script)\])?\s*$")
_EXPORT = re.compile(r"^(\w+) = .*# export: (\w+)$")


class ExportError(ValueError):
    """The run cannot be exported (not there, or its record is not a valid config); one line."""


@dataclass(frozen=True)
class Cell:
    kind: str  # markdown | code | notebook | script
    source: str


@dataclass(frozen=True)
class TakeHome:
    """One run's take-home code: file names and contents."""

    stem: str  # e.g. "digit_studio_run_12"
    script: str
    notebook: str  # .ipynb JSON
    room: bytes | None  # the room's training half (.npz), or None
    room_name: str | None

    def files(self, which: str) -> dict[str, bytes]:
        """The files a download of ``which`` ('script' or 'notebook') needs, by name."""
        main = {"script": (f"{self.stem}.py", self.script), "notebook": (f"{self.stem}.ipynb", self.notebook)}[which]
        out = {main[0]: main[1].encode()}
        if self.room is not None:
            out[self.room_name] = self.room
        return out

    def download(self, which: str) -> bytes:
        """The bytes of a download of ``which``: the file itself, or a zip with the room's data beside it."""
        files = self.files(which)
        if len(files) == 1:
            return next(iter(files.values()))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in files.items():
                zf.writestr(f"{self.stem}/{name}", data)
        return buf.getvalue()


def stem(run_id: int) -> str:
    return f"digit_studio_run_{int(run_id)}"


def uses_room(config: dict) -> bool:
    """Did a run with this record train with the room's drawings?"""
    return bool(config.get("room_weight", 0))


def download_name(run_id: int, which: str, room: bool) -> tuple[str, str]:
    """(file name, MIME type) of a run's ``which`` ('script' or 'notebook') download."""
    if room:
        return f"{stem(run_id)}_{which}.zip", "application/zip"
    if which == "script":
        return f"{stem(run_id)}.py", "text/x-python"
    return f"{stem(run_id)}.ipynb", "application/x-ipynb+json"


def exportable(config: dict) -> str | None:
    """Why a run with this record cannot be exported (None if it can)."""
    try:
        TrainConfig.from_dict(config)
    except (TypeError, ValueError) as exc:
        return f"its settings are not ones this version can train ({exc})"
    return None


def cells(template: str | None = None) -> list[Cell]:
    """The template's cells, in order (the header comment before the first cell is dropped)."""
    text = TEMPLATE.read_text() if template is None else template
    out: list[Cell] = []
    kind, lines = None, []
    for line in text.splitlines():
        m = _CELL.match(line)
        if m:
            if kind is not None:
                out.append(Cell(kind, "\n".join(lines).strip("\n")))
            kind, lines = m.group(1) or "code", []
        else:
            lines.append(line)
    if kind is not None:
        out.append(Cell(kind, "\n".join(lines).strip("\n")))
    return out


def _fill(source: str, values: dict) -> str:
    """Replace every ``NAME = ...  # export: NAME`` line with the run's value."""

    def line(text: str) -> str:
        m = _EXPORT.match(text)
        if not m:
            return text
        if m.group(2) not in values:
            raise KeyError(f"the template asks for {m.group(2)!r}, which the export does not provide")
        return f"{m.group(1)} = {values[m.group(2)]!r}"

    return "\n".join(line(t) for t in source.split("\n"))


def _values(config: dict, run: dict, room_name: str | None) -> dict:
    cfg = TrainConfig.from_dict(config).to_dict()  # every field, checked: a bad record is refused here
    return {"CONFIG": cfg, "RUN": run, "ROOM_FILE": room_name}


def script(config: dict, run: dict | None = None, room_name: str | None = None) -> str:
    """The standalone script (torch and torchvision only) for a run with ``config``."""
    run = run or {}
    values = _values(config, run, room_name)
    title = f"Digit Studio run #{run['id']}" if run.get("id") is not None else "A Digit Studio run"
    parts = [
        "#!/usr/bin/env python3",
        f'"""{title}, as a standalone script: PyTorch and torchvision only.\n\n'
        "    python this_file.py [--data-dir DIR] [--subset N] [--epochs N] [--seed N] [--save weights.pt]\n"
        '"""',
    ]
    for c in cells():
        if c.kind == "markdown":
            parts.append(c.source)
        elif c.kind in ("code", "script"):
            parts.append(_fill(c.source, values))
    return "\n\n".join(parts) + "\n"


def notebook(config: dict, run: dict | None = None, room_name: str | None = None) -> str:
    """The same steps as a Jupyter notebook (nbformat 4), with plots; returns its JSON."""
    import nbformat
    from nbformat import v4

    run = run or {}
    values = _values(config, run, room_name)
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for c in cells():
        if c.kind == "markdown":
            nb.cells.append(v4.new_markdown_cell(re.sub(r"^# ?", "", c.source, flags=re.M)))
        elif c.kind in ("code", "notebook"):
            nb.cells.append(v4.new_code_cell(_fill(c.source, values)))
    if run.get("id") is not None:
        nb.cells[0].source = nb.cells[0].source.replace("one training run", f"training run #{run['id']}", 1)
    nbformat.validate(nb)
    return nbformat.writes(nb)


def room_npz(images: np.ndarray, labels: np.ndarray) -> bytes:
    """The room's training half as an .npz: ``images`` uint8 (N,28,28), ``labels`` int64 (N,)."""
    images = np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28)
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    buf = io.BytesIO()
    np.savez_compressed(buf, images=images, labels=labels)
    return buf.getvalue()


def take_home(run_id: int, config: dict, test_accuracy: float | None, name: str = "", room=None) -> TakeHome:
    """Everything a run's downloads need. ``room``: (images, labels) of the room's training half
    it trained with, already framed with its framing, or None."""
    run = {"id": int(run_id), "name": name, "test_accuracy": test_accuracy}
    room_bytes, room_name = None, None
    if room is not None and uses_room(config):
        room_bytes, room_name = room_npz(*room), f"{stem(run_id)}_room.npz"
    return TakeHome(
        stem(run_id),
        script(config, run, room_name),
        notebook(config, run, room_name),
        room_bytes,
        room_name,
    )


def from_store(store, run_id: int) -> TakeHome:
    """A recorded run's take-home code (``store``: a store.Store); ExportError if there is none."""
    run = store.run(int(run_id))
    if run is None:
        raise ExportError(f"there is no run #{int(run_id)} (or it was deleted)")
    if problem := exportable(run.config):
        raise ExportError(f"run #{run.id} cannot be exported: {problem}")
    room = None
    if uses_room(run.config):  # exactly the training drawings it used, as its record lists them
        ids = (run.info.get("room") or {}).get("train_drawings")
        if ids is None:
            raise ExportError(f"run #{run.id} has no record of the room's drawings it used (still running, or failed)")
        half = room_half(store, TRAIN, ids=ids)
        room = (half.images(run.config["framing"]).numpy(), half.labels.numpy())
    return take_home(run.id, run.config, run.test_accuracy, run.name, room=room)


def write(home: TakeHome, script_path: Path | None = None, notebook_path: Path | None = None) -> list[Path]:
    """Write the script and/or notebook (and the room's file beside each); the paths written."""
    written = []
    for which, path in (("script", script_path), ("notebook", notebook_path)):
        if path is None:
            continue
        path = Path(path)
        path.write_text(home.script if which == "script" else home.notebook)
        written.append(path)
        if home.room is not None:
            beside = path.with_name(home.room_name)
            beside.write_bytes(home.room)
            written.append(beside)
    return written
