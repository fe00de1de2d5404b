"""Photos of paper: each cleaning step on pictures whose answer is known, and bounded decoding."""

import io
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage

import model
from model import photo
from testkit.photos import H, W, ellipse, encode, page, ruled, seven_mask


def read(rgb, **kw) -> np.ndarray:
    x, reason = model.read_photo(encode(rgb, **kw))
    assert reason is None and x is not None and x.shape == (28, 28)
    return x


@pytest.fixture(scope="module")
def white():
    return read(page())


@pytest.fixture(scope="module")
def net():
    return model.load_default()


def test_white_page_gives_the_same_28x28_as_the_canvas_drawing(white, net):
    drawn = model.to_mnist(seven_mask())
    assert np.abs(white - drawn).mean() < 0.03
    assert model.predict_proba(net, white).argmax() == 7


@pytest.mark.parametrize(
    "name, kw",
    [
        ("grey page", dict(paper=(0.55, 0.55, 0.55))),
        ("cream page", dict(paper=(0.97, 0.92, 0.75))),
        ("pencil", dict(ink=(0.6, 0.6, 0.62))),
        ("red ink", dict(ink=(0.8, 0.1, 0.1))),
        ("blue ink on grey", dict(paper=(0.6, 0.6, 0.6), ink=(0.1, 0.15, 0.5))),
        ("chalk on a board", dict(paper=(0.12, 0.2, 0.15), ink=(0.92, 0.92, 0.9))),
    ],
)
def test_paper_and_ink_kinds_give_the_same_28x28_as_a_white_page(white, name, kw):
    x = read(page(**kw))
    assert np.abs(x - white).mean() < 0.03, name


def test_uneven_light_and_a_shadow_are_divided_out(white):
    yy, xx = np.mgrid[:H, :W] / np.array([H, W])[:, None, None]
    light = 1.0 - 0.45 * xx - 0.1 * yy  # bright left, dim right
    light = light * np.where(yy > 0.7, 0.75, 1.0)  # and a shadow across the bottom
    x = read(page(light=light))
    assert np.abs(x - white).mean() < 0.04


@pytest.mark.parametrize("grid", [False, True], ids=["lined", "squared"])
def test_ruled_lines_alone_give_no_digit(grid):
    lines = ruled(grid=grid)
    rgb = page(ink=(0.5, 0.65, 0.9), mask=lines)  # blue rules on white paper, no digit
    x, reason = model.read_photo(encode(rgb))
    assert x is None and "No digit" in reason


@pytest.mark.parametrize("grid", [False, True], ids=["lined", "squared"])
def test_a_digit_on_ruled_paper_reads_as_on_plain_paper(white, net, grid):
    lines = ruled(grid=grid)
    rgb = page(ink=(0.5, 0.65, 0.9), mask=lines)
    seven = seven_mask()[..., None]
    rgb = rgb * (1 - seven) + 0.05 * seven
    x = read(rgb, fmt="JPEG", quality=85)
    assert np.abs(x - white).mean() < 0.04
    assert model.predict_proba(net, x).argmax() == 7


@pytest.mark.parametrize("degrees", [-6.0, -2.0, 0.0, 3.0, 7.0])
def test_the_slant_of_ruled_lines_is_found_over_the_pages_own_level(degrees):
    # Paper divided out is never exactly 0: an even level as strong as faint, thin rules (and a
    # margin across them) must not pull the slant to the steepest one tried.
    lines = ruled(step=20, width=1, slant=-math.tan(math.radians(degrees)))
    ink = 0.1 + 0.1 * lines
    ink[:, 40:43] = 0.6  # a margin line
    found = math.degrees(math.atan(photo._slant(ink.astype(np.float32))))
    assert abs(found - degrees) <= 0.75


