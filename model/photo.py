"""Photos and scans of paper: bounded decoding, then the ink of one digit, framed like MNIST.

A phone photo of a digit is mostly paper: off-white, grey, cream or squared, lit unevenly, with
ruled lines that are as dark as pencil. Each step below removes one of those, so that what
reaches ``to_mnist`` is white ink on black, like a canvas drawing:

1. decode with bounded work (JPEG is reduced while it is decoded) to a small working image;
2. estimate the paper's light (a wide median of a thumbnail) and divide it out, per channel,
   so coloured paper turns white and coloured ink stays ink; on a dark board, chalk's rise over
   the board's light, relative to it, is the ink;
3. remove ruled and grid lines: rows (and then columns) that are inked along most of their
   length, once the page's slant is found, are subtracted where the ink is thin across them
   (a line), not where it is wide (a stroke crossing it keeps its own level: pencil stays whole);
4. stretch the ink between the paper's noise and the strokes' own darkness (pencil = pen), and
   soften it a little (grain and JPEG noise out of the strokes);
5. keep the digit: the largest stroke and those near it; specks and page edges go;
6. a filled upright bar is a 1 written with a fat marker or chalk (softened, its stroke has no
   gaps left): it is drawn as its centre line at a pen's width, not refused as a filled shape.
"""

from __future__ import annotations

import io
import math
import re
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps
from scipy import ndimage

from common import _
from model.digitness import MESSAGES as NOT_A_DIGIT
from model.digitness import axis, not_a_digit
from model.preprocess import UnreadableImage, ink_problem, to_mnist

FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")  # JPEG includes a phone's MPO
MAX_BYTES = 13 * 2**20  # a phone's JPEG is up to 12 MB
# JPEG is reduced up to 8x while decoding (draft mode), so it may be big; other formats are
# decoded in full, so their limit is what fits the memory budget of one upload.
MAX_JPEG_PIXELS = 64_000_000  # a 48-megapixel phone photo, decoded at 1/8
# A progressive JPEG keeps all its coefficients while decoding and reads them in several scans:
# its CPU grows with pixels and bytes alike (noise at quality 95, 3456x3456 and 11.6 MB, took
# 0.34 s to decode). Phones write baseline JPEG; progressive ones come from the web, smaller.
MAX_PROGRESSIVE_PIXELS = 9_000_000
MAX_PROGRESSIVE_BYTES = 4 * 2**20  # 9 MP of noise at 4 MB: about 0.2 s CPU to read
MAX_PIXELS = 4_200_000  # PNG, GIF, BMP, WebP, TIFF: about 2048x2048
MAX_ASPECT = 12  # longer side / shorter side: a strip is not a photo of a digit
WORK = 256  # longer side of the working image, in pixels (a digit in it is still 80-150 px tall)
THUMB = 40  # longer side of the thumbnail the paper's light is estimated on
# Gaussian softening of the stretched ink, px of the working image (a digit there is 80-150 px
# tall). Measured with the shipped model (one-off script over the cleaned photos of both sets):
# none 85.0 % of 240 and 88.0 % of 600; 1.0 px 86.2 / 89.2; 1.5 px 87.1 / 89.2; 2 px 85.4 / 88.7;
# 3 px 82.5 / 84.3. A median (3 px) or a closing moved them under a point.
SOFTEN = 1.5

REASONS = {
    "blank": "No digit found in that picture: it looks like empty paper.",
    "filled": "No digit found in that picture: it is one even colour.",
    "dot": "The digit is tiny in that picture: crop closer to it.",
}


# What a file's first bytes say it is, for a message about a picture Pillow would not open.
_MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8": "JPEG", b"GIF8": "GIF", b"BM": "BMP", b"II*\x00": "TIFF", b"MM\x00*": "TIFF"}


