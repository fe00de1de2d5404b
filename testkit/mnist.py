"""A tiny synthetic MNIST: ten easy classes, so training runs in seconds without the real data."""

from __future__ import annotations

import numpy as np
import torch

from train.data import Mnist


def synthetic_mnist(n_train: int = 600, n_test: int = 200, seed: int = 0) -> Mnist:
    """Ten easy classes: class c is a vertical bar at column 2c+4, plus noise (uint8 images)."""
    rng = np.random.default_rng(seed)

    def split(n):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(y):
            x[i, 6:22, 2 * c + 4 : 2 * c + 6] = 255
        return torch.from_numpy(x), torch.from_numpy(y).long()

    (a, b), (c, d) = split(n_train), split(n_test)
    return Mnist(a, b, c, d)
