"""The README's screenshot of the room board on a 1920x1080 projector, from the real app.

python -m bench.board_shot [--out docs/screenshots]

A throwaway room: six participants with nicknames and real runs (short trainings on MNIST with
different settings, so their scores differ), one run still training, 80 labelled drawings from
the test fixtures' handwriting (some labelled as jokers would), and a timed round under way.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

import model
import store
from testkit.browser import CHROMIUM_ARGS, chromium_path, streamlit_server
from testkit.drawing import random_drawing
from train import TrainConfig, fit, load_mnist, run_metadata
from ui import room
from ui.tabs import teach

PEOPLE = ["alice", "bob", "chen", "dara", "eli", "fatima"]
SETTINGS = [
    dict(optimizer="adam", lr=0.005, epochs=3, train_subset=60_000),
    dict(optimizer="sgd", lr=0.1, epochs=2, train_subset=10_000),
    dict(optimizer="adam", lr=0.05, epochs=1, train_subset=2_000, framing="frame"),
    dict(optimizer="sgd-momentum", lr=0.01, epochs=2, train_subset=5_000),
    dict(optimizer="adam", lr=0.002, epochs=1, train_subset=500, framing="none"),
]


def fill(path: Path) -> None:
    s = store.Store(path)
    data = load_mnist()
    presenter = store.Actor("p" * 32, presenter=True)
    s.start_round(600, 3, "Best room accuracy with at most 3 s of training", presenter)
    owners = [f"{i + 1:032x}" for i in range(len(PEOPLE))]
    for owner, name in zip(owners, PEOPLE, strict=True):
        s.seen(owner, f"Guest {owner[-4:]}")
        s.set_nickname(owner, name)
    for owner, settings in zip(owners, SETTINGS, strict=False):
        cfg = TrainConfig(**settings)
        net = model.build(cfg.model, seed=cfg.seed)
        history = list(fit(net, data, cfg))
        rid = s.start_run(cfg.to_dict(), "app", "", owner)
        s.finish_run(
            rid,
            "finished",
            epochs_left=history,
            test_accuracy=history[-1].test_accuracy,
            duration=sum(m.seconds for m in history),
            checkpoint=model.to_bytes(net, run_metadata(cfg, history)),
        )
    live = s.start_run(TrainConfig(epochs=20).to_dict(), "app", "", owners[-1])  # still training
    s.add_epochs(live, history[:1])
    rng = np.random.default_rng(7)
    for i in range(80):
        digit = int(rng.integers(0, 10))
        label = digit if rng.random() > 0.05 else (digit + 3) % 10  # a joker or two
        image = random_drawing(digit, rng)
        s.add_drawing(owners[i % len(owners)], label, teach.drawing_png(image), room.framed_bytes(image))
    s.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fill(Path(tmp) / "history.sqlite")
        env = {
            "DIGIT_STUDIO_RUNS": f"{tmp}/history.sqlite",
            "DIGIT_STUDIO_JOIN_URL": "http://192.168.1.20:8501/",
            "DIGIT_STUDIO_HEARTBEAT_GRACE": "600",  # the unfinished run stays "running" for the shot
            "DIGIT_STUDIO_PRESENTER_PASSCODE": "screenshot-only",
        }
        with streamlit_server(env=env) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
            page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            page.goto(f"{url}/room")
            page.get_by_text("Latest shared drawings").wait_for(timeout=120_000)
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.hover()  # the collapse button shows on hover
            page.locator("[data-testid='stSidebarCollapseButton'] button").click(timeout=10_000)
            time.sleep(4)
            page.screenshot(path=str(out / "board.png"))
            print(f"wrote {out / 'board.png'}")
            browser.close()


if __name__ == "__main__":
    main()