def _kind(data: bytes) -> str:
    """The picture format ``data`` starts like (PNG, JPEG, ...; "WEBP"), or '' if none of ours."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), "")


def _limit(kind: str) -> int:
    """The most pixels a picture of this format may have (see MAX_PIXELS and the JPEG limits)."""
    return {"JPEG": MAX_JPEG_PIXELS, "MPO": MAX_JPEG_PIXELS, "progressive JPEG": MAX_PROGRESSIVE_PIXELS}.get(
        kind, MAX_PIXELS
    )


def _too_large(kind: str, pixels: int | None, size: str = "") -> str:
    """A refusal in plain words with the format's real limit in megapixels, and the picture's own."""
    name = {"MPO": "JPEG", "WEBP": "WebP", "": _("Such")}.get(kind, kind)
    found = (
        _("this one is {n} megapixels").format(n=f"{pixels / 1e6:,.0f}") + size
        if pixels
        else _("this one is far larger")
    )
    return _("the picture is too large: {kind} pictures can be at most {limit} megapixels, and {found}").format(
        kind=name, limit=f"{_limit(kind) / 1e6:.1f}", found=found
    )


def _open(data) -> Image.Image:
    """Open (not decode) uploaded bytes, refusing non-images, odd shapes and pixel bombs."""
    try:
        data = bytes(memoryview(data)[: MAX_BYTES + 1])
    except TypeError:
        raise UnreadableImage("it is not a file of bytes") from None
    if len(data) > MAX_BYTES:
        raise UnreadableImage(f"the file is larger than {MAX_BYTES // 2**20} MB")
    with warnings.catch_warnings():
        # Our own limits below are lower than Pillow's warning, and say the limit in plain words.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=FORMATS)
        except Image.DecompressionBombError as exc:  # over twice Pillow's own limit: refused while opening
            found = re.search(r"\((\d+) pixels\)", str(exc))
            pixels = int(found.group(1)) if found else None
            raise UnreadableImage(_too_large(_kind(data), pixels)) from None
    w, h = img.size
    if w < 1 or h < 1:
        raise UnreadableImage("the image has no pixels")
    if max(w, h) > MAX_ASPECT * min(w, h):
        raise UnreadableImage(f"the image is a {w}×{h} strip: crop it to the digit")
    jpeg = img.format in ("JPEG", "MPO")
    progressive = jpeg and bool(img.info.get("progressive") or img.info.get("progression"))
    limit = MAX_PROGRESSIVE_PIXELS if progressive else MAX_JPEG_PIXELS if jpeg else MAX_PIXELS
    if w * h > limit:
        kind = "progressive JPEG" if progressive else "JPEG" if jpeg else img.format
        raise UnreadableImage(_too_large(kind, w * h, f" ({w}×{h})"))
    if progressive and len(data) > MAX_PROGRESSIVE_BYTES:
        raise UnreadableImage(
            f"a progressive JPEG of more than {MAX_PROGRESSIVE_BYTES // 2**20} MB is too slow to decode: "
            "save it as an ordinary JPEG, or smaller"
        )
    if jpeg:
        img.draft("RGB" if img.mode in ("RGB", "YCbCr") else None, (WORK, WORK))
    return img


def open_image(data) -> Image.Image:
    """Decode uploaded bytes into a PIL image with bounded work (a JPEG comes back reduced),
    turned upright as its EXIF says. Raises UnreadableImage, with a reason a person can read.
    """
    img = _load(data)
    return ImageOps.exif_transpose(img) or img


_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _load(data) -> Image.Image:
    try:
        img = _open(data)
        img.load()  # one frame only: an animation's other frames are never decoded
        return img
    except UnreadableImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # a frame larger than its header said
        raise UnreadableImage(_too_large("", None)) from None
    except Image.UnidentifiedImageError:
        raise UnreadableImage("it is not an image format we can read (PNG, JPEG, GIF, BMP, WebP, TIFF)") from None
    except MemoryError:
        raise UnreadableImage("the image needs too much memory to decode") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure is a damaged file to the person
        raise UnreadableImage(f"the image is damaged or truncated ({type(exc).__name__})") from None


def _standard(img: Image.Image) -> Image.Image:
    """Any PIL mode as L, RGB, RGBA or F (F scaled to [0,1])."""
    mode = img.mode
    if mode in ("L", "RGB", "RGBA"):
        return img
    if mode in ("1", "CMYK", "YCbCr", "HSV"):
        return img.convert("L" if mode == "1" else "RGB")
    if mode in ("LA", "La", "PA", "RGBa", "RGBX") or (mode == "P" and "transparency" in img.info):
        return img.convert("RGBA")
    if mode == "P":
        return img.convert("RGB")
    if mode == "LAB":
        return img.getchannel("L")
    if mode.startswith("I") or mode == "F":
        a = np.asarray(img.convert("I") if mode.startswith("I;16") else img, dtype=np.float32)
        a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = float(a.min()), float(a.max())
        return Image.fromarray((a - lo) / (hi - lo) if hi > lo else np.zeros_like(a), mode="F")
    return img.getchannel(0).convert("L")


def _working(img: Image.Image, orientation=None) -> np.ndarray:
    """The image as it looks, (H,W,3) float32 in [0,1], longer side at most WORK px, turned
    upright as its EXIF ``orientation`` says (after shrinking: cheaper)."""
    if img.mode.startswith("I;16") and max(img.size) > WORK:
        # reduce() has no 16-bit modes, resize does: shrink before the conversion to 32-bit
        # integers and floats, which at full size took 68 MB for a 2041x2041 PNG
        s = WORK / max(img.size)
        img = img.resize((max(1, round(img.width * s)), max(1, round(img.height * s))), Image.Resampling.BOX)
    factor = max(img.size) // WORK
    if factor >= 2 and img.mode in ("L", "RGB", "RGBA", "LA", "CMYK", "LAB", "I", "F"):
        img = img.reduce(factor)  # box-average first: the mode conversions below then touch few pixels
    img = _standard(img)
    scale = WORK / max(img.size)
    if scale < 1:
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    if orientation in _TURNS:
        img = img.transpose(_TURNS[orientation])
    a = np.asarray(img, dtype=np.float32)
    if img.mode != "F":
        a = a / 255.0
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, 2)
    if a.shape[2] == 4:  # transparency: put the ink over a background it stands out from
        rgb, alpha = a[..., :3], a[..., 3:]
        if float(alpha.min()) < 0.99:
            inked = float((rgb.mean(2, keepdims=True) * alpha).sum() / max(float(alpha.sum()), 1e-6))
            under = 1.0 if inked < 0.5 else 0.0
            rgb = rgb * alpha + under * (1 - alpha)
        a = rgb
    return np.ascontiguousarray(np.clip(a, 0, 1), dtype=np.float32)


def decode(data) -> np.ndarray:
    """Uploaded bytes as a small RGB working image (H,W,3) float32 in [0,1]; bounded work."""
    img = _load(data)
    try:
        return _working(img, img.getexif().get(0x0112))
    except MemoryError:
        raise UnreadableImage("the image needs too much memory to decode") from None
    except Exception as exc:  # noqa: BLE001 - an odd mode or a lazy decoder failing late
        raise UnreadableImage(f"its colour format ({img.mode}) cannot be read ({type(exc).__name__})") from None


def _resize(a: np.ndarray, size: tuple[int, int], mode: str) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))[None]
    kw = {"align_corners": False} if mode == "bilinear" else {}
    return F.interpolate(t, size=size, mode=mode, **kw)[0].numpy().transpose(1, 2, 0)


def paper_light(rgb: np.ndarray, dark_ink: bool = True) -> np.ndarray:
    """The paper's light at every pixel (H,W,3): a wide rank filter of a thumbnail, smoothed back up.

    Paper is lighter than dark ink, so a high rank (the 80th percentile) of a wide window is paper
    even where strokes cover most of the window (a thick marker); it follows uneven light,
    shadows and vignetting, which change slowly across the page. For light ink, a low rank.
    """
    h, w = rgb.shape[:2]
    s = THUMB / max(h, w)
    small = _resize(rgb, (max(3, round(h * s)), max(3, round(w * s))), "area") if s < 1 else rgb
    k = max(3, round(0.25 * max(small.shape[:2])) | 1)
    bg = ndimage.percentile_filter(small, 80 if dark_ink else 20, size=(k, k, 1), mode="reflect")
    bg = ndimage.uniform_filter(bg, size=(3, 3, 1), mode="nearest")
    return _resize(bg, (h, w), "bilinear")


def light_on_dark(rgb: np.ndarray) -> bool:
    """Chalk on a board (or white ink on dark paper): the strongest strokes are lighter than the
    page around them (its median), not darker."""
    h, w = rgb.shape[:2]
    s = THUMB / max(h, w)
    lum = rgb.mean(2)
    small = _resize(lum[..., None], (max(3, round(h * s)), max(3, round(w * s))), "area")[..., 0]
    k = max(3, round(0.25 * max(small.shape)) | 1)
    page = ndimage.median_filter(small, size=k, mode="reflect")
    dev = (small - page).ravel()
    n = max(3, dev.size // 100)  # the strongest 1 % of the thumbnail in each direction
    lighter = float(np.partition(dev, dev.size - n)[-n:].mean())
    darker = float(-np.partition(dev, n)[:n].mean())
    return lighter > 1.3 * darker and lighter > 0.08


def remove_paper(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Ink (H,W) in [0,1] with the paper divided out; also the paper's light and the polarity."""
    inverted = light_on_dark(rgb)
    if inverted:
        # Chalk is light on a dark board, both lit by the same light: the chalk's brightness
        # over the board's, relative to the board's, is the same in the light and in the shade
        # (1 - rgb divided by its own light would keep the light's gradient in the strokes).
        board = paper_light(rgb, dark_ink=False)
        rise = ((rgb - board) / np.maximum(board, 0.02)).mean(2)
        top = max(float(np.percentile(rise, 99.5)), 0.5)  # the strokes' brightness, not the noise's
        return np.clip(rise / top, 0, 1).astype(np.float32), board, inverted
    light = paper_light(rgb)
    ratio = np.clip(rgb / np.maximum(light, 0.03), 0, 1)
    return (1.0 - ratio.min(2)).astype(np.float32), light, inverted