@pytest.mark.parametrize("grid", [False, True], ids=["lined", "squared"])
def test_a_faint_pencil_seven_on_ruled_paper_reads_as_a_pen_seven(net, grid):
    # Graphite lies thin on the paper: the rule shows through the stroke, which is then barely
    # darker than the rule; subtracting the rule alone would cut the 7 into stripes.
    rules = page(ink=(0.5, 0.65, 0.9), mask=ruled(step=18, width=3, grid=grid))
    seven = seven_mask()[..., None]
    pen = read(rules * (1 - seven) + 0.05 * seven, fmt="JPEG", quality=85)
    thin = 0.6 * seven  # the pencil covers 60 % of the paper under it
    pencil = read(rules * (1 - thin) + 0.45 * thin, fmt="JPEG", quality=85)
    assert np.abs(pencil - pen).mean() < 0.05
    assert model.predict_proba(net, pencil).argmax() == 7


def test_chalk_on_a_board_lit_unevenly_comes_out_even():
    # The light falls on chalk and board alike: 1 - rgb divided by its own light keeps the
    # light's gradient in the strokes (bright where lit, dim in the shade); the board's does not.
    yy, xx = np.mgrid[:H, :W] / np.array([H, W])[:, None, None]
    light = 1.1 - 0.7 * xx * (0.6 + 0.4 * yy)  # bright top left, dim bottom right
    rgb = page(paper=(0.12, 0.2, 0.15), ink=(0.92, 0.92, 0.9), light=light).astype(np.float32)
    ink, _, inverted = photo.remove_paper(rgb)
    stroke = ink[seven_mask() > 0.95]
    assert inverted
    assert np.percentile(stroke, 5) > 0.9 * np.percentile(stroke, 95)


def test_a_faint_seven_beside_what_a_shadows_edge_leaves_is_kept():
    # Dividing the light out leaves a wide, smooth band of "ink" along a shadow's edge; over half
    # the page it must not lift the noise floor above a faint pencil stroke.
    seven = np.asarray(Image.fromarray((seven_mask() * 255).astype(np.uint8)).resize((256, 192)), np.float32) / 255
    yy, xx = np.mgrid[:192, :256] / np.array([192, 256])[:, None, None]
    band = 0.2 / (1 + np.exp(-((xx + 0.5 * yy) - 0.9) * 12))
    noise = np.random.default_rng(0).normal(0, 0.02, seven.shape)
    kept = photo.keep_digit((np.maximum(0.3 * seven, band) + noise).astype(np.float32))
    assert (kept[seven > 0.5] > 0).mean() > 0.95
    assert (kept[seven < 0.05] > 0).mean() < 0.05


def test_a_shadows_edge_heavier_than_a_faint_seven_is_not_taken_for_the_digit():
    # Where the light changes faster than the paper's light can follow (the edge of a hand's
    # shadow), dividing it out leaves a band of "ink" across the page, as dark as faint pencil
    # and heavier than the digit; its ink rises over tens of pixels, the pencil's over a few.
    seven = np.asarray(Image.fromarray((seven_mask() * 255).astype(np.uint8)).resize((256, 192)), np.float32) / 255
    seven = np.roll(seven, (0, 80), (0, 1))  # the seven on the right, the band across the left
    yy, xx = np.mgrid[:192, :256].astype(np.float32)
    band = 0.3 * np.clip(1 - np.abs(xx + 0.6 * yy - 40) / 70, 0, 1)  # across the left
    assert (band**2).sum() > 4 * ((0.12 * seven) ** 2).sum()  # (heavy enough to win at the edge)
    noise = np.random.default_rng(0).normal(0, 0.02, seven.shape)
    kept = photo.keep_digit((np.maximum(0.12 * seven, band) + noise).astype(np.float32))
    assert (kept[seven > 0.5] > 0).mean() > 0.95
    assert (kept[band > 0.1] > 0).mean() < 0.05


def test_specks_and_a_far_off_mark_are_not_the_digit(white):
    mask = seven_mask()
    mask[20:23, 370:373] = 1  # a speck of dust far off
    mask[250:254, 20:24] = 1
    assert np.abs(read(page(mask=mask)) - white).mean() < 0.02


@pytest.mark.parametrize("degrees", [0, 12])
def test_a_filled_upright_bar_is_a_1_in_a_fat_marker(net, degrees):
    """A bar twice as long as wide (a marker's or chalk's 1, filled in) reads as a 1, on paper and
    on a board; it was refused as a filled shape."""
    bar = ellipse(70, 32, degrees)
    for rgb in (page(mask=bar), page(paper=(0.12, 0.2, 0.16), ink=(0.92, 0.93, 0.9), mask=bar)):
        steps = photo.photo_steps(encode(rgb))
        assert steps["bar"] and steps["reason"] is None
        assert int(model.predict_proba(net, steps["framed"]).argmax()) == 1


