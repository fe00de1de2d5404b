"""The fused training loop against torch.optim + autograd, and its fallback to the Python loop."""

import math

import pytest
import torch

from model import build
from testkit.mnist import synthetic_mnist
from train import Mnist, TrainConfig, evaluate, fit, fused
from train.data import to_float
from train.loop import augment


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """As the app trains: one thread (torch.optim's reference is also much faster so on 2 busy cores)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


LR = {"sgd": 0.1, "sgd-momentum": 0.05, "adam": 0.005}
STEPS = 200


def sparse_mnist() -> Mnist:
    """The synthetic digits with most of their noise zeroed: like MNIST, mostly zero pixels."""
    d = synthetic_mnist()
    keep = lambda x: torch.where(x < 30, torch.zeros_like(x), x)  # noqa: E731
    return Mnist(keep(d.train_images), d.train_labels, keep(d.test_images), d.test_labels)


def reference(data: Mnist, cfg: TrainConfig, steps: int, dtype=torch.float32) -> torch.nn.Module:
    """fit()'s data order and augmentation, with torch.optim and autograd doing the maths."""
    net = build(cfg.model, seed=cfg.seed).to(dtype)
    params = list(net.parameters())
    if cfg.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        momentum = 0.9 if cfg.optimizer == "sgd-momentum" else 0
        opt = torch.optim.SGD(params, lr=cfg.lr, momentum=momentum, weight_decay=cfg.weight_decay)
    if cfg.lr_schedule == "linear":  # down to 0 at the run's last step
        total = cfg.epochs * math.ceil(min(cfg.train_subset, len(data.train_labels)) / cfg.batch_size)
        schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / total)
    framed = data.framed(cfg.framing)
    gen = torch.Generator().manual_seed(cfg.seed)
    n_total = len(framed.train_x)
    rows = None if cfg.train_subset >= n_total else torch.randperm(n_total, generator=gen)[: cfg.train_subset]
    n = n_total if rows is None else len(rows)
    taken = 0
    while taken < steps:
        order = torch.randperm(n, generator=gen)
        order = order if rows is None else rows[order]
        for s in range(math.ceil(n / cfg.batch_size)):
            batch = order[s * cfg.batch_size : (s + 1) * cfg.batch_size]
            x = to_float(framed.train_x[batch])
            if cfg.augment:
                x = augment(x, gen)
            opt.zero_grad()
            net.loss(net.scores(x.to(dtype)), framed.train_y[batch]).backward()
            opt.step()
            if cfg.lr_schedule == "linear":
                schedule.step()
            taken += 1
    return net


CASES = [(kind, optimizer, {}) for kind in ("softmax", "tutorial-sigmoid", "one-vs-rest") for optimizer in LR] + [
    ("softmax", "adam", {"weight_decay": 0.01}),
    ("one-vs-rest", "sgd-momentum", {"weight_decay": 0.001, "train_subset": 450, "batch_size": 45}),
    ("softmax", "sgd", {"augment": True}),
    ("softmax", "adam", {"lr_schedule": "linear"}),
    ("tutorial-sigmoid", "sgd-momentum", {"lr_schedule": "linear", "weight_decay": 0.01}),
]


