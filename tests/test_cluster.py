"""The cluster's faults, in real Chromium: PostgreSQL + two replicas + nginx under supervisord,
started on free loopback ports in a temporary folder by deploy/cluster.py (as `make cluster`
does) and stopped at the end, leaving no process behind. A run trained on one replica is seen
and loaded on the other; a PostgreSQL restart during training loses nothing; a stopped replica's
browsers reconnect through nginx to the other and find their runs; a replica that crashes is
started again by supervisord; a database that cannot be reached at startup is a message; a
phone-sized photo passes nginx."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from store import Store
from testkit.browser import (
    free_port,
    goto,
    open_tab,
    pick_run,
    read_prediction,
    set_epochs,
    set_training_digits,
    sidebar,
    streamlit_server,
    wait_idle,
)
from testkit.photos import encode
from testkit.photos import page as paper_page

pytestmark = [pytest.mark.cluster, pytest.mark.postgres, pytest.mark.integration, pytest.mark.browser]
ROOT = Path(__file__).resolve().parents[1]
PASSCODE = "cluster-test-passcode"


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.replica_ports = [free_port(), free_port()]
        self.env = {
            **os.environ,
            "CLUSTER_DATA": str(folder),
            "CLUSTER_NGINX_PORT": str(free_port()),
            "CLUSTER_REPLICA_PORTS": ",".join(map(str, self.replica_ports)),
            "CLUSTER_PG_PORT": str(free_port()),
            "CLUSTER_LISTEN": "127.0.0.1",
            "DIGIT_STUDIO_PRESENTER_PASSCODE": PASSCODE,
        }
        self.env.pop("DIGIT_STUDIO_RUNS", None)
        self.url = f"http://127.0.0.1:{self.env['CLUSTER_NGINX_PORT']}"
        self.folder = folder

    def replica(self, n: int) -> str:
        return f"http://127.0.0.1:{self.replica_ports[n - 1]}"

    def do(self, *args: str, timeout: float = 300) -> None:
        subprocess.run(
            [sys.executable, "-m", "deploy.cluster", *args], cwd=ROOT, env=self.env, check=True, timeout=timeout
        )

    def pid(self, program: str) -> int:
        """The pid supervisord gives for ``program`` (0: not running), asked as a person would."""
        conf = str(self.folder / "supervisord.conf")
        cmd = [sys.executable, "-m", "supervisor.supervisorctl", "-c", conf, "pid", program]
        return int(subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout)

    def processes(self) -> list[str]:
        """Command lines of this machine's processes that belong to this cluster: any that names
        its folder (supervisord, PostgreSQL, nginx) or a replica's port."""
        marks = [str(self.folder), *(f"--server.port {port} " for port in self.replica_ports)]
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                line = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue  # it ended meanwhile
            if any(mark in line for mark in marks):
                found.append(line)
        return found

    def store(self) -> Store:
        from deploy import cluster

        return Store(cluster.pg_url(self.folder / "pg", int(self.env["CLUSTER_PG_PORT"])))


@pytest.fixture(scope="module")
def cluster():
    from deploy import cluster as deploy

    why = deploy.pg_available() or (None if deploy.nginx_bin() else "nginx is not installed")
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the cluster tests cannot run: {why}")
        pytest.skip(why)
    folder = Path(tempfile.mkdtemp(prefix="digit-studio-cluster-"))
    folder.chmod(0o755)  # PostgreSQL's own user works inside
    c = Cluster(folder)
    try:
        c.do("start")
        yield c
    finally:
        c.do("stop", timeout=180)
        left = c.processes()
        subprocess.run(["rm", "-rf", str(folder)], check=False)
    assert not left, f"make cluster-stop left these running: {left}"


def new_page(browser, url, cookies=()):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    if cookies:
        context.add_cookies(list(cookies))
    page = context.new_page()
    goto(page, url)
    return page


def replica_shown(page) -> str:
    caption = page.get_by_text(re.compile(r"^replica \d$")).first
    caption.wait_for(timeout=60_000)
    return caption.inner_text()


def train(page, name: str, epochs: int = 1) -> None:
    set_epochs(page, epochs)
    set_training_digits(page, 0)
    field = page.locator(".st-key-run_name input")
    field.fill(name)
    field.press("Enter")
    wait_idle(page)
    sidebar(page).get_by_role("button", name="Train", exact=True).click()


