"""Pure plot builders: data in, matplotlib Figure out. No streamlit here; views render and close.

Figures are built with the object-oriented API (``Figure``, not ``pyplot``), so nothing piles
up in global state, and share one style sized to read on a projector.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib import colormaps  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from common import _  # noqa: E402
from common.text import chart  # noqa: E402

BLUE, ORANGE, GREY, GREEN, RED = "#1f6feb", "#e8590c", "#8c959f", "#2da44e", "#cf222e"
STYLE = {
    "text.usetex": False,  # user text (run names in legends) goes through text.chart: no TeX, no mathtext
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.titleweight": "bold",
    "axes.labelsize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 12,
    "legend.frameon": False,
}
TUTORIAL_ACCURACY = 0.86  # the tutorial's reported result after 50 epochs
DIGITS = [str(d) for d in range(10)]


def _figure(w: float, h: float, margins: tuple[float, float, float, float] | None = None) -> Figure:
    """A styled figure, laid out by matplotlib's constrained layout, or with fixed ``margins``
    (left, bottom, right, top as fractions) where that layout would cost most of the drawing time."""
    with matplotlib.rc_context(STYLE):
        if margins is None:
            return Figure(figsize=(w, h), layout="constrained")
        fig = Figure(figsize=(w, h))
        left, bottom, right, top = margins
        fig.subplots_adjust(left=left, bottom=bottom, right=right, top=top)
        return fig


def _styled(fn):
    """Build the figure under the shared style (rc params apply at artist creation)."""

    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)

    wrapper.__doc__, wrapper.__name__ = fn.__doc__, fn.__name__
    return wrapper


@_styled
def plot_training(history: Sequence, live_losses: Sequence[float] = (), compact: bool = False) -> Figure:
    """Loss (every batch, and per epoch on train and test) and test accuracy per epoch."""
    fig = _figure(6.5, 5.2) if compact else _figure(12, 4.5)
    ax_loss, ax_acc = fig.subplots(2, 1) if compact else fig.subplots(1, 2)
    batch, xs = [], []
    for i, m in enumerate(history):
        n = max(len(m.batch_losses), 1)
        batch += list(m.batch_losses)
        xs += list(i + (np.arange(len(m.batch_losses)) + 1) / n)
    if live_losses:
        n0 = len(history)
        batch += list(live_losses)
        xs += list(n0 + (np.arange(len(live_losses)) + 1) / max(len(live_losses), 1) * 0.999)
    if batch:
        ax_loss.plot(xs, batch, color=GREY, lw=0.8, alpha=0.6, label="batch loss")
    epochs = [m.epoch - (0 if not getattr(m, "partial", False) else 0.5) for m in history]
    if history:
        ax_loss.plot(epochs, [m.train_loss for m in history], "o-", color=BLUE, label="train loss (epoch)")
        ax_loss.plot(epochs, [m.test_loss for m in history], "s--", color=ORANGE, label="test loss")
        ax_acc.plot(epochs, [100 * m.test_accuracy for m in history], "o-", color=GREEN, label="test accuracy")
        best = max(history, key=lambda m: m.test_accuracy)
        ax_acc.annotate(
            f"{best.test_accuracy:.1%}",
            (epochs[history.index(best)], 100 * best.test_accuracy),
            textcoords="offset points",
            xytext=(0, 8),
            ha="center",
            fontweight="bold",
        )
    ax_acc.axhline(100 * TUTORIAL_ACCURACY, color=RED, ls=":", lw=1.5, label="tutorial: 86 % after 50 epochs")
    ax_loss.set(title="Loss", xlabel="epoch", ylabel="cross-entropy")
    ax_acc.set(title="Test accuracy", xlabel="epoch", ylabel="%")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax_loss.legend(loc="upper right")
    ax_acc.legend(loc="lower right")
    if batch and max(batch) > 5 * np.median(batch):
        ax_loss.set_yscale("log")
    return fig


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, dtype=np.float64)))


@_styled
def plot_sigmoid(logits: Sequence[float] | None = None, predicted: int | None = None) -> Figure:
    """The logistic function, with a drawing's ten logits placed on it (one-vs-rest view)."""
    fig = _figure(9, 4.6)
    ax = fig.subplots()
    z = np.linspace(-12, 12, 400)
    ax.plot(z, sigmoid(z), color=BLUE, lw=2.5, label=r"$\sigma(z) = 1/(1+e^{-z})$")
    ax.axhline(0.5, color=GREY, ls=":", lw=1)
    ax.set(xlabel="logit z = w·x + b", ylabel="σ(z)", ylim=(-0.08, 1.08), title="The logistic (sigmoid) function")
    ax.set_xlim(-13, 13)
    ax.legend(loc="upper left")
    if logits is not None:
        zl = np.clip(np.asarray(logits, dtype=float), -12, 12)
        sizes = [120 if d == predicted else 60 for d in range(len(zl))]
        colours = [GREEN if d == predicted else ORANGE for d in range(len(zl))]
        ax.scatter(zl, sigmoid(zl), s=sizes, color=colours, zorder=3)
        _label_points(fig, ax, zl, sigmoid(zl), [str(d) for d in range(len(zl))], colours, sizes)
    return fig


