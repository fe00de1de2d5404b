"""Run statuses are stored in databases and checkpoints: their values never change."""

from common.status import DONE, STORED, Status


def test_the_stored_values_of_run_statuses_are_pinned():
    assert {s.name: s.value for s in Status} == {
        "QUEUED": "queued",
        "PREPARING": "preparing",
        "RUNNING": "running",
        "FINISHED": "finished",
        "STOPPED": "stopped",
        "FAILED": "failed",
        "INTERRUPTED": "interrupted",
    }
    assert set(STORED) == {"running", "finished", "stopped", "failed", "interrupted"}
    assert set(DONE) == {"finished", "stopped", "failed"}


def test_a_status_is_its_value_in_sql_json_and_messages():
    import json

    assert Status.RUNNING == "running" and f"{Status.STOPPED}" == "stopped"
    assert json.dumps({"status": Status.FAILED}) == '{"status": "failed"}'
    assert Status("interrupted") is Status.INTERRUPTED
