"""The tutorials' loop against fit(), same settings, one epoch plus the test pass (target >= 30x).

Tutorial: torchvision MNIST with ToTensor, DataLoader(batch 32, shuffle), sigmoid before
CrossEntropyLoss, SGD lr 0.001, then a DataLoader pass over the test set.
Ours: the same model and settings through fit(), on tensors loaded once (the fused loop, or
the Python loop where it cannot build: the line says which).

Both run in this one process, alternately, ``--runs`` times each (median), in one thread as the
app trains (``--threads`` to change). Wall time is what a user waits; CPU time is printed too,
because on a shared machine it is the steadier figure.
"""

import argparse
import statistics
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

import model
from train import PRESETS, fit, load_mnist
from train.data import data_root

STEPS = 1875  # 60,000 digits in batches of 32


def tutorial_epoch() -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, test accuracy) of the tutorials' epoch and test pass."""
    root = str(data_root())
    train = datasets.MNIST(root, train=True, transform=transforms.ToTensor())
    test = datasets.MNIST(root, train=False, transform=transforms.ToTensor())
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10), torch.nn.Sigmoid())
    opt, loss_fn = torch.optim.SGD(net.parameters(), lr=0.001), torch.nn.CrossEntropyLoss()
    start, cpu = time.perf_counter(), time.process_time()
    for x, y in DataLoader(train, batch_size=32, shuffle=True):
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()
    correct = 0
    with torch.no_grad():
        for x, y in DataLoader(test, batch_size=32):
            correct += int((net(x).argmax(1) == y).sum())
    return time.perf_counter() - start, time.process_time() - cpu, correct / len(test)


def fit_epoch(data) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, test accuracy, engine) of fit() with the tutorial's settings."""
    cfg = PRESETS["tutorial"].replace(epochs=1)
    net = model.build(cfg.model, seed=0)
    start, cpu = time.perf_counter(), time.process_time()
    (m,) = list(fit(net, data, cfg))
    return time.perf_counter() - start, time.process_time() - cpu, m.test_accuracy, m.engine


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv or [])
    torch.set_num_threads(args.threads)
    data = load_mnist()
    data.framed("none")  # loading and framing happen once per server, outside the loop
    fit_epoch(data)  # first call: builds or loads the fused loop
    ours, theirs = [], []
    for _ in range(args.runs):
        theirs.append(tutorial_epoch())
        ours.append(fit_epoch(data))
    wall_t, cpu_t = statistics.median(r[0] for r in theirs), statistics.median(r[1] for r in theirs)
    wall_o, cpu_o = statistics.median(r[0] for r in ours), statistics.median(r[1] for r in ours)
    print(f"threads: {args.threads}; median of {args.runs} runs each, alternating, in one process")
    print(f"tutorial loop, 1 epoch + test: {wall_t:.3f} s wall, {cpu_t:.3f} s CPU (acc {theirs[0][2]:.1%})")
    print(f"fit(),         1 epoch + test: {wall_o:.3f} s wall, {cpu_o:.3f} s CPU (acc {ours[0][2]:.1%}; {ours[0][3]})")
    print(
        f"speed ratio: {wall_t / wall_o:.1f}x wall, {cpu_t / cpu_o:.1f}x CPU  (target >= 30x; "
        f"{wall_o / STEPS * 1e6:.0f} us per step of batch 32)"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
