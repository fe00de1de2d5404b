"""Frame any digit image the way MNIST frames its digits.

MNIST's recipe: crop to the ink, scale the longer side to 20 px (anti-aliased), and put the
centre of mass at the centre of a 28x28 field. We add the classic deskew by image moments, and
bring every digit's aspect ratio part way towards square (``aspect``): people write the same
digit narrow or wide, and a linear model reads one shape better than many.
All of it is one affine map per image, so a whole batch is framed with one ``grid_sample``:
the same function frames 70,000 training digits and one canvas drawing. Last, every framed
digit's strokes are redrawn at one common width (``normalise_width``): a marker, a thin pen and
MNIST's own pens then look alike to the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageOps

FRAMINGS = ("none", "frame", "frame+deskew")
FRAMING_VERSION = 5  # bump when the framing maths changes; checkpoints record it

SIZE = 28  # output field
BOX = 20  # longer side of the digit inside the field
CENTRE = 14.5  # where MNIST's centre of mass sits, in continuous pixel coordinates (measured)
INK = 0.05  # a pixel at or above this intensity counts as ink for the bounding box
MAX_SHEAR = 1.0  # deskew never shears by more than 45 degrees (degenerate shapes)
MAX_SUPERSAMPLE = 8
# Stroke width every framed digit is redrawn at, in pixels of the 28x28 field (MNIST's own median is
# about 2, other writers' about 3, a mouse's under 2): one thick common pen gives a linear model more
# overlap between writers (bench/writers.py measures MNIST, mouse strokes and other writers together).
STROKE = 3.5
# Thick strokes are thinned by up to 6 px (three erosions): a felt tip or a photographed marker 1
# framed 9 px wide is otherwise a filled bar, which a linear model reads as an 8 or a 4.
MAX_THINNING = 6.0
# How far towards square the framing brings a digit's shape (``aspect``): 1 keeps the shape as it is,
# 0.5 is Liu et al.'s square root, 0 makes every digit square. Hands outside MNIST (photos, other
# writers) differ from it most in their proportions, and a shape nearer square is read more alike.
ASPECT_POWER = 0.3


# A canvas drawing is rasterised for the model with a pen at most this share of the drawing's
# extent (the longer side of its points' box), and never under MIN_PEN px (``pen_width``). A small
# digit drawn with a fat pen (a phone, a finger, the default 22 px) closes its loops: a 9 becomes a
# blob on a stem, read as a 4, a 0 a disc. The framing redraws every stroke at STROKE px of a BOX px
# digit (17.5 %) anyway, but only after the loops have closed. 15 % of the extent keeps a small
# digit's loops open and leaves a big digit's pen as it was drawn.
PEN_SHARE = 0.15
MIN_PEN = 6.0


def pen_width(width: float, points) -> float:
    """The pen (px) that strokes drawn at ``width`` are rasterised with for the model, for a
    drawing of ``points`` ((x, y) pairs, all its strokes'): ``width``, at most PEN_SHARE of their
    extent (the longer side of their box), not narrowed under MIN_PEN. A big digit keeps its pen;
    a tap stays a dot."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    extent = float(np.ptp(pts, axis=0).max()) if len(pts) else 0.0
    return min(width, max(MIN_PEN, PEN_SHARE * extent))


@dataclass(frozen=True)
class FrameParams:
    """Per-image affine parameters, all (N,) tensors in input pixel units."""

    cy: torch.Tensor  # centre of mass
    cx: torch.Tensor
    shear: torch.Tensor  # x shift per unit y (0 without deskew)
    scale_y: torch.Tensor  # output pixels per input pixel, down and across
    scale_x: torch.Tensor
    top: torch.Tensor  # ink bounding box (before shear)
    bottom: torch.Tensor
    left: torch.Tensor
    right: torch.Tensor


def _check_framing(framing: str) -> None:
    if framing not in FRAMINGS:
        raise ValueError(f"unknown framing {framing!r}; choose one of {', '.join(FRAMINGS)}")


def aspect(r: torch.Tensor) -> torch.Tensor:
    """Aspect ratio (short side / long side, in (0,1]) a digit is framed at: sin(pi/2 r) ** ASPECT_POWER.

    Liu et al.'s aspect-ratio-adaptive normalisation (Pattern Recognition 36, 2003): a square stays
    square, a digit half as wide as tall is framed 0.90 as wide, a 1 (r = 0.2) at 0.71 of its height.
    Keeping the ratio (MNIST's own way) frames a narrow 1 or 7 far thinner than a round 0, so its few
    pixels carry its whole score; bringing shapes towards square evens that out (see ASPECT_POWER).
    """
    return torch.sin(r.clamp(0, 1) * (math.pi / 2)).pow(ASPECT_POWER)


def frame_params(x: torch.Tensor, deskew: bool = True) -> FrameParams:
    """Moments and extents of a batch of ink images (N,H,W) in [0,1], white on black."""
    n, h, w = x.shape
    ys = torch.arange(h, dtype=x.dtype) + 0.5
    xs = torch.arange(w, dtype=x.dtype) + 0.5
    row, col = x.sum(2), x.sum(1)
    mass = row.sum(1).clamp_min(1e-8)
    cy, cx = row @ ys / mass, col @ xs / mass
    dy = ys[None, :, None] - cy[:, None, None]
    if deskew:
        var_y = row @ ys.square() / mass - cy.square()
        cov = (x * dy * (xs[None, None, :] - cx[:, None, None])).sum((1, 2)) / mass
        shear = torch.where(var_y > 1e-3, cov / var_y.clamp_min(1e-3), 0).clamp(-MAX_SHEAR, MAX_SHEAR)
    else:
        shear = torch.zeros_like(cy)
    mask = x >= INK
    inf = torch.tensor(math.inf, dtype=x.dtype)
    rows, cols = mask.any(2), mask.any(1)
    top = torch.where(rows, ys, inf).amin(1) - 0.5
    bottom = torch.where(rows, ys, -inf).amax(1) + 0.5
    left = torch.where(cols, xs, inf).amin(1) - 0.5
    right = torch.where(cols, xs, -inf).amax(1) + 0.5
    # Width of the ink once sheared upright: x' = x - shear * (y - cy).
    sheared = xs[None, None, :] - shear[:, None, None] * dy
    width = torch.where(mask, sheared, -inf).amax((1, 2)) - torch.where(mask, sheared, inf).amin((1, 2)) + 1
    height = bottom - top
    extent, short = torch.maximum(height, width), torch.minimum(height, width)
    ok = torch.isfinite(extent) & (extent > 0)
    scale = torch.where(ok, BOX / extent.clamp_min(1e-3), 1.0)  # the longer side to BOX px
    r = torch.where(ok, short / extent.clamp_min(1e-3), 1.0).clamp_min(1e-3)
    widen = aspect(r) / r  # the shorter side to aspect(r) * BOX px
    tall = height >= width
    return FrameParams(
        cy,
        cx,
        shear,
        torch.where(tall, scale, scale * widen),
        torch.where(tall, scale * widen, scale),
        top,
        bottom,
        left,
        right,
    )


def stroke_width(x: torch.Tensor) -> torch.Tensor:
    """Mean stroke width (N,) of ink images (N,H,W) in [0,1], in pixels.

    A stroke of length L and width w has ink area A = L*w and outline P = 2(L + w); the outline is
    the summed change of ink along rows and columns. Solving for w gives the width; it is exact
    for an upright or level bar and close for curved anti-aliased strokes. Blank images give 0.
    """
    half = (x[:, :, 1:] - x[:, :, :-1]).abs_().sum((1, 2)).add_((x[:, 1:] - x[:, :-1]).abs_().sum((1, 2))).div_(2)
    area = x.sum((1, 2))
    return (half - torch.sqrt((half * half - 4 * area).clamp_min(0))) / 2


def _dilate(x: torch.Tensor) -> torch.Tensor:
    """Grey dilation by the 4-neighbour cross: every stroke one pixel wider on each side."""
    y = x.clone()
    torch.maximum(y[:, 1:], x[:, :-1], out=y[:, 1:])
    torch.maximum(y[:, :-1], x[:, 1:], out=y[:, :-1])
    torch.maximum(y[:, :, 1:], x[:, :, :-1], out=y[:, :, 1:])
    torch.maximum(y[:, :, :-1], x[:, :, 1:], out=y[:, :, :-1])
    return y


def normalise_width(x: torch.Tensor, target: float = STROKE) -> torch.Tensor:
    """Strokes thickened or thinned towards ``target`` pixels wide (N,H,W): at most 2 px thicker,
    at most ``MAX_THINNING`` px thinner.

    A dilation (erosion) by the cross widens (narrows) a stroke by 2 px; blending a fraction t of
    it changes the width by about 2t, so each image moves by (target - width) / 2 of one step,
    repeated while more than one step is left (thick strokes: a marker, a photo's felt tip).
    """
    t = ((target - stroke_width(x)) / 2).clamp_(-MAX_THINNING / 2, 1)
    out = x.clone()
    for step in range(math.ceil(MAX_THINNING / 2)):
        for sign, rows in ((1, torch.nonzero(t > step)[:, 0]), (-1, torch.nonzero(t < -step)[:, 0])):
            if len(rows):  # only the images that grow are dilated, only those that thin eroded
                part = out[rows]
                moved = _dilate(part) if sign > 0 else _dilate(-part).neg_()
                share = (t[rows].abs() - step).clamp_(max=1)
                out[rows] = moved.sub_(part).mul_(share[:, None, None]).add_(part)
    return out


def _grid(p: FrameParams, h: int, w: int, k: int) -> torch.Tensor:
    """Sampling grid (N, 28k, 28k, 2) mapping output sub-pixels back into the input image."""
    u = (torch.arange(SIZE * k, dtype=p.cy.dtype) + 0.5) / k - CENTRE  # output offsets from centre
    y = u[None, :, None] / p.scale_y[:, None, None] + p.cy[:, None, None]
    x = (
        u[None, None, :] / p.scale_x[:, None, None]
        + p.cx[:, None, None]
        + p.shear[:, None, None] * (y - p.cy[:, None, None])
    )
    y = y.expand(-1, -1, SIZE * k)
    return torch.stack((2 * x / w - 1, 2 * y / h - 1), dim=-1)


def frame_batch(x: torch.Tensor, framing: str = "frame+deskew", chunk: int = 8192, widths: bool = True) -> torch.Tensor:
    """Frame a batch of ink images (N,H,W) in [0,1] into (N,28,28) float32.

    ``none`` only resizes to 28x28 (area-averaged); ``frame`` crops, scales the longer side
    to 20 px and centres the mass; ``frame+deskew`` also shears the main axis upright. Both
    then redraw the strokes at one width (``normalise_width``; ``widths=False`` leaves them as
    framed, for measuring the ink itself). Blank images come back blank.
    """
    _check_framing(framing)
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.ndim != 3:
        raise ValueError(f"expected a batch (N,H,W), got shape {tuple(x.shape)}")
    if framing == "none":
        if x.shape[1:] == (SIZE, SIZE):
            return x.clone()
        return F.interpolate(x[:, None], size=(SIZE, SIZE), mode="area")[:, 0]
    out = []
    for part in x.split(chunk):
        p = frame_params(part, deskew=framing == "frame+deskew")
        # Supersample when shrinking, so a 280 px drawing is anti-aliased, not point-sampled.
        k = int(min(MAX_SUPERSAMPLE, max(1, math.ceil(1 / float(torch.minimum(p.scale_y, p.scale_x).min()) - 0.5))))
        grid = _grid(p, part.shape[1], part.shape[2], k)
        img = F.grid_sample(part[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        if k > 1:
            img = F.avg_pool2d(img, k)
        img = img[:, 0].clamp_(0, 1)
        out.append(normalise_width(img).clamp_(0, 1) if widths else img)
    return torch.cat(out) if out else x.new_zeros((0, SIZE, SIZE))


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def _scale01(a: np.ndarray) -> np.ndarray:
    a = np.nan_to_num(np.asarray(a, dtype=np.float32))
    top = float(a.max()) if a.size else 0.0
    if top > 255:  # 16-bit and other wide ranges
        return a / top
    return a / 255.0 if top > 1.0 else a


def _scale_u8(a: np.ndarray) -> np.ndarray:
    """``_scale01`` of values made from uint8 (no NaN, nothing above 255), without its extra passes."""
    return a / 255.0 if a.size and float(a.max()) > 1.0 else a


def _pil_to_array(img: Image.Image) -> np.ndarray:
    img = ImageOps.exif_transpose(img)
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        return _scale01(np.asarray(img.convert("F") if img.mode != "F" else img))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        return np.asarray(img.convert("RGBA"))
    return np.asarray(img.convert("L"))


def to_ink(image) -> np.ndarray:
    """Any supported image as (H,W) float32 in [0,1]: white ink on black.

    Accepts a canvas RGBA array (ink in alpha or in colour), RGB, grayscale or a PIL image.
    Light backgrounds (paper, scans, uploads) are detected from the border and inverted.
    """
    gray = _gray(image)
    return 1.0 - gray if gray.size and _light_background(gray) else gray


def _gray(image) -> np.ndarray:
    """The image as (H,W) float32 in [0,1] as it looks (transparency over black), not inverted."""
    a = _pil_to_array(image) if isinstance(image, Image.Image) else np.asarray(image)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        rgb = _scale_u8(_luminance(a)) if a.dtype == np.uint8 else _luminance(_scale01(a))
        if a.shape[2] == 4 and not (a.dtype == np.uint8 and a[..., 3].min() == 255):  # opaque: as it looks
            alpha = _scale01(a[..., 3]) if a.dtype == np.uint8 else np.clip(_scale01(a[..., 3]), 0, 1)
            if alpha.min() < 1.0:  # transparent background: composite over black
                over_black = rgb * alpha
                # Dark strokes on a transparent canvas vanish over black: then the alpha is the ink.
                rgb = over_black if over_black.max() >= 0.5 * alpha.max() else alpha
        gray = rgb
    elif a.ndim == 2:
        gray = _scale01(a)
    else:
        raise ValueError(f"unsupported image shape {a.shape}; expected (H,W), (H,W,3) or (H,W,4)")
    return np.clip(gray, 0.0, 1.0).astype(np.float32, copy=False)


# What ink_problem() reports, and what to tell a person.
PROBLEMS = {
    "blank": "Draw a digit from 0 to 9 in the black box: one stroke is enough to start.",
    "filled": "The whole picture is ink: there is no digit to find. Clear it and draw one digit.",
    "dot": "That is too small to read yet: draw the digit bigger, or keep drawing.",
}
DOT = 0.12  # ink whose box is under 12 % of the picture's side and mostly filled is a dot, not a digit


def ink_problem(image) -> str | None:
    """Why an image cannot be classified (a key of PROBLEMS), or None when it can."""
    gray = _gray(image)
    ink = 1.0 - gray if gray.size and _light_background(gray) else gray
    if _blank(ink):
        # Uniformly light (a white fill, a blank sheet of paper) inverts to nothing.
        return "filled" if gray.size and float(gray.min()) > 0.5 else "blank"
    rows, cols = np.flatnonzero(ink.max(1) >= 0.5), np.flatnonzero(ink.max(0) >= 0.5)
    if not len(rows):
        return "blank"
    h, w = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    filled = float((ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] >= 0.5).mean())
    if max(h, w) < DOT * max(ink.shape) and filled > 0.5:
        return "dot"
    return None


class UnreadableImage(ValueError):
    """An upload that is not an image we can safely read; the message says why."""


def _blank(ink: np.ndarray) -> bool:
    """No pixel dark-to-light enough to be a stroke: nothing to frame."""
    return ink.size == 0 or float(ink.max()) < INK * 2


def _light_background(gray: np.ndarray) -> bool:
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(border)) > 0.5


def to_mnist(image, framing: str = "frame+deskew") -> np.ndarray | None:
    """Frame a drawing, photo or scan like an MNIST digit.

    Returns (28,28) float32 in [0,1], white digit on black, or ``None`` when there is no ink.
    """
    _check_framing(framing)
    ink = to_ink(image)
    if _blank(ink):
        return None
    return frame_batch(torch.from_numpy(ink)[None], framing)[0].numpy()


def framing_steps(image, framing: str = "frame+deskew") -> dict | None:
    """The framing shown step by step, for display: ink, its bounding box, the crop scaled to
    20 px, and the final 28x28 (computed by the same ``frame_batch`` as everything else)."""
    _check_framing(framing)
    ink = to_ink(image)
    if _blank(ink):
        return None
    framed = frame_batch(torch.from_numpy(ink)[None], framing)[0].numpy()
    if framing == "none":
        return {
            "framing": framing,
            "ink": ink,
            "box": (0, ink.shape[0], 0, ink.shape[1]),
            "scaled": framed,
            "framed": framed,
        }
    # The ink's bounding box, as frame_params finds it (pixels >= INK), without its moments.
    rows, cols = np.flatnonzero((ink >= INK).any(1)), np.flatnonzero((ink >= INK).any(0))
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    crop = ink[top:bottom, left:right]
    s = BOX / max(crop.shape)
    size = (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s)))
    small = np.asarray(Image.fromarray(crop).resize(size, Image.Resampling.BOX), dtype=np.float32)
    scaled = np.zeros((SIZE, SIZE), np.float32)  # on the 28x28 field, box-centred, to compare with the result
    y0, x0 = (SIZE - small.shape[0]) // 2, (SIZE - small.shape[1]) // 2
    scaled[y0 : y0 + small.shape[0], x0 : x0 + small.shape[1]] = small
    return {"framing": framing, "ink": ink, "box": (top, bottom, left, right), "scaled": scaled, "framed": framed}
