"""What the server shares between sessions: unframed MNIST is not copied, a model's
Inside-the-model figures are made once per weights."""

import copy

import torch

from model import build
from testkit.mnist import synthetic_mnist
from train import data as D
from train.data import Mnist
from ui.widgets import figures


def test_unframed_mnist_is_the_loaded_tensor_itself_or_a_shared_file(tmp_path, monkeypatch):
    """Unframed test digits are MNIST's own pages; the styled training digits are mapped from a
    file every process shares, as other framings are, not copied into each server's memory."""
    data = synthetic_mnist()
    framed = data.framed("none")
    assert framed.test_x.data_ptr() == data.test_images.data_ptr()
    shared = Mnist(data.train_images, data.train_labels, data.test_images, data.test_labels, cache_dir=tmp_path)
    train_x = shared.framed("none").train_x
    assert torch.equal(train_x, framed.train_x)
    assert list(tmp_path.glob("framed-none-train-*.u8"))
    monkeypatch.setattr(D, "with_styles", None)  # the next process maps the file: it styles nothing
    again = Mnist(data.train_images, data.train_labels, data.test_images, data.test_labels, cache_dir=tmp_path)
    assert torch.equal(again.framed("none").train_x, train_x)


def test_inside_figures_are_made_once_per_weights_and_shared():
    data = synthetic_mnist()
    net = build("softmax", seed=11)
    net.metadata = {"framing": "none"}
    twin = copy.deepcopy(net)  # another session's copy of the same model
    weights, results = figures.figures(net, "none", data)
    assert figures.figures(twin, "none", data)[1] is results and figures.figures(twin, "none", data)[0] is weights
    assert 0 <= results["accuracy"] <= 1 and results["gallery"].startswith(b"\x89PNG")
    with torch.no_grad():
        twin.linear.weight[0, 0] += 1  # different weights, different figures
    assert figures.figures(twin, "none", data)[1] is not results
