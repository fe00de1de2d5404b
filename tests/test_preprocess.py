"""Framing checked on hand-made images whose answer is known."""

import math

import numpy as np
import pytest
import torch
from PIL import Image

from model.preprocess import (
    ASPECT_POWER,
    BOX,
    CENTRE,
    MAX_THINNING,
    STROKE,
    aspect,
    frame_batch,
    normalise_width,
    stroke_width,
    to_ink,
    to_mnist,
)

ys = np.arange(28) + 0.5


def centre_of_mass(img):
    m = img.sum()
    return (img.sum(1) @ ys) / m, (img.sum(0) @ ys) / m


def ink_extent(img):
    """Height and width in pixels, counting partly covered edge pixels by their coverage."""
    return float(img.max(1).sum() / img.max()), float(img.max(0).sum() / img.max())


def canvas(h=280, w=280):
    return np.zeros((h, w), np.uint8)


@pytest.mark.parametrize("framing", ["frame", "frame+deskew"])
def test_off_centre_square_comes_back_centred_and_20px(framing):
    img = canvas()
    img[10:70, 200:260] = 255  # top-right corner, 60 px
    out = to_mnist(img, framing)
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    cy, cx = centre_of_mass(out)
    assert cy == pytest.approx(CENTRE, abs=0.05) and cx == pytest.approx(CENTRE, abs=0.05)
    # framed to a filled 20x20 square, whose "stroke" (20 px) is then thinned by the most there is, 6 px
    assert out.sum() == pytest.approx((BOX - MAX_THINNING) ** 2, abs=2)
    assert ink_extent(out) == pytest.approx((BOX - MAX_THINNING, BOX - MAX_THINNING), abs=0.1)


@pytest.mark.parametrize("framing", ["frame", "frame+deskew"])
def test_narrow_ink_is_widened_part_way_to_square(framing):
    img = canvas()
    img[40:240, 100:150] = 255  # 200 tall, 50 wide: aspect ratio 0.25
    h, w = ink_extent(to_mnist(img, framing))
    # framed 20 tall and 20 * sin(pi/8) ** ASPECT_POWER = 15.0 wide, then (a 15 px "stroke") thinned by the most, 6 px
    assert h == pytest.approx(BOX - MAX_THINNING, abs=0.1) and w == pytest.approx(
        BOX * math.sin(math.pi / 8) ** ASPECT_POWER - MAX_THINNING, abs=0.1
    )
    wide = canvas()
    wide[100:150, 40:240] = 255  # the same bar lying down: the same, turned
    h2, w2 = ink_extent(to_mnist(wide, framing))
    assert (h2, w2) == pytest.approx((w, h), abs=0.1)


def test_aspect_mapping_keeps_squares_and_widens_thin_strokes():
    r = torch.tensor([1.0, 0.5, 0.2, 0.05])
    out = aspect(r)
    assert out[0] == pytest.approx(1.0) and bool((out[1:] > r[1:]).all()) and bool((out[1:] < 1).all())
    assert bool((out[1:] <= out[:-1]).all())  # narrower ink stays narrower


def test_blank_and_faint_images_give_none():
    assert to_mnist(canvas()) is None
    assert to_mnist(np.zeros((280, 280, 4), np.uint8)) is None
    faint = canvas()
    faint[100:110, 100:110] = 3
    assert to_mnist(faint) is None


def test_light_background_is_inverted():
    dark, light = canvas(), np.full((280, 280), 255, np.uint8)
    dark[50:200, 120:160] = 255
    light[50:200, 120:160] = 0
    np.testing.assert_allclose(to_mnist(light), to_mnist(dark), atol=1e-6)


def test_rgba_ink_in_alpha_or_in_colour_frames_the_same():
    opaque = np.zeros((280, 280, 4), np.uint8)
    opaque[..., 3] = 255
    opaque[60:220, 130:150, :3] = 255  # white stroke on opaque black
    transparent = np.zeros((280, 280, 4), np.uint8)
    transparent[60:220, 130:150] = 255  # white stroke on a transparent canvas
    dark_stroke = np.zeros((280, 280, 4), np.uint8)
    dark_stroke[60:220, 130:150, 3] = 255  # black stroke on a transparent canvas
    ref = to_mnist(opaque)
    np.testing.assert_allclose(to_mnist(transparent), ref, atol=1e-6)
    np.testing.assert_allclose(to_mnist(dark_stroke), ref, atol=1e-6)


def test_pil_input_matches_array_input():
    img = canvas()
    img[30:250, 60:90] = 255
    np.testing.assert_allclose(to_mnist(Image.fromarray(img)), to_mnist(img), atol=1e-6)
    rgb = Image.fromarray(np.stack([255 - img] * 3, -1))  # black on white photo
    np.testing.assert_allclose(to_mnist(rgb), to_mnist(img), atol=1e-6)


