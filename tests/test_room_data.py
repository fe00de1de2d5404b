"""The room's test (room accuracy, on the test half only, cached per set of drawings) and the
room's dataset as files: a zip of PNGs + CSV, and IDX files that torchvision's MNIST loads."""

import csv
import io
import zipfile

import numpy as np
import pytest

import model
import store
from store import TEST, TRAIN, Store, dataset
from testkit.drawing import PLACEMENTS, render
from train.roomeval import RoomScorer, frame
from ui import room
from ui.tabs import teach

PRESENTER = store.Actor("p" * 32, presenter=True)


@pytest.fixture
def s(tmp_path):
    found = Store(tmp_path / "h.sqlite")
    for digit in range(10):
        for i, place in enumerate(PLACEMENTS.values()):
            image = render(digit, place, width=14 + 4 * i)
            found.add_drawing(f"writer{digit % 3}", digit, teach.drawing_png(image), room.framed_bytes(image))
    return found


def test_room_accuracy_is_measured_on_the_test_half_only_and_refreshes_with_new_drawings(s):
    net, scorer = model.load_default(), RoomScorer()
    test = s.drawings(TEST, with_png=True)
    first = scorer.score("shipped", net, s)
    images = np.stack([frame(d.png, net.metadata["framing"]) for d in test])
    guess = model.predict_proba(net, images).argmax(1)
    labels = np.array([d.label for d in test])
    assert first.n == len(test) > 5 and first.accuracy == pytest.approx(float((guess == labels).mean()))
    assert first.confusion.sum() == len(test) and np.trace(first.confusion) == int((guess == labels).sum())
    assert scorer.score("shipped", net, s) is first  # nothing changed: nothing recomputed
    # A training drawing changes nothing measured; a test drawing does.
    wrong = render(1, PLACEMENTS["big"])
    png, pixels = teach.drawing_png(wrong), room.framed_bytes(wrong)
    kept = s.add_drawing("joker", 7, png, pixels)
    again = scorer.score("shipped", net, s)
    if store.split_of(pixels) == TEST:
        assert again.n == first.n + 1 and again.confusion[7].sum() == first.confusion[7].sum() + 1
    else:
        assert again.n == first.n and again.accuracy == first.accuracy
    s.delete_drawing(kept, PRESENTER)
    assert scorer.score("shipped", net, s).n == first.n


def test_each_model_is_scored_on_the_drawings_framed_its_own_way(s):
    (d,) = s.drawings(TEST, with_png=True, limit=1)
    scorer = RoomScorer()
    for framing in model.FRAMINGS:
        expected = model.to_mnist(teach_pixels(d.png), framing=framing)
        assert np.allclose(scorer.images([d], framing)[0], expected)
    assert frame(b"\x89PNG\r\n\x1a\nnot really", "frame").max() == 0  # unreadable: no ink, no error


def teach_pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


def test_the_png_export_holds_every_drawing_and_a_csv_of_labels_without_nicknames(s):
    s.set_nickname("writer0", "Alice Secret")
    blob = dataset.png_zip(s.iter_drawings(batch=7))  # batches: an export never holds the room twice
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        rows = list(csv.DictReader(io.StringIO(z.read("room/labels.csv").decode())))
        assert len(rows) == len(s.drawings()) and {r["split"] for r in rows} == {TEST, TRAIN}
        first = rows[0]
        assert z.read(f"room/{first['file']}") == s.drawing_png(int(first["id"]))
        assert {r["writer"] for r in rows} == {"p1", "p2", "p3"}
        assert not any(b"Alice" in z.read(n) or b"writer0" in z.read(n) for n in z.namelist())


def test_the_idx_export_loads_with_torchvision_as_mnist(s, tmp_path):
    from torchvision.datasets import MNIST

    with zipfile.ZipFile(io.BytesIO(dataset.idx_zip(s.drawings()))) as z:
        z.extractall(tmp_path / "export")
    for train, split in ((True, TRAIN), (False, TEST)):
        loaded = MNIST(tmp_path / "export", train=train, download=False)
        want = s.drawings(split)
        assert len(loaded) == len(want) > 0
        images, labels = store.as_arrays(want)
        assert np.array_equal(loaded.data.numpy(), images) and np.array_equal(loaded.targets.numpy(), labels)


def test_a_round_is_won_by_the_best_room_score_among_runs_that_kept_to_its_rules():
    r = {"id": 1, "started": 100.0, "ends": 160.0, "max_seconds": 3.0}

    def row(run, started=110.0, status="finished", seconds=2.0, limit=600.0, mnist=0.9, room_acc=0.5):
        return {
            "run": run,
            "started": started,
            "status": status,
            "seconds": seconds,
            "time_limit": limit,
            "mnist": mnist,
            "room": room_acc,
        }

    rows = [
        row(1, room_acc=0.6),
        row(2, room_acc=0.9, started=90.0),  # started before the round
        row(3, room_acc=0.95, seconds=3.5),  # trained too long
        row(4, room_acc=0.92, seconds=3.2, limit=3.0),  # capped at the allowance: its last test ran over
        row(5, room_acc=0.99, status="running"),
        row(6, room_acc=0.7, started=170.0),  # after the round
        row(7, room_acc=0.6, mnist=0.95),  # ties on room accuracy go to MNIST
    ]
    assert [x["run"] for x in room.standings(r, rows)] == [4, 7, 1]
    assert room.standings(None, rows) == []
