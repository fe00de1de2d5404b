"""Background training jobs and the slots that bound them."""

import threading
import time

import pytest

from common.status import Status
from testkit.mnist import synthetic_mnist
from train import Mnist, TrainConfig
from train.job import TrainingJob, TrainingSlots

CFG = TrainConfig(framing="none", epochs=3, batch_size=32, lr=0.05)


def wait_for(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


@pytest.fixture
def data():
    d = synthetic_mnist()
    return lambda: d


def test_a_job_trains_and_hands_over_an_eval_model_with_metadata(data):
    job = TrainingJob(CFG, data, TrainingSlots(1)).start()
    job.join(60)
    assert job.state == Status.FINISHED and len(job.history) == 3 and job.progress == 1
    assert not job.net.training and job.net.metadata["status"] == "finished"
    assert job.net.metadata["metrics"]["test_accuracy"] == job.history[-1].test_accuracy


def test_stop_mid_epoch_keeps_a_scored_partial_model(data):
    gate = threading.Event()
    job = TrainingJob(CFG.replace(epochs=200, batch_size=1, train_subset=600), data, TrainingSlots(1))
    original = job._on_batch

    def slow(step, steps, loss):
        original(step, steps, loss)
        if step == 5:
            gate.set()

    job._on_batch = slow
    job.start()
    gate.wait(30)
    job.stop()
    job.join(30)
    assert job.state == Status.STOPPED and job.net is not None
    last = job.history[-1]
    assert last.partial and 0 <= last.test_accuracy <= 1 and len(last.batch_losses) >= 5
    assert job.net.metadata["status"] == "stopped"


def test_divergence_fails_with_a_message_and_no_model():
    d = synthetic_mnist()
    noisy = Mnist(d.train_images, d.train_labels.flip(0), d.test_images, d.test_labels)  # unlearnable labels
    job = TrainingJob(CFG.replace(optimizer="sgd", lr=100), lambda: noisy, TrainingSlots(1)).start()
    job.join(30)
    assert job.state == Status.FAILED and "learning rate 100 is too high" in job.message and job.net is None


def test_any_failure_is_a_message_and_no_model(data):
    job = TrainingJob(CFG, data, TrainingSlots(1))
    job.load_data = lambda: (_ for _ in ()).throw(RuntimeError("disk on fire"))
    job.start().join(30)
    assert job.state == Status.FAILED and "disk on fire" in job.message and job.net is None


def test_jobs_beyond_capacity_wait_in_line_and_report_their_position(data):
    slots = TrainingSlots(1)
    release = threading.Event()

    def blocking_data():
        release.wait(30)
        return data()

    first = TrainingJob(CFG, blocking_data, slots).start()
    wait_for(lambda: slots.busy == 1)
    second = TrainingJob(CFG, data, slots).start()
    third = TrainingJob(CFG, data, slots).start()
    wait_for(lambda: third.queue_position == 2)
    assert second.state == Status.QUEUED and second.queue_position == 1
    third.stop()  # leaving the line frees its place at once
    wait_for(lambda: third.state == Status.STOPPED)
    assert third.net is None and second.queue_position == 1
    release.set()
    first.join(30)
    second.join(30)
    assert first.state == second.state == Status.FINISHED
    assert slots.busy == 0


def test_default_capacity_is_the_core_count(monkeypatch):
    import os

    monkeypatch.delenv("DIGIT_STUDIO_TRAIN_SLOTS", raising=False)
    assert TrainingSlots().capacity == (os.cpu_count() or 1)
    monkeypatch.setenv("DIGIT_STUDIO_TRAIN_SLOTS", "3")
    assert TrainingSlots().capacity == 3


def test_a_disconnected_session_stops_its_run_and_frees_the_slot(data):
    connected = threading.Event()
    connected.set()
    slots = TrainingSlots(1)
    job = TrainingJob(
        CFG.replace(epochs=200, batch_size=1, train_subset=600), data, slots, alive=connected.is_set, grace=0.2
    ).start()
    wait_for(lambda: job.step > 3)
    connected.clear()  # the browser tab closed
    job.join(30)
    assert job.state == Status.STOPPED and job.net is not None and "went away" in job.message
    assert slots.busy == 0


def test_a_short_blip_does_not_stop_a_run(data):
    up = {"n": 0}

    def flaky():  # disconnected for a moment, then back
        up["n"] += 1
        return not (5 <= up["n"] <= 6)

    job = TrainingJob(CFG, data, TrainingSlots(1), alive=flaky, grace=5.0).start()
    job.join(60)
    assert job.state == Status.FINISHED


def test_a_queued_job_whose_session_left_gives_up_its_place(data):
    slots = TrainingSlots(1)
    release = threading.Event()
    first = TrainingJob(CFG, lambda: (release.wait(30), data())[1], slots).start()
    wait_for(lambda: slots.busy == 1)
    gone = TrainingJob(CFG, data, slots, alive=lambda: False, grace=0.0).start()
    wait_for(lambda: gone.state == Status.STOPPED)
    assert gone.net is None
    release.set()
    first.join(30)


def test_the_first_epoch_can_be_awaited_and_the_model_is_handed_on_once_the_slot_is_free(data):
    slots, seen = TrainingSlots(1), []
    job = TrainingJob(CFG.replace(epochs=50), data, slots)
    job.on_done = lambda net: seen.append((net, job.done, slots.busy, job.settled))
    assert not job.wait_first_epoch(0.01)  # not started: nothing to wait for
    job.start()
    assert job.wait_first_epoch(30)
    assert len(job.history) >= 1  # the first epoch's result is there when the wait returns
    job.stop()
    job.join(30)
    assert seen == [(job.net, True, 0, False)] and job.settled  # settled once the hand-on is over


def test_a_failing_after_training_hook_leaves_the_run_finished(data, caplog):
    def broken(net):
        raise RuntimeError("figures failed")

    job = TrainingJob(CFG.replace(epochs=1), data, TrainingSlots(1), on_done=broken).start()
    job.join(60)
    assert job.state == Status.FINISHED and job.net is not None and job.settled
    assert "after-training work failed" in caplog.text


def test_a_failed_run_hands_nothing_on():
    d = synthetic_mnist()
    noisy = Mnist(d.train_images, d.train_labels.flip(0), d.test_images, d.test_labels)
    seen = []
    job = TrainingJob(CFG.replace(optimizer="sgd", lr=100), lambda: noisy, TrainingSlots(1), on_done=seen.append)
    job.start().join(60)
    assert job.state == Status.FAILED and seen == [] and job.wait_first_epoch(0) and job.settled


def test_one_owner_holds_one_claim_until_that_job_is_done():
    class Job:
        done = False

    slots, first, second = TrainingSlots(1), Job(), Job()
    assert slots.claim("ann", first) and slots.claim("ann", first)  # the same job again: still its claim
    assert not slots.claim("ann", second)  # another tab of Ann's
    assert slots.claim("bo", second)  # someone else
    first.done = True
    assert slots.claim("ann", Job())  # the first run ended (its thread may still be tidying up)
    slots.unclaim("bo", second)
    assert slots.claim("bo", Job())
