"""The bad-input catalogue: every odd thing a workshop throws at the app, each with its answer."""

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

import model
from model.photo import UnreadableImage, open_image
from model.preprocess import to_mnist
from testkit.apptest import shown
from testkit.drawing import PLACEMENTS, render
from testkit.mnist import synthetic_mnist
from testkit.nondigits import STAR, strokes
from train import PRESETS, Mnist
from ui import session, shared
from ui.widgets import canvas

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def canvas_with(fill) -> np.ndarray:
    img = np.zeros((280, 280, 4), np.uint8)
    img[..., 3] = 255
    fill(img)
    return img


def dot(img):
    yy, xx = np.mgrid[:280, :280]
    img[(yy - 140) ** 2 + (xx - 140) ** 2 < 11**2, :3] = 255


def edge_line(img):
    img[:18, :, :3] = 255


DRAWINGS = {
    "blank": (canvas_with(lambda i: None), "Draw a digit"),
    "fully transparent": (np.zeros((280, 280, 4), np.uint8), "Draw a digit"),
    "single dot": (canvas_with(dot), "too small to read"),
    "full-canvas fill": (np.full((280, 280, 4), 255, np.uint8), "whole picture is ink"),
    "line along an edge": (canvas_with(edge_line), "looks like a line"),  # issue 13: a line is not a digit
    "a star": (strokes(STAR), "doesn't look like a digit"),
}


@pytest.fixture
def app(monkeypatch):
    data = synthetic_mnist()
    monkeypatch.setattr(shared, "is_provisioned", lambda: True)
    monkeypatch.setattr(shared, "loaded_mnist", lambda: data)

    def make(image, tab="Draw"):
        monkeypatch.setattr(canvas, "draw", lambda *a, **k: image)
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["tab"] = tab
        at.run()
        assert not at.exception
        return at

    return make


def all_text(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "error", "metric", "success"):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "")) + str(getattr(el, "label", "")))
    return " ".join(parts)


@pytest.mark.parametrize("name", list(DRAWINGS))
@pytest.mark.parametrize("tab", ["Draw", "Sigmoid"])
def test_odd_drawings_get_a_message_or_a_sensible_prediction(app, name, tab):
    image, message = DRAWINGS[name]
    at = app(image, tab)
    text = all_text(at)
    assert "nan" not in text.lower() and "inf%" not in text.lower()
    prediction = [m for m in at.metric if m.label == "Prediction"]
    if message:
        assert message in " ".join(i.value for i in at.info) and not prediction
    else:
        assert prediction and prediction[0].value in "0123456789"
        result = at.session_state.last_result
        assert np.isfinite(result.proba).all() and np.isfinite(result.logits).all()


def png(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, **kw)
    return buf.getvalue()


def digit_image(digit=7) -> Image.Image:
    return Image.fromarray(255 - render(digit, PLACEMENTS["big"])[..., 0])  # dark ink on white paper


@pytest.mark.parametrize(
    "data, message",
    [
        (b"%PDF-1.4 definitely not an image", "not an image format"),
        (png(digit_image(), format="PNG")[:600], "damaged or truncated"),
        (png(Image.new("1", (10_000, 10_000)), format="PNG"), "too large"),
        (b"", "not an image format"),
    ],
    ids=["not an image", "truncated PNG", "decompression bomb", "empty file"],
)
def test_uploads_that_must_be_refused(data, message):
    with pytest.raises(UnreadableImage, match=message):
        open_image(data)


def reference():
    return to_mnist(digit_image())


def test_animated_gif_uses_its_first_frame():
    first, second = digit_image(7).convert("P"), Image.new("P", (280, 280), 0)
    data = png(first, format="GIF", save_all=True, append_images=[second], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    img = open_image(data)
    np.testing.assert_allclose(to_mnist(img), reference(), atol=0.08)


def test_sixteen_bit_png_works():
    arr = np.asarray(digit_image(), dtype=np.uint16) * 257
    img = open_image(png(Image.fromarray(arr), format="PNG"))
    assert img.mode.startswith("I")
    np.testing.assert_allclose(to_mnist(img), reference(), atol=0.02)


def test_cmyk_jpeg_works():
    img = open_image(png(digit_image().convert("CMYK"), format="JPEG", quality=95))
    assert img.mode == "CMYK"
    net = model.load_default()
    assert model.predict_proba(net, to_mnist(img)).argmax() == 7


def test_exif_rotation_is_honoured():
    upright = digit_image(7)
    stored = upright.rotate(90, expand=True)  # the camera stored it sideways and said so in EXIF
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    img = open_image(png(stored.convert("RGB"), format="JPEG", quality=95, exif=exif.tobytes()))
    net = model.load_default()
    assert model.predict_proba(net, to_mnist(img)).argmax() == 7
    sideways = model.predict_proba(net, to_mnist(stored)).argmax()
    assert sideways != 7  # without honouring EXIF the digit would be misread


@pytest.mark.apptest
def test_a_learning_rate_of_100_is_refused_clearly_and_the_previous_model_kept(monkeypatch):
    d = synthetic_mnist()
    unlearnable = Mnist(d.train_images, d.train_labels.flip(0), d.test_images, d.test_labels)
    monkeypatch.setattr(shared, "is_provisioned", lambda: True)
    monkeypatch.setattr(shared, "loaded_mnist", lambda: unlearnable)
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: render(1, PLACEMENTS["big"]))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    for key, value in dict(
        cfg_optimizer="sgd", cfg_lr=100.0, cfg_framing="none", cfg_epochs=3, cfg_batch_size=64
    ).items():
        at.session_state[key] = value
    at.run()
    next(b for b in at.button if b.label == "Train").click().run()
    job = at.session_state.job
    job.join(60)
    at.run()
    assert not at.exception and job.state == "failed"
    assert any("learning rate 100 is too high" in e.value for e in at.error)
    assert at.session_state.model_key == session.SHIPPED
    assert [m.value for m in at.metric if m.label == "Prediction"] == ["1"]


@pytest.mark.apptest
def test_garbage_in_every_url_parameter(monkeypatch):
    monkeypatch.setattr(canvas, "draw", lambda *a, **k: None)
    at = AppTest.from_file(APP, default_timeout=60)
    garbage = {
        "preset": "💥",
        "model": "x" * 500,
        "optimizer": "'; DROP TABLE runs; --",
        "lr": "-inf",
        "batch_size": "0x10",
        "epochs": "1e9",
        "weight_decay": "nan",
        "seed": "-1",
        "framing": "<img src=x onerror=alert(1)>",
        "train_subset": "9" * 400,
        "augment": "perhaps",
        "tab": "nope",
    }
    at.query_params.update(garbage)
    at.run()
    assert not at.exception
    notes = [w.value for w in at.warning]
    assert len(notes) == 12 and all(len(n) < 400 for n in notes)  # 11 settings, and one for tab=
    assert any("'tab' is not a setting of this app" in shown(n) for n in notes) and "tab" not in at.query_params
    assert at.session_state["cfg_lr"] == PRESETS["recommended"].lr and at.session_state["cfg_model"] == "softmax"
    assert math.isfinite(at.session_state["cfg_weight_decay"])