@pytest.mark.parametrize(("ry", "rx", "degrees"), [(50, 50, 0), (65, 48, 0), (70, 45, 0), (70, 32, 25), (70, 32, 40)])
def test_a_filled_disc_or_a_leaning_bar_is_still_refused(ry, rx, degrees):
    x, reason = model.read_photo(encode(page(mask=ellipse(ry, rx, degrees))))
    assert x is None and reason == model.photo.NOT_A_DIGIT["blob"]


def test_a_blurred_digit_is_kept_beside_a_sharp_speck_or_a_page_edge():
    """An out-of-focus seven (its ink as soft as a shadow's edge) is the digit, whatever sharp speck
    or page edge is there too: only long soft bands across the picture are a shadow's."""
    seven = np.asarray(Image.fromarray((seven_mask() * 255).astype(np.uint8)).resize((256, 192)), np.float32) / 255
    blurred = ndimage.gaussian_filter(seven, 6)
    blurred = 0.6 * blurred / blurred.max()
    ink = blurred.copy()
    ink[170:178, 10:18] = 0.9  # a sharp speck
    ink[:, 254:] = 0.9  # the sharp edge of the page, at the picture's edge
    kept = photo.keep_digit(ink.astype(np.float32))
    assert (kept[blurred > 0.3] > 0).mean() > 0.95
    assert kept[:, 254:].max() == 0


def test_blank_paper_and_an_even_colour_give_a_reason():
    for rgb in (page(mask=np.zeros((H, W), np.float32)), np.full((H, W, 3), 0.3, np.float32)):
        x, reason = model.read_photo(encode(rgb))
        assert x is None and reason.startswith("No digit found")


# --- bounded decoding: any bytes give a 28x28 or a reason ----------------------------------


def seven_image() -> Image.Image:
    return Image.fromarray((page() * 255).astype(np.uint8))


def save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def as_mode(mode: str) -> bytes:
    img = seven_image()
    if mode == "I;16":
        return save(Image.fromarray(np.asarray(img.convert("L"), np.uint16) * 257), "PNG")
    if mode in ("I", "F"):
        return save(img.convert("L").convert(mode), "TIFF")
    if mode == "LAB":
        return save(img.convert("LAB"), "TIFF")
    if mode == "CMYK":
        return save(img.convert("CMYK"), "JPEG", quality=95)
    if mode == "YCbCr":
        return save(img.convert("YCbCr"), "TIFF")
    if mode == "P":  # palette with a transparent colour
        p = img.quantize(16, dither=Image.Dither.NONE)
        return save(p, "PNG", transparency=int(np.asarray(p)[0, 0]))
    if mode == "LA":  # dark ink, background made transparent
        la = img.convert("LA")
        a = np.asarray(la).copy()
        a[..., 1] = 255 - a[..., 0]
        return save(Image.fromarray(a, "LA"), "PNG")
    return save(img.convert(mode), "PNG")


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "I", "I;16", "F"])
def test_every_pil_mode_reads_the_seven(net, mode):
    x, reason = model.read_photo(as_mode(mode))
    assert reason is None, reason
    assert model.predict_proba(net, x).argmax() == 7


def test_a_16_bit_photo_is_shrunk_like_an_8_bit_one():
    """16-bit images are shrunk before they become floats (their memory), to the same picture."""
    eight, sixteen = photo.decode(as_mode("L")), photo.decode(as_mode("I;16"))
    assert sixteen.shape == eight.shape and max(sixteen.shape) == photo.WORK
    stretched = (eight - eight.min()) / (eight.max() - eight.min())  # 16-bit levels are stretched to [0, 1]
    assert np.abs(sixteen - stretched).max() < 0.02


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "not an image format"),
        (b"%PDF-1.4 not an image", "not an image format"),
        (save(seven_image(), "PNG")[:700], "damaged or truncated"),
        (save(Image.new("1", (20_000, 20_000)), "PNG"), "too large"),
        (save(Image.new("L", (4000, 200), 255), "PNG"), "strip"),
        (save(Image.new("L", (1, 1)), "PNG"), "No digit"),
        (b"\x00" * (photo.MAX_BYTES + 1), "larger than"),
    ],
    ids=["empty", "not an image", "truncated", "big dimensions, small file", "extreme aspect", "one pixel", "too big"],
)
def test_unreadable_uploads_get_a_reason(data, words):
    x, reason = model.read_photo(data)
    assert x is None and words in reason


