"""Reconstruction detectors: an LSTM autoencoder and an LSTM-VAE trained on the clean train data.

``fit`` trains the model with the project's trainer (:func:`anogen.train.fit`) on stride-1 windows
that never cross the train ``segments``; ``decision_function`` returns one value per time step:

- ``score="mse"`` (both): the squared reconstruction error of every window, averaged over the
  windows that cover the step (:func:`anogen.train.reconstruction_error`).
- ``score="elbo"`` (VAE only): the negative ELBO of every window, i.e. the model's own training
  loss per window with ``beta = 1`` (``recon_weight * mean squared error + KL``; ``recon_weight``
  defaults to the model's, ``100 * L`` for the LSTM-VAE), the expectation over the posterior
  estimated with ``n_samples`` reparameterised draws from fixed keys (so scores are
  deterministic), then averaged over the windows that cover each step
  (:func:`anogen.train.sample_losses`).

Scoring compiles once per model shape, not per detector or per data length: the compiled
functions are module-level and lengths are padded to a few sizes per octave.

An already-trained model can be passed as ``model=`` (e.g. the generator's VAE): ``fit`` then only
checks the column count and does not train. Such a model must have been trained on data scaled the
same way as the data given to ``fit``/``decision_function``. Row models (``model.kind == "row"``,
the MLP-VAE) are scored per row.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Callable, Literal, Union

import numpy as np
from flax import nnx

from anogen.data.windows import window_starts
from anogen.detectors.base import BaseDetector
from anogen.detectors.windows import Window, aggregate_window_scores, resolve_window
from anogen.models import LSTMAE, LSTMVAE
from anogen.models.vae import Hidden
from anogen.params import Fraction, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, Ratio
from anogen.train import loop
from anogen.train.config import as_train_config
from anogen.train.inference import reconstruction_error, sample_losses
from anogen.train.optim import optimizer_node
from anogen.types import AnogenError

__all__ = ["LSTMAEDetector", "VAEDetector", "TrainedWindowDetector"]

#: an optax optimizer name (``"adamw"``), a ``{_target_: optax.adamw, _partial_: true}`` node, or
#: the factory built from one (``functools.partial(optax.adamw)``)
Optimizer = Union[str, dict[str, Any], Callable[..., Any]]


_TRAIN_FIELDS = ("epochs", "batch_size", "learning_rate", "optimizer", "val_split", "patience", "progress")


class TrainedWindowDetector(BaseDetector):
    """Shared fit logic of the detectors that train a window model with :func:`anogen.train.fit`.

    Subclasses define ``__init__`` (with at least the parameters of :data:`_TRAIN_FIELDS`, ``window``,
    ``seed`` and ``train_kwargs``), :meth:`_build_model`, :meth:`_decision_function` and, when a
    sample is not ``window`` rows, :meth:`_sample_length`.
    """

    window: Any
    seed: int
    train_kwargs: dict[str, Any] | None
    threads_ok = False  # the trainer and its compiled functions run in the main thread

    @abstractmethod
    def _build_model(self, n_features: int) -> Any:
        """The untrained model for ``n_features`` columns (``self.window_`` is set before)."""

    def _sample_length(self, window: int) -> int:
        """Rows per training sample for a resolved ``window`` (default: the window itself)."""
        return int(window)

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        """The rows the model sees (float32); a subclass may rescale them (statistics set in ``_fit``)."""
        return np.asarray(X, np.float32)

    def _fit_statistics(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Optional: learn what :meth:`_prepare` needs from the train rows."""

    def _train_fields(self) -> dict[str, Any]:
        """TrainConfig fields from the detector's parameters (``train_kwargs`` last)."""
        return {**{name: getattr(self, name) for name in _TRAIN_FIELDS}, **dict(self.train_kwargs or {})}

    def _train_config(self, key: str) -> Any:
        return as_train_config(self._train_fields(), key=f"{key}.train_kwargs")

    def _check_rules(self, key: str) -> None:
        """The training settings form a valid :class:`anogen.train.TrainConfig`."""
        optimizer_node(self.optimizer, f"{key}.optimizer")
        self._train_config(key)

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        window = resolve_window(self.window, X, owner=self._owner())
        length = self._sample_length(window)
        if window_starts(X.shape[0], length, segments).size == 0:
            longest = int((segments[:, 1] - segments[:, 0]).max())
            needs = "is" if length == window else f"needs samples of {length} rows,"
            raise AnogenError(
                f"{self._owner()}: window={window} {needs} longer than every train segment "
                f"(the longest has {longest} rows); use a smaller window"
            )
        config = self._train_config(f"detectors.{self._owner()}")
        self._fit_statistics(X, segments)
        self.window_ = window  # _build_model reads it
        model = self._build_model(X.shape[1])
        self.model_, self.history_ = loop.fit(model, self._prepare(X), config=config, seed=int(self.seed),
                                              window=length, segments=segments)  # fmt: skip

    def _min_rows(self) -> int:
        """The fewest rows a score needs: one sample."""
        return self._sample_length(self.window_)

    def _check_length(self, n: int) -> None:
        need = self._sample_length(self.window_)
        if n < need:
            raise AnogenError(
                f"{self._owner()}: cannot score {n} row(s) with window={self.window_}; need at least {need}"
            )


