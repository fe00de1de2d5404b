"""'That doesn't look like a digit': known non-digits get a reason, drawn digits do not."""

import numpy as np
import pytest

import model
from testkit.drawing import PLACEMENTS, STROKES, render
from testkit.nondigits import LETTERS, STAR, non_digit, strokes


@pytest.mark.parametrize(
    "name, drawing, why",
    [
        ("horizontal line", strokes([(40, 140), (240, 140)]), "line"),
        ("slanted line, 40 degrees", strokes([(50, 220), (230, 70)]), "line"),
        ("filled disc", None, "blob"),
        ("X", strokes([(60, 60), (220, 220)], [(220, 60), (60, 220)]), "shape"),
        ("M", strokes([(40, 230), (60, 50), (140, 170), (220, 50), (240, 230)]), "shape"),
        ("star", strokes(STAR), "shape"),
    ],
)
def test_known_non_digits_get_a_reason(name, drawing, why):
    if name == "filled disc":
        yy, xx = np.mgrid[:280, :280]
        drawing = np.zeros((280, 280, 4), np.uint8)
        drawing[..., 3] = 255
        drawing[(yy - 140) ** 2 + (xx - 140) ** 2 < 80**2, :3] = 255
    assert model.not_a_digit(drawing) == why, name
    assert not model.looks_like_digit(drawing)


def test_a_vertical_line_is_a_one_not_a_line():
    drawing = strokes([(140, 30), (145, 250)])
    assert model.not_a_digit(drawing) is None
    assert model.predict_proba(model.load_default(), model.to_mnist(drawing)).argmax() == 1


@pytest.mark.parametrize("digit", range(10))
@pytest.mark.parametrize("placement", ["big", "small", "top-left"])
def test_drawn_digits_are_not_flagged(digit, placement):
    assert model.not_a_digit(render(digit, PLACEMENTS[placement])) is None


def test_every_letter_and_kind_has_a_generator():
    rng = np.random.default_rng(1)
    assert set(LETTERS) == {"A", "K", "M", "W", "X"}
    for kind in ("scribble", "smiley", "filled blob", "dot"):
        img = non_digit(kind, rng)
        assert img.shape == (280, 280, 4) and img[..., 0].max() > 0


def test_blank_gives_no_reason_here():
    assert model.not_a_digit(np.zeros((280, 280, 4), np.uint8)) is None  # ink_problem speaks for blanks
    assert len(STROKES) == 10


def test_a_photo_of_a_star_is_not_read_as_a_digit():
    import io

    from PIL import Image

    star = 255 - strokes(STAR)[..., 0]  # dark on white paper
    buf = io.BytesIO()
    Image.fromarray(star).save(buf, format="PNG")
    x, reason = model.read_photo(buf.getvalue())
    assert x is None and "doesn't look like a digit" in reason
