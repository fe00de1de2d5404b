"""The statuses of a training run: one enum for the job, the CLI, the store and the views.

Values are stored in databases and checkpoints, so they never change (tests/test_status.py pins them).
A ``StrEnum`` member is its value: ``Status.RUNNING == "running"``, and it goes into SQL as it is.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"  # a job waiting for a training slot (in memory only, never stored)
    PREPARING = "preparing"  # a job loading and framing its data (in memory only, never stored)
    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"  # ended early (a stop, its time limit, its owner gone) and kept its model
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process died without saying so (its heartbeat went stale)


# Statuses the store keeps for a run.
STORED = (Status.RUNNING, Status.FINISHED, Status.STOPPED, Status.FAILED, Status.INTERRUPTED)
# Statuses after which a run changes no more (but INTERRUPTED, which a late heartbeat revives).
DONE = (Status.FINISHED, Status.STOPPED, Status.FAILED)
