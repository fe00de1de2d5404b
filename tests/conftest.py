"""Shared fixtures: a tiny synthetic MNIST for fast tests, the real one for integration."""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit import config as streamlit_config

from train.data import Mnist

# The app redacts unexpected exceptions (.streamlit/config.toml: showErrorDetails = "type", so a
# participant never sees a traceback with server paths); tests want the whole message.
streamlit_config.get_option("client.showErrorDetails")  # loads config.toml first, then override it
streamlit_config.set_option("client.showErrorDetails", "full")


def synthetic_mnist(n_train: int = 600, n_test: int = 200, seed: int = 0) -> Mnist:
    """Ten easy classes: class c is a vertical bar at column 2c+4, plus noise (uint8 images)."""
    rng = np.random.default_rng(seed)

    def split(n):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(y):
            x[i, 6:22, 2 * c + 4 : 2 * c + 6] = 255
        return torch.from_numpy(x), torch.from_numpy(y).long()

    (a, b), (c, d) = split(n_train), split(n_test)
    return Mnist(a, b, c, d)


def shown(markdown: str) -> str:
    """What a reader sees of Markdown made from user text (common/text.md): escapes and breaks removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


@pytest.fixture(autouse=True)
def private_run_history(tmp_path, monkeypatch):
    """Every test gets its own run history: nothing is ever written to the real data/ folder."""
    monkeypatch.setenv("DIGIT_STUDIO_RUNS", str(tmp_path / "runs" / "history.sqlite"))


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, through Playwright), one per test module that asks for it.

    Skipped where there is none; under CI=true (where make test installs it) that is a failure."""
    from tests.browser import CHROMIUM_ARGS, chromium_path

    path = chromium_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium at /usr/bin/chromium: CI must run the browser tests (make test installs it)")
        pytest.skip("no Chromium found (install Debian's chromium, or set CHROMIUM=/path)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def tiny() -> Mnist:
    return synthetic_mnist()


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    from train.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server, started the way the cluster starts its own
    (deploy/cluster.py), in a temporary folder on a free loopback port; (data folder, port).

    Skipped where PostgreSQL cannot run here; under CI=true (where make test installs it) that
    is a failure instead."""
    from deploy import cluster

    why = cluster.pg_available()
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL tests cannot run: {why}")
        pytest.skip(why)
    folder = Path(tempfile.mkdtemp(prefix="digit-studio-pg-"))
    folder.chmod(0o755)  # the postgres user must reach its data folder inside
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    try:
        cluster.start_db(folder / "pg", port, folder / "postgresql.log")
        yield folder / "pg", port
    finally:
        cluster.stop_db(folder / "pg")
        shutil.rmtree(folder, ignore_errors=True)
