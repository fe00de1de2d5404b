"""The real MNIST: provisioning, the recommended preset, and the shipped model."""

import numpy as np
import pytest
import torch

import model
from train import PRESETS, evaluate, fit
from train.data import IDX_MD5, raw_dir, verify_idx

pytestmark = pytest.mark.integration


def test_provisioned_files_match_the_official_checksums(mnist):
    verify_idx(raw_dir())
    assert len(IDX_MD5) == 4
    assert mnist.train_images.shape == (60_000, 28, 28) and mnist.test_images.shape == (10_000, 28, 28)
    assert np.bincount(mnist.test_labels.numpy()).tolist()[:2] == [980, 1135]


def test_recommended_preset_reaches_95_percent(mnist):
    cfg = PRESETS["recommended"]
    net = model.build(cfg.model, seed=cfg.seed)
    history = list(fit(net, mnist, cfg))
    assert history[-1].test_accuracy >= 0.95


def test_shipped_model_scores_95_percent_on_the_test_set(mnist):
    net = model.load_default()
    framed = mnist.framed(net.metadata["framing"])
    _, acc = evaluate(net, framed.test_x, framed.test_y)
    assert acc >= 0.95
    assert acc == pytest.approx(net.metadata["metrics"]["test_accuracy"], abs=1e-4)  # reproducible


def test_framing_mnist_keeps_it_in_place_and_brings_its_strokes_to_one_width(mnist):
    from model.preprocess import STROKE, stroke_width

    raw = mnist.test_images[:500].float() / 255
    framed = mnist.framed("frame").test_x[:500].float() / 255
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")

    def centre(x):
        mass = x.sum((1, 2))
        return torch.stack([(x * ys).sum((1, 2)) / mass, (x * xs).sum((1, 2)) / mass], 1)

    shift = (centre(framed) - centre(raw)).norm(dim=1)
    assert float(shift.mean()) < 0.75  # MNIST is already centred and sized this way: it stays put
    off_raw = (stroke_width(raw) - STROKE).abs().median()
    off_framed = (stroke_width(framed) - STROKE).abs().median()
    assert off_framed < 0.5 * off_raw  # the width step moves every pen towards one stroke width


def test_the_server_warms_up_before_any_page_is_opened(tmp_path):
    """`make run` (python -m ui.serve): MNIST is loaded and framed while nobody has connected yet."""
    import os
    import subprocess
    import sys
    import time

    from testkit.browser import ROOT, free_port

    log = tmp_path / "server.log"
    env = {**os.environ, "DIGIT_STUDIO_RUNS": str(tmp_path / "history.sqlite")}
    cmd = [sys.executable, "-m", "ui.serve", "--server.headless", "true", "--server.address", "127.0.0.1"]
    proc = subprocess.Popen(
        cmd + ["--server.port", str(free_port())], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 240
        while "Digit Studio: warmed up" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "no warm-up line in 240 s"
            time.sleep(0.2)
        assert "Traceback" not in log.read_text(errors="replace")
    finally:
        proc.terminate()
        proc.wait(30)
