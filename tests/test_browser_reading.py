"""In Chromium: a phone-like photo of a 7 on lined paper is read, a marker's filled 1 is read as a 1,
and a line is not called a digit."""

import numpy as np
import pytest

from testkit.browser import draw_strokes, read_prediction, wait_idle
from testkit.photos import ellipse, encode, ruled, seven_mask
from testkit.photos import page as paper_page

pytestmark = pytest.mark.browser


def test_a_photo_of_lined_paper_and_a_markers_bar_are_read_and_a_line_is_not_a_digit(page, tmp_path):
    draw_strokes(page, [[(40, 140), (240, 150)]])  # a horizontal line
    page.get_by_text("looks like a line, not a digit").first.wait_for(timeout=30_000)
    assert page.get_by_test_id("stMetric").filter(has_text="Prediction").count() == 0

    yy, xx = np.mgrid[:300, :400] / np.array([300, 400])[:, None, None]
    rgb = paper_page(paper=(0.93, 0.9, 0.8), ink=(0.5, 0.6, 0.85), mask=ruled(), light=1.0 - 0.35 * xx - 0.1 * yy)
    seven = seven_mask()[..., None]
    rgb = rgb * (1 - seven) + np.array([0.1, 0.12, 0.35]) * seven  # blue pen on cream lined paper, uneven light
    path = tmp_path / "seven.jpg"
    path.write_bytes(encode(rgb, fmt="JPEG", quality=80))
    page.get_by_role("tab", name="Upload an image").click()
    wait_idle(page)
    page.get_by_test_id("stFileUploader").locator("input[type='file']").first.set_input_files(str(path))
    assert read_prediction(page) == "7"
    page.get_by_text("ruled lines removed").first.wait_for()
    assert page.get_by_test_id("stException").count() == 0

    # a 1 in a fat marker, filled in: a bar, not "a filled shape"
    bar = ellipse(70, 32, 5)[..., None]
    path = tmp_path / "bar.png"
    path.write_bytes(encode(np.full((300, 400, 3), 0.9) * (1 - bar) + 0.05 * bar))
    page.get_by_test_id("stFileUploader").locator("input[type='file']").first.set_input_files(str(path))
    page.get_by_text("a filled bar, drawn as a 1's stroke").first.wait_for(timeout=30_000)
    assert read_prediction(page) == "1"
    assert page.get_by_test_id("stException").count() == 0
