"""The store on both backends (SQLite, and a real PostgreSQL started for the session): durability,
concurrency, ownership, soft deletion, heartbeats, migration from the version-1 run history, and
faults. Tests that take ``db`` run once per backend; the SQLite file's own faults run on SQLite."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text

import model
import store
from common.status import Status
from store import CLI, Actor, NotFound, PermissionDenied, Recorder, Store, StoreError
from testkit.mnist import synthetic_mnist
from train import TrainConfig
from train.job import TrainingJob, TrainingSlots
from train.loop import EpochMetrics

ROOT = Path(__file__).resolve().parents[1]
CFG = TrainConfig(framing="none", epochs=2, batch_size=64, lr=0.05)
A, B, PRESENTER = Actor("a" * 32), Actor("b" * 32), Actor("p" * 32, presenter=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request, tmp_path) -> str:
    """Where a fresh, empty store lives: a SQLite file, or a new database on the test PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "h.sqlite")
    from deploy import cluster

    pgdata, port = request.getfixturevalue("postgres_server")
    return cluster.create_database(pgdata, port, f"t_{os.getpid()}_{time.monotonic_ns()}")


def scalar(s: Store, sql: str):
    with s.engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def epoch(n, acc=0.9):
    return EpochMetrics(n, 0.5, [0.6, 0.4], 0.45, acc, 0.1)


def finished_run(s: Store, owner: str = A.owner, name: str = "alice") -> int:
    rid = s.start_run(CFG.to_dict(), "app", name, owner)
    s.finish_run(rid, "finished", epochs_left=[epoch(1, 0.8), epoch(2, 0.9)], test_accuracy=0.9, checkpoint=b"m")
    return rid


def test_a_run_round_trip_survives_a_restart(db):
    s = Store(db)
    rid = s.start_run(CFG.to_dict(), "cli", name="  alice\x07  ", owner=A.owner)
    s.add_epochs(rid, [epoch(1, 0.8)])
    s.finish_run(rid, "finished", epochs_left=[epoch(2, 0.9)], test_accuracy=0.9, duration=0.2, checkpoint=b"xyz")
    s.close()
    again = Store(db)  # a new process would see the same
    (run,) = again.runs()
    assert (run.id, run.name, run.owner, run.source, run.status) == (rid, "alice", A.owner, "cli", "finished")
    assert run.config == CFG.to_dict() and run.ended >= run.started and run.has_model
    assert [e["test_accuracy"] for e in again.epochs(rid)] == [0.8, 0.9]
    assert again.checkpoint(rid) == b"xyz"
    assert scalar(again, "SELECT value FROM meta WHERE key = 'schema_version'") == "3"