def test_deskew_makes_a_slanted_stroke_upright():
    img = canvas()
    for y in range(40, 240):  # a line leaning right by 0.5 px per row
        x = 100 + (240 - y) // 2
        img[y, x - 8 : x + 8] = 255
    plain, upright = to_mnist(img, "frame"), to_mnist(img, "frame+deskew")
    _, w_plain = ink_extent(plain)
    _, w_upright = ink_extent(upright)
    # the slant is gone: an upright bar (17/200 wide, framed at aspect(0.085) = 0.55 of 20 px, then thinned)
    assert w_upright < 6 < 2 * w_upright < w_plain


def test_none_is_a_plain_resize():
    img = canvas()
    img[0:140, 0:140] = 255  # top-left quarter
    out = to_mnist(img, "none")
    assert out[:14, :14].min() == pytest.approx(1) and out[14:, :].max() == 0


def test_batch_matches_single_and_mnist_sized_digits_stay_put():
    rng = np.random.default_rng(0)
    imgs = np.zeros((3, 28, 28), np.float32)
    imgs[:, 4:24, 10:18] = 1.0  # MNIST-like: 20 px tall, already centred
    imgs[1:, 4:24, 10:18] *= rng.uniform(0.5, 1, (2, 20, 8))
    batch = frame_batch(torch.from_numpy(imgs), "frame").numpy()
    for i in range(3):
        np.testing.assert_allclose(batch[i], to_mnist(imgs[i], "frame"), atol=1e-5)
    # the 8 px wide block, framed 15 px wide, is a "stroke" thinned by the most there is
    assert ink_extent(batch[0])[0] == pytest.approx(BOX - MAX_THINNING, abs=0.5)


def test_unknown_framing_and_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="framing"):
        to_mnist(canvas(), "crop")
    with pytest.raises(ValueError, match="shape"):
        to_ink(np.zeros((4, 4, 4, 4)))


def test_sixteen_bit_input_is_scaled():
    img = np.zeros((100, 100), np.uint16)
    img[20:80, 45:55] = 65535
    ink = to_ink(Image.fromarray(img))
    assert ink.max() == pytest.approx(1.0) and ink[0, 0] == 0


def bar(height, width, top=4, left=5):
    x = torch.zeros(1, 28, 28)
    x[0, top : top + height, left : left + width] = 1
    return x


@pytest.mark.parametrize(("height", "width"), [(20, 2), (20, 3), (16, 5), (2, 18)])
def test_stroke_width_of_a_bar_is_its_width(height, width):
    assert float(stroke_width(bar(height, width))) == pytest.approx(min(height, width), abs=1e-5)


def test_stroke_width_of_a_ring_and_of_nothing():
    yy, xx = np.mgrid[:28, :28] + 0.5
    r = np.hypot(yy - 14, xx - 14)
    ring = torch.from_numpy(((r > 7) & (r < 10)).astype(np.float32))[None]  # 3 px wide
    # a staircase outline along rows and columns is up to 4/pi longer than a round one
    assert 3 * np.pi / 4 - 0.1 < float(stroke_width(ring)) <= 3
    assert float(stroke_width(torch.zeros(1, 28, 28))) == 0


def test_width_normalisation_thickens_thin_and_thins_thick_strokes():
    thin, thick, thicker = bar(20, 2), bar(20, 8), bar(20, 12)
    grown, shrunk = normalise_width(thin), normalise_width(thick)
    assert float(stroke_width(grown)) == pytest.approx(STROKE, abs=0.2)
    assert float(stroke_width(shrunk)) == pytest.approx(STROKE, abs=0.2)  # three erosions, the last in part
    assert float(stroke_width(normalise_width(thicker))) == pytest.approx(6, abs=1e-5)  # at most 6 px thinner
    assert float(stroke_width(normalise_width(bar(20, 4)))) == pytest.approx(STROKE, abs=0.2)
    assert float(stroke_width(normalise_width(bar(20, 5)))) == pytest.approx(STROKE, abs=0.2)
    same = bar(20, 3) * 0.9
    assert torch.equal(normalise_width(same, target=float(stroke_width(same))), same)  # at the target: unchanged
    assert torch.equal(normalise_width(torch.zeros(2, 28, 28)), torch.zeros(2, 28, 28))


def test_a_thin_and_a_thick_pen_frame_alike(monkeypatch):
    """The same 7 written with a 14 px and a 36 px pen: framed alone their strokes are 1.1 and
    2.4 px wide; redrawn, both come out near STROKE, and the two 28x28 images nearly agree."""
    import model.preprocess as pre
    from testkit.drawing import render

    drawings = [render(7, (60, 30, 160, 220), width=w) for w in (14, 36)]
    width = lambda img: float(stroke_width(torch.from_numpy(img)[None]))
    thin, thick = (to_mnist(d) for d in drawings)
    monkeypatch.setattr(pre, "normalise_width", lambda x: x)
    raw_thin, raw_thick = (to_mnist(d) for d in drawings)
    assert width(raw_thick) - width(raw_thin) > 1
    assert STROKE - 1 < width(thin) < width(thick) < STROKE
    assert width(thick) - width(thin) < (width(raw_thick) - width(raw_thin)) / 1.5
    assert np.abs(thin - thick).mean() < 0.75 * np.abs(raw_thin - raw_thick).mean()
