# The one source of a run's take-home code: train/export.py turns it into a standalone script
# and into a Jupyter notebook, so the two cannot drift. It is never imported as it is.
#
# Cells start with "# %%". "# %% [markdown]" cells become notebook text (comments in the script);
# "# %% [notebook]" cells are only in the notebook (plots), "# %% [script]" cells only in the
# script (its command line). A line ending in "# export: NAME" is replaced by the run's value.
# The maths must stay the app's: tests/test_export.py checks this file's framing against
# model.frame_batch and the exported script's accuracy against train.fit on the same digits.

# %% [markdown]
# # A logistic regression that reads handwritten digits
#
# This reproduces one training run of **Digit Studio** with nothing but PyTorch and torchvision:
# it downloads MNIST the standard way (`torchvision.datasets.MNIST`), frames every digit the way
# the app frames a drawing (crop to the ink, scale the longer side to 20 px, put the centre of mass
# at the centre, straighten the slant), trains one linear layer (784 pixels -> 10 scores) with the
# run's settings, and reports its accuracy on the 10,000 test digits after every epoch.

# %%
import argparse
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.datasets import MNIST

# %% [markdown]
# ## The run's settings
#
# Exactly what the app trained with. `lr_schedule` "linear" lowers the learning rate step by step
# to 0 at the run's last step. `train_subset` is how many training digits an epoch
# uses; `room_weight` is how many times each of the room's drawings counts (0: MNIST only).

# %%
CONFIG = {"model": "softmax", "optimizer": "adam", "lr": 0.005, "batch_size": 512, "epochs": 5}  # export: CONFIG
RUN = {}  # export: RUN
ROOM_FILE = None  # export: ROOM_FILE
DATA_DIR = "data"  # where MNIST is downloaded to (or already is)

# %% [markdown]
# ## Framing: every digit as MNIST frames its digits
#
# One affine map per image: crop to the ink's bounding box, scale its longer side to 20 px and
# its shorter side so that the aspect ratio r (short / long) becomes sin(pi/2 r) ** 0.3, part way
# to square (narrow and wide hands look more alike), shift the centre of mass to (14.5, 14.5)
# and, for `frame+deskew`, shear the digit upright by its second moments. A whole batch is
# resampled with one `grid_sample`. Then every digit's strokes are thickened or thinned towards
# one common width (STROKE px), so a marker, a thin pen and MNIST's own pens look alike.

# %%
SIZE, BOX, CENTRE = 28, 20, 14.5  # output field; longer side of the ink; where the centre of mass goes
INK = 0.05  # a pixel at or above this counts as ink for the bounding box
MAX_SHEAR = 1.0  # never shear by more than 45 degrees
MAX_SUPERSAMPLE = 8  # sub-pixels per output pixel when shrinking a big drawing
STROKE = 3.5  # the common stroke width, in pixels of the 28x28 field


def frame_params(x, deskew):
    """Centre of mass, shear, scale down and across of a batch of ink images (N,H,W) in [0,1]."""
    _, h, w = x.shape
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
    rows = mask.any(2)
    top = torch.where(rows, ys, inf).amin(1) - 0.5
    bottom = torch.where(rows, ys, -inf).amax(1) + 0.5
    sheared = xs[None, None, :] - shear[:, None, None] * dy  # x once the slant is taken out
    width = torch.where(mask, sheared, -inf).amax((1, 2)) - torch.where(mask, sheared, inf).amin((1, 2)) + 1
    height = bottom - top
    extent, short = torch.maximum(height, width), torch.minimum(height, width)
    ok = torch.isfinite(extent) & (extent > 0)
    scale = torch.where(ok, BOX / extent.clamp_min(1e-3), 1.0)  # the longer side to BOX px
    r = torch.where(ok, short / extent.clamp_min(1e-3), 1.0).clamp_min(1e-3)
    widen = torch.sin(r.clamp(0, 1) * (math.pi / 2)).pow(0.3) / r  # the shorter side to sin(pi/2 r) ** 0.3 * BOX
    tall = height >= width
    return cy, cx, shear, torch.where(tall, scale, scale * widen), torch.where(tall, scale * widen, scale)