def test_not_bytes_gets_a_reason():
    assert model.read_photo("a string")[1] and model.read_photo(None)[1]
    x, reason = model.read_photo(memoryview(save(seven_image(), "PNG")))
    assert reason is None


def test_animation_decodes_its_first_frame_only(white):
    first = seven_image().convert("P")
    frames = [Image.new("P", first.size, i % 200) for i in range(300)]
    data = save(first, "GIF", save_all=True, append_images=frames, duration=20)
    x, reason = model.read_photo(data)
    assert reason is None and np.abs(x - white).mean() < 0.03


def test_a_big_jpeg_is_reduced_while_decoding():
    big = seven_image().resize((4000, 3000))
    data = save(big, "JPEG", quality=90)
    img = photo.open_image(data)
    assert img.size == (500, 375)  # decoded at 1/8 (draft mode), never at full size
    assert model.read_photo(data)[1] is None


def test_a_phone_sized_file_is_accepted():
    assert photo.MAX_BYTES >= 12 * 2**20


def test_progressive_jpeg_has_a_lower_pixel_limit():
    img = Image.new("L", (4000, 3500), 255)
    x, reason = model.read_photo(save(img, "JPEG", progressive=True, quality=50))
    assert x is None and "too large" in reason


def test_a_progressive_jpeg_has_a_byte_limit_and_a_baseline_one_of_the_same_size_is_read():
    rng = np.random.default_rng(0)
    noisy = Image.fromarray(rng.integers(0, 256, (2000, 2000, 3), dtype=np.uint8))  # few pixels, many bytes
    progressive, baseline = (save(noisy, "JPEG", quality=98, progressive=p) for p in (True, False))
    assert len(progressive) > photo.MAX_PROGRESSIVE_BYTES and len(baseline) <= photo.MAX_BYTES
    x, reason = model.read_photo(progressive)
    assert x is None and "progressive JPEG" in reason and "ordinary JPEG" in reason
    assert "progressive" not in (model.read_photo(baseline)[1] or "")


VALID = [save(seven_image().resize((80, 60)), f, **kw) for f, kw in [("PNG", {}), ("JPEG", {}), ("GIF", {})]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(VALID),
    cuts=st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=1, max_size=8)), max_size=6),
    tail=st.integers(0, 10_000),
)
def test_fuzzed_images_never_raise(base, cuts, tail):
    data = bytearray(base)
    for at, junk in cuts:
        at %= len(data)
        data[at : at + len(junk)] = junk
    data = bytes(data[: max(8, len(data) - tail % len(data))])
    x, reason = model.read_photo(data)
    assert (x is None) != (reason is None)
    if x is not None:
        assert x.shape == (28, 28) and np.isfinite(x).all()


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data):
    x, reason = model.read_photo(data)
    assert x is None and reason


@pytest.mark.parametrize(
    "image, fmt, words",
    [
        (Image.new("1", (10_000, 10_000)), "PNG", "PNG pictures can be at most 4.2 megapixels, and this one is 100"),
        (Image.new("1", (20_000, 20_000)), "PNG", "PNG pictures can be at most 4.2 megapixels, and this one is 400"),
        (Image.new("L", (4000, 3500), 255), "GIF", "GIF pictures can be at most 4.2 megapixels, and this one is 14"),
    ],
    ids=["over Pillow's warning", "over Pillow's refusal", "over ours only"],
)
def test_a_picture_too_large_is_refused_with_the_limit_in_plain_words(image, fmt, words):
    x, reason = model.read_photo(save(image, fmt))
    assert x is None and words in reason and "bomb" not in reason
