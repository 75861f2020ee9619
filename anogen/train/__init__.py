"""Training: the one jitted trainer, batched inference helpers, checkpoints and the model cache.

Modules (imports go downward):

- :mod:`anogen.train.config`: :class:`TrainConfig` (typed; validated on creation).
- :mod:`anogen.train.optim`: the optimizer from its ``_target_`` node, hyperparameters injected.
- :mod:`anogen.train.samples`: input checks, sample start rows, the validation split, device gather.
- :mod:`anogen.train.step`: :class:`TrainState`, the pure :func:`train_step`, a scanned epoch.
- :mod:`anogen.train.inference`: encode, decode, reconstruction error, per-sample losses, evaluate.
- :mod:`anogen.train.loop`: :func:`fit` and :class:`History`.
- :mod:`anogen.train.checkpoint`, :mod:`anogen.train.cache`: checkpoints and the model cache.
"""

from __future__ import annotations

from anogen.data.windows import window_starts
from anogen.train.cache import heldout_objective, train_or_load
from anogen.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from anogen.train.config import TrainConfig
from anogen.train.inference import decode, encode, evaluate, reconstruction_error, sample_losses
from anogen.train.loop import History, fit
from anogen.train.optim import make_optimizer
from anogen.train.step import Hyper, TrainState, train_epoch, train_step

__all__ = [
    "CheckpointError",
    "History",
    "Hyper",
    "TrainConfig",
    "TrainState",
    "decode",
    "encode",
    "evaluate",
    "fit",
    "heldout_objective",
    "load_checkpoint",
    "make_optimizer",
    "reconstruction_error",
    "sample_losses",
    "save_checkpoint",
    "train_epoch",
    "train_or_load",
    "train_step",
    "window_starts",
]
