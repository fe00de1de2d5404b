""" "That doesn't look like a digit": lines, blobs, letters, stars and scribbles get a message.

The classifier always answers one of ten digits, so this is a separate check with three parts:

- a line that is not upright (a vertical line is a 1): the ink's principal axis is long and
  more than 28 degrees off vertical, measured before framing (deskew would make it upright);
- a filled blob: more than 18 % of the framed 28x28 field is solid ink before its strokes are
  thinned to the common width (a digit can reach 30 %),
  it fills 85 % of its convex hull (a digit has gaps), and it is roundish (a 1 is a solid bar,
  which the framing widens part way to square, but its ink stays long and thin);
- anything else far from every digit: the framed image is scored against MNIST itself, as a
  Gaussian per digit in the 40 main directions of MNIST's pixels (a Mahalanobis distance to
  the nearest digit) plus what those 40 directions cannot express (the residual). Letters,
  stars, smileys and scribbles are far from all ten digits on one or both.

The MNIST statistics live in ``assets/digit_space.safetensors`` (built by
``python -m bench.nondigits --build`` from the training set, framed frame+deskew); the weights
and the threshold were chosen on MNIST training digits redrawn on the canvas, mouse-drawn digits
and a set of generated non-digits that the benchmark does not use (its seeds differ): about 1.5 %
of real drawn digits flagged, more than 90 % of non-digits.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch

from model.preprocess import frame_batch, to_ink, to_mnist

SPACE_PATH = Path(__file__).resolve().parents[1] / "assets" / "digit_space.safetensors"
DIMS = 40  # main directions of MNIST's pixels kept for the per-digit Gaussians

LINE_ELONGATION = 3.0  # principal axis this many times the cross axis...
LINE_ANGLE = 28.0  # ...and more than this many degrees off vertical: a line, not a 1
BLOB_FILL = 0.18  # share of the framed field that is solid ink (> 0.5)...
BLOB_SOLIDITY = 0.85  # ...filling its convex hull (a small digit drawn with a thick pen has gaps)...
BLOB_ELONGATION = 2.5  # ...and not long and thin (its principal axis under 2.5 times the cross axis)
# far-from-digits score: W_MAHA * log(distance to the nearest digit) + W_RES * log(residual)
# FAR flags about 1 % of MNIST training digits as MNIST has them (the least digit-like;
# `python -m bench.nondigits --build` prints the quantiles) and fewer redrawn on the canvas.
W_MAHA, W_RES, FAR = 3.354, 2.0, 21.3

MESSAGES = {
    "line": "That looks like a line, not a digit (a 1 is drawn upright). Draw one digit from 0 to 9.",
    "blob": "That is a filled shape, not a digit: draw the digit's strokes with the pen.",
    "shape": "That doesn't look like a digit from 0 to 9. Draw one digit, large and upright.",
}


def build_space(framed: np.ndarray, labels: np.ndarray, dims: int = DIMS) -> dict[str, np.ndarray]:
    """MNIST's statistics for ``far_from_digits``: mean, main directions, per-digit Gaussians."""
    x = np.asarray(framed, np.float32).reshape(len(framed), -1)
    mean = x.mean(0)
    _, _, vt = np.linalg.svd(x[:: max(1, len(x) // 20_000)] - mean, full_matrices=False)
    basis = vt[:dims].astype(np.float32)
    z = (x - mean) @ basis.T
    means, precisions = [], []
    for d in range(10):
        zd = z[labels == d]
        means.append(zd.mean(0))
        precisions.append(np.linalg.inv(np.cov(zd.T) + 1e-3 * np.eye(dims)))
    return {
        "mean": mean,
        "basis": basis,
        "means": np.asarray(means, np.float32),
        "precisions": np.asarray(precisions, np.float32),
    }


@functools.lru_cache(maxsize=1)
def _space() -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(SPACE_PATH))


def far_score(framed: np.ndarray) -> float:
    """How far a framed 28x28 (frame+deskew) is from every MNIST digit; above FAR: not a digit."""
    s = _space()
    xc = np.asarray(framed, np.float32).reshape(-1) - s["mean"]
    z = s["basis"] @ xc
    residual = float(np.square(xc - z @ s["basis"]).sum())
    dz = z[None, :] - s["means"]
    maha = float(np.einsum("dk,dkl,dl->d", dz, s["precisions"], dz).min())
    return W_MAHA * float(np.log(max(maha, 1e-6))) + W_RES * float(np.log(max(residual, 1e-6)))


def axis(ink: np.ndarray) -> tuple[float, float]:
    """Elongation (long axis / short axis) and degrees off vertical of the ink's principal axis."""
    step = max(1, max(ink.shape) // 96)
    a = ink[::step, ::step].astype(np.float64)
    m = a.sum()
    ys, xs = np.mgrid[: a.shape[0], : a.shape[1]]
    cy, cx = (a * ys).sum() / m, (a * xs).sum() / m
    dy, dx = ys - cy, xs - cx
    cov = np.array([[(a * dy * dy).sum(), (a * dy * dx).sum()], [(a * dy * dx).sum(), (a * dx * dx).sum()]]) / m
    values, vectors = np.linalg.eigh(cov)
    vy, vx = vectors[:, 1]
    return float(np.sqrt(values[1] / max(values[0], 1e-9))), float(np.degrees(np.arctan2(abs(vx), abs(vy))))


def _solidity(mask: np.ndarray) -> float:
    """Ink area over the area of its convex hull (1 for a disc, well under 1 for any digit)."""
    from scipy.spatial import ConvexHull, QhullError

    ys, xs = np.nonzero(mask)
    corners = np.concatenate([np.stack([ys + dy, xs + dx], 1) for dy in (0, 1) for dx in (0, 1)])
    try:
        return float(len(ys) / ConvexHull(corners).volume)
    except (QhullError, ValueError):
        return 0.0


def _solid_share(ink: np.ndarray) -> float:
    """Share of the framed 28x28 field that is solid ink (> 0.5) as framed, before the stroke
    width is normalised: thinning a filled disc by 6 px would hide how much of it is ink."""
    unthinned = frame_batch(torch.from_numpy(np.ascontiguousarray(ink, np.float32))[None], widths=False)[0]
    return float((unthinned > 0.5).float().mean())


def not_a_digit(image, framed: np.ndarray | None = None) -> str | None:
    """Why ``image`` (a drawing or ink image) is not a digit: a key of MESSAGES, or None.

    ``framed`` may pass its frame+deskew 28x28 when already computed. Blank images give None
    (``ink_problem`` speaks for them).
    """
    ink = to_ink(image)
    if framed is None:
        framed = to_mnist(ink, "frame+deskew")
    if framed is None or float(ink.sum()) <= 0:
        return None
    elongation, off_vertical = axis(ink)
    if elongation > LINE_ELONGATION and off_vertical > LINE_ANGLE:
        return "line"
    if elongation < BLOB_ELONGATION and _solidity(framed > 0.5) > BLOB_SOLIDITY and _solid_share(ink) > BLOB_FILL:
        return "blob"
    if far_score(framed) > FAR:
        return "shape"
    return None


def looks_like_digit(image) -> bool:
    """True unless ``not_a_digit`` has a reason."""
    return not_a_digit(image) is None