class _ReconstructionDetector(TrainedWindowDetector):
    """Reconstruction fit/score on the shared trainer; subclasses define ``__init__`` and :meth:`_build_model`."""

    window: int
    seed: int
    model: Any

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Train the model on the windows inside ``segments`` (or adopt ``model=``)."""
        d = X.shape[1]
        if self.model is None:
            super()._fit(X, segments)
            return
        n_model = getattr(self.model, "n_features", d)
        if n_model != d:
            raise AnogenError(f"{self._owner()}: the given model expects {n_model} column(s), the data has {d}")
        window = int(self.model.seq_len) if getattr(self.model, "kind", "window") == "window" else None
        self.model_, self.history_, self.window_ = self.model, None, window

    def _min_rows(self) -> int:
        return 1 if self.window_ is None else int(self.window_)

    def _receptive_field(self) -> tuple[int, int] | None:
        """``score="mse"``: a window model's steps see the windows covering them, ``(L - 1, L - 1)``;
        a row model's rows only themselves. ``"elbo"`` draws from keys fixed per chunk of windows,
        so a window's score depends on its position among the scored ones: not local."""
        if self.score == "elbo":
            return None
        return (0, 0) if self.window_ is None else (int(self.window_) - 1, int(self.window_) - 1)

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """Per-step score ``(n,)`` of ``X`` ``(n, d)``, ``n >= window``."""
        n = X.shape[0]
        if self.window_ is not None and n < self.window_:
            raise AnogenError(
                f"{self._owner()}: cannot score {n} row(s) with window={self.window_}; need at least that many"
            )
        x = X.astype(np.float32)
        if self.score != "elbo":
            return reconstruction_error(self.model_, x, window=self.window_)
        return self._neg_elbo(x)

    def _neg_elbo(self, x: np.ndarray) -> np.ndarray:
        if not hasattr(self.model_, "per_sample_loss"):
            raise AnogenError(f"{self._owner()}: score='elbo' needs a VAE (a model with per_sample_loss)")
        losses, starts = sample_losses(
            self.model_, x, window=self.window_, beta=1.0, recon_weight=getattr(self, "recon_weight", None),
            n_samples=int(getattr(self, "n_samples", 1)), seed=int(self.seed), batch_size=256,
        )  # fmt: skip
        if self.window_ is None:
            return losses
        return aggregate_window_scores(losses, starts, self.window_, x.shape[0], "mean")


class LSTMAEDetector(_ReconstructionDetector):
    """LSTM autoencoder, scored by per-step reconstruction error (seed 000's LSTM-AE).

    Args:
        window: window length ``L`` (stride-1 windows), or ``"auto"`` / ``"period"`` / ``"2period"``
            (periods of the train part, resolved at fit time as ``window_``).
        latent_dim: size of the latent code.
        hidden: encoder LSTM sizes (the decoder mirrors them).
        epochs: maximum training epochs.
        batch_size: training batch size.
        learning_rate: optimizer learning rate.
        optimizer: optax optimizer name or ``_target_`` node (see :class:`anogen.train.TrainConfig`).
        val_split: validation fraction for early stopping.
        patience: early-stopping patience (epochs; 0 = off).
        seed: seed for initialisation and training.
        score: ``"mse"`` (the only option for an autoencoder).
        model: an already-trained ``LSTMAE`` to use instead of training one.
        progress: show the training progress bar.
        train_kwargs: extra :class:`anogen.train.TrainConfig` fields (e.g. ``epsilon``).
        name: result key.
        contamination: expected fraction of anomalies (sets ``threshold_``).

    Attributes:
        model_: the trained model.
        history_: the training history (``None`` when ``model=`` was given).
        window_: the window length in use.
    """

    def __init__(
        self,
        *,
        window: Window = 10,
        latent_dim: PositiveInt = 16,
        hidden: Hidden = (128, 64, 32),
        epochs: PositiveInt = 20,
        batch_size: PositiveInt = 32,
        learning_rate: PositiveFloat = 1e-3,
        optimizer: Optimizer = "adam",
        val_split: Fraction = 0.1,
        patience: NonNegativeInt = 10,
        seed: NonNegativeInt = 0,
        score: Literal["mse"] = "mse",
        model: Any = None,
        progress: bool = False,
        train_kwargs: dict[str, Any] | None = None,
        name: str = "lstm_ae",
        contamination: Ratio = 0.1,
    ) -> None:
        self.window = window
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.val_split = val_split
        self.patience = patience
        self.seed = seed
        self.score = score
        self.model = model
        self.progress = progress
        self.train_kwargs = train_kwargs
        self.name = name
        self.contamination = contamination

    def _build_model(self, n_features: int) -> Any:
        return LSTMAE(n_features, int(self.window_), int(self.latent_dim), tuple(self.hidden),
                      rngs=nnx.Rngs(int(self.seed)))  # fmt: skip


