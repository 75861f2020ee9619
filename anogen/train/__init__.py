"""Training: the one jitted trainer, batched inference helpers and checkpoints."""

from __future__ import annotations

from anogen.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from anogen.train.trainer import (
    History,
    TrainConfig,
    decode,
    encode,
    evaluate,
    fit,
    make_optimizer,
    reconstruction_error,
    window_starts,
)

__all__ = [
    "CheckpointError",
    "History",
    "TrainConfig",
    "decode",
    "encode",
    "evaluate",
    "fit",
    "load_checkpoint",
    "make_optimizer",
    "reconstruction_error",
    "save_checkpoint",
    "window_starts",
]