@pytest.mark.parametrize(("kind", "optimizer", "extra"), CASES)
def test_fused_loop_matches_torch_optim_and_autograd_after_200_steps(kind, optimizer, extra):
    assert fused.library() is not None, fused.reason()
    data = sparse_mnist()
    cfg = TrainConfig(model=kind, optimizer=optimizer, lr=LR[optimizer], batch_size=30, framing="none")
    cfg = cfg.replace(**extra)
    n = min(cfg.train_subset, 600)
    cfg = cfg.replace(epochs=STEPS // math.ceil(n / cfg.batch_size))
    net = build(kind, seed=cfg.seed)
    history = list(fit(net, data, cfg))
    assert history[-1].engine == fused.NAME
    assert sum(len(m.batch_losses) for m in history) == STEPS
    ref, exact = reference(data, cfg, STEPS), reference(data, cfg, STEPS, torch.float64)
    assert not torch.equal(ref.linear.weight, build(kind, seed=cfg.seed).linear.weight)  # it did train
    for ours, theirs, truth in zip(net.parameters(), ref.parameters(), exact.parameters(), strict=True):
        ours, theirs, truth = ours.detach().double(), theirs.detach().double(), truth.detach()
        tolerance = 1e-5 * truth.abs() + 1e-7
        # Adam divides by the gradient's RMS, so a parameter whose gradient is a near-cancelling
        # sum (a rarely inked pixel) keeps float32's rounding noise: there torch.optim itself is
        # off from the float64 answer. There ours must be at least as close to that answer.
        noisy = (theirs - truth).abs() > tolerance
        assert noisy.float().mean() < 0.001
        # Elsewhere ours matches torch.optim, or (two float32 roundings, each within the tolerance
        # of the float64 answer, can be twice that apart) the float64 answer itself.
        close = ((ours - theirs).abs() <= 1e-5 * theirs.abs() + 1e-7) | ((ours - truth).abs() <= tolerance)
        assert close[~noisy].all(), f"{int((~close[~noisy]).sum())} parameters differ from torch.optim and float64"
        assert ((ours - truth).abs() <= (theirs - truth).abs())[noisy].all()


@pytest.mark.parametrize("kind", ["softmax", "tutorial-sigmoid", "one-vs-rest"])
def test_fused_evaluation_matches_the_python_one(kind, monkeypatch):
    data = sparse_mnist()
    net = build(kind, seed=3)
    x, y = data.test_images, data.test_labels
    loss, acc = evaluate(net, x, y)
    with torch.no_grad():
        z = net.scores(to_float(x))
        want_loss, want_acc = float(net.loss(z, y)), int((z.argmax(1) == y).sum()) / len(y)
    assert loss == pytest.approx(want_loss, rel=1e-5) and acc == want_acc


def test_the_loop_stops_before_the_step_whose_loss_is_not_finite():
    from train.optim import Optimizer

    data = sparse_mnist()
    x = to_float(data.train_images[:90]).clone()
    x[65, 3, 3] = float("nan")  # in the third batch of 30
    net = build("softmax", seed=0)
    opt = Optimizer(list(net.parameters()), TrainConfig(optimizer="sgd", lr=0.1))
    w = net.linear.weight.data
    done, losses = fused.train_steps(
        fused.library(), x, data.train_labels, torch.arange(90), 30, "softmax", opt, w, net.linear.bias.data
    )
    assert done == 2 and opt.t == 2 and len(losses) == 3
    assert all(map(math.isfinite, losses[:2])) and math.isnan(losses[2])
    assert torch.isfinite(net.linear.weight).all()


@pytest.fixture
def fresh_engine(monkeypatch):
    """A fused module that has not tried to build yet (and is restored afterwards)."""
    monkeypatch.setattr(fused, "_lib", None)
    monkeypatch.setattr(fused, "_reason", None)


def test_without_a_compiler_training_falls_back_with_one_notice(fresh_engine, monkeypatch, capsys):
    monkeypatch.setattr(fused.shutil, "which", lambda name: None)
    monkeypatch.delenv("CC", raising=False)
    net = build("softmax", seed=0)
    history = list(fit(net, sparse_mnist(), TrainConfig(framing="none", batch_size=30, epochs=2)))
    assert history[-1].engine == "Python loop: no C compiler (cc, gcc or clang) on this machine"
    assert history[-1].test_accuracy > 0.9
    notices = [line for line in capsys.readouterr().err.splitlines() if "Python loop" in line]
    assert len(notices) == 1


def test_the_python_loop_can_be_chosen_and_gives_the_same_model(fresh_engine, monkeypatch):
    data, cfg = sparse_mnist(), TrainConfig(model="one-vs-rest", framing="none", batch_size=30, epochs=3)
    fast = build(cfg.model, seed=0)
    list(fit(fast, data, cfg))
    monkeypatch.setattr(fused, "_lib", None)
    monkeypatch.setenv(fused.ENGINE_ENV, "python")
    slow = build(cfg.model, seed=0)
    (*_, last) = fit(slow, data, cfg)
    assert last.engine == f"Python loop: {fused.ENGINE_ENV}=python"
    torch.testing.assert_close(fast.linear.weight, slow.linear.weight, rtol=1e-5, atol=1e-7)


def test_a_broken_build_falls_back_and_says_why(fresh_engine, monkeypatch, tmp_path):
    broken = tmp_path / "fused.c"
    broken.write_text("this is not C")
    monkeypatch.setattr(fused, "SOURCE", broken)
    monkeypatch.setenv(fused.CACHE_ENV, str(tmp_path / "cache"))
    assert fused.library() is None
    assert fused.reason().startswith("the fused loop did not build")