_LABEL_SIZE = 14  # pt, bold: the digits' labels on the sigmoid


def _label_points(fig, ax, xs, ys, labels, colours, sizes) -> None:
    """Label each point just above or below it, never on another label or dot: a drawing's scores
    crowd together (most digits score far below zero, and many are clipped to the same end), and
    labels put alternately above and below overlapped there. Greedy: points in order along x,
    each label in the nearest free place of a few, in points from the dot, sized from the font."""
    fig.draw_without_rendering()  # the axes' final place, so that data can be measured in points
    to_pt = 72 / fig.dpi
    centres = ax.transData.transform(np.column_stack([xs, ys])) * to_pt
    inside = ax.get_window_extent().extents * to_pt  # labels stay off the ticks and the title
    height, width = _LABEL_SIZE, 0.72 * _LABEL_SIZE
    taken = [_box(cx, cy, np.sqrt(s), np.sqrt(s)) for (cx, cy), s in zip(centres, sizes, strict=True)]
    taken.append(tuple(ax.get_legend().get_window_extent().extents * to_pt))
    places = sorted(
        ((dx, sign * (11 + 16 * k)) for k in range(6) for sign in (1, -1) for dx in (0, -14, 14, -28, 28)),
        key=lambda p: np.hypot(*p),
    )
    for i in np.argsort(xs, kind="stable"):
        cx, cy = centres[i]
        w = width * len(labels[i])

        def free(place, cx=cx, cy=cy, w=w):
            box = _box(cx + place[0], cy + place[1], w, height)
            inner = inside[0] <= box[0] and box[2] <= inside[2] and inside[1] <= box[1] and box[3] <= inside[3]
            return inner and not any(_overlap(box, t) for t in taken)

        dx, dy = next(filter(free, places), places[0])
        taken.append(_box(cx + dx, cy + dy, w, height))
        text = ax.annotate(
            labels[i],
            (xs[i], ys[i]),
            textcoords="offset points",
            xytext=(dx, dy),
            ha="center",
            va="center",
            fontsize=_LABEL_SIZE,
            fontweight="bold",
            color=colours[i],
        )
        text.set_in_layout(False)  # placed after the layout: moving the axes now would undo it


def _box(cx: float, cy: float, w: float, h: float) -> tuple[float, float, float, float]:
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _overlap(a, b, pad: float = 1.0) -> bool:
    return a[0] < b[2] + pad and b[0] < a[2] + pad and a[1] < b[3] + pad and b[1] < a[3] + pad


@_styled
def plot_probability_pair(softmax_p: Sequence[float], sigmoid_p: Sequence[float]) -> Figure:
    """Softmax and per-class sigmoid probabilities for the same logits, side by side."""
    fig = _figure(9, 3.8)
    ax = fig.subplots()
    x = np.arange(10)
    ax.bar(x - 0.2, softmax_p, 0.4, color=BLUE, label="softmax (sums to 1)")
    ax.bar(x + 0.2, sigmoid_p, 0.4, color=ORANGE, label="sigmoid per class (independent)")
    ax.set(xticks=x, xticklabels=DIGITS, ylim=(0, 1.05), xlabel="digit", ylabel="probability")
    # Above the axes, not inside them: any digit's bars may reach the top, and a legend there hid them.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    return fig


@_styled
def plot_logistic_1d(w: float, b: float, xs: Sequence[float] = (1, 2, 3, 4)) -> Figure:
    """The tutorial's 1-D logistic regression: the curve sigma(wx + b) and its predictions."""
    fig = _figure(7, 4)
    ax = fig.subplots()
    grid = np.linspace(-6, 6, 300)
    ax.plot(grid, sigmoid(w * grid + b), color=BLUE, lw=2.5, label=f"σ({w:.2f}·x + {b:.2f})")
    ys = sigmoid(w * np.asarray(xs) + b)
    ax.scatter(xs, ys, color=ORANGE, s=70, zorder=3, label="predictions")
    # Two decimals: a label is then narrower than the space between two points, whatever w and b;
    # four ("0.9579", "0.9799") overlapped. The table beside the figure has four.
    for x, y in zip(xs, ys, strict=True):
        ax.annotate(f"{y:.2f}", (x, y), textcoords="offset points", xytext=(0, 10), ha="center")
    ax.axhline(0.5, color=GREY, ls=":", lw=1)
    ax.set(xlabel="x", ylabel="P(class 1)", ylim=(-0.05, 1.15))
    ax.legend(loc="upper left")
    return fig


