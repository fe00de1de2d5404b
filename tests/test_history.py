"""The SQLite run history: durability, concurrency, interrupted runs and damaged files."""

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import model
from tests.conftest import synthetic_mnist
from train import TrainConfig
from train.history import HistoryError, Recorder, RunHistory
from train.job import FINISHED, TrainingJob, TrainingSlots
from train.loop import EpochMetrics

ROOT = Path(__file__).resolve().parents[1]
CFG = TrainConfig(framing="none", epochs=2, batch_size=64, lr=0.05)


def epoch(n, acc=0.9):
    return EpochMetrics(n, 0.5, [0.6, 0.4], 0.45, acc, 0.1)


def test_a_run_round_trip_survives_a_restart(tmp_path):
    path = tmp_path / "h.sqlite"
    h = RunHistory(path)
    rid = h.start(CFG.to_dict(), "cli", name="  alice  ")
    h.add_epoch(rid, epoch(1, 0.8))
    h.add_epoch(rid, epoch(2, 0.9))
    h.finish(rid, "finished", 0.9, 0.2, "run-1.safetensors")
    del h
    again = RunHistory(path)  # a new process would see the same
    (run,) = again.runs()
    assert (run.id, run.name, run.source, run.status, run.test_accuracy) == (rid, "alice", "cli", "finished", 0.9)
    assert run.config == CFG.to_dict() and run.ended >= run.started
    assert [e["test_accuracy"] for e in again.epochs(rid)] == [0.8, 0.9]
    assert "alice" in run.label and "softmax" in run.label
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def test_delete_removes_the_run_its_epochs_and_its_checkpoint(tmp_path):
    h = RunHistory(tmp_path / "h.sqlite")
    rid = h.start(CFG.to_dict(), "app")
    h.add_epoch(rid, epoch(1))
    path = h.checkpoint_path(rid)
    model.save(model.build(), path, {"framing": "none"})
    h.delete(rid)
    assert h.runs() == [] and h.epochs(rid) == [] and not path.exists()


def test_a_run_whose_process_died_is_marked_interrupted(tmp_path):
    path = tmp_path / "h.sqlite"
    code = (
        "import os, sys; from train.history import RunHistory; from train import TrainConfig;"
        f"h = RunHistory({str(path)!r}); h.start(TrainConfig().to_dict(), 'cli'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
    mine = RunHistory(path)
    own = mine.start(CFG.to_dict(), "app")
    statuses = {r.id: r.status for r in RunHistory(path).runs()}
    assert statuses == {1: "interrupted", own: "running"}  # a live process's run is left alone


def _write_runs(path, n):
    h = RunHistory(path)
    for i in range(n):
        rid = h.start(CFG.to_dict(), "cli", name=f"p{os.getpid()}-{i}")
        h.add_epoch(rid, epoch(1))
        h.finish(rid, "finished", 0.9, 0.1)


def test_many_threads_and_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "h.sqlite"
    threads = [threading.Thread(target=_write_runs, args=(path, 15)) for _ in range(6)]
    code = f"from tests.test_history import _write_runs; _write_runs({str(path)!r}, 15)"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(p.wait(120) == 0 for p in procs)
    runs = RunHistory(path).runs()
    assert len(runs) == 10 * 15 and len({r.id for r in runs}) == 150
    assert all(r.status == "finished" for r in runs)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM epochs").fetchone()[0] == 150


def test_a_damaged_database_is_explained(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(HistoryError, match="damaged.*move it aside"):
        RunHistory(path)


def test_a_newer_schema_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "h.sqlite"
    RunHistory(path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 7")
    with pytest.raises(HistoryError, match="newer Digit Studio"):
        RunHistory(path)


def test_a_job_records_its_run_and_saves_its_checkpoint_beside_the_database(tmp_path):
    runs = RunHistory(tmp_path / "h.sqlite")
    data = synthetic_mnist()
    job = TrainingJob(CFG, lambda: data, TrainingSlots(1), name="bob", runs=runs).start()
    job.join(60)
    assert job.state == FINISHED
    (run,) = runs.runs()
    assert (run.status, run.name, run.source) == ("finished", "bob", "app")
    assert run.test_accuracy == job.history[-1].test_accuracy and len(runs.epochs(run.id)) == 2
    back = model.load(runs.checkpoints / run.checkpoint)
    assert back.metadata["run_id"] == run.id


def test_an_unwritable_history_never_stops_training(tmp_path):
    runs = RunHistory(tmp_path / "h.sqlite")
    os.chmod(tmp_path, 0o500)
    try:
        data = synthetic_mnist()
        job = TrainingJob(CFG, lambda: data, TrainingSlots(1), runs=runs).start()
        job.join(60)
    finally:
        os.chmod(tmp_path, 0o700)
    assert job.state == FINISHED and job.net is not None
    if os.geteuid() != 0:  # root ignores the permission bits
        assert job.recorder.error and "could not be written" in job.recorder.error


def test_recorder_without_history_is_a_no_op():
    r = Recorder(None, CFG.to_dict(), "cli")
    r.epoch(epoch(1))
    r.finish("finished")
    assert r.run_id is None and r.error is None
