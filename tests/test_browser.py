"""The real app in headless Chromium: draw with the mouse, read what a user reads."""

import os
import re

import pytest
from playwright.sync_api import expect

from testkit.browser import (
    CANVAS,
    clear_canvas,
    draw_digit,
    draw_strokes,
    goto,
    open_tab,
    read_prediction,
    selected_model,
    set_epochs,
    set_training_digits,
    sidebar,
    streamlit_server,
    undo_stroke,
    wait_idle,
)
from testkit.drawing import PLACEMENTS

pytestmark = pytest.mark.browser


def test_draw_digits_big_small_and_off_centre(page):
    assert page.get_by_text("Draw a digit").first.is_visible()
    cases = [
        (1, "big"),
        (7, "bottom-right"),
        (0, "small"),
        (2, "top-left"),
        (5, "big"),
        (9, "small"),
        (3, "bottom-right"),
        (6, "top-left"),
    ]
    for digit, where in cases:
        placement = PLACEMENTS[where]
        draw_digit(page, digit, placement)
        assert read_prediction(page) == str(digit)
        clear_canvas(page)
        page.get_by_text("Draw a digit").first.wait_for()


def test_strokes_starting_at_the_very_edge_register(page):
    # A toolbar once sat invisibly over the canvas's top strip and swallowed these strokes.
    for x in (30, 140, 250):
        draw_strokes(page, [[(x, 0.5), (x, 200)]])  # from the top edge down
        wait_idle(page)
    draw_strokes(page, [[(0.5, 250), (120, 250)]])  # from the left edge
    wait_idle(page)
    # The server got the ink: the blank-canvas prompt is gone (these lines are no digit, so the answer
    # may be "that doesn't look like a digit" rather than a prediction).
    expect(page.get_by_text("Draw a digit from 0 to 9")).to_have_count(0, timeout=30_000)
    assert page.locator(CANVAS).evaluate("""c => {
        const ctx = c.getContext("2d"), s = c.width / 280;
        const ink = (x, y) => ctx.getImageData(x * s, y * s, 1, 1).data[0] > 200;
        return [30, 140, 250].every(x => ink(x, 3) && ink(x, 100)) && ink(3, 250);
    }""")


def test_train_with_a_small_config_shows_progress_then_test_accuracy(page):
    set_epochs(page, 3)
    set_training_digits(page, 4)  # 5,000 digits
    sidebar(page).get_by_role("button", name="Train", exact=True).click()
    sidebar(page).get_by_test_id("stProgress").first.wait_for(timeout=60_000)
    accuracy = sidebar(page).get_by_test_id("stMetric").filter(has_text="Test accuracy")
    accuracy.wait_for(timeout=120_000)
    value = float(accuracy.get_by_test_id("stMetricValue").inner_text().rstrip("%"))
    assert 80 < value <= 100
    assert re.match(r"#\d+ softmax, adam lr 0.02", selected_model(page))  # the Draw tab now uses the new model
    draw_digit(page, 7, PLACEMENTS["big"])
    assert read_prediction(page) == "7"
    # Its figures, drawn in the background after the run, are the ones Inside the model shows.
    name = selected_model(page)
    open_tab(page, "Inside the model")
    heading = page.get_by_role("heading", name=re.compile("^Weights of"))
    assert heading.inner_text() == f"Weights of {name}"
    gallery = page.get_by_test_id("stImage").locator("img")
    assert gallery.count() == 4 and all(gallery.nth(i).evaluate("i => i.naturalWidth > 0") for i in range(4))


def test_stop_mid_run_keeps_a_model(page):
    set_epochs(page, 200)
    sidebar(page).get_by_role("button", name="Train", exact=True).click()
    stop = sidebar(page).get_by_role("button", name="Stop", exact=True)
    stop.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"Epoch \d+/200")).first.wait_for(timeout=60_000)
    stop.click()
    sidebar(page).get_by_test_id("stMetric").filter(has_text="Test accuracy").wait_for(timeout=60_000)
    assert sidebar(page).get_by_text("Stopped in epoch").first.is_visible()
    assert selected_model(page).endswith("stopped)")  # kept, and selected on the Draw tab
    assert not sidebar(page).get_by_role("button", name="Stop", exact=True).count()


