"""Forecasting detectors: a 1-D CNN (DeepAnT; TSB-AD's CNN) and an LSTM (LSTM-AD; TSB-AD's LSTMAD).

``fit`` trains a one-step forecaster with the project's trainer (:func:`anogen.train.fit`) on every
stride-1 sample of ``window + 1`` rows inside the train ``segments``: the first ``window`` rows are
the input, the last row the target. ``decision_function`` scores every row ``t >= window`` by the
squared error of its forecast from rows ``t - window .. t - 1``, averaged over the columns
(:func:`anogen.train.inference.sample_errors`); the first ``window`` rows of a scored array, which
have no full history, take the score of the first forecast (row ``window``), as TSB-AD pads them.

Receptive field ``(window, window)``: row ``t >= window`` sees rows ``t - window .. t``; a row
``t < window`` takes row ``window``'s score, which sees rows ``0 .. window`` (up to ``window`` rows
after it). Incremental scoring and train-score samples are exact with it.

Both models are deterministic (no dropout), so the scores depend only on ``seed`` and the data.
The shared training plumbing is :class:`anogen.detectors.reconstruction.TrainedWindowDetector`, also
the base of the LSTM-AE / VAE detectors and :class:`anogen.detectors.usad.USADDetector`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from flax import nnx

from anogen.detectors.reconstruction import Optimizer, TrainedWindowDetector
from anogen.detectors.windows import Window
from anogen.models import CNNForecaster, LSTMForecaster
from anogen.models.vae import Hidden
from anogen.params import Fraction, NonNegativeInt, PositiveFloat, PositiveInt, Ratio
from anogen.train.inference import sample_errors

__all__ = ["CNNDetector", "LSTMADDetector"]


class _ForecastDetector(TrainedWindowDetector):
    """Fit and score of the one-step forecasters (samples of ``window + 1`` rows)."""

    def _sample_length(self, window: int) -> int:
        return int(window) + 1

    def _receptive_field(self) -> tuple[int, int]:
        """``(window, window)``: see the module docstring."""
        return int(self.window_), int(self.window_)

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """Per-row forecast error ``(n,)`` of ``X`` ``(n, d)``, ``n >= window + 1``."""
        self._check_length(X.shape[0])
        w = int(self.window_)
        errors, starts = sample_errors(self.model_, self._prepare(X), window=w + 1)
        out = np.empty(X.shape[0], np.float64)
        out[starts + w] = errors
        out[:w] = errors[0]  # rows without a full history: the first forecast's error
        return out


class CNNDetector(_ForecastDetector):
    """1-D CNN one-step forecaster, scored by forecast error (DeepAnT, Munir et al. 2019; TSB-AD's CNN).

    Args:
        window: input rows per forecast (samples are ``window + 1`` rows), or ``"auto"`` /
            ``"period"`` / ``"2period"`` (periods of the train part, resolved at fit time as ``window_``).
        channels: output channels of the convolution layers (each ``Conv1D -> ReLU -> MaxPool(2)``).
        kernel_size: taps of every convolution.
        epochs: maximum training epochs.
        batch_size: training batch size.
        learning_rate: optimizer learning rate.
        optimizer: optax optimizer name or ``_target_`` node (see :class:`anogen.train.TrainConfig`).
        val_split: validation fraction for early stopping (the last samples in time).
        patience: early-stopping patience (epochs; 0 = off).
        seed: seed for initialisation and training.
        progress: show the training progress bar.
        train_kwargs: extra :class:`anogen.train.TrainConfig` fields (e.g. ``weight_decay``).
        name: result key.
        contamination: expected fraction of anomalies (sets ``threshold_``).

    Attributes:
        model_: the trained :class:`anogen.models.CNNForecaster`.
        history_: the training history.
        window_: the input length in use.
    """

    def __init__(
        self,
        *,
        window: Window = 32,
        channels: Hidden = (32, 32),
        kernel_size: PositiveInt = 3,
        epochs: PositiveInt = 20,
        batch_size: PositiveInt = 64,
        learning_rate: PositiveFloat = 1e-3,
        optimizer: Optimizer = "adam",
        val_split: Fraction = 0.1,
        patience: NonNegativeInt = 5,
        seed: NonNegativeInt = 0,
        progress: bool = False,
        train_kwargs: dict[str, Any] | None = None,
        name: str = "cnn",
        contamination: Ratio = 0.1,
    ) -> None:
        self.window = window
        self.channels = channels
        self.kernel_size = kernel_size
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

    def _build_model(self, n_features: int) -> Any:
        return CNNForecaster(n_features, int(self.window_), tuple(self.channels), int(self.kernel_size),
                             rngs=nnx.Rngs(int(self.seed)))  # fmt: skip


class LSTMADDetector(_ForecastDetector):
    """Stacked-LSTM one-step forecaster, scored by forecast error (LSTM-AD, Malhotra et al. 2015; TSB-AD's LSTMAD).

    Args:
        window: input rows per forecast (samples are ``window + 1`` rows), or ``"auto"`` /
            ``"period"`` / ``"2period"`` (periods of the train part, resolved at fit time as ``window_``).
        hidden: LSTM layer sizes, first layer first.
        epochs: maximum training epochs.
        batch_size: training batch size.
        learning_rate: optimizer learning rate.
        optimizer: optax optimizer name or ``_target_`` node (see :class:`anogen.train.TrainConfig`).
        val_split: validation fraction for early stopping (the last samples in time).
        patience: early-stopping patience (epochs; 0 = off).
        seed: seed for initialisation and training.
        progress: show the training progress bar.
        train_kwargs: extra :class:`anogen.train.TrainConfig` fields (e.g. ``weight_decay``).
        name: result key.
        contamination: expected fraction of anomalies (sets ``threshold_``).

    Attributes:
        model_: the trained :class:`anogen.models.LSTMForecaster`.
        history_: the training history.
        window_: the input length in use.
    """

    def __init__(
        self,
        *,
        window: Window = 20,
        hidden: Hidden = (32,),
        epochs: PositiveInt = 20,
        batch_size: PositiveInt = 64,
        learning_rate: PositiveFloat = 1e-3,
        optimizer: Optimizer = "adam",
        val_split: Fraction = 0.1,
        patience: NonNegativeInt = 5,
        seed: NonNegativeInt = 0,
        progress: bool = False,
        train_kwargs: dict[str, Any] | None = None,
        name: str = "lstmad",
        contamination: Ratio = 0.1,
    ) -> None:
        self.window = window
        self.hidden = hidden
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

    def _build_model(self, n_features: int) -> Any:
        return LSTMForecaster(n_features, int(self.window_), tuple(self.hidden), rngs=nnx.Rngs(int(self.seed)))
