"""Pure torch/numpy: models, MNIST-style framing, prediction and safe checkpoints."""

from model.checkpoint import CheckpointError, from_bytes, load, load_default, save, to_bytes
from model.digitness import looks_like_digit, not_a_digit
from model.nets import KINDS, LinearDigits, build
from model.photo import read_photo
from model.predict import Reading, contributions, logits, predict_proba, probabilities, read_framed
from model.preprocess import FRAMINGS, frame_batch, framing_steps, ink_problem, to_ink, to_mnist

__all__ = [
    "KINDS",
    "FRAMINGS",
    "CheckpointError",
    "LinearDigits",
    "build",
    "contributions",
    "frame_batch",
    "framing_steps",
    "from_bytes",
    "ink_problem",
    "load",
    "load_default",
    "logits",
    "looks_like_digit",
    "not_a_digit",
    "predict_proba",
    "read_framed",
    "Reading",
    "probabilities",
    "read_photo",
    "save",
    "to_bytes",
    "to_ink",
    "to_mnist",
]