def identity(page) -> list[dict]:
    return [c for c in page.context.cookies() if c["name"] == "ds_id"]


def phone_photo() -> bytes:
    """A 12-megapixel JPEG of a 7, noisy like a phone's sensor: several megabytes."""
    import io

    import numpy as np
    from PIL import Image

    small = Image.fromarray((paper_page() * 255).astype(np.uint8))
    big = np.asarray(small.resize((4000, 3000), Image.Resampling.BILINEAR)).astype(np.int16)
    big = np.clip(big + np.random.default_rng(0).normal(0, 8, big.shape), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def test_a_phone_sized_photo_is_read_through_nginx(cluster, browser, tmp_path):
    photo = tmp_path / "seven.jpg"
    photo.write_bytes(phone_photo())
    assert 4 * 2**20 < photo.stat().st_size < 13 * 2**20  # over nginx's default body limit, under the app's
    page = new_page(browser, cluster.url)
    replica_shown(page)
    page.get_by_role("tab", name="Upload an image").click()
    wait_idle(page)
    page.get_by_test_id("stFileUploader").locator("input[type='file']").first.set_input_files(str(photo))
    assert read_prediction(page) == "7"
    assert page.get_by_test_id("stException").count() == 0
    page.context.close()


def test_the_board_tells_the_room_to_join_through_nginx(cluster, browser):
    """The join address on the board is nginx's port, not the replica's (which listens on loopback)."""
    nginx_port = cluster.url.rstrip("/").rsplit(":", 1)[1]
    board = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    board.goto(f"{cluster.url}/room")
    address = board.locator(".st-key-join_address")
    address.get_by_text("To join, open:").wait_for(timeout=90_000)
    # The address is the block's last line; common/text.py keeps it from becoming a link.
    shown_url = address.inner_text().replace("\u200b", "").strip().splitlines()[-1].strip()
    assert re.fullmatch(rf"http://[\d.]+:{nginx_port}/", shown_url), shown_url
    board.context.close()


def test_a_participant_moves_between_replicas_and_keeps_identity_and_runs(cluster, browser, tmp_path):
    # A run trained through replica 1 is listed and loadable through replica 2.
    a = new_page(browser, cluster.replica(1))
    assert replica_shown(a) == "replica 1"
    train(a, "alice")
    sidebar(a).get_by_text("It is now the model").first.wait_for(timeout=180_000)
    (run,) = [r for r in cluster.store().runs() if r.name == "alice"]
    assert run.status == "finished" and run.has_model
    me = identity(a)  # the same participant, on the other replica
    a.context.close()
    b = new_page(browser, cluster.replica(2), me)
    assert replica_shown(b) == "replica 2"
    open_tab(b, "Runs")
    pick_run(b, run.id)
    b.get_by_text(f"Run #{run.id} is yours.").first.wait_for(timeout=30_000)
    b.locator(f".st-key-run_load_{run.id} button").first.click()
    b.get_by_text(f"Loaded run #{run.id}").first.wait_for(timeout=30_000)
    assert b.get_by_test_id("stException").count() == 0
    b.context.close()

    # Through nginx: the replica that serves this browser is stopped; nginx sends it to the other.
    page = new_page(browser, cluster.url, me)
    first = replica_shown(page)
    cluster.do("stop-replica", first.split()[1])
    other = "replica 2" if first == "replica 1" else "replica 1"
    # No reload: Streamlit's page reconnects its WebSocket by itself, through nginx to the other
    # replica, which runs the page afresh for it, sidebar included (its first run leaves the
    # sidebar out, and the browser must ask for it again on a server that never knew it).
    page.get_by_text(other, exact=True).wait_for(timeout=60_000)
    # As long as a first page load may take (goto): under the whole suite's load the new replica
    # runs the page, then the sidebar once the canvas is laid out.
    sidebar(page).get_by_role("button", name="Train", exact=True).wait_for(timeout=90_000)
    open_tab(page, "Runs")
    pick_run(page, run.id)
    page.get_by_text(f"Run #{run.id} is yours.").first.wait_for(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0

    # `make cluster` again brings the stopped replica back and leaves what runs alone.
    stopped = f"replica-{first.split()[1]}"
    assert cluster.pid(stopped) == 0  # supervisord leaves a replica stopped on purpose down
    others = ["postgresql", "nginx", f"replica-{other.split()[1]}"]
    pids = {name: cluster.pid(name) for name in others}
    assert all(pids.values())
    cluster.do("start")
    back = new_page(browser, cluster.replica(int(first.split()[1])))
    assert replica_shown(back) == first
    back.context.close()
    assert cluster.pid(stopped) and {name: cluster.pid(name) for name in others} == pids

    # The browser that moved still reaches its own session with an upload (an HTTP request beside
    # its WebSocket), although its first replica is back: its routing cookie names where it is now.
    assert [c["value"] for c in page.context.cookies() if c["name"] == "ds_replica"] == [f"r{other.split()[1]}"]
    photo = tmp_path / "seven.png"
    photo.write_bytes(encode(paper_page()))
    open_tab(page, "Draw")
    page.get_by_role("tab", name="Upload an image").click()
    wait_idle(page)
    page.get_by_test_id("stFileUploader").locator("input[type='file']").first.set_input_files(str(photo))
    assert read_prediction(page) == "7"
    assert page.get_by_text(other, exact=True).count() == 1
    page.context.close()


def test_a_postgresql_restart_during_training_loses_no_finished_run(cluster, browser):
    s = cluster.store()
    finished_before = {r.id for r in s.runs() if r.status == "finished" and r.has_model}
    page = new_page(browser, cluster.url)
    train(page, "through-a-restart", epochs=200)
    deadline = time.monotonic() + 120
    while not [r for r in s.runs() if r.name == "through-a-restart" and s.epochs(r.id)]:
        assert time.monotonic() < deadline, "the run never wrote an epoch"
        time.sleep(0.5)
    (run,) = [r for r in s.runs() if r.name == "through-a-restart"]
    assert run.status == "running"
    cluster.do("restart-db")
    written = len(s.epochs(run.id))
    # Training goes on, and its epochs reach the database again (or the run ends meanwhile).
    while len(s.epochs(run.id)) <= written and s.run(run.id).status == "running":
        assert time.monotonic() < deadline + 60, "no epoch was written after the restart"
        time.sleep(0.5)
    if s.run(run.id).status == "running":
        sidebar(page).get_by_role("button", name="Stop").click()
    sidebar(page).get_by_text("It is now the model").first.wait_for(timeout=60_000)
    after = cluster.store()
    ended = after.run(run.id)
    assert ended.status in ("stopped", "finished", "failed") and ended.status != "running"
    if ended.status != "failed":
        assert ended.has_model and len(after.epochs(run.id)) >= written
    assert finished_before <= {r.id for r in after.runs() if r.status == "finished" and r.has_model}
    assert page.get_by_test_id("stException").count() == 0
    page.context.close()


def test_a_replica_that_dies_is_restarted_by_supervisord(cluster, browser):
    dead = cluster.pid("replica-2")
    assert dead
    os.killpg(dead, signal.SIGKILL)  # a crash: no chance to clean up, nobody told supervisord
    deadline = time.monotonic() + 150
    while cluster.pid("replica-2") in (0, dead):
        assert time.monotonic() < deadline, "supervisord did not restart replica 2"
        time.sleep(0.5)
    from deploy.cluster import wait_healthy

    wait_healthy(cluster.replica(2), timeout=150)
    page = new_page(browser, cluster.replica(2))  # it serves again
    assert replica_shown(page) == "replica 2"
    page.context.close()
    log = (cluster.folder / "logs" / "supervisord.log").read_text()
    assert "exited: replica-2 (terminated by SIGKILL; not expected)" in log


def test_a_database_that_cannot_be_reached_at_startup_is_a_clear_message(browser):
    closed = free_port()  # nothing listens there
    env = {"DIGIT_STUDIO_DB": f"postgresql://digit:pw-never-shown-4711@127.0.0.1:{closed}/digit_studio"}
    with streamlit_server(env=env) as url:
        page = new_page(browser, url)
        open_tab(page, "Runs")
        page.get_by_text("The run history cannot be used: the PostgreSQL run history cannot be reached").first.wait_for(
            timeout=30_000
        )
        assert page.get_by_test_id("stException").count() == 0
        assert "pw-never-shown-4711" not in page.content()
        page.context.close()