def test_every_tab_renders_without_an_exception(page):
    draw_digit(page, 4, PLACEMENTS["top-left"])
    assert read_prediction(page) == "4"
    for name in ["Training", "Sigmoid", "Inside the model", "Data", "Draw"]:
        open_tab(page, name)
        assert page.get_by_test_id("stException").count() == 0, name
        assert page.get_by_test_id("stAlertContentError").count() == 0, name
    assert read_prediction(page) == "4"  # switching tabs keeps the drawing


def test_upload_an_image_instead(page, tmp_path):
    from PIL import Image

    from testkit.drawing import render

    photo = 255 - render(2, PLACEMENTS["big"])[..., 0]  # dark ink on light paper, like a photo or scan
    path = tmp_path / "two.png"
    Image.fromarray(photo).save(path)
    draw_digit(page, 7, PLACEMENTS["big"])
    assert read_prediction(page) == "7"
    page.get_by_role("tab", name="Upload an image").click()
    wait_idle(page)
    page.get_by_text("Upload a photo or scan").first.wait_for()
    image_input = page.get_by_test_id("stFileUploader").filter(has_text="Upload a PNG").locator("input[type='file']")
    image_input.set_input_files(str(path))
    assert read_prediction(page) == "2"
    page.get_by_role("tab", name="Draw on the canvas").click()  # the uploader leaves the page...
    wait_idle(page)
    page.get_by_role("tab", name="Upload an image").click()
    page.get_by_text("Your last photo, two.png").wait_for()  # ...and the photo is still there
    assert read_prediction(page) == "2"
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"this is not a png")
    image_input.set_input_files(str(bad))
    page.get_by_text("That file cannot be used").first.wait_for(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0
    page.get_by_role("tab", name="Draw on the canvas").click()
    value = page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")
    expect(value).to_have_text("7")  # the drawing was kept while uploading


def test_a_shared_link_opens_with_its_settings(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    goto(page, f"{app_url}/?preset=tutorial&epochs=7&lr=0.05&train_subset=banana")
    bar = sidebar(page)
    expect(bar.get_by_role("spinbutton", name="Epochs")).to_have_value("7")
    expect(bar.get_by_role("combobox", name="Model")).to_have_value("tutorial-sigmoid")  # from the preset
    expect(bar.get_by_role("combobox", name="Optimizer")).to_have_value("sgd")
    lr = bar.get_by_test_id("stSlider").filter(has_text="Learning rate").get_by_role("slider")
    expect(lr).to_have_attribute("aria-valuetext", "0.05")
    bar.get_by_text("train_subset='banana' ignored").wait_for()
    set_epochs(page, 9)
    page.wait_for_function("() => location.search.includes('epochs=9')")  # the URL follows the settings
    context.close()


def test_uploaded_model_files_are_validated(page, tmp_path):
    import os
    import pickle

    import torch
    from safetensors.torch import save_file

    open_tab(page, "Runs")
    uploader = (
        page.get_by_test_id("stFileUploader").filter(has_text="Upload a model file").locator("input[type='file']")
    )
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    files = {
        "random.safetensors": os.urandom(5000),
        "shapes.safetensors": None,
        "pickle.safetensors": pickle.dumps(Payload()),
    }
    for name, blob in files.items():
        path = tmp_path / name
        if blob is None:
            save_file({"linear.weight": torch.zeros(3, 3), "linear.bias": torch.zeros(3)}, path)
        else:
            path.write_bytes(blob)
        uploader.set_input_files(str(path))
        page.get_by_text(f"{name} was refused").first.wait_for(timeout=30_000)
    assert not marker.exists()
    assert page.get_by_test_id("stException").count() == 0
    good = tmp_path / "good.safetensors"
    import model

    model.save(model.load_default(), good, {"framing": "frame+deskew", "metrics": {"test_accuracy": 0.9564}})
    uploader.set_input_files(str(good))
    page.get_by_text("good.safetensors loaded").first.wait_for(timeout=30_000)
    open_tab(page, "Draw")
    assert selected_model(page).startswith("Uploaded good.safetensors (95.6%)")


def test_a_queued_training_starts_when_the_session_ahead_leaves(browser, tmp_path):
    from store import Store

    history = tmp_path / "history.sqlite"
    env = {"DIGIT_STUDIO_TRAIN_SLOTS": "1", "DIGIT_STUDIO_RUNS": str(history)}
    with streamlit_server(env=env) as url:
        first_context = browser.new_context(viewport={"width": 1280, "height": 1000})
        first = first_context.new_page()
        goto(first, url)
        second = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        goto(second, url)
        set_epochs(first, 200)
        sidebar(first).get_by_role("button", name="Train", exact=True).click()
        first.get_by_text(re.compile(r"Epoch \d+/200")).first.wait_for(timeout=60_000)
        set_epochs(second, 2)
        sidebar(second).get_by_role("button", name="Train", exact=True).click()
        sidebar(second).get_by_text("number 1 in line").first.wait_for(timeout=30_000)
        draw_digit(second, 7, PLACEMENTS["big"])  # drawing never waits for training
        assert read_prediction(second) == "7"
        first_context.close()  # the participant closes the laptop lid
        sidebar(second).get_by_text("It is now the model").first.wait_for(timeout=60_000)
        second.context.close()
    runs = {r.id: r for r in Store(history).runs()}
    assert runs[1].status == "stopped" and runs[2].status == "finished"


def test_undo_takes_back_the_last_stroke(page):
    draw_strokes(page, [[(170, 40), (110, 250)]])  # a slanted 1
    wait_idle(page)
    assert read_prediction(page) == "1"
    draw_strokes(page, [[(70, 40), (175, 40)]])  # its bar makes it a 7
    wait_idle(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")).to_have_text(
        "7"
    )
    undo_stroke(page)
    expect(page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")).to_have_text(
        "1"
    )


def test_user_text_full_of_markup_shows_literally(browser, tmp_path):
    """A run name, a link note and a file name with Markdown, HTML and $...$ read as typed: no link,
    no image, no bold, no maths anywhere on the page (in every tab, alert, header and tooltip)."""
    from urllib.parse import quote

    name = "$y$ [a](http://evil.example) <b>B</b>"
    note = "[n](http://evil.example) **b** $x^2$ <i>i</i>"
    upload = tmp_path / "$z$ **f** <u>u.safetensors"
    upload.write_bytes(os.urandom(2000))

    def literal(selector: str, expected: str, ours: str = "") -> None:
        """``expected`` is in an element of ``selector`` as typed; no markup in it but ``ours``."""
        # the one on screen (a tab that is not open can be on the page too, hidden)
        found = page.locator(f"{selector}:visible").filter(has_text=expected.split(" ")[0]).first
        found.wait_for(timeout=60_000)
        assert expected in found.inner_text().replace("\u200b", "")
        markup = [
            m for m in ("a:not([aria-label*=heading])", "img", ".katex", "strong", "em", "b", "i", "u") if m != ours
        ]
        assert found.locator(", ".join(markup)).count() == 0
        assert page.locator("a[href*='evil']:not([href^='#']), img[src*='evil']").count() == 0

    env = {"DIGIT_STUDIO_RUNS": str(tmp_path / "history.sqlite")}
    with streamlit_server(env=env) as url:
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        goto(page, f"{url}/?epochs={quote(note)}")
        literal("[data-testid='stAlertContentWarning']", f"epochs='{note}' ignored")
        sidebar(page).get_by_role("textbox", name="Run name (optional)").fill(name)
        sidebar(page).get_by_role("textbox", name="Run name (optional)").press("Enter")
        wait_idle(page)
        set_epochs(page, 1)
        set_training_digits(page, 2)  # 1,000 digits
        sidebar(page).get_by_role("button", name="Train", exact=True).click()
        sidebar(page).get_by_text("It is now the model").first.wait_for(timeout=120_000)
        picker = page.get_by_role("combobox", name="Classify with")  # shows it as typed, once redrawn
        expect(picker).to_have_value(re.compile(re.escape(name)), timeout=30_000)
        open_tab(page, "Training")
        literal("h3", name)
        open_tab(page, "Runs")
        literal("[data-testid='stMarkdownContainer']", name, ours="strong")  # the leaderboard: **name**: settings
        page.get_by_role("button", name="Download the current model (.safetensors)").hover()
        literal("[data-testid='stTooltipContent']", name)
        uploader = page.get_by_test_id("stFileUploader").filter(has_text="Upload a model file")
        uploader.locator("input[type='file']").set_input_files(str(upload))
        literal("[data-testid='stAlertContentError']", f"{upload.name} was refused")
        assert page.get_by_test_id("stException").count() == 0
        page.context.close()
