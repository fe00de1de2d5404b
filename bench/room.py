"""Does training with the room's drawings raise the room's score? ``python -m bench.room``

A synthetic room of N labelled drawings (testkit/drawing.py strokes, drawn big, small, off-centre and
slanted, in a style MNIST lacks: mirrored), stored as the app stores them and split into halves
by the store's hash. Each weight trains the same settings and seed on MNIST plus the room's
training half; room accuracy is measured on the room's test half only. Prints the figures.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time

import numpy as np
from PIL import Image

import model
from store import Store
from store.room import TEST, TRAIN
from testkit.drawing import random_drawing
from train import TrainConfig, fit, load_mnist
from train import room as rm


def make_room(runs: Store, n: int, seed: int, mirrored: bool) -> None:
    rng = np.random.default_rng(seed)
    for i in range(n):
        gray = random_drawing(i % 10, rng)[:, :, 0]
        gray = np.ascontiguousarray(gray[:, ::-1] if mirrored else gray)
        buf = io.BytesIO()
        Image.fromarray(gray).save(buf, "PNG")
        runs.add_drawing("bench", i % 10, buf.getvalue(), rm.frame_png(buf.getvalue(), "frame+deskew").tobytes())


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.room")
    p.add_argument("--drawings", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", default="0,1,5,10,20")
    p.add_argument("--train-subset", type=int, default=60_000)
    p.add_argument("--epochs", type=int, default=5)
    args = p.parse_args(argv)
    data = load_mnist()
    with tempfile.TemporaryDirectory() as tmp:
        for mirrored in (False, True):
            runs = Store(os.path.join(tmp, f"room-{mirrored}.sqlite"))  # a room of its own
            make_room(runs, args.drawings, args.seed, mirrored)
            n_train, n_test = len(runs.drawings(TRAIN)), len(runs.drawings(TEST))
            style = "mirrored" if mirrored else "as drawn"
            print(f"room of {args.drawings} drawings ({style}): {n_train} training, {n_test} test; seed {args.seed}")
            test = rm.room_half(runs, TEST)
            for w in map(int, args.weights.split(",")):
                cfg = TrainConfig(seed=args.seed, room_weight=w, train_subset=args.train_subset, epochs=args.epochs)
                net = model.build(cfg.model, seed=cfg.seed)
                start = time.perf_counter()
                last = list(fit(net, rm.with_room(data, runs, cfg), cfg))[-1]
                acc = rm.room_accuracy(net, test, cfg.framing)
                print(
                    f"  room_weight {w:3d}: room test accuracy {acc:7.2%}   MNIST test {last.test_accuracy:.2%}"
                    f"   ({time.perf_counter() - start:.1f} s)"
                )


if __name__ == "__main__":
    main()