def stroke_width(x):
    """Mean stroke width per image: from ink area A = L*w and outline P = 2(L + w)."""
    half = ((x[:, :, 1:] - x[:, :, :-1]).abs().sum((1, 2)) + (x[:, 1:] - x[:, :-1]).abs().sum((1, 2))) / 2
    area = x.sum((1, 2))
    return (half - torch.sqrt((half * half - 4 * area).clamp_min(0))) / 2


def dilate(x):
    """Grey dilation by the 4-neighbour cross: strokes one pixel wider on each side."""
    p = F.pad(x, (1, 1, 1, 1), value=-math.inf)  # outside the field: no neighbour
    return torch.stack([x, p[:, :-2, 1:-1], p[:, 2:, 1:-1], p[:, 1:-1, :-2], p[:, 1:-1, 2:]]).amax(0)


def normalise_width(x):
    """Strokes moved towards STROKE px wide: fractions of a dilation (at most 2 px thicker) or of
    up to three erosions (at most 6 px thinner: a marker's filled-in 1 becomes a stroke again)."""
    t = ((STROKE - stroke_width(x)) / 2).clamp(-3, 1)[:, None, None]
    x = x + t.clamp(0, 1) * (dilate(x) - x)
    for step in range(3):
        x = x - (-t - step).clamp(0, 1) * (x + dilate(-x))
    return x