@_styled
def plot_weights(weight: np.ndarray) -> Figure:
    """The ten rows of W as 28x28 heatmaps: red pixels vote for the digit, blue against.

    One image of the ten maps side by side, on one set of axes: ten axes under a layout engine
    took most of a second to draw, and a new model's figures are drawn while its trainer waits."""
    w = np.asarray(weight, dtype=np.float64).reshape(10, 28, 28)
    lim = float(np.abs(w).max()) or 1.0
    tiles, centres = _tile(w, cols=5, pad=6, top=9)
    fig = Figure(figsize=(12, 5.2))
    ax = fig.add_axes((0.0, 0.0, 0.86, 1.0))
    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(bad="white")
    im = ax.imshow(tiles, cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest")
    for d, (x, y) in enumerate(centres):
        ax.text(x, y - 2, str(d), ha="center", va="bottom", fontsize=15, fontweight="bold")
    ax.set_axis_off()
    cax = fig.add_axes((0.88, 0.12, 0.02, 0.76))
    fig.colorbar(im, cax=cax, label="weight (red: evidence for)")
    return fig


def _tile(images: np.ndarray, cols: int, pad: int, top: int) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Images (n, h, w) in a grid of ``cols``, ``pad`` pixels apart and ``top`` pixels above each
    for its label (NaN between them); and each tile's (centre x, top y) in the grid's pixels."""
    n, h, w = images.shape
    rows = -(-n // cols)
    cell_h, cell_w = h + top + pad, w + pad
    grid = np.full((rows * cell_h, cols * cell_w - pad), np.nan)
    centres = []
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        y, x = r * cell_h + top, c * cell_w
        grid[y : y + h, x : x + w] = img
        centres.append((x + (w - 1) / 2, y - 0.5))
    return grid, centres


BOARD_CONFUSION_INCHES = (5.6, 5.2)  # the room board's confusion matrix, width and height
BOARD_CONFUSION_DPI = 110  # ... rendered at this, so that it is 616 px wide


@_styled
def plot_confusion(cm: np.ndarray, title: str = "Confusion matrix (test set)", board: bool = False) -> Figure:
    """Confusion matrix: rows are the true digit, columns the prediction. ``board``: the room
    board's, read on a projector from the back of the room (every text about twice the size)."""
    size = 20 if board else 10
    if board:
        # Shown at its natural size (BOARD_CONFUSION_DPI) in the board's right-hand column: at 20 pt,
        # and 16 pt for three-digit counts, every text of it is at least 24 px on the projector.
        fig = _figure(*BOARD_CONFUSION_INCHES, margins=(0.15, 0.15, 0.98, 0.9 if title else 0.98))
    else:
        fig = _figure(7.5, 6.5, margins=(0.1, 0.1, 0.98, 0.92))
    ax = fig.subplots()
    shade = np.log1p(cm)
    ax.imshow(shade, cmap="Blues")
    dark = shade > 0.55 * max(float(shade.max()), 1e-9)  # white on the dark cells, black on the light
    count = size if int(cm.max(initial=0)) < 100 else round(size * 0.8)  # three digits fit a cell too
    for i in range(10):
        for j in range(10):
            if cm[i, j]:
                colour = "white" if dark[i, j] else "black"
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=count, color=colour)
    # the board's has no caption to say what the axes are: they say it themselves
    words = (_("what it read"), _("the digit it is")) if board else ("predicted", "true")
    ax.set(xticks=range(10), yticks=range(10), xlabel=words[0], ylabel=words[1], title=chart(title))
    if board:
        ax.xaxis.label.set_fontsize(size)
        ax.yaxis.label.set_fontsize(size)
        ax.title.set_fontsize(size + 2)
        ax.tick_params(labelsize=size)
    ax.grid(False)
    return fig


