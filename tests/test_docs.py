"""The README and docs/ are checked like code: every link resolves, every command in a ``sh`` block
names a make target, a module and flags that exist, and every environment variable they name is
read somewhere. Nothing here runs a command: some modules provision MNIST or start servers."""

from __future__ import annotations

import argparse
import importlib.util
import re
import runpy
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted([README, *(ROOT / "docs").glob("*.md")])
README_MAX_LINES = 200
START_A_ROOM_BY = 60  # a presenter finds how to start a room within the README's first lines

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)
TARGET = re.compile(r"^([A-Za-z][\w.-]*)\s*:(?!=)", re.M)
ENV_VAR = re.compile(r"\b((?:DIGIT_STUDIO|CLUSTER)_[A-Z_]+)\b")


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def commands(text: str) -> list[str]:
    """Each command line of the ``sh`` blocks in ``text``, comments and continuations joined."""
    found = []
    for block in SH_BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"(^|\s)#.*", "", line).strip()
            if line:
                found.append(line)
    return found


def make_targets() -> set[str]:
    return set(TARGET.findall((ROOT / "Makefile").read_text()))


class _Parsed(Exception):
    def __init__(self, parser: argparse.ArgumentParser):
        self.parser = parser


def parser_of(module: str, args: list[str]) -> argparse.ArgumentParser | None:
    """The argument parser ``python -m module args`` builds, caught before it parses: nothing after
    that runs. None for a module that builds no ArgumentParser (its own argv handling)."""
    spec = importlib.util.find_spec(module)
    target = importlib.util.find_spec(f"{module}.__main__") if spec.submodule_search_locations else spec
    if "ArgumentParser" not in Path(target.origin).read_text():
        return None

    def caught(self, *a, **k):
        raise _Parsed(self)

    saved = sys.argv, argparse.ArgumentParser.parse_args, argparse.ArgumentParser.parse_known_args
    sys.argv = [module, *args]
    argparse.ArgumentParser.parse_args = argparse.ArgumentParser.parse_known_args = caught
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=False)
    except _Parsed as got:
        return got.parser
    finally:
        sys.argv, argparse.ArgumentParser.parse_args, argparse.ArgumentParser.parse_known_args = saved
    raise AssertionError(f"python -m {module} ran without building its parser first")


def problem(command: str, targets: set[str]) -> str | None:
    """Why ``command`` would not run as written, or None. Only make and python are checked."""
    words = shlex.split(command)
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):  # VAR=value before the command
        words.pop(0)
    if not words:
        return None
    if words[0] == "make":
        missing = [w for w in words[1:] if "=" not in w and not w.startswith("-") and w not in targets]
        return f"no make target {', '.join(missing)}" if missing else None
    if Path(words[0]).name not in ("python", "python3"):
        return None
    if words[1:2] != ["-m"] or len(words) < 3:
        return "python without -m MODULE"
    module, args = words[2], words[3:]
    if importlib.util.find_spec(module) is None:
        return f"no module {module}"
    flags = [a.split("=", 1)[0] for a in args if a.startswith("--")]
    parser = parser_of(module, args)
    if parser is None:  # its own argv handling: each word it is given is spelled in its source
        spec = importlib.util.find_spec(module)
        target = importlib.util.find_spec(f"{module}.__main__") if spec.submodule_search_locations else spec
        source = Path(target.origin).read_text()
        unknown = [a for a in args if not a[0].isdigit() and f'"{a}"' not in source]
        return f"python -m {module} knows no {', '.join(unknown)}" if unknown else None
    unknown = [f for f in flags if f not in parser._option_string_actions]
    return f"python -m {module} has no flag {', '.join(unknown)}" if unknown else None


def test_the_readme_is_short_and_starts_a_room_early():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; guides go to docs/"
    first = "\n".join(lines[:START_A_ROOM_BY])
    assert "DIGIT_STUDIO_PRESENTER_PASSCODE=" in first and "/room" in first


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_relative_link_and_image_resolves(doc):
    broken = []
    for target in LINK.findall(doc.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address, or an anchor in the same page
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        if not path.exists():
            broken.append(target)
    assert not broken, f"{_name(doc)} links to what does not exist: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=_name)
def test_every_command_names_a_target_module_and_flags_that_exist(doc):
    targets = make_targets()
    found = {c: problem(c, targets) for c in commands(doc.read_text())}
    assert not {c: p for c, p in found.items() if p}, f"{_name(doc)}: commands that would not run"


def test_every_environment_variable_named_is_read_by_the_code():
    code = "\n".join(p.read_text() for d in ("app.py", "ui", "model", "train", "store", "deploy", "common")
                     for p in ([ROOT / d] if d.endswith(".py") else (ROOT / d).rglob("*.py")))  # fmt: skip
    named = {v for doc in DOCS for v in ENV_VAR.findall(doc.read_text())}
    assert named, "the docs name no environment variable"
    assert not sorted(v for v in named if v not in code)


def test_the_check_catches_a_broken_command_and_link(tmp_path):
    targets = make_targets()
    assert problem("make no-such-target", targets) == "no make target no-such-target"
    assert problem("python -m no_such_module", targets) == "no module no_such_module"
    assert problem("python -m train --no-such-flag 1", targets) == "python -m train has no flag --no-such-flag"
    assert problem("python -m deploy.cluster no-such-command", targets)
    assert problem("DIGIT_STUDIO_PRESENTER_PASSCODE=x make run PORT=8501", targets) is None
    assert problem(".venv/bin/python -m train export 12 --script run12.py", targets) is None
    assert problem("python -m train export 12 --epochs 3", targets)  # export has no --epochs
    doc = tmp_path / "x.md"
    doc.write_text("[gone](missing.md) and ![shot](screenshots/none.png)")
    assert len(LINK.findall(doc.read_text())) == 2
