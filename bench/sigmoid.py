"""The tutorial's settings with each model: how much the sigmoid before CrossEntropyLoss costs.

python -m bench.sigmoid [--epochs 50] [--out assets/sigmoid_comparison.json]
"""

import argparse
import json
import time
from pathlib import Path

import model
from train import PRESETS, fit, load_mnist

LABELS = {
    "tutorial-sigmoid": "sigmoid + CrossEntropyLoss (tutorial)",
    "softmax": "logits + CrossEntropyLoss",
    "one-vs-rest": "one-vs-rest, BCEWithLogitsLoss",
}


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    data = load_mnist()
    runs = []
    for kind, label in LABELS.items():
        cfg = PRESETS["tutorial"].replace(model=kind, epochs=args.epochs)
        net = model.build(kind, seed=cfg.seed)
        start = time.perf_counter()
        history = list(fit(net, data, cfg))
        seconds = time.perf_counter() - start
        runs.append({"model": kind, "label": label, "accuracy": [m.test_accuracy for m in history], "seconds": seconds})
        print(f"{label:<40} {history[-1].test_accuracy:.2%} after {args.epochs} epochs, {seconds:.1f} s")
    if args.out:
        command = "python -m bench.sigmoid" + (f" --epochs {args.epochs}" if args.epochs != 50 else "")
        args.out.write_text(json.dumps({"command": command, "epochs": args.epochs, "runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