@_styled
def plot_per_class(acc: Sequence[float]) -> Figure:
    fig = _figure(6, 3.6, margins=(0.13, 0.17, 0.98, 0.89))
    ax = fig.subplots()
    bars = ax.bar(range(10), 100 * np.asarray(acc), color=BLUE)
    ax.bar_label(bars, fmt="%.0f", fontsize=11)
    lo = max(0.0, 100 * float(np.min(acc)) - 10)
    ax.set(xticks=range(10), ylim=(lo, 101), xlabel="digit", ylabel="%", title="Accuracy per digit")
    return fig


@_styled
def plot_gallery(images: np.ndarray, titles: Sequence[str], cols: int = 8, title: str = "") -> Figure:
    """A grid of 28x28 digits with a caption each: one image on one set of axes (fast to draw)."""
    images = np.asarray(images, dtype=np.float64).reshape(-1, 28, 28)
    if not len(images):
        images = np.zeros((1, 28, 28))
    cols = min(cols, len(images))
    tiles, centres = _tile(images, cols=cols, pad=6, top=10)
    rows = -(-len(images) // cols)
    head = 0.45 if title else 0.0
    fig = Figure(figsize=(1.5 * cols, 1.75 * rows + head))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0 - head / (1.75 * rows + head)))
    ax.imshow(tiles, cmap=matplotlib.colormaps["gray"].with_extremes(bad="white"), vmin=0, vmax=1)
    for (x, y), t in zip(centres, titles, strict=False):
        ax.text(x, y - 1, t, ha="center", va="bottom", fontsize=12)
    ax.set_axis_off()
    if title:
        fig.suptitle(title, y=0.99, va="top")
    return fig


@_styled
def plot_class_histogram(train_counts: Sequence[int], test_counts: Sequence[int]) -> Figure:
    fig = _figure(8, 3.8)
    ax = fig.subplots()
    x = np.arange(10)
    ax.bar(x - 0.2, train_counts, 0.4, color=BLUE, label="train (60,000)")
    ax2 = ax.twinx()
    ax2.bar(x + 0.2, test_counts, 0.4, color=ORANGE, label="test (10,000)")
    ax2.grid(False)
    ax.set(xticks=x, xlabel="digit", ylabel="train images", title="Digits per class")
    ax2.set_ylabel("test images")
    fig.legend(loc="outside upper right", ncols=2)
    return fig


@_styled
def plot_before_after(raw: np.ndarray, steps: dict, label: str) -> Figure:
    """One digit through the framing: as stored, its ink box, scaled to 20 px, framed 28x28."""
    fig = _figure(11, 3.2)
    axes = fig.subplots(1, 4)
    _framing_panels(axes, steps, first=("MNIST as stored", raw))
    fig.suptitle(f"A {label} before and after framing")
    return fig


def _framing_panels(axes, steps: dict, first=None) -> None:
    panels = ([first] if first else []) + [
        ("ink bounding box", steps["ink"]),
        ("longer side → 20 px", steps["scaled"]),
        ("centred + deskewed 28×28" if steps["framing"] == "frame+deskew" else "centred 28×28", steps["framed"]),
    ]
    for ax, (title, img) in zip(axes, panels[-len(axes) :], strict=True):
        ax.imshow(img, cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=12)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    top, bottom, left, right = steps["box"]
    box_ax = axes[-3]
    box_ax.add_patch(
        matplotlib.patches.Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False, ec=ORANGE, lw=2)
    )


def colorize(values: np.ndarray, cmap: str = "RdBu_r", limit: float | None = None, scale: int = 8) -> np.ndarray:
    """A signed array as an RGB uint8 image (symmetric colour scale), enlarged ``scale`` times.

    Cheap enough for every stroke: a colour-map lookup, no figure.
    """
    lim = limit or float(np.abs(values).max()) or 1.0
    lut = _colour_table(cmap)  # what the colour map does to a float: floor(x * N), clipped
    img = lut[np.clip(((np.asarray(values) / lim + 1) / 2 * len(lut)).astype(int), 0, len(lut) - 1)]
    return img.repeat(scale, 0).repeat(scale, 1)


@functools.cache
def _colour_table(cmap: str) -> np.ndarray:
    """A colour map's RGB table as uint8 (``colormaps[name]`` builds a fresh copy on every call)."""
    table = colormaps[cmap](np.arange(colormaps[cmap].N))[:, :3]
    table = (table * 255).astype(np.uint8)
    table.flags.writeable = False
    return table


def enlarge(gray: np.ndarray, scale: int = 6) -> np.ndarray:
    """A [0,1] grayscale image as uint8, enlarged with visible pixels."""
    return (np.clip(gray, 0, 1) * 255).astype(np.uint8).repeat(scale, 0).repeat(scale, 1)


