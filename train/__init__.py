"""Data provisioning, training settings and the training loop."""

from train.config import OPTIMIZERS, PRESETS, TrainConfig
from train.data import DataUnavailable, Mnist, load_mnist, provision
from train.loop import EpochMetrics, TrainingDiverged, evaluate, fit, run_metadata

__all__ = [
    "OPTIMIZERS",
    "PRESETS",
    "DataUnavailable",
    "EpochMetrics",
    "Mnist",
    "TrainConfig",
    "TrainingDiverged",
    "evaluate",
    "fit",
    "load_mnist",
    "provision",
    "run_metadata",
]
