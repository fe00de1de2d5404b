"""A participant's phone (390x844, touch) and laptop (1280x720) in real Chromium: after drawing,
the teach row is on screen with the canvas; no two labels on the Sigmoid tab overlap; the Runs
table shows its scores. Geometry is measured with element boxes, in CSS px."""

import itertools

import pytest

from testkit.browser import (
    SCREENS,
    canvas_box,
    draw_digit,
    goto,
    open_tab,
    read_prediction,
    streamlit_server,
    wait_idle,
)
from testkit.drawing import PLACEMENTS, render

pytestmark = pytest.mark.browser

LONG_NAME = "Alice's first try with a bigger batch"  # names take up to 40 characters


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app, with a run history of three finished runs (the Runs tab shows its table then)."""
    from store import Store
    from train import TrainConfig

    history = tmp_path_factory.mktemp("runs") / "history.sqlite"
    runs = Store(history)
    for name, accuracy in [(LONG_NAME, 0.9213), ("bob sgd", 0.8712), ("", 0.9391)]:
        run = runs.start_run(TrainConfig(epochs=2).to_dict(), "app", name)
        runs.finish_run(run, "finished", test_accuracy=accuracy, duration=12.3)
    with streamlit_server(env={"DIGIT_STUDIO_RUNS": str(history)}) as url:
        yield url


@pytest.fixture
def phone(browser, app_url):
    context = browser.new_context(**SCREENS["phone"])
    page = context.new_page()
    goto(page, app_url)
    page.wait_for_timeout(500)  # the canvas settles its size once the page has rendered
    yield page
    context.close()


def inside(box: dict, width: float, height: float) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height


def overlapping(boxes: list[tuple[str, dict]], tolerance: float = 0.5) -> list[tuple[str, str]]:
    """The pairs of (name, box) whose boxes overlap by more than ``tolerance`` px both ways."""
    found = []
    for (a, p), (b, q) in itertools.combinations(boxes, 2):
        dx = min(p["x"] + p["width"], q["x"] + q["width"]) - max(p["x"], q["x"])
        dy = min(p["y"] + p["height"], q["y"] + q["height"]) - max(p["y"], q["y"])
        if dx > tolerance and dy > tolerance:
            found.append((a, b))
    return found


def test_after_drawing_on_a_phone_right_and_the_ten_digits_are_on_screen(phone):
    """Right was cut at the bottom edge (820-860 of 844) and the ten digits were below the fold
    (876-936): the canvas left room for the prediction only."""
    width, height = 390, 844
    draw_digit(phone, 3, PLACEMENTS["big"], touch=True, scroll=False)
    assert read_prediction(phone) == "3"
    wait_idle(phone)
    assert phone.evaluate("() => [scrollY, document.querySelector('[data-testid=stMain]').scrollTop]") == [0, 0]
    canvas = canvas_box(phone, scroll=False)
    column = phone.locator("[data-testid='stColumn']:has(.st-key-canvas)").first.bounding_box()
    # The canvas: square, whole, inside its column, and still most of the screen's width.
    assert abs(canvas["width"] - canvas["height"]) < 1, canvas
    assert inside(canvas, width, height), canvas
    assert column["x"] - 1 <= canvas["x"] and canvas["x"] + canvas["width"] <= column["x"] + column["width"] + 1
    assert canvas["width"] >= 300, canvas
    boxes = {"prediction": phone.locator(".st-key-prediction [data-testid='stMetricValue']").first.bounding_box()}
    boxes["Right"] = phone.locator(".st-key-teach_right").get_by_role("button", name="Right").bounding_box()
    pills = phone.locator(".st-key-teach_label [data-testid='stButtonGroup'] button")
    for d in range(10):
        boxes[str(d)] = pills.filter(has_text=str(d)).bounding_box()
    for name, box in boxes.items():
        assert inside(box, width, height), (name, box, canvas)
        assert box["y"] >= canvas["y"] + canvas["height"], (name, box, canvas)  # under the canvas, not on it
    assert not overlapping(list(boxes.items()))


# Every piece of text in the open tab: per text node, its text and one box per line of it.
TEXT_BOXES = """() => {
  const panel = [...document.querySelectorAll('[data-testid="stTabPanel"]')].find(p => p.getClientRects().length
    && p.querySelector('[data-testid="stImage"]'));
  const walker = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
  const out = [], seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent.trim();
    const range = document.createRange();
    range.selectNodeContents(n);
    const lines = [...range.getClientRects()].filter(r => r.width > 0 && r.height > 0)
      .map(r => ({x: r.x, y: r.y, width: r.width, height: r.height}));
    const key = text + JSON.stringify(lines[0]);  // a heading keeps a copy of its text on itself
    if (text && lines.length && !seen.has(key)) out.push([text, lines]);
    seen.add(key);
  }
  return out;
}"""


def text_overlaps(nodes: list[tuple[str, list[dict]]], away_from: dict) -> list[tuple[str, str]]:
    """Pairs of text nodes whose lines overlap (the lines of one node may touch: tight line height),
    among those not on the picture at ``away_from``."""
    found = []
    nodes = [(t, lines) for t, lines in nodes if not any(overlapping([("", away_from), ("", b)]) for b in lines)]
    for (a, p), (b, q) in itertools.combinations(nodes, 2):
        if any(overlapping([(a, x), (b, y)]) for x in p for y in q):
            found.append((a, b))
    return found


def text_boxes(figure) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every visible text of a figure drawn as ``plots.figure_png`` draws it (110 dpi), with its box
    in fractions of the figure (x0, y0, x1, y1; y up): the same wherever the picture is shown."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(figure)
    figure.set_dpi(110)
    canvas.draw()
    renderer = canvas.get_renderer()
    w, h = canvas.get_width_height()
    found = []
    for t in figure.findobj(Text):
        if t.get_visible() and t.get_text().strip():
            b = t.get_window_extent(renderer)
            found.append((t.get_text(), (b.x0 / w, b.y0 / h, b.x1 / w, b.y1 / h)))
    return found


def figure_labels(figure, img: dict) -> list[tuple[str, dict]]:
    """The texts of a figure where they are on screen, in a picture shown at ``img``."""
    found = []
    for text, (x0, y0, x1, y1) in text_boxes(figure):
        box = {"x": img["x"] + x0 * img["width"], "y": img["y"] + (1 - y1) * img["height"]}
        box.update(width=(x1 - x0) * img["width"], height=(y1 - y0) * img["height"])
        found.append((text, box))
    return found


def test_no_two_labels_overlap_on_the_sigmoid_tab_of_a_phone(phone):
    """On a phone the 1-D regression's labels "0.9579" and "0.9799" overlapped (in the figure
    itself, so on every screen; a phone just makes the overlap hard to read around)."""
    import model
    from ui.tabs import sigmoid
    from ui.tabs.draw import classify
    from ui.widgets import plots

    draw_digit(phone, 3, PLACEMENTS["big"], touch=True, scroll=False)
    assert read_prediction(phone) == "3"
    open_tab(phone, "Sigmoid")
    images = phone.get_by_test_id("stImage").locator("img:visible")
    images.first.wait_for(timeout=30_000)
    # The figures as the tab draws them: the 1-D regression at the tutorial's values, and the
    # drawing's scores (of this digit drawn on a 280x280 canvas: within a few hundredths of the
    # drawing by finger, which the labels' places do not depend on to the pixel).
    logits = classify(model.load_default(), render(3, PLACEMENTS["big"])).logits
    figures = {
        0: plots.plot_sigmoid(logits, int(logits.argmax())),
        2: plots.plot_logistic_1d(sigmoid.TUTORIAL_W, sigmoid.TUTORIAL_B),
    }
    for index, figure in figures.items():
        img = images.nth(index)
        img.scroll_into_view_if_needed()
        wait_idle(phone)
        box = img.bounding_box()
        labels = figure_labels(figure, box)
        assert not overlapping(labels), (index, overlapping(labels))
        page_text = text_overlaps(phone.evaluate(TEXT_BOXES), box)
        assert not page_text, page_text  # and none of the page's own text overlaps
        assert inside(box, 390, 10_000)  # no figure is cut at the side


@pytest.mark.parametrize("sliders", [(0.7645, 0.83), (0.0, 0.0), (5.0, -5.0), (-0.5, 2.0), (2.0, -5.0)])
def test_the_one_d_labels_never_overlap_whatever_w_and_b(sliders):
    """The labels are narrower than the space between two points, at any slider position."""
    from ui.widgets import plots

    labels = figure_labels(plots.plot_logistic_1d(*sliders), {"x": 0, "y": 0, "width": 770, "height": 440})
    assert not overlapping(labels)


@pytest.mark.parametrize(
    "logits",
    [
        [-12, -12, -12, -11.8, -11.5, -10, -9.9, -9.7, 3, 12],  # crowded at the clipped end
        [-11 + 0.1 * d for d in range(10)],  # all ten in a row
        [-20.0] * 9 + [5.0],  # nine on one spot
        [-5.8, 3.2, -9.0, -2.9, 0.4, -4.4, -9.5, -10.5, -7.7, -3.7],
    ],
)
def test_a_drawings_ten_labels_on_the_curve_never_overlap(logits):
    """Labels alternately above and below their dots overlapped where scores crowd together."""
    import numpy as np

    from ui.widgets import plots

    figure = plots.plot_sigmoid(np.array(logits, dtype=float), int(np.argmax(logits)))
    labels = figure_labels(figure, {"x": 0, "y": 0, "width": 990, "height": 506})
    assert not overlapping(labels), overlapping(labels)


def test_the_runs_table_shows_both_scores_on_a_laptop(browser, app_url):
    """At 1280x720, beside the sidebar, the table showed ten columns and "room accuracy %", the
    eleventh, was cut at its right edge."""
    context = browser.new_context(**SCREENS["laptop"])
    page = context.new_page()
    goto(page, app_url)
    open_tab(page, "Runs")
    table = page.get_by_test_id("stDataFrame").first
    table.wait_for(timeout=30_000)
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, box
    # The grid draws on a canvas; its accessible table holds a header cell for every column that
    # is at least partly in view, in order. A column is whole in view when the next one is there too.
    shown = page.evaluate(
        """t => [...t.querySelectorAll('th[role=columnheader]')].map(h => h.textContent.trim())""",
        table.element_handle(),
    )
    for score in ("test accuracy %", "room accuracy %"):
        assert score in shown and shown.index(score) < len(shown) - 1, shown
    context.close()