class VAEDetector(_ReconstructionDetector):
    """LSTM-VAE, scored by reconstruction error or by negative ELBO (seed 000's LSTM-VAE).

    Args:
        window: window length ``L`` (stride-1 windows), or ``"auto"`` / ``"period"`` / ``"2period"``
            (periods of the train part, resolved at fit time as ``window_``).
        latent_dim: size of the latent code.
        hidden: encoder LSTM sizes (the decoder mirrors them).
        dense: size of the dense layer before the latent code.
        epochs: maximum training epochs.
        batch_size: training batch size.
        learning_rate: optimizer learning rate.
        optimizer: optax optimizer name or ``_target_`` node (see :class:`anogen.train.TrainConfig`).
        val_split: validation fraction for early stopping.
        patience: early-stopping patience (epochs; 0 = off).
        beta: weight of the KL term during training.
        recon_weight: weight of the reconstruction term, in training and in the ELBO score
            (``None`` = the model's default, ``100 * L``).
        seed: seed for initialisation, training and the ELBO's posterior draws.
        score: ``"mse"`` (reconstruction error of ``decode(mu)``) or ``"elbo"`` (negative ELBO).
        n_samples: posterior draws per window for ``score="elbo"``.
        model: an already-trained VAE (``LSTMVAE``, or a row model such as ``MLPVAE``).
        progress: show the training progress bar.
        train_kwargs: extra :class:`anogen.train.TrainConfig` fields (e.g. ``kl_warmup_epochs``).
        name: result key.
        contamination: expected fraction of anomalies (sets ``threshold_``).

    Attributes:
        model_: the trained model.
        history_: the training history (``None`` when ``model=`` was given).
        window_: the window length in use (``None`` for a row model).
    """

    def __init__(
        self,
        *,
        window: Window = 10,
        latent_dim: PositiveInt = 8,
        hidden: Hidden = (64, 32),
        dense: PositiveInt = 32,
        epochs: PositiveInt = 20,
        batch_size: PositiveInt = 32,
        learning_rate: PositiveFloat = 1e-3,
        optimizer: Optimizer = "adam",
        val_split: Fraction = 0.1,
        patience: NonNegativeInt = 10,
        beta: NonNegativeFloat = 1.0,
        recon_weight: PositiveFloat | None = None,
        seed: NonNegativeInt = 0,
        score: Literal["mse", "elbo"] = "mse",
        n_samples: PositiveInt = 8,
        model: Any = None,
        progress: bool = False,
        train_kwargs: dict[str, Any] | None = None,
        name: str = "vae",
        contamination: Ratio = 0.1,
    ) -> None:
        self.window = window
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.dense = dense
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.val_split = val_split
        self.patience = patience
        self.beta = beta
        self.recon_weight = recon_weight
        self.seed = seed
        self.score = score
        self.n_samples = n_samples
        self.model = model
        self.progress = progress
        self.train_kwargs = train_kwargs
        self.name = name
        self.contamination = contamination

    def _train_fields(self) -> dict[str, Any]:
        return {**super()._train_fields(), "beta": self.beta, "recon_weight": self.recon_weight,
                **dict(self.train_kwargs or {})}  # fmt: skip

    def _build_model(self, n_features: int) -> Any:
        return LSTMVAE(n_features, int(self.window_), int(self.latent_dim), tuple(self.hidden), int(self.dense),
                       rngs=nnx.Rngs(int(self.seed)))  # fmt: skip
