"""Faults: the server killed mid-training, an unusable data or history location."""

import contextlib
import hashlib
import os
import re
import signal
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import model
from model.checkpoint import DEFAULT_PATH
from store import Store
from testkit.apptest import shown
from testkit.drawing import PLACEMENTS, render
from ui.widgets import canvas

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.mark.browser
def test_server_killed_mid_training_then_restarted(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from testkit.browser import (
        CHROMIUM_ARGS,
        chromium_path,
        goto,
        open_tab,
        set_epochs,
        sidebar,
        start_server,
        stop_server,
        wait_idle,
    )

    if chromium_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium: CI must run the browser tests")
        pytest.skip("no Chromium found")
    shipped_before = hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest()
    env = {"DIGIT_STUDIO_RUNS": str(tmp_path / "runs" / "history.sqlite"), "DIGIT_STUDIO_HEARTBEAT_GRACE": "3"}

    @contextlib.contextmanager
    def app_page(url):
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            goto(page, url)
            yield page
            browser.close()

    proc, url = start_server(env)
    try:
        with app_page(url) as page:
            set_epochs(page, 2)
            sidebar(page).get_by_role("button", name="Train", exact=True).click()
            sidebar(page).get_by_text("It is now the model").first.wait_for(timeout=120_000)
            wait_idle(page)  # the finished run's own reruns first: a field filled during one can be lost
            set_epochs(page, 200)
            expect(sidebar(page).get_by_role("spinbutton", name="Epochs")).to_have_value("200")
            sidebar(page).get_by_role("button", name="Train", exact=True).click()
            page.get_by_text(re.compile(r"Epoch \d+/200")).first.wait_for(timeout=60_000)
            os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up
            proc.wait(30)
    finally:
        if proc.poll() is None:
            stop_server(proc)
    history = Store(env["DIGIT_STUDIO_RUNS"], grace=3)  # what a restarted server sees first
    assert history.run(2).status == "running"  # its heartbeat is still fresh: it may be alive elsewhere
    time.sleep(3.5)  # nobody renews it: after the grace period it is taken for dead
    history.mark_interrupted()
    runs = {r.id: r for r in history.runs()}
    assert runs[1].status == "finished" and runs[2].status == "interrupted"
    assert len(history.epochs(2)) >= 1  # the epochs it finished are still there
    assert model.from_bytes(history.checkpoint(1)).metadata["run_id"] == 1  # earlier checkpoint intact
    assert not runs[2].has_model  # nothing half-written
    assert hashlib.sha256(DEFAULT_PATH.read_bytes()).hexdigest() == shipped_before
    proc, url = start_server(env)
    try:
        with app_page(url) as page:
            open_tab(page, "Runs")
            page.get_by_text("interrupted").first.wait_for(timeout=30_000)
            assert page.get_by_test_id("stException").count() == 0
    finally:
        stop_server(proc)


@pytest.mark.apptest
def test_unusable_data_and_history_locations_are_explained_and_drawing_still_works(monkeypatch):
    monkeypatch.setenv("DIGIT_STUDIO_DATA", "/dev/null/mnist")  # cannot exist: read-only or missing
    monkeypatch.setenv("DIGIT_STUDIO_RUNS", "/dev/null/runs/history.sqlite")
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: render(7, PLACEMENTS["big"]))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["tab"] = "Data"
    at.run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "Could not obtain MNIST" in errors and "raw" in errors
    assert "/dev/null" not in shown(errors)  # no server path is shown to a participant (the log has it)
    assert [m.value for m in at.metric if m.label == "Prediction"] == ["7"]
    at.session_state["tab"] = "Runs"
    at.run()
    assert not at.exception
    assert any("cannot create" in w.value and "still work" in w.value for w in at.warning)
