"""The room board on a 1920x1080 projector, read from the back of the room, in real Chromium: every
text of the board at least 24 px (getComputedStyle), shared drawings at least 160 px wide, the
leaderboard's settings in plain words, and the leaderboard, the latest drawings and the confusion
matrix in the first screen. A presenter and two participants; the laptop and the phone still work."""

from __future__ import annotations

import pytest

import store
from store import Store
from testkit.browser import PASSCODE, ROOT, SCREENS, participant, presenter_board, streamlit_server, wait_for
from testkit.drawing import PLACEMENTS, render
from ui import room
from ui.tabs import teach

pytestmark = pytest.mark.browser
SHOTS = ROOT / ".pytest_cache" / "board"
MIN_TEXT = 24.0  # px: the smallest text the back row of a room reads on a projector
MIN_DRAWING = 160.0  # px: a shared drawing's width on the board
PEOPLE = ["Cleo", "Dev", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea", "Max"]
SETTINGS = [
    {"model": "softmax", "optimizer": "adam", "lr": 0.02, "batch_size": 128, "epochs": 2, "framing": "frame+deskew"},
    {"model": "tutorial-sigmoid", "optimizer": "sgd", "lr": 0.001, "batch_size": 32, "epochs": 50, "framing": "none"},
    {"model": "one-vs-rest", "optimizer": "sgd-momentum", "lr": 0.1, "batch_size": 64, "epochs": 1, "framing": "frame"},
]

# Every visible text of the board above the presenter's controls: its font size, and where it is.
MEASURE = """
() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const cut = [...main.querySelectorAll('h2')].find(h => h.textContent.trim() === 'Presenter');
  const limit = cut ? cut.getBoundingClientRect().top + scrollY : Infinity;
  const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
    return {top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right, width: r.width,
            height: r.height}; };
  const texts = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    const t = node.textContent.replace(/[\\s\\u200b]+/g, ' ').trim();
    if (!t) continue;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (!r.width || !r.height || cs.visibility === 'hidden' || r.top + scrollY >= limit) continue;
    texts.push({text: t.slice(0, 50), size: parseFloat(cs.fontSize), top: r.top + scrollY});
  }
  const heading = name => box([...main.querySelectorAll('h1, h2, h3')].find(h => h.textContent.trim() === name));
  const matrix = document.querySelector('.st-key-board_confusion img');
  return {
    texts,
    drawings: [...document.querySelectorAll('.st-key-board_latest img')].map(box),
    captions: [...document.querySelectorAll('.st-key-board_latest [data-testid="stImageCaption"]')].map(box),
    rows: [...document.querySelectorAll('.st-key-board_runs tbody tr')].map(box),
    matrix: matrix && {...box(matrix), natural: matrix.naturalWidth},
    headings: {leaderboard: heading('Leaderboard'), latest: heading('Latest shared drawings'),
               matrix: heading("The room's confusion matrix")},
    page: {width: innerWidth, height: innerHeight, scroll: document.scrollingElement.scrollHeight,
           overflow: main.scrollWidth - main.clientWidth},
  };
}
"""


def seed(history, round_on: bool = True) -> None:
    """A room in full swing: eleven people with a run each (the leaderboard's ten rows and one
    more), twelve shared drawings (the board's latest) and, with ``round_on``, a timed round."""
    s = Store(history)
    for i, name in enumerate(PEOPLE):
        owner = f"seeded{i:02d}" + "x" * 24
        s.set_nickname(owner, name, "Guest 0000")
        cfg = SETTINGS[i % len(SETTINGS)]
        s.finish_run(s.start_run(cfg, "app", f"try {i + 1}", owner=owner), "finished", test_accuracy=0.80 + i / 100)
        for k in range(2 if i < 6 else 0):
            digit = (i + 5 * k) % 10
            image = render(digit, PLACEMENTS["big"])
            s.add_drawing(owner, digit, teach.drawing_png(image), room.framed_bytes(image))
    if round_on:
        s.start_round(300, 60, "Best room accuracy", store.Actor("p" * 32, presenter=True))


def measure(page) -> dict:
    page.evaluate("window.scrollTo(0, 0)")
    return page.evaluate(MEASURE)


def matrix_text_px(found: dict) -> float:
    """The smallest text inside the confusion matrix's picture, in CSS pixels as shown."""
    import numpy as np

    from ui.pages import board
    from ui.widgets import plots

    cm = np.diag(np.full(10, 120))  # three digits: the smallest counts the board draws
    cm[3, 5] = 7
    fig = plots.plot_confusion(cm, title="title", board=True)
    ax = fig.axes[0]
    points = [t.get_fontsize() for t in ax.texts] + [t.get_fontsize() for t in ax.get_xticklabels()]
    points += [ax.xaxis.label.get_fontsize(), ax.yaxis.label.get_fontsize(), ax.title.get_fontsize()]
    return min(points) * board.CONFUSION_DPI / 72 * found["width"] / found["natural"]


def test_the_board_reads_from_the_back_of_the_room(browser, tmp_path):
    """Found at 1920x1080: leaderboard text 18.4 px, labels and the round's rule 14 px, drawings
    96 px wide, settings as "softmax, adam lr 0.02, bs 128, 2 ep, frame+deskew", and the latest
    drawings and the confusion matrix beginning at the bottom edge."""
    history = tmp_path / "history.sqlite"
    seed(history)
    env = {"DIGIT_STUDIO_RUNS": str(history), "DIGIT_STUDIO_PRESENTER_PASSCODE": PASSCODE}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(env=env) as url:
        board = presenter_board(browser, url)
        participants = [participant(browser, url, name) for name in ("Alice", "Bob")]
        wait_for(lambda: "Bob" in board.locator(".st-key-board_people").inner_text(), 45)
        board.locator(".st-key-board_confusion img").wait_for(timeout=30_000)
        board.wait_for_timeout(2500)  # a refresh or two: the page as it stays
        board.screenshot(path=str(SHOTS / "board-1920x1080.png"))
        found = measure(board)
        height = found["page"]["height"]

        small = [t for t in found["texts"] if t["size"] < MIN_TEXT]
        assert not small, f"{len(small)} texts under {MIN_TEXT} px, for example {small[:5]}"
        assert len(found["drawings"]) == room.LATEST
        assert min(d["width"] for d in found["drawings"]) >= MIN_DRAWING
        assert matrix_text_px(found["matrix"]) >= MIN_TEXT
        # The first screen: the whole matrix, a row of drawings with their captions, the
        # leaderboard's first rows (with the round's panel on; later rows may need a scroll).
        assert found["matrix"]["bottom"] <= height
        assert max(c["bottom"] for c in found["captions"]) <= height
        assert len(found["rows"]) == 10 and found["rows"][2]["bottom"] <= height
        assert found["page"]["overflow"] <= 1  # nothing cut at the side
        table = board.locator(".st-key-board_runs").inner_text()
        assert "Adam, learning rate 0.02, 2 passes" in table and " lr " not in table and " ep" not in table

        # The laptop and the phone still show the board, with no sideways scrolling of the page.
        board.set_viewport_size(SCREENS["laptop"]["viewport"])
        board.wait_for_timeout(1500)
        board.screenshot(path=str(SHOTS / "board-1280x720.png"))
        phone = browser.new_context(**SCREENS["phone"]).new_page()
        phone.goto(f"{url}/room")
        phone.get_by_role("heading", name="Room board").wait_for(timeout=90_000)
        phone.locator(".st-key-board_latest img").first.wait_for(timeout=30_000)
        phone.wait_for_timeout(1500)
        phone.screenshot(path=str(SHOTS / "board-phone.png"), full_page=True)
        for page in (board, phone):
            assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth + 1")
            assert page.locator(".st-key-board_runs tbody tr").count() == 10
        for page in (*participants, phone):
            page.context.close()
