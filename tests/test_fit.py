"""The training generator on a tiny synthetic dataset (no MNIST needed)."""

import math

import pytest
import torch

from model import build
from train import Mnist, TrainConfig, TrainingDiverged, fit

FAST = TrainConfig(framing="none", epochs=4, batch_size=32, lr=0.05)


def run(data, cfg):
    net = build(cfg.model, seed=cfg.seed)
    return net, list(fit(net, data, cfg))


def test_yields_one_metrics_record_per_epoch_and_learns(tiny):
    net, history = run(tiny, FAST)
    assert [m.epoch for m in history] == [1, 2, 3, 4]
    assert len(history[0].batch_losses) == math.ceil(600 / 32)
    assert history[-1].train_loss < history[0].batch_losses[0]
    assert history[-1].test_accuracy > 0.9
    assert all(m.seconds > 0 and math.isfinite(m.test_loss) for m in history)


@pytest.mark.parametrize("kind", ["tutorial-sigmoid", "one-vs-rest"])
@pytest.mark.parametrize("optimizer", ["sgd", "sgd-momentum"])
def test_every_model_and_optimizer_trains(tiny, kind, optimizer):
    _, history = run(tiny, FAST.replace(model=kind, optimizer=optimizer, lr=0.5))
    assert history[-1].test_accuracy > 0.5


def test_same_seed_same_result(tiny):
    cfg = FAST.replace(augment=True, train_subset=300)
    (a, ha), (b, hb) = run(tiny, cfg), run(tiny, cfg)
    assert torch.equal(a.linear.weight, b.linear.weight)
    assert ha[-1].batch_losses == hb[-1].batch_losses
    c, _ = run(tiny, cfg.replace(seed=1))
    assert not torch.equal(a.linear.weight, c.linear.weight)


def test_leaving_the_loop_keeps_the_partial_model(tiny):
    net = build("softmax", seed=0)
    before = net.linear.weight.detach().clone()
    m = next(fit(net, tiny, FAST.replace(epochs=50)))
    assert m.epoch == 1
    assert not torch.equal(before, net.linear.weight)


def test_batch_callback_reports_progress(tiny):
    seen = []
    net = build("softmax", seed=0)
    list(fit(net, tiny, FAST.replace(epochs=1, batch_size=100), on_batch=lambda s, n, loss: seen.append((s, n))))
    assert seen == [(s, 6) for s in range(1, 7)]


def test_nan_loss_raises_a_clear_error(tiny):
    net = build("softmax", seed=0)
    original = net.loss
    net.loss = lambda z, y: original(z, y) * float("nan")
    with pytest.raises(TrainingDiverged, match="learning rate .* too high"):
        list(fit(net, tiny, FAST))


def test_an_exploding_loss_is_reported_as_divergence(tiny):
    # Labels that no line can separate: a huge step overshoots every time and the loss explodes.
    noisy = Mnist(
        tiny.train_images,
        tiny.train_labels[torch.randperm(600, generator=torch.Generator().manual_seed(0))],
        tiny.test_images,
        tiny.test_labels,
    )
    with pytest.raises(TrainingDiverged, match="diverged in epoch 1.*try 0.5"):
        run(noisy, FAST.replace(optimizer="sgd", lr=100))


def test_subset_uses_that_many_digits(tiny):
    _, history = run(tiny, FAST.replace(train_subset=64, epochs=1))
    assert len(history[0].batch_losses) == 2
