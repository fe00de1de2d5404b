"""README screenshots of every tab and of the Draw tab on every screen of a room (phone and
tablet drawn on by touch, laptop, projector, presenter display), from the real app in headless
Chromium.

python -m bench.screenshots [--out docs/screenshots]
"""

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from testkit.browser import (
    CHROMIUM_ARGS,
    SCREENS,
    chromium_path,
    draw_digit,
    goto,
    read_prediction,
    set_epochs,
    sidebar,
    streamlit_server,
    wait_idle,
)
from testkit.drawing import PLACEMENTS

TABS = ["Draw", "Training", "Sigmoid", "Inside the model", "Data", "Runs"]


def train(page, name: str, epochs: int) -> None:
    box = sidebar(page).get_by_role("textbox", name="Run name (optional)")
    box.fill(name)
    box.press("Enter")
    set_epochs(page, epochs)
    sidebar(page).get_by_role("button", name="Train", exact=True).click()
    # The previous run's "It is now the model" stays up until this one's panel replaces it.
    sidebar(page).get_by_role("button", name="Stop", exact=True).wait_for(timeout=60_000)
    sidebar(page).get_by_role("button", name="Stop", exact=True).wait_for(state="detached", timeout=120_000)
    sidebar(page).get_by_text("It is now the model").first.wait_for(timeout=120_000)
    wait_idle(page)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_timeout(300)
    wait_idle(page)
    page.wait_for_timeout(500)


def screens(browser, url: str, out: Path) -> None:
    """What a phone, a tablet, a laptop and a projector show on opening the app: one screenful."""
    shots = [(name, name, "") for name in SCREENS] + [("projector", "presenter", "/?view=presenter")]
    for screen, name, query in shots:
        spec = SCREENS[screen]
        context = browser.new_context(**spec)
        page = context.new_page()
        goto(page, url + query)
        page.wait_for_timeout(500)
        draw_digit(page, 2, PLACEMENTS["big"], touch=spec.get("has_touch", False), scroll=False)
        print(name, "prediction:", read_prediction(page))
        wait_idle(page)
        page.wait_for_timeout(800)
        path = out / f"screen-{name}.png"
        page.screenshot(path=str(path))  # the viewport only: what is on screen without scrolling
        print("wrote", path)
        context.close()


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    runs = tempfile.mkdtemp(prefix="digit-studio-shots-")  # a throwaway run history, not the real one
    with streamlit_server(env={"DIGIT_STUDIO_RUNS": f"{runs}/history.sqlite"}) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 1800})
        goto(page, url)
        train(page, "alice", 2)
        train(page, "bob", 8)
        draw_digit(page, 4, PLACEMENTS["top-left"])
        print("prediction:", read_prediction(page))
        wait_idle(page)
        for name in TABS:
            open_tab(page, name)
            path = args.out / f"{name.lower().replace(' ', '-')}.png"
            page.wait_for_timeout(1500)  # let tables and charts finish drawing
            page.screenshot(path=str(path), full_page=True)
            print("wrote", path)
        screens(browser, url, args.out)
        browser.close()


if __name__ == "__main__":
    main()
