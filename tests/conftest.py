"""Shared fixtures: a tiny synthetic MNIST for fast tests, the real one for integration."""

from __future__ import annotations

import re

import numpy as np
import pytest
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


def shown(markdown: str) -> str:
    """What a reader sees of Markdown made from user text (ui/text.md): escapes and breaks removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


@pytest.fixture(autouse=True)
def private_run_history(tmp_path, monkeypatch):
    """Every test gets its own run history: nothing is ever written to the real data/ folder."""
    monkeypatch.setenv("DIGIT_STUDIO_RUNS", str(tmp_path / "runs" / "history.sqlite"))


@pytest.fixture
def tiny() -> Mnist:
    return synthetic_mnist()


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    from train.data import load_mnist

    return load_mnist()
