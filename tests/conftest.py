"""Shared fixtures: a private run history for every test, a tiny synthetic MNIST for fast tests and
the real one for integration, the whole app under AppTest, headless Chromium with a served app,
and a throwaway PostgreSQL. Helpers that are not fixtures live in testkit/; no test module
imports another."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from streamlit import config as streamlit_config

from testkit.apptest import APP
from testkit.browser import CHROMIUM_ARGS, chromium_path, goto, streamlit_server
from testkit.mnist import synthetic_mnist
from train.data import Mnist

# The app redacts unexpected exceptions (.streamlit/config.toml: showErrorDetails = "type", so a
# participant never sees a traceback with server paths); tests want the whole message.
streamlit_config.get_option("client.showErrorDetails")  # loads config.toml first, then override it
streamlit_config.set_option("client.showErrorDetails", "full")


# Markers that follow from the fixtures a test uses, so that no such test lands in `make test-fast`
# unmarked: any module's ``app`` fixture runs the whole app under AppTest. A test that reaches one
# of these another way (AppTest.from_file itself, PostgreSQL through a parametrized fixture) is
# marked where it is written.
MARKER_OF_FIXTURE = {"app": "apptest", "browser": "browser", "mnist": "integration", "postgres_server": "postgres"}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        for fixture, marker in MARKER_OF_FIXTURE.items():
            if fixture in item.fixturenames:
                item.add_marker(marker)


@pytest.fixture(autouse=True)
def private_run_history(tmp_path, monkeypatch):
    """Every test gets its own run history: nothing is ever written to the real data/ folder."""
    monkeypatch.setenv("DIGIT_STUDIO_RUNS", str(tmp_path / "runs" / "history.sqlite"))


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, through Playwright), one per test module that asks for it.

    Skipped where there is none; under CI=true (where make test installs it) that is a failure."""

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


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The real app served on a free port, one per test module that asks for it."""
    # Its own run history: module-scoped, it starts before the per-test one applies.
    runs = tmp_path_factory.mktemp("runs") / "history.sqlite"
    with streamlit_server(env={"DIGIT_STUDIO_RUNS": str(runs)}) as url:
        yield url


@pytest.fixture
def page(browser, app_url):
    """A laptop-sized page of the served app, its first run rendered."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    goto(page, app_url)
    yield page
    context.close()


@pytest.fixture
def app(monkeypatch):
    """The whole app under AppTest with the synthetic MNIST: ``app(image)`` runs it once with the
    canvas returning ``image`` (None: a blank canvas)."""
    from streamlit.testing.v1 import AppTest

    from ui import shared
    from ui.widgets import canvas

    data = synthetic_mnist()
    monkeypatch.setattr(shared, "is_provisioned", lambda: True)
    monkeypatch.setattr(shared, "loaded_mnist", lambda: data)

    def make(image=None):
        monkeypatch.setattr(canvas, "draw", lambda *a, **k: image)
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        assert not at.exception
        return at

    return make


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
