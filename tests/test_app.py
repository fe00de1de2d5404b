"""The Streamlit script under AppTest, with the canvas patched to return fixture drawings."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.drawing import PLACEMENTS, render
from ui import canvas

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def run_app(monkeypatch, image):
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: image)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def test_blank_canvas_shows_a_prompt_not_an_error(monkeypatch):
    for image in (None, np.zeros((280, 280, 4), np.uint8)):
        at = run_app(monkeypatch, image)
        assert "Draw a digit" in at.info[0].value
        assert not at.metric and not at.error


@pytest.mark.parametrize("digit", [1, 4, 7])
def test_drawing_shows_the_prediction(monkeypatch, digit):
    at = run_app(monkeypatch, render(digit, PLACEMENTS["top-left"]))
    prediction = at.metric[0]
    assert prediction.label == "Prediction" and prediction.value == str(digit)
