"""USAD detector (Audibert et al., KDD 2020): two autoencoders with a shared encoder, scored by
``alpha * ||W - AE1(W)||^2 + beta * ||W - AE2(AE1(W))||^2``.

``fit`` min-max scales the columns with the train rows' range (as the paper; the decoders end in a
sigmoid) and trains :class:`anogen.models.USAD` with the project's trainer on every stride-1 window
inside the train ``segments`` (the training scheme, and why ``adversarial`` is off by default, are
in :mod:`anogen.models.usad`). ``decision_function`` gives every row the mean over the windows that
cover it of the per-step score ``alpha * mean_d (W - AE1(W))^2 + beta * mean_d (W - AE2(AE1(W)))^2``
(the LSTM autoencoder's spreading, :func:`anogen.train.reconstruction_error`); receptive field
``(window - 1, window - 1)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flax import nnx

from anogen.detectors.reconstruction import Optimizer, TrainedWindowDetector
from anogen.detectors.windows import Window
from anogen.models import USAD
from anogen.models.vae import Hidden
from anogen.params import (
    Fraction,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    Ratio,
)
from anogen.train.inference import reconstruction_error
from anogen.types import AnogenError

__all__ = ["USADDetector"]


class USADDetector(TrainedWindowDetector):
    """USAD, scored per step and averaged over the windows covering each row.

    Args:
        window: window length ``L`` (stride-1 windows), or ``"auto"`` / ``"period"`` / ``"2period"``
            (periods of the train part, resolved at fit time as ``window_``).
        latent_dim: size of the shared code.
        hidden: encoder layer sizes (the decoders mirror them).
        alpha: weight of AE1's reconstruction error in the score.
        beta: weight of AE2(AE1)'s error in the score (``alpha + beta > 0``).
        adversarial: train each decoder on its own phase's objective (the paper's game) instead of
            both on ``loss1 + loss2`` (TSB-AD); see :mod:`anogen.models.usad`.
        epochs: maximum training epochs (the epoch number ``n`` weights the two objectives).
        batch_size: training batch size.
        learning_rate: optimizer learning rate.
        optimizer: optax optimizer name or ``_target_`` node (see :class:`anogen.train.TrainConfig`).
        val_split: validation fraction for early stopping (monitored: the mean of the two
            autoencoders' errors).
        patience: early-stopping patience (epochs; 0 = off).
        seed: seed for initialisation and training.
        progress: show the training progress bar.
        train_kwargs: extra :class:`anogen.train.TrainConfig` fields (e.g. ``weight_decay``).
        name: result key.
        contamination: expected fraction of anomalies (sets ``threshold_``).

    Attributes:
        model_: the trained :class:`anogen.models.USAD`.
        history_: the training history.
        window_: the window length in use.
        data_min_, data_range_: ``(d,)`` the train rows' minimum and range per column (a constant
            column's range is 1); also in ``checkpoint_meta_`` (saved with the run's checkpoint).
    """

    def __init__(
        self,
        *,
        window: Window = 20,
        latent_dim: PositiveInt = 8,
        hidden: Hidden = (64, 32),
        alpha: NonNegativeFloat = 0.5,
        beta: NonNegativeFloat = 0.5,
        adversarial: bool = False,
        epochs: PositiveInt = 20,
        batch_size: PositiveInt = 64,
        learning_rate: PositiveFloat = 1e-3,
        optimizer: Optimizer = "adam",
        val_split: Fraction = 0.1,
        patience: NonNegativeInt = 5,
        seed: NonNegativeInt = 0,
        progress: bool = False,
        train_kwargs: dict[str, Any] | None = None,
        name: str = "usad",
        contamination: Ratio = 0.1,
    ) -> None:
        self.window = window
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.alpha = alpha
        self.beta = beta
        self.adversarial = adversarial
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.val_split = val_split
        self.patience = patience
        self.seed = seed
        self.progress = progress
        self.train_kwargs = train_kwargs
        self.name = name
        self.contamination = contamination

    def _check_rules(self, key: str) -> None:
        if float(self.alpha) + float(self.beta) <= 0:
            raise AnogenError(f"{key}.alpha: alpha + beta must be > 0, got alpha={self.alpha!r}, beta={self.beta!r}")
        super()._check_rules(key)

    def _fit_statistics(self, X: np.ndarray, segments: np.ndarray) -> None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        span = hi - lo
        self.data_min_ = lo
        self.data_range_ = np.where(span > 0, span, 1.0)
        # a saved checkpoint (the run's fold<i>/usad.ckpt) says how to scale data for the model
        self.checkpoint_meta_ = {"min_max_scaling": {"data_min": lo.tolist(), "data_range": self.data_range_.tolist()}}

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.data_min_) / self.data_range_).astype(np.float32)

    def _build_model(self, n_features: int) -> Any:
        return USAD(n_features, int(self.window_), int(self.latent_dim), tuple(self.hidden),
                    (float(self.alpha), float(self.beta)), bool(self.adversarial),
                    rngs=nnx.Rngs(int(self.seed)))  # fmt: skip

    def _receptive_field(self) -> tuple[int, int]:
        """``(window - 1, window - 1)``: a row's score averages the windows covering it."""
        return int(self.window_) - 1, int(self.window_) - 1

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """Per-row score ``(n,)`` of ``X`` ``(n, d)``, ``n >= window``."""
        self._check_length(X.shape[0])
        return reconstruction_error(self.model_, self._prepare(X), window=int(self.window_))