def test_sqlite_is_in_wal_mode(tmp_path):
    Store(tmp_path / "h.sqlite").close()
    with sqlite3.connect(tmp_path / "h.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # readers never block the writer


def test_only_the_owner_or_the_presenter_may_change_a_run(db):
    s = Store(db)
    rid = finished_run(s)
    for change in (lambda: s.delete_run(rid, B), lambda: s.rename_run(rid, "mine now", B)):
        with pytest.raises(PermissionDenied, match="belongs to someone else"):
            change()
    assert s.run(rid).name == "alice"
    s.rename_run(rid, "alice v2", A)
    assert s.run(rid).name == "alice v2"
    s.delete_run(rid, PRESENTER)
    assert s.run(rid) is None
    with pytest.raises(PermissionDenied):
        s.restore_run(rid, B)
    s.restore_run(rid, A)
    assert s.run(rid).name == "alice v2"
    with pytest.raises(PermissionDenied, match="only the presenter"):
        s.clear_room(A)
    with pytest.raises(PermissionDenied, match="only the presenter"):
        s.empty_archive(A)


def test_deletion_is_soft_until_the_presenter_empties_the_archive(db):
    s = Store(db)
    mine, theirs = finished_run(s, A.owner), finished_run(s, B.owner, "bob")
    s.delete_run(mine, A)
    assert [r.id for r in s.runs()] == [theirs] and [r.id for r in s.runs(archived=True)] == [mine]
    with pytest.raises(NotFound):
        s.checkpoint(mine)  # nobody loads a deleted run by mistake
    with pytest.raises(NotFound):
        s.delete_run(mine, A)  # a second delete of the same run
    assert s.clear_room(PRESENTER) == 1
    assert s.runs() == [] and len(s.runs(archived=True)) == 2
    s.restore_run(theirs, PRESENTER)
    assert s.empty_archive(PRESENTER) == 1
    assert [r.id for r in s.runs()] == [theirs] and s.runs(archived=True) == [] and s.epochs(mine) == []
    new = finished_run(s)
    assert new > mine  # ids are never reused: a session holding an old id never meets a new run


def test_runs_from_the_cli_belong_to_the_presenter(db):
    s = Store(db)
    rec = Recorder(s, CFG.to_dict(), "cli")
    rec.finish("finished", epochs=[epoch(1)])
    run = s.run(rec.run_id)
    assert run.owner == store.PRESENTER and not run.may_change(A) and run.may_change(CLI)


@pytest.mark.integration
def test_a_run_whose_trainer_stops_beating_is_marked_interrupted(db):
    path = db
    code = (
        "import os; from store import Store; from train import TrainConfig;"
        f"s = Store({str(path)!r}); s.start_run(TrainConfig().to_dict(), 'cli'); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
    mine = Store(path, grace=1.0)
    own = mine.start_run(CFG.to_dict(), "app")
    assert {r.id: r.status for r in mine.runs()} == {1: "running", own: "running"}  # within the grace period
    time.sleep(1.5)
    mine.mark_interrupted()
    assert {r.id: r.status for r in mine.runs()} == {1: "interrupted", own: "running"}  # its own run beats


def test_a_persons_run_training_on_another_replica_is_seen_until_it_ends_or_its_process_dies(db):
    """One run at a time per person across replicas: the slots of one process cannot see another's."""
    replica_1, replica_2 = Store(db), Store(db, grace=1.0)
    rid = replica_1.start_run(CFG.to_dict(), "app", owner=A.owner)
    assert replica_2.training_elsewhere(A.owner)
    assert not replica_2.training_elsewhere(B.owner)  # someone else
    assert not replica_1.training_elsewhere(A.owner)  # its own: the slots there know it, queued ones too
    replica_1.finish_run(rid, "finished", test_accuracy=0.9)
    assert not replica_2.training_elsewhere(A.owner)
    replica_1.abandon(replica_1.start_run(CFG.to_dict(), "app", owner=A.owner))  # its process dies
    assert replica_2.training_elsewhere(A.owner)
    time.sleep(1.5)  # the grace: nobody renews its heartbeat
    assert not replica_2.training_elsewhere(A.owner)


def _write_runs(path, n):
    s = Store(path)
    for i in range(n):
        rec = Recorder(s, CFG.to_dict(), "cli", name=f"p{os.getpid()}-{i}")
        rec.epoch(epoch(1))
        rec.finish("finished", epochs=[epoch(1)])
        assert rec.error is None


@pytest.mark.integration
def test_many_threads_and_processes_writing_at_once_lose_nothing(db):
    path = db
    Store(path)
    threads = [threading.Thread(target=_write_runs, args=(path, 10)) for _ in range(4)]
    code = f"from tests.test_store import _write_runs; _write_runs({str(path)!r}, 10)"
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(p.wait(120) == 0 for p in procs)
    runs = Store(path).runs()
    assert len(runs) == 7 * 10 and len({r.id for r in runs}) == 70
    assert all(r.status == "finished" for r in runs)
    assert scalar(Store(path), "SELECT COUNT(*) FROM epochs") == 70


def test_a_damaged_database_is_explained_without_its_path(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(StoreError, match="damaged") as err:
        Store(path)
    assert str(tmp_path) not in str(err.value) and str(tmp_path) in err.value.detail


def test_a_newer_schema_is_refused_with_a_clear_message(db):
    s = Store(db)
    with s.engine.begin() as conn:
        conn.execute(text("UPDATE meta SET value = '7' WHERE key = 'schema_version'"))
    s.close()
    with pytest.raises(StoreError, match="newer Digit Studio"):
        Store(db)


V1_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL DEFAULT '', source TEXT NOT NULL,
    config TEXT NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL, started REAL NOT NULL, ended REAL,
    duration REAL, test_accuracy REAL, checkpoint TEXT, error TEXT, pid INTEGER NOT NULL, pid_started TEXT NOT NULL);
CREATE TABLE epochs (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL,
    train_loss REAL NOT NULL, test_loss REAL NOT NULL, test_accuracy REAL NOT NULL, seconds REAL NOT NULL,
    partial INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, epoch));
CREATE INDEX runs_by_accuracy ON runs(test_accuracy);
PRAGMA user_version = 1;
"""


def test_a_version_1_history_is_upgraded_in_place_and_loses_nothing(tmp_path):
    path = tmp_path / "runs" / "history.sqlite"
    (path.parent / "checkpoints").mkdir(parents=True)
    blob = model.to_bytes(model.build(), {"framing": "none", "config": CFG.to_dict()})
    (path.parent / "checkpoints" / "run-1.safetensors").write_bytes(blob)
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_SCHEMA)
        cfg = json.dumps(CFG.to_dict())
        conn.execute(
            "INSERT INTO runs VALUES (1, 'old', 'cli', ?, 'softmax', 'finished', 1.0, 2.0, 1.0, 0.91, "
            "'run-1.safetensors', NULL, 1, '')",
            (cfg,),
        )
        conn.execute(
            "INSERT INTO runs VALUES (2, '', 'app', ?, 'softmax', 'failed', 3.0, 4.0, NULL, NULL, NULL, 'x', 1, '')",
            (cfg,),
        )
        conn.execute("INSERT INTO epochs VALUES (1, 1, 0.5, 0.4, 0.91, 1.0, 0)")
    s = Store(path)
    runs = {r.id: r for r in s.runs()}
    assert sorted(runs) == [1, 2] and runs[1].name == "old" and runs[1].test_accuracy == 0.91
    assert all(r.owner == store.PRESENTER for r in runs.values())
    assert s.checkpoint(1) == blob and not runs[2].has_model
    assert [e["test_accuracy"] for e in s.epochs(1)] == [0.91]
    assert (path.parent / "checkpoints" / "run-1.safetensors").exists()  # the old file is left alone
    assert finished_run(s) == 3
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3  # older releases refuse the file


def test_a_job_records_its_run_its_owner_and_its_model_in_the_store(db):
    runs = Store(db)
    data = synthetic_mnist()
    sink = partial(Recorder, runs, CFG.to_dict(), "app", "bob", B.owner)
    job = TrainingJob(CFG, lambda: data, TrainingSlots(1), name="bob", sink=sink, owner=B.owner).start()
    job.join(60)
    assert job.state == Status.FINISHED
    (run,) = runs.runs()
    assert (run.status, run.name, run.source, run.owner) == ("finished", "bob", "app", B.owner)
    assert run.test_accuracy == job.history[-1].test_accuracy and len(runs.epochs(run.id)) == 2
    assert model.from_bytes(runs.checkpoint(run.id)).metadata["run_id"] == run.id


def test_a_store_that_fails_mid_run_never_stops_training_and_keeps_what_it_can(db, monkeypatch):
    runs = Store(db)
    fail = {"on": False}
    real = runs.add_epochs

    def flaky(run_id, items):
        if fail["on"]:
            raise StoreError("the SQLite run history cannot be reached just now")
        return real(run_id, items)

    monkeypatch.setattr(runs, "add_epochs", flaky)
    rec = Recorder(runs, CFG.to_dict(), "app", owner=A.owner)
    fail["on"] = True
    rec.epoch(epoch(1))
    assert "will retry" in rec.error
    fail["on"] = False
    rec.epoch(epoch(2))  # the epoch that could not be written goes with this one
    assert [e["epoch"] for e in runs.epochs(rec.run_id)] == [1, 2]


def test_a_deleted_database_file_is_started_anew_and_said_once(tmp_path):
    path = tmp_path / "h.sqlite"
    s = Store(path)
    finished_run(s)
    s.engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert s.runs() == [] and "no longer listed" in s.notice
    assert finished_run(s) >= 1


def test_a_read_only_store_gives_a_message_not_a_traceback(tmp_path):
    path = tmp_path / "h.sqlite"
    Store(path).close()
    s = Store(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert s.runs() == []
    with pytest.raises(StoreError, match="read-only") as err:
        s.start_run(CFG.to_dict(), "app")
    assert str(tmp_path) not in str(err.value)


def test_wrong_passcodes_are_counted_per_address_and_survive_a_new_store(db):
    path = db
    s = Store(path)
    waits = [s.passcode_failed("passcode:10.0.0.9", 3, 15, 900) for _ in range(5)]
    assert waits[:2] == [0, 0] and 0 < waits[2] < waits[3] < waits[4] <= 900
    assert Store(path).passcode_wait("passcode:10.0.0.9") > 0  # a reload, another replica: still waiting
    assert Store(path).passcode_wait("passcode:10.0.0.10") == 0  # someone else is not locked out
    s.passcode_ok("passcode:10.0.0.9")
    assert s.passcode_wait("passcode:10.0.0.9") == 0


def test_recorder_without_a_store_is_a_no_op():
    r = Recorder(None, CFG.to_dict(), "cli")
    r.epoch(epoch(1))
    r.finish("finished")
    assert r.run_id is None and r.error is None


def test_a_run_whose_finish_cannot_be_written_does_not_stay_running(tmp_path, monkeypatch):
    import store.recorder as recorder_module

    s = Store(tmp_path / "h.sqlite", grace=1.0)
    rec = Recorder(s, CFG.to_dict(), "app", owner=A.owner)

    def down(*_a, **_k):
        raise StoreError("the SQLite run history cannot be reached just now")

    monkeypatch.setattr(s, "finish_run", down)
    monkeypatch.setattr(recorder_module, "FINISH_TRIES", 1)
    rec.finish("finished", epochs=[epoch(1)])
    assert "could not be written" in rec.error
    time.sleep(1.2 + store.runs.HEARTBEAT_EVERY)  # its heartbeat has stopped: after the grace period...
    s.mark_interrupted()
    assert s.run(rec.run_id).status == "interrupted"  # ...it is not left "running" forever


def test_an_unreachable_database_at_startup_is_a_clear_message():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there
    with pytest.raises(StoreError, match="PostgreSQL run history cannot be reached") as err:
        Store(f"postgresql://digit:secret@127.0.0.1:{port}/digit_studio")
    assert "secret" not in str(err.value) and "secret" not in err.value.detail
    assert "127.0.0.1" not in str(err.value) and str(port) in err.value.detail


def test_a_postgresql_restart_is_survived_and_an_outage_is_a_message(postgres_server):
    from deploy import cluster

    pgdata, port = postgres_server
    s = Store(cluster.create_database(pgdata, port, f"restart_{os.getpid()}"))
    rid = finished_run(s)
    cluster.restart_db(pgdata, pgdata.parent / "postgresql.log")  # every pooled connection is cut
    assert [r.id for r in s.runs()] == [rid]  # pre-ping replaces them
    assert finished_run(s) > rid
    cluster.stop_db(pgdata)
    try:
        with pytest.raises(StoreError, match="cannot be reached just now"):
            s.runs()
    finally:
        cluster.start_db(pgdata, port, pgdata.parent / "postgresql.log")
    assert len(s.runs()) == 2 and s.checkpoint(rid) == b"m"  # nothing finished was lost
