"""Models checked against an oracle: the same computation written out with torch.nn.functional."""

import pytest
import torch
import torch.nn.functional as F

from model import KINDS, build, predict_proba
from model.predict import contributions, logits


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(1)
    return torch.rand(16, 28, 28, generator=g), torch.randint(0, 10, (16,), generator=g)


def oracle_loss(kind, z, y):
    if kind == "softmax":
        return F.cross_entropy(z, y)
    if kind == "tutorial-sigmoid":
        return F.cross_entropy(torch.sigmoid(z), y)
    return F.binary_cross_entropy_with_logits(z, F.one_hot(y, 10).float(), reduction="sum") / len(y)


@pytest.mark.parametrize("kind", KINDS)
def test_loss_and_gradients_match_the_oracle(kind, batch):
    x, y = batch
    net = build(kind, seed=0)
    loss = net.loss(net.scores(x), y)
    loss.backward()
    ours = (loss.item(), net.linear.weight.grad.clone(), net.linear.bias.grad.clone())

    w = net.linear.weight.detach().clone().requires_grad_()
    b = net.linear.bias.detach().clone().requires_grad_()
    ref = oracle_loss(kind, x.reshape(16, -1) @ w.T + b, y)
    ref.backward()
    assert ours[0] == pytest.approx(ref.item(), rel=1e-6)
    torch.testing.assert_close(ours[1], w.grad)
    torch.testing.assert_close(ours[2], b.grad)


def test_softmax_gradient_is_the_textbook_formula(batch):
    x, y = batch
    net = build("softmax", seed=0)
    z = net.scores(x)
    net.loss(z, y).backward()
    residual = (z.softmax(1) - F.one_hot(y, 10)).detach() / len(y)  # dL/dz = (p - onehot) / N
    torch.testing.assert_close(net.linear.weight.grad, residual.T @ x.reshape(16, -1))


def test_tutorial_sigmoid_cannot_be_confident(batch):
    x, _ = batch
    net = build("tutorial-sigmoid", seed=0)
    with torch.no_grad():
        net.linear.weight.mul_(1000)  # however large the scores, softmax(sigmoid(z)) stays flat
    p = predict_proba(net, x)
    assert p.max() <= torch.e / (torch.e + 9) + 1e-6


@pytest.mark.parametrize("kind", KINDS)
def test_probabilities(kind, batch):
    x, _ = batch
    net = build(kind, seed=0)
    p = predict_proba(net, x)
    assert p.shape == (16, 10) and (p >= 0).all() and (p <= 1).all()
    if kind != "one-vs-rest":
        assert p.sum(1) == pytest.approx(1, abs=1e-5)
    assert predict_proba(net, x[0].numpy()).shape == (1, 10)


def test_contributions_sum_to_the_logit(batch):
    x, _ = batch
    net = build("softmax", seed=3)
    c = contributions(net, x[0].numpy())
    expected = logits(net, x[0]) - net.linear.bias.detach().numpy()
    assert c.sum((1, 2)) == pytest.approx(expected[0], abs=1e-4)


def test_build_is_seeded_and_refuses_unknown_kinds():
    a, b = build("softmax", seed=5), build("softmax", seed=5)
    torch.testing.assert_close(a.linear.weight, b.linear.weight)
    assert not torch.equal(a.linear.weight, build("softmax", seed=6).linear.weight)
    with pytest.raises(ValueError, match="unknown model kind"):
        build("mlp")


def test_predict_refuses_unframed_shapes():
    with pytest.raises(ValueError, match="28,28"):
        predict_proba(build("softmax"), torch.zeros(2, 280, 280))


@pytest.mark.parametrize("kind", KINDS)
def test_closed_form_gradients_match_autograd(kind, batch):
    x, y = batch
    net = build(kind, seed=4)
    with torch.no_grad():
        net.linear.weight.mul_(20)  # away from zero, where the sigmoid's slope matters
    value, grad_w, grad_b = net.gradients(x, y)
    loss = net.loss(net.scores(x), y)
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=1e-6)
    torch.testing.assert_close(grad_w, net.linear.weight.grad, rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(grad_b, net.linear.bias.grad, rtol=1e-5, atol=1e-7)
