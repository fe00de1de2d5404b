"""Checkpoints: round trip, atomic writes, and refusal of everything that is not ours."""

import json
import os
import pickle
import struct

import pytest
import torch
from safetensors.torch import save as st_save

import model
from model import CheckpointError, build, load, save
from model.preprocess import FRAMING_VERSION

META = {"framing": "frame+deskew", "config": {"lr": 0.005}, "metrics": {"test_accuracy": 0.95}}


def test_round_trip(tmp_path):
    net = build("one-vs-rest", seed=2)
    path = save(net, tmp_path / "m.safetensors", META)
    back = load(path)
    assert back.kind == "one-vs-rest" and not back.training
    torch.testing.assert_close(back.linear.weight, net.linear.weight)
    assert back.metadata["framing"] == "frame+deskew" and back.metadata["metrics"]["test_accuracy"] == 0.95
    assert os.listdir(tmp_path) == ["m.safetensors"]  # no temporary file left behind


def test_save_requires_the_framing():
    with pytest.raises(ValueError, match="framing"):
        model.to_bytes(build(), {"config": {}})


def test_failed_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = save(build(seed=1), tmp_path / "m.safetensors", META)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        save(build(seed=2), path, META)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/digit-studio-pwned",))


def _bytes(tensors, meta):
    return st_save(tensors, metadata={"digit_studio": json.dumps(meta)})


GOOD = {"linear.weight": torch.zeros(10, 784), "linear.bias": torch.zeros(10)}
HEADER = {
    "format": "digit-studio",
    "format_version": 1,
    "kind": "softmax",
    "framing": "frame",
    "framing_version": FRAMING_VERSION,
    "config": {},
    "metrics": {},
}


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "too short"),
        (os.urandom(4096), "not a safetensors file"),
        (pickle.dumps({"linear.weight": 1}), "not a safetensors file"),
        (_bytes(GOOD, HEADER)[:-100], "damaged"),
        (st_save(GOOD), "no digit_studio metadata"),
        (_bytes({"linear.weight": torch.zeros(10, 100), "linear.bias": torch.zeros(10)}, HEADER), "shape"),
        (_bytes({**GOOD, "extra": torch.zeros(1)}, HEADER), "expected tensors"),
        (_bytes({"linear.weight": torch.full((10, 784), float("nan")), "linear.bias": torch.zeros(10)}, HEADER), "NaN"),
        (_bytes(GOOD, {**HEADER, "kind": "mlp"}), "unknown model kind"),
        (_bytes(GOOD, {**HEADER, "framing": "crop"}), "unknown framing"),
        (_bytes(GOOD, {**HEADER, "framing_version": 0}), "another version of the framing"),
        (_bytes(GOOD, {**HEADER, "format": "other"}), "unknown format"),
        (b"x" * (3 * 1024 * 1024), "MB"),
    ],
)
def test_refusals(data, message):
    with pytest.raises(CheckpointError, match=message):
        model.from_bytes(data)


def test_a_pickle_payload_never_runs(tmp_path):
    marker = "/tmp/digit-studio-pwned"
    if os.path.exists(marker):
        os.remove(marker)
    for blob in (pickle.dumps(Payload()), _torch_save(Payload())):
        path = tmp_path / "evil.safetensors"
        path.write_bytes(blob)
        with pytest.raises(CheckpointError):
            load(path)
    assert not os.path.exists(marker)


def _torch_save(obj):
    import io

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_header_length_lies_are_refused():
    data = struct.pack("<Q", 10**9) + b"{}"
    with pytest.raises(CheckpointError, match="bad header length"):
        model.from_bytes(data)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="cannot read"):
        load(tmp_path / "nope.safetensors")


def test_shipped_model_loads_with_its_metadata():
    net = model.load_default()
    assert net.kind == "softmax" and not net.training
    assert net.metadata["framing"] == "frame+deskew"
    assert net.metadata["config"]["optimizer"] == "adam"
    assert net.metadata["metrics"]["test_accuracy"] >= 0.95
