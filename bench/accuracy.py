"""What each framing step is worth, on MNIST and on digits redrawn on a 280 px canvas.

Trains the recommended settings once per framing, then scores the MNIST test set and a fixed
set of redrawn digits (big, small, off-centre, slanted, thin and thick strokes). Also times the
recommended preset to 95.5 % test accuracy, 5 seeds (target: within 0.5 s of training).
"""

import time

import numpy as np
import torch
import torch.nn.functional as F

import model
from model.preprocess import to_ink
from testkit.drawing import STYLES, random_drawing, styled_drawing
from train import PRESETS, fit, load_mnist

N_DRAWN = 1000


def redrawn(n: int = N_DRAWN, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    return [random_drawing(int(d), rng) for d in labels], labels


def predictions(net, images, framing: str) -> np.ndarray:
    if framing == "plain-resize":
        x = F.interpolate(
            torch.from_numpy(np.stack([to_ink(i) for i in images]))[:, None],
            size=(28, 28),
            mode="bilinear",
            antialias=True,
        )[:, 0].numpy()
    else:
        x = np.stack([model.to_mnist(i, framing) for i in images])
    return model.predict_proba(net, x).argmax(1)


def accuracy_on(net, images, labels, framing: str) -> float:
    return float((predictions(net, images, framing) == labels).mean())


def time_to_target(data, target: float = 0.955, seeds: int = 5) -> None:
    """The recommended preset, one thread as the app trains: training time to ``target`` per seed."""
    torch.set_num_threads(1)
    cfg = PRESETS["recommended"]
    data.framed(cfg.framing)
    worst = (1.0, 0.0)
    for seed in range(seeds):
        net, elapsed, reached, cpu = model.build(cfg.model, seed=seed), 0.0, None, time.thread_time()
        for m in fit(net, data, cfg.replace(seed=seed)):
            elapsed += m.seconds
            if reached is None and m.test_accuracy >= target:
                reached = elapsed
        cpu = time.thread_time() - cpu
        worst = min(worst, (m.test_accuracy, elapsed))
        when = f"{reached:.2f} s" if reached is not None else "never"
        print(
            f"recommended preset, seed {seed}: {target:.1%} reached after {when} of training (wall, epochs incl. "
            f"evaluation; {cpu:.2f} s CPU); final {m.test_accuracy:.2%}  ({m.engine})"
        )
    print(f"lowest of {seeds} seeds: {worst[0]:.2%} after {worst[1]:.2f} s  (target >= {target:.1%} within 0.5 s)")


def main() -> None:
    data = load_mnist()
    time_to_target(data)
    images, labels = redrawn()
    cfg = PRESETS["recommended"]
    nets = {}
    print(f"\n{'training framing':<16} {'drawing framing':<16} {'MNIST test':>10} {'redrawn ' + str(N_DRAWN):>14}")
    for train_framing, draw_framing in [
        ("none", "plain-resize"),
        ("none", "frame"),
        ("frame", "frame"),
        ("frame+deskew", "frame+deskew"),
    ]:
        if train_framing not in nets:
            net = model.build(cfg.model, seed=0)
            history = list(fit(net, data, cfg.replace(framing=train_framing)))
            nets[train_framing] = (net, history[-1].test_accuracy)
        net, test_acc = nets[train_framing]
        drawn = accuracy_on(net, images, labels, draw_framing)
        print(f"{train_framing:<16} {draw_framing:<16} {test_acc:>10.2%} {drawn:>14.1%}")
    shipped = model.load_default()
    pred = predictions(shipped, images, shipped.metadata["framing"])
    print(f"\nshipped model on the {N_DRAWN} redrawn digits: {(pred == labels).mean():.1%}  (target >= 95 %)")
    print("per digit: " + "  ".join(f"{d}: {(pred[labels == d] == d).mean():.0%}" for d in range(10)))


def hands() -> None:
    """The shipped model on other hands: MNIST test, MNIST redrawn on the canvas, mouse-like
    strokes, and digits by 43 writers outside MNIST (scikit-learn's load_digits, drawn)."""
    from bench.writers import mnist_redrawn, writers_drawn

    net = model.load_default()
    framing = net.metadata["framing"]
    data = load_mnist()
    test = data.framed(framing)
    pred = model.predict_proba(net, test.test_x.float().div(255).numpy()).argmax(1)
    mnist = float((pred == test.test_y.numpy()).mean())
    images, labels = redrawn()
    drawn = accuracy_on(net, images, labels, framing)
    # A seeded random 2,000 of the test set: its first 2,000 are harder than the rest (the model
    # reads those originals about 1.5 points worse), so they measure the digits, not the redrawing.
    pick = np.random.default_rng(0).choice(len(data.test_images), 2000, replace=False)
    redrawn_mnist = mnist_redrawn(data.test_images[pick].numpy())
    canvas_mnist = accuracy_on(net, redrawn_mnist, data.test_labels[pick].numpy(), framing)
    originals = float((pred[pick] == test.test_y.numpy()[pick]).mean())
    writers, wlabels = writers_drawn()
    wpred = predictions(net, writers, framing)
    other = float((wpred == wlabels).mean())
    print(f"shipped model, MNIST test: {mnist:.2%}  (goal >= 95.5 %)")
    print(
        f"shipped model, 2,000 MNIST test digits (seeded random) redrawn on the canvas: {canvas_mnist:.1%}  "
        f"(goal >= 95 %; the same digits as MNIST has them: {originals:.1%})"
    )
    print(f"shipped model, {N_DRAWN} mouse-like strokes: {drawn:.1%}  (goal >= 97 %)")
    print(f"shipped model, 1,797 digits by writers outside MNIST (UCI), drawn: {other:.1%}  (goal >= 85 %)")
    print("  per digit: " + "  ".join(f"{d}: {(wpred[wlabels == d] == d).mean():.0%}" for d in range(10)))
    rng, read = np.random.default_rng(0), []
    for style in STYLES:  # ways of writing 1 and 7 that MNIST hardly has (train/styles.py)
        pred = predictions(net, [styled_drawing(style, rng) for _ in range(200)], framing)
        read.append(f"{style} {(pred == (7 if '7' in style else 1)).mean():.1%}")
    print("shipped model, 200 drawn of each: " + ", ".join(read) + "  (trained on MNIST alone: 57.0 %, 100 %, 100 %)")


if __name__ == "__main__":
    main()
    hands()
