"""Seconds to frame all 70,000 MNIST digits, per framing (target <= 5 s)."""

import time

import torch

from model import frame_batch
from train import load_mnist


def main() -> None:
    data = load_mnist()
    images = torch.cat([data.train_images, data.test_images]).float() / 255
    frame_batch(images[:1000], "frame+deskew")  # warm-up
    for framing in ("frame", "frame+deskew"):
        start = time.perf_counter()
        frame_batch(images, framing)
        print(f"frame 70,000 digits ({framing}): {time.perf_counter() - start:.2f} s  (target <= 5 s)")


if __name__ == "__main__":
    main()