LINE_THIN = 5  # pixels of the working image: a ruled line is thinner than this, a stroke is not
LINE_COVER = 0.7  # a row inked along 70 % of its length is a ruled line, not a stroke


def _line_levels(ink: np.ndarray, t: float, wander: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Ink level of the lines along rows slanted by ``t`` (tan of the angle): per slanted row, the
    level that LINE_COVER of its length reaches; and each pixel's slanted row, (H,W)."""
    h, w = ink.shape
    off = np.round((np.arange(w) - w / 2) * t).astype(np.int64)
    pad = int(np.abs(off).max()) if w else 0
    sheared = np.full((h + 2 * pad, w), np.nan, np.float32)
    rows = np.arange(h)[:, None] - off[None, :] + pad  # where pixel (y, x) lands, lines made level
    sheared[rows, np.arange(w)[None, :]] = ink
    if wander > 1:  # perspective and bent paper: a line may wander by a pixel or two along its length
        wide = ndimage.maximum_filter1d(np.nan_to_num(sheared, nan=-1.0), wander, axis=0)
        sheared = np.where(np.isnan(sheared), np.nan, wide)
    counts = (~np.isnan(sheared)).sum(1)
    at = np.clip((counts - 1) * (1 - LINE_COVER), 0, None).astype(np.int64)[:, None]
    level = np.take_along_axis(np.sort(sheared, axis=1), at, axis=1)[:, 0]  # NaN (padding) sorts last
    level = np.where(counts > 0.05 * w, np.nan_to_num(level), 0.0)  # rows mostly off the picture
    return np.clip(level, 0, None), rows


def _lengths(level: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """How many pixels of the picture each slanted row crosses."""
    return np.bincount(rows.ravel(), minlength=level.size)[: level.size]


def _page_level(level: np.ndarray, rows: np.ndarray) -> float:
    """The level of the slanted rows without a line: the paper's own (never exactly 0 once divided
    out). A low rank, since close rules, widened by their wander, may take half the rows."""
    crossing = level[_lengths(level, rows) > 0.05 * rows.shape[1]]
    return float(np.percentile(crossing, 20)) if crossing.size else 0.0


def _line_score(level: np.ndarray, rows: np.ndarray) -> float:
    """How much line ink stands out of the page's own level, summed over the slanted rows, each
    weighed by its length: at the lines' slant a few rows reach far above the others; at any other
    slant every row is paper. (The plain sum favours the steepest slant, whose sheared picture has
    the most rows of paper and the most short rows across the corners.)"""
    excess = np.clip(level - _page_level(level, rows), 0, None)
    return float((excess * _lengths(level, rows)).sum() / rows.shape[1])


def _slant(ink: np.ndarray) -> float:
    """tan of the angle, within +-8 degrees, at which the most line ink lines up along rows."""
    h, w = ink.shape
    s = min(1.0, 128 / max(h, w))
    small = F.interpolate(torch.from_numpy(ink)[None, None], scale_factor=s, mode="area")[0, 0].numpy()
    score = lambda deg: _line_score(*_line_levels(small, math.tan(math.radians(deg)), wander=1))
    best = max(np.arange(-8, 8.01, 1.0), key=score)
    for step in (0.5, 0.25):
        best = max((best - step, best, best + step), key=score)
    return math.tan(math.radians(best))


def _without_row_lines(ink: np.ndarray) -> np.ndarray:
    """``ink`` without the lines that run (nearly) along its rows, (H,W)."""
    level, rows = _line_levels(ink, _slant(ink))
    band = ndimage.maximum_filter1d(level, 3)[rows]  # every pixel of the slanted rows a line may take
    # ... but a line is thin across: only the ink that stands out of what lies above and below it
    # is the line's. Between two close rules the band holds paper; where a faint stroke crosses a
    # rule, the stroke's own level stays (a rule's whole level would cut pencil into stripes); and
    # where a grid's column crosses, the column stays, for the other pass. The page's own level
    # (paper is never divided out exactly) goes everywhere.
    thin = ink - ndimage.grey_opening(ink, size=(LINE_THIN, 1))
    lines = np.minimum(band, _page_level(level, rows) + thin)
    # Where a stroke crosses a line it is darker than the line: keep it whole.
    return np.where(ink > 2 * lines, ink, np.clip(ink - lines, 0, 1))


def remove_lines(ink: np.ndarray) -> np.ndarray:
    """Ruled lines and grid lines removed: first those along the rows, then those along the
    columns (a grid's columns stand out across the rows, so the first pass leaves them whole)."""
    out = _without_row_lines(ink)
    return np.ascontiguousarray(_without_row_lines(np.ascontiguousarray(out.T)).T, dtype=np.float32)


MIN_CONTRAST = 0.1  # strokes must be at least this much darker than the paper (10 %)


def _noise_floor(ink: np.ndarray) -> float:
    med = float(np.median(ink))
    return med + 6 * 1.4826 * float(np.median(np.abs(ink - med))) + 0.03


def _local_level(ink: np.ndarray) -> np.ndarray:
    """What is left of the paper at every pixel (H,W): a low rank (30th percentile) of a wide
    window of a thumbnail, as for the paper's light; strokes take less than 70 % of such a window."""
    h, w = ink.shape
    s = THUMB / max(h, w)
    small = _resize(ink[..., None], (max(3, round(h * s)), max(3, round(w * s))), "area")
    k = max(3, round(0.25 * max(small.shape[:2])) | 1)
    level = ndimage.percentile_filter(small, 30, size=(k, k, 1), mode="reflect")
    level = ndimage.uniform_filter(level, size=(3, 3, 1), mode="nearest")
    return _resize(level, (h, w), "bilinear")[..., 0]


# Ink has edges; light has none. A shadow's edge that the paper's light (a wide rank filter) could
# not follow is left as a long band of "ink" across the picture that rises over tens of pixels, a
# stroke's over a few. The steepest rise of a part (90th percentile of the gradient of the ink
# averaged over 3x3 px) over its ink (90th percentile), per pixel of the working image: 0.04-0.08
# for such bands, 0.15 or more for the digit of every photo in bench.photos' three sets (seeds 1, 7
# and 11; a one-off script over their cleaned ink). The bands touched 2-3 sides of the picture and
# were 5.5-7.9 times as long as wide.
SOFT_EDGE = 0.1
BAND_ELONGATION = 3.0
SOFT_MEASURED = 8  # only the heaviest parts are measured: bounded work whatever the picture holds


def _shadow_bands(
    ink: np.ndarray, even: np.ndarray, labels: np.ndarray, boxes: list, mass: np.ndarray, sides: np.ndarray
) -> np.ndarray:
    """Which parts (n,) are what a shadow's edge leaves: they touch two ``sides`` of the picture or
    more, are long (BAND_ELONGATION), and rise too softly to be strokes (SOFT_EDGE). Only the
    SOFT_MEASURED heaviest parts, and none under 5 % of the heaviest, are measured."""
    gy, gx = np.gradient(even)
    rise = np.hypot(gy, gx)
    bands = np.zeros(len(boxes), bool)
    for i in np.argsort(mass)[::-1][:SOFT_MEASURED]:
        if mass[i] < 0.05 * mass.max():
            break
        box = boxes[i]
        if sides[i] < 2:
            continue
        part = labels[box] == i + 1
        ys, xs = np.nonzero(part)
        spread = np.linalg.eigvalsh(np.cov(np.stack([ys, xs]).astype(np.float64))) if len(ys) > 2 else (1.0, 1.0)
        if spread[1] < BAND_ELONGATION**2 * max(spread[0], 1e-9):
            continue
        level = float(np.percentile(ink[box][part], 90))
        bands[i] = float(np.percentile(rise[box][part], 90)) < SOFT_EDGE * level
    return bands


def keep_digit(ink: np.ndarray) -> np.ndarray:
    """The strongest stroke and the strokes near it; specks, page edges and far-off marks go.

    Strokes are the connected parts of the ink above what is left of the paper and its noise,
    weighed by ink squared
    (a faint shadow's edge is wide but weighs little). Parts that touch the picture's edge lose
    to a comparable part inside it: the digit is what was photographed, not the desk. What a
    shadow's edge leaves (``_shadow_bands``) goes when another part can be the digit.
    """
    h, w = ink.shape
    even = smooth = ndimage.uniform_filter(ink, 3)  # dither, sensor noise and pencil grain average out
    # What a shadow's edge leaves of the paper is wide and smooth: over half the page it raised
    # the noise floor above faint pencil, which then had no stroke left. Strokes stand out of it.
    smooth = np.clip(smooth - _local_level(smooth), 0, None)
    strokes = smooth > max(_noise_floor(smooth), 0.2 * float(smooth.max(initial=0)))
    joined = ndimage.binary_dilation(strokes, iterations=2)  # small gaps in a stroke
    labels, n = ndimage.label(joined, structure=np.ones((3, 3)))
    if n == 0:
        return np.zeros_like(ink)
    index = np.arange(1, n + 1)
    mass = np.asarray(ndimage.sum(np.square(ink), labels, index))
    boxes = ndimage.find_objects(labels)
    sides = np.array([(b[0].start == 0) + (b[1].start == 0) + (b[0].stop == h) + (b[1].stop == w) for b in boxes])
    border = sides > 0
    inside = mass[~border].max() if (~border).any() else 0.0
    weight = np.where(border & (mass < 4 * inside), 0.25 * mass, mass)
    # What a shadow's edge leaves goes, for a part that can be the digit: of some weight, at least
    # a tenth of the picture across, touching at most one side (a speck or a page's edge cannot).
    drop = _shadow_bands(ink, even, labels, boxes, mass, sides)
    across = np.array([max(b[0].stop - b[0].start, b[1].stop - b[1].start) for b in boxes])
    digit = ~drop & (mass >= 0.05 * mass.max()) & (across >= 0.1 * max(h, w)) & (sides <= 1)
    if not digit.any():
        drop[:] = False
    weight = np.where(drop, 0.0, weight)
    big = int(weight.argmax())
    ys, xs = boxes[big]
    size = max(ys.stop - ys.start, xs.stop - xs.start)
    keep = np.zeros(n + 1, bool)
    for i, (bys, bxs) in enumerate(boxes):
        if mass[i] < 0.05 * mass[big] or (border[i] and not border[big]) or drop[i]:
            continue
        dy = max(0, bys.start - ys.stop, ys.start - bys.stop)  # gap between the boxes
        dx = max(0, bxs.start - xs.stop, xs.start - bxs.stop)
        keep[i + 1] = math.hypot(dy, dx) <= 0.35 * size
    return np.where(keep[labels], ink, 0).astype(np.float32)


def stretch(ink: np.ndarray) -> np.ndarray | None:
    """Ink from the paper's noise (0) to the strokes' typical darkness (1), softened by SOFTEN
    px; None without strokes.

    Pencil is fainter than pen but the same digit: both come out at full strength. The softening
    takes graphite's grain, JPEG's blocks and the sensor's noise out of the strokes, so that the
    framing measures (and thins) the stroke, not its speckle.
    """
    smooth = ndimage.uniform_filter(ink, 3)
    top = float(smooth.max()) if ink.size else 0.0
    if top < MIN_CONTRAST:
        return None
    hi = float(np.percentile(ink[smooth >= 0.5 * top], 70))
    lo = 0.35 * hi
    if hi - lo < 0.05:
        return None
    full = np.clip((ink - lo) / (hi - lo), 0, 1).astype(np.float32)
    return ndimage.gaussian_filter(full, SOFTEN)


# A filled shape (what the drawing check calls a blob) whose principal axis is at least this many
# times its cross axis and within BAR_ANGLE degrees of vertical is a bar: a 1 in a fat marker or in
# chalk. Over three generated photo sets (`python -m bench.photos`, seeds 1, 7 and 11: 1,440 photos)
# every filled shape refused was such a 1, at 1.70-2.42 times as long as wide and 0.3-11 degrees
# off vertical; no other digit was refused as a filled shape. Rounder shapes stay refused.
BAR_ELONGATION = 1.65  # (under the 1.70 seen; a filled-in 0 is rounder)
BAR_ANGLE = 20.0
BAR_WIDTH = 0.1  # the centre line's width, of its length: a pen's 1 (the framing sets the width anyway)


def bar_as_stroke(digit: np.ndarray) -> np.ndarray | None:
    """A filled upright bar (H,W) as its centre line at a pen's width, the way a 1 is written;
    None when the ink is rounder than a bar or leans more than BAR_ANGLE degrees."""
    elongation, off_vertical = axis(digit)
    if not (elongation >= BAR_ELONGATION and off_vertical <= BAR_ANGLE):  # (NaN for no ink: no bar)
        return None
    ys, xs = np.nonzero(digit > 0.5)
    if len(ys) < 2:
        return None
    w = digit[ys, xs].astype(np.float64)
    cy, cx = float((w * ys).sum() / w.sum()), float((w * xs).sum() / w.sum())
    cov = np.cov(np.stack([ys - cy, xs - cx]), aweights=w)
    vy, vx = np.linalg.eigh(cov)[1][:, 1]  # the long axis
    along = (ys - cy) * vy + (xs - cx) * vx
    t0, t1 = float(along.min()), float(along.max())
    gy, gx = np.mgrid[: digit.shape[0], : digit.shape[1]].astype(np.float32)
    t = np.clip((gy - cy) * vy + (gx - cx) * vx, t0, t1)
    dist = np.hypot(gy - (cy + t * vy), gx - (cx + t * vx))
    half = max(1.5, BAR_WIDTH * (t1 - t0) / 2)
    return np.clip(half + 0.5 - dist, 0, 1).astype(np.float32)


def _framed(digit: np.ndarray, framing: str) -> tuple[np.ndarray | None, str | None]:
    """The digit's 28x28, and why it is not a digit (a key of NOT_A_DIGIT, "blank", or None)."""
    framed = to_mnist(digit, framing)
    if framed is None:
        return None, "blank"
    return framed, not_a_digit(digit, framed if framing == "frame+deskew" else None)


def photo_steps(data, framing: str = "frame+deskew") -> dict:
    """Every step from uploaded bytes to the model's input, for display and for ``read_photo``.

    Keys: ``photo`` (RGB as decoded), ``paper`` (its light), ``ink`` (paper divided out),
    ``no_lines``, ``digit`` (stretched, the digit's strokes only; a filled bar drawn as its centre
    line), ``framed`` (28x28, or None when there is no digit to read: nothing left, a speck, or a
    shape that is not a digit), ``inverted`` (light on dark), ``bar`` (a filled bar was drawn as a
    1's stroke), ``reason`` (None, or why there is no digit to read).
    Raises UnreadableImage for bytes that are not an image we can read.
    """
    rgb = decode(data)
    steps: dict = {"photo": rgb, "framed": None, "reason": None}
    if float(np.ptp(rgb)) < 0.04:
        steps["reason"] = REASONS["filled"] if float(rgb.mean()) < 0.95 else REASONS["blank"]
        return steps
    ink, light, inverted = remove_paper(rgb)
    steps.update(paper=light, ink=ink, inverted=inverted)
    steps["no_lines"] = remove_lines(ink)
    digit = stretch(keep_digit(steps["no_lines"]))
    steps["digit"] = digit
    problem = "blank" if digit is None else ink_problem(digit)
    if problem is not None:
        steps["reason"] = REASONS.get(problem, REASONS["blank"])
        return steps
    framed, why = _framed(digit, framing)
    bar = bar_as_stroke(digit) if why == "blob" else None
    steps["bar"] = bar is not None
    if bar is not None:
        steps["digit"] = bar
        framed, why = _framed(bar, framing)
    if why is not None:
        steps["reason"] = NOT_A_DIGIT.get(why, REASONS["blank"])
        return steps
    steps["framed"] = framed
    return steps


def read_photo(data, framing: str = "frame+deskew") -> tuple[np.ndarray | None, str | None]:
    """A photo or scan of one handwritten digit as the model's 28x28 input.

    Returns ``(x, None)`` with x (28,28) float32 framed like MNIST, or ``(None, reason)`` when
    the bytes are not a readable image or hold no digit. Never raises for any bytes.
    """
    try:
        steps = photo_steps(data, framing)
    except UnreadableImage as exc:
        return None, f"That file cannot be used: {exc}."
    return steps["framed"], steps["reason"]