@_styled
def plot_runs(runs: Sequence[dict]) -> Figure:
    """Test accuracy per epoch of several runs, one line each (``label``, ``accuracy``)."""
    fig = _figure(9, 4.2)
    ax = fig.subplots()
    for run, colour in zip(runs, [RED, BLUE, GREEN, ORANGE, GREY], strict=False):
        acc = 100 * np.asarray(run["accuracy"])
        ax.plot(np.arange(1, len(acc) + 1), acc, "-", color=colour, lw=2, label=f"{run['label']}: {acc[-1]:.1f} %")
    ax.set(xlabel="epoch", ylabel="test accuracy %", title="Same settings, different model")
    ax.legend(loc="lower right")
    return fig


# Vega-Lite specs for charts redrawn often (twice a second while training). Handing
# Streamlit a plain spec skips Altair, whose schema validation held the GIL long enough to slow
# a training thread in the same process ~8x.


def line_spec(
    xs: Sequence[float],
    ys: Sequence[float],
    x_title: str,
    y_title: str,
    height: int = 140,
    color: str = BLUE,
    points: bool = False,
) -> dict:
    """A small Vega-Lite line chart with its points inline.

    The data sits in the chart's one layer, not at the top: Streamlit turns top-level data into
    an Arrow table through pandas, which costs a rerun milliseconds and the server ~30 MB."""
    layer = {
        "data": {"values": [{"x": float(x), "y": float(y)} for x, y in zip(xs, ys, strict=True)]},
        "mark": {"type": "line", "color": color, "point": points},
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "title": x_title},
            "y": {"field": "y", "type": "quantitative", "title": y_title, "scale": {"zero": False}},
        },
    }
    return {"layer": [layer], "height": height}


@_styled
def plot_compare(runs: Sequence[tuple[str, Sequence[dict]]]) -> Figure:
    """Loss and test accuracy per epoch of several runs on shared axes, one colour each.

    Labels are user text (run names): shown literally, never as mathtext."""
    fig = _figure(12, 4.6)
    ax_loss, ax_acc = fig.subplots(1, 2)
    colours = matplotlib.colormaps["tab10"].colors
    for (label, epochs), colour in zip(runs, colours, strict=False):
        x = [e["epoch"] for e in epochs]
        label = chart(label, 120)
        ax_loss.plot(x, [e["train_loss"] for e in epochs], "-", color=colour, lw=2, label=label)
        ax_loss.plot(x, [e["test_loss"] for e in epochs], ":", color=colour, lw=1.5)
        ax_acc.plot(x, [100 * e["test_accuracy"] for e in epochs], "o-", color=colour, lw=2, ms=4, label=label)
    ax_loss.set(title="Loss (solid: train, dotted: test)", xlabel="epoch", ylabel="cross-entropy")
    ax_acc.set(title="Test accuracy", xlabel="epoch", ylabel="%")
    fig.legend(*ax_acc.get_legend_handles_labels(), loc="outside lower center", ncols=2, fontsize=11)
    return fig


@functools.cache
def _font():
    from PIL import ImageFont

    return ImageFont.load_default(size=14)


def probability_bars(
    proba: Sequence[float], highlight: int | None = None, width: int = 420, height: int = 170
) -> np.ndarray:
    """The ten probabilities as a small RGB bar chart, drawn with PIL (about a millisecond).

    Redrawn on every stroke: an image costs the browser far less than a chart to lay out,
    which matters with many sessions on one machine.
    """
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    font = _font()
    top, bottom, left = 18, height - 22, 8
    slot = (width - 2 * left) / 10
    d.line([(left, bottom), (width - left, bottom)], fill=GREY, width=1)
    for i, p in enumerate(np.clip(np.nan_to_num(np.asarray(proba, dtype=float)), 0, 1)):
        x0, x1 = left + i * slot + slot * 0.18, left + (i + 1) * slot - slot * 0.18
        y0 = bottom - p * (bottom - top)
        d.rectangle([x0, y0, x1, bottom], fill=GREEN if i == highlight else BLUE)
        d.text(((x0 + x1) / 2, bottom + 4), str(i), fill="black", font=font, anchor="ma")
        if p >= 0.005:
            d.text(((x0 + x1) / 2, y0 - 2), f"{p:.0%}", fill="#444", font=font, anchor="md")
    return np.asarray(img)


def figure_png(fig, dpi: int = 110) -> bytes:
    """Render a Figure to PNG bytes (cacheable), then drop it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    fig.clear()
    return buf.getvalue()