def frame_batch(x, framing="frame+deskew"):
    """Frame ink images (N,H,W) in [0,1] into (N,28,28): none | frame | frame+deskew."""
    x = torch.as_tensor(x, dtype=torch.float32)
    if framing == "none":
        return x.clone() if x.shape[1:] == (SIZE, SIZE) else F.interpolate(x[:, None], (SIZE, SIZE), mode="area")[:, 0]
    cy, cx, shear, sy, sx = frame_params(x, deskew=framing == "frame+deskew")
    k = int(min(MAX_SUPERSAMPLE, max(1, math.ceil(1 / float(torch.minimum(sy, sx).min()) - 0.5)))) if len(x) else 1
    u = (torch.arange(SIZE * k, dtype=x.dtype) + 0.5) / k - CENTRE  # output offsets from the centre
    gy = u[None, :, None] / sy[:, None, None] + cy[:, None, None]
    gx = u[None, None, :] / sx[:, None, None] + cx[:, None, None] + shear[:, None, None] * (gy - cy[:, None, None])
    gy = gy.expand(-1, -1, SIZE * k)
    grid = torch.stack((2 * gx / x.shape[2] - 1, 2 * gy / x.shape[1] - 1), dim=-1)
    img = F.grid_sample(x[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return normalise_width((F.avg_pool2d(img, k) if k > 1 else img)[:, 0].clamp(0, 1)).clamp(0, 1)


def frame_uint8(images, framing, chunk=4096):
    """Frame uint8 digits chunk by chunk, kept as uint8 (MNIST's own precision), as the app does."""
    out = torch.empty((len(images), SIZE, SIZE), dtype=torch.uint8)
    for i in range(0, len(images), chunk):
        out[i : i + chunk] = frame_batch(images[i : i + chunk].float() / 255, framing).mul(255).round().to(torch.uint8)
    return out


# %% [markdown]
# ## Other ways of writing 1, 7 and 9
#
# MNIST's writers write a 1 as one stroke and a 7 without a bar; many people write a 1 with a
# flag (often with a foot) and cross their 7s, and many end a 9 in a tail curled to the left.
# Half of the training 1s get a flag (half of those also a foot), half of the 7s a bar and 15 %
# of the 9s a curled tail, drawn into the raw images before framing with a seeded generator, as
# the app trains (its `train/styles.py`). The test digits are never changed.


# %%
SHARE = 0.5  # of the training 1s, and of the 7s, given the other style
NINE_SHARE = 0.15  # of the training 9s given a tail curled to the left (more cost mouse-drawn 9s)
SEED = 0

_Y, _X = torch.meshgrid(torch.arange(28.0) + 0.5, torch.arange(28.0) + 0.5, indexing="ij")


def _segment(img: torch.Tensor, y0, x0, y1, x1, width) -> torch.Tensor:
    """``img`` (M,28,28) with an anti-aliased line from (y0,x0) to (y1,x1), (M,) each, drawn over it."""
    dy, dx = (y1 - y0)[:, None, None], (x1 - x0)[:, None, None]
    oy, ox = _Y - y0[:, None, None], _X - x0[:, None, None]
    t = ((oy * dy + ox * dx) / (dy * dy + dx * dx).clamp_min(1e-6)).clamp(0, 1)
    dist = torch.hypot(oy - t * dy, ox - t * dx)
    return torch.maximum(img, (width[:, None, None] / 2 + 0.5 - dist).clamp(0, 1))


def _row_centre(img: torch.Tensor, rows: torch.Tensor, band: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Ink-weighted x of rows ``rows`` .. ``rows + band - 1`` of each image, and that ink's sum."""
    r = torch.arange(28)[None, :]
    mask = ((r >= rows[:, None]) & (r < rows[:, None] + band)).float()
    ink = (img * mask[:, :, None]).sum(1)  # (M,28): the band's ink per column
    mass = ink.sum(1)
    return (ink * _X[0]).sum(1) / mass.clamp_min(1e-6), mass


def _extent(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """First and last row (M,) holding ink above 0.3."""
    rows = img.amax(2) > 0.3
    idx = torch.arange(28).expand_as(rows)
    return torch.where(rows, idx, 28).amin(1), torch.where(rows, idx, -1).amax(1)


def flagged_ones(img: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """1s (M,28,28 in [0,1]) with a flag from the top of the stroke, down to the left; a foot
    under the stroke where ``u[:, 4] < 0.5``. ``u`` (M,5) are uniform random numbers."""
    top, bottom = _extent(img)
    h = (bottom - top + 1).float()
    width = 1.8 + u[:, 0]
    length, angle = h * (0.2 + 0.2 * u[:, 1]), torch.deg2rad(35 + 25 * u[:, 2])
    y0 = top.float() + 0.5
    x0, _ = _row_centre(img, top, 2)
    xb, _ = _row_centre(img, bottom - 1, 2)
    # The angle is the writer's, as if the 1 stood upright: slanted with the stroke, the flag of a
    # leaning 1 would otherwise lie along it.
    slant = (x0 - xb) / h
    dy, dx = length * torch.sin(angle), length * torch.cos(angle)
    out = _segment(img, y0, x0, y0 + dy, x0 - dx - slant * dy, width)
    half, yb = h * (0.18 + 0.14 * u[:, 3]), bottom.float() + 0.5
    footed = _segment(out, yb, xb - half, yb, xb + half, width)
    return torch.where((u[:, 4] < 0.5)[:, None, None], footed, out)


def crossed_sevens(img: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """7s (M,28,28 in [0,1]) with a bar across the stem, 45-60 % of the way down (``u`` as above)."""
    top, bottom = _extent(img)
    h = (bottom - top + 1).float()
    y = (top.float() + h * (0.45 + 0.15 * u[:, 1])).round().long().clamp(0, 27)
    x, mass = _row_centre(img, y, 1)
    half = h * (0.15 + 0.15 * u[:, 2])
    yc = y.float() + 0.5
    barred = _segment(img, yc, x - half, yc, x + half, 1.8 + u[:, 0])
    return torch.where((mass >= 0.3)[:, None, None], barred, img)  # no stem in that row: as it was


def curled_nines(img: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """9s (M,28,28 in [0,1]) whose stem ends in a tail curled back to the left, 10-35 degrees
    up from level and 20-35 % of the digit's height long (``u`` as above)."""
    top, bottom = _extent(img)
    h = (bottom - top + 1).float()
    xb, _ = _row_centre(img, bottom - 1, 2)
    yb = bottom.float()
    reach, angle = h * (0.2 + 0.15 * u[:, 1]), torch.deg2rad(10 + 25 * u[:, 2])
    return _segment(img, yb, xb, yb - reach * torch.sin(angle), xb - reach * torch.cos(angle), 1.8 + u[:, 0])


def with_styles(images: torch.Tensor, labels: torch.Tensor, share: float = SHARE, seed: int = SEED) -> torch.Tensor:
    """A copy of uint8 training digits (N,28,28) in which ``share`` of the 1s carry a flag (half
    of those also a foot), ``share`` of the 7s a bar and NINE_SHARE of the 9s a curled tail; the
    same every time for one seed."""
    gen = torch.Generator().manual_seed(seed)
    out = images.clone()
    kinds = ((1, flagged_ones, share), (7, crossed_sevens, share), (9, curled_nines, NINE_SHARE))
    for digit, style, part_share in kinds:
        rows = torch.nonzero(labels == digit)[:, 0]
        rows = rows[torch.randperm(len(rows), generator=gen)[: math.floor(len(rows) * part_share)]]
        u = torch.rand(len(rows), 5, generator=gen)
        for part in range(0, len(rows), 4096):
            r = rows[part : part + 4096]
            styled = style(images[r].float() / 255, u[part : part + 4096])
            out[r] = styled.mul(255).round().to(torch.uint8)
    return out


# %% [markdown]
# ## The data
#
# MNIST's 60,000 training digits (with the styles above) and 10,000 test digits, framed once. For
# a run trained with the room's drawings, its training half (already framed, in the `.npz` file
# beside this one) takes `room_weight` copies of each drawing, at most half of the `train_subset`
# digits; MNIST fills the rest, picked at random with the run's seed.


# %%
def load_mnist(data_dir, framing):
    """(train images, train labels, test images, test labels), images framed as uint8 (N,28,28)."""
    train, test = MNIST(data_dir, train=True, download=True), MNIST(data_dir, train=False, download=True)
    train_x = frame_uint8(with_styles(train.data, train.targets), framing)
    return train_x, train.targets.long(), frame_uint8(test.data, framing), test.targets.long()


def load_room(path):
    """The room's training half: framed uint8 images (N,28,28) and labels, from an .npz file."""
    import numpy as np  # torchvision's own dependency

    with np.load(path, allow_pickle=False) as f:
        return torch.from_numpy(f["images"].astype("uint8")), torch.from_numpy(f["labels"].astype("int64"))


def with_room(train_x, train_y, room_x, room_y, weight, total, seed):
    """``total`` training digits: each room drawing ``weight`` times (at most half), then MNIST."""
    n_room = min(len(room_x) * weight, total // 2)
    rows = torch.arange(len(room_x)).repeat(weight)[:n_room]
    pick = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(seed))[: total - n_room]
    return torch.cat([train_x[pick], room_x[rows]]), torch.cat([train_y[pick], room_y[rows]])


# %% [markdown]
# ## The model, its loss and the optimiser
#
# One `nn.Linear(784, 10)`. The three models differ only in how the ten scores become a loss:
# `softmax` feeds them to cross-entropy (what `nn.CrossEntropyLoss` expects), `tutorial-sigmoid`
# squashes them with a sigmoid first (the popular tutorials' mistake, kept to show it),
# `one-vs-rest` is ten binary logistic regressions. `weight_decay` is an L2 penalty added to
# the gradient, as `torch.optim` does.


# %%
def loss_fn(kind, z, y):
    if kind == "softmax":
        return F.cross_entropy(z, y)
    if kind == "tutorial-sigmoid":
        return F.cross_entropy(torch.sigmoid(z), y)
    target = F.one_hot(y, 10).to(z.dtype)  # one-vs-rest: ten classifiers, summed, averaged over the batch
    return F.binary_cross_entropy_with_logits(z, target, reduction="sum") / len(y)


def optimiser(cfg, params):
    lr, wd = cfg["lr"], cfg["weight_decay"]
    if cfg["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    if cfg["optimizer"] == "sgd-momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=wd)


def augment(x, gen):
    """Random small rotation (+-12 deg), scale (+-10 %) and shift (+-1.5 px) of each image."""
    u = torch.rand(len(x), 4, generator=gen) * 2 - 1
    angle, scale = u[:, 0] * math.radians(12), 1 + 0.1 * u[:, 1]
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    shift = u[:, 2:] * (1.5 * 2 / 28)
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, (len(x), 1, 28, 28), align_corners=False)
    return F.grid_sample(x[:, None], grid, align_corners=False)[:, 0]


@torch.no_grad()
def evaluate(net, kind, x, y):
    """Mean loss and accuracy (0..1) on framed uint8 images."""
    z = net(x.reshape(len(x), -1).float() / 255)
    return float(loss_fn(kind, z, y)), float((z.argmax(1) == y).float().mean())


# %% [markdown]
# ## Training
#
# The seed decides everything: the initial weights, which digits a subset keeps, their order in
# every epoch and the augmentation's random draws. An epoch stops early at the run's time limit.


# %%
def train(cfg, data, room=None, log=print):
    """Train with ``cfg`` on ``data`` (from load_mnist); returns the model and per-epoch records."""
    train_x, train_y, test_x, test_y = data
    if room is not None and cfg.get("room_weight", 0) > 0 and len(room[0]):
        train_x, train_y = with_room(train_x, train_y, *room, cfg["room_weight"], cfg["train_subset"], cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"])
    if cfg["train_subset"] < len(train_x):
        pick = torch.randperm(len(train_x), generator=gen)[: cfg["train_subset"]]
        train_x, train_y = train_x[pick], train_y[pick]
    torch.manual_seed(cfg["seed"])
    net = torch.nn.Linear(28 * 28, 10)
    opt = optimiser(cfg, net.parameters())
    n = len(train_x)
    bs = min(cfg["batch_size"], n)
    schedule = None
    if cfg.get("lr_schedule", "constant") == "linear":  # step s (from 0) uses lr x (1 - s/T), T: all the run's steps
        total = cfg["epochs"] * math.ceil(n / bs)
        schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / total)
    chance = float(loss_fn(cfg["model"], torch.zeros(n, 10), train_y))  # the loss of guessing
    deadline = time.perf_counter() + cfg["time_limit"]
    history = []
    for epoch in range(1, cfg["epochs"] + 1):
        start, order, losses = time.perf_counter(), torch.randperm(n, generator=gen), []
        for i in range(0, n, bs):
            rows = order[i : i + bs]
            xb = train_x[rows].float() / 255
            if cfg["augment"]:
                xb = augment(xb, gen)
            loss = loss_fn(cfg["model"], net(xb.reshape(len(rows), -1)), train_y[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if schedule is not None:
                schedule.step()
            losses.append(loss.item())
            if not math.isfinite(losses[-1]) or time.perf_counter() > deadline:
                break
        test_loss, test_acc = evaluate(net, cfg["model"], test_x, test_y)
        record = {"epoch": epoch, "train_loss": sum(losses) / len(losses), "batch_losses": losses}
        record.update(test_loss=test_loss, test_accuracy=test_acc, seconds=time.perf_counter() - start)
        history.append(record)
        log(f"epoch {epoch:3d}  train loss {record['train_loss']:.4f}  test loss {test_loss:.4f}  "
            f"test acc {test_acc:.2%}  {record['seconds']:.2f}s")  # fmt: skip
        if not math.isfinite(test_loss) or record["train_loss"] > 3 * chance:
            log(f"the loss diverged: the learning rate {cfg['lr']:g} is too high for {cfg['optimizer']}")
            break
        if time.perf_counter() > deadline:
            log(f"time limit of {cfg['time_limit']:g} s reached: stopping")
            break
    return net, history


def room_path(name, here="."):
    """The room's file beside this code (None if the run did not train with the room)."""
    return None if not name else Path(here) / name


# %% [markdown]
# ## Run it

# %% [notebook]
data = load_mnist(DATA_DIR, CONFIG["framing"])
room_file = room_path(ROOM_FILE)
room = load_room(room_file) if room_file is not None else None
net, history = train(CONFIG, data, room)
final = history[-1]["test_accuracy"]
app = f" (the app's run: {RUN['test_accuracy']:.2%})" if RUN.get("test_accuracy") is not None else ""
print(f"test accuracy {final:.2%}{app}")

# %% [markdown]
# ## Loss and accuracy
#
# The loss of every batch, and the test accuracy after every epoch.

# %% [notebook]
import matplotlib.pyplot as plt  # noqa: E402

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
losses = [value for h in history for value in h["batch_losses"]]
ax1.plot(losses, lw=0.8)
ax1.set(title="batch loss", xlabel="step", yscale="log")
ax2.plot([h["epoch"] for h in history], [100 * h["test_accuracy"] for h in history], marker="o")
ax2.set(title="test accuracy (%)", xlabel="epoch")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## What each digit's score looks for
#
# A linear model's whole explanation: one weight per pixel and digit. Red pixels raise that
# digit's score when they carry ink, blue ones lower it.

# %% [notebook]
weights = net.weight.detach().reshape(10, 28, 28)
fig, axes = plt.subplots(1, 10, figsize=(15, 1.9))
for digit, ax in enumerate(axes):
    bound = float(weights[digit].abs().max())
    ax.imshow(weights[digit], cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.set_title(str(digit))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## Some test digits as the model sees them, with its answers

# %% [notebook]
test_x, test_y = data[2], data[3]
with torch.no_grad():
    guesses = net(test_x[:16].reshape(16, -1).float() / 255).argmax(1)
fig, axes = plt.subplots(2, 8, figsize=(12, 3.4))
for i, ax in enumerate(axes.flat):
    ax.imshow(test_x[i], cmap="gray")
    ax.set_title(f"{int(guesses[i])} ({int(test_y[i])})", color="black" if guesses[i] == test_y[i] else "red")
    ax.axis("off")
plt.show()


# %% [script]
def main(argv=None):
    p = argparse.ArgumentParser(description="Train this Digit Studio run again, with PyTorch and torchvision only.")
    p.add_argument("--data-dir", default=DATA_DIR, help="where MNIST is downloaded to, or already is")
    p.add_argument("--subset", type=int, help="train on this many digits instead of the run's train_subset")
    p.add_argument("--epochs", type=int, help="train this many epochs instead of the run's")
    p.add_argument("--seed", type=int, help="a different seed")
    p.add_argument("--save", help="write the trained weights here (torch.save of the state_dict)")
    args = p.parse_args(argv)
    cfg = dict(CONFIG)
    for key, value in (("train_subset", args.subset), ("epochs", args.epochs), ("seed", args.seed)):
        if value is not None:
            cfg[key] = value
    room_file = room_path(ROOM_FILE, Path(__file__).parent)
    room = load_room(room_file) if room_file is not None else None
    net, history = train(cfg, load_mnist(args.data_dir, cfg["framing"]), room)
    if args.save:
        torch.save(net.state_dict(), args.save)
    print(f"final test accuracy {history[-1]['test_accuracy']:.2%} after {len(history)} epochs")
    if RUN.get("test_accuracy") is not None:
        print(f"the app's run #{RUN.get('id')} reached {RUN['test_accuracy']:.2%}")


if __name__ == "__main__":
    main()
