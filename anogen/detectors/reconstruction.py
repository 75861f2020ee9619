"""Reconstruction detectors: an LSTM autoencoder and an LSTM-VAE trained on the clean train data.

``fit`` trains the model with the project's trainer (:func:`anogen.train.fit`) on stride-1 windows
that never cross the train ``segments``; ``score`` returns one value per time step:

- ``score="mse"`` (both): the squared reconstruction error of every window, averaged over the
  windows that cover the step (:func:`anogen.train.reconstruction_error`).
- ``score="elbo"`` (VAE only): the negative ELBO of every window, i.e. the model's own training
  loss per window with ``beta = 1`` (``recon_weight * mean squared error + KL``; ``recon_weight``
  defaults to the model's, ``100 * L`` for the LSTM-VAE), the expectation over the posterior
  estimated with ``n_samples`` reparameterised draws from fixed keys (so scores are
  deterministic), then averaged over the windows that cover each step.

An already-trained model can be passed as ``model=`` (e.g. the generator's VAE): ``fit`` then only
checks the column count and does not train. Such a model must have been trained on data scaled the
same way as the data given to ``fit``/``score``. Row models (``model.kind == "row"``, the MLP-VAE)
are scored per row.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from anogen.detectors.windows import (
    aggregate_window_scores,
    check_data,
    check_fitted,
    check_scores,
    sliding_windows,
    window_starts,
)
from anogen.types import AnogenError

__all__ = ["LSTMAEDetector", "VAEDetector"]


def _positive_int(owner: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise AnogenError(f"{owner}: {key} must be a positive integer, got {value!r}")
    return int(value)


def _hidden(owner: str, hidden: Any) -> tuple[int, ...]:
    try:
        out = tuple(hidden)
    except TypeError:
        raise AnogenError(f"{owner}: hidden must be a list of positive integers, got {hidden!r}") from None
    if not out:
        raise AnogenError(f"{owner}: hidden must hold at least one layer size")
    return tuple(_positive_int(owner, f"hidden[{i}]", h) for i, h in enumerate(out))


class _ReconstructionDetector:
    """Shared fit/score logic; subclasses define :meth:`_build_model`."""

    _scores: tuple[str, ...] = ("mse",)

    def __init__(
        self,
        *,
        name: str,
        window: int,
        epochs: int,
        batch_size: int,
        learning_rate: float,
        optimizer: str,
        val_split: float,
        patience: int,
        seed: int,
        score: str,
        model: Any,
        progress: bool,
        train_kwargs: dict[str, Any] | None,
    ) -> None:
        self.name = str(name)
        if score not in self._scores:
            raise AnogenError(f"{self.name}: score must be one of {list(self._scores)}, got {score!r}")
        self.window = _positive_int(self.name, "window", window)
        self.epochs = _positive_int(self.name, "epochs", epochs)
        self.batch_size = _positive_int(self.name, "batch_size", batch_size)
        if not float(learning_rate) > 0:
            raise AnogenError(f"{self.name}: learning_rate must be > 0, got {learning_rate!r}")
        self.learning_rate = float(learning_rate)
        self.optimizer = str(optimizer)
        self.val_split = float(val_split)
        self.patience = int(patience)
        self.seed = int(seed)
        self.score_kind = score
        self.model = model
        self.progress = bool(progress)
        self.train_kwargs = dict(train_kwargs or {})
        self.model_: Any = None
        self.history_: Any = None
        self.window_: int | None = None
        self.n_features_in_: int | None = None
        self._elbo_cache: tuple[Any, Any, Any] | None = None

    # -- to be provided by subclasses -------------------------------------------------------
    def _build_model(self, n_features: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _train_config_kwargs(self) -> dict[str, Any]:
        return {}

    # -- protocol -----------------------------------------------------------------------------
    def fit(self, X: np.ndarray, segments: np.ndarray | None = None) -> "_ReconstructionDetector":
        """Train the model on the clean train data (or adopt ``model=``).

        Args:
            X: ``(n_train, d)`` clean, scaled train data.
            segments: ``(k, 2)`` half-open ranges of contiguous rows; training windows never
                cross them.

        Returns:
            self.
        """
        X = check_data(X, owner=self.name)
        d = X.shape[1]
        if self.model is not None:
            model = self.model
            n_model = getattr(model, "n_features", d)
            if n_model != d:
                raise AnogenError(f"{self.name}: the given model expects {n_model} column(s), the data has {d}")
            window = int(model.seq_len) if getattr(model, "kind", "window") == "window" else None
            self.model_, self.history_ = model, None
        else:
            window = self.window
            if window_starts(X.shape[0], window, 1, segments, owner=self.name).size == 0:
                raise AnogenError(
                    f"{self.name}: window={window} is longer than every train segment "
                    f"({X.shape[0]} rows); use a smaller window"
                )
            from anogen.train import TrainConfig, fit

            cfg_kwargs = {
                "epochs": self.epochs,
                "batch_size": self.batch_size,
                "learning_rate": self.learning_rate,
                "optimizer": self.optimizer,
                "val_split": self.val_split,
                "patience": self.patience,
                "progress": self.progress,
                **self._train_config_kwargs(),
                **self.train_kwargs,
            }
            try:
                config = TrainConfig(**cfg_kwargs)
            except TypeError as exc:
                raise AnogenError(f"{self.name}: invalid training option: {exc}") from None
            seg = None if segments is None else np.asarray(segments, dtype=np.int64)
            model = self._build_model(d)
            self.model_, self.history_ = fit(
                model, X.astype(np.float32), config=config, seed=self.seed, window=window, segments=seg
            )
        self.window_ = window
        self.n_features_in_ = d
        self._elbo_cache = None  # the jitted ELBO holds the params of the previous model
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """Per-step anomaly score.

        Args:
            X: ``(n, d)`` data scaled like the train data, ``n >= window``.

        Returns:
            ``(n,)`` float64, higher = more anomalous.
        """
        check_fitted(self, "model_")
        X = check_data(X, n_features=self.n_features_in_, owner=self.name)
        n = X.shape[0]
        if self.window_ is not None and n < self.window_:
            raise AnogenError(f"{self.name}: cannot score {n} row(s) with window={self.window_}; need at least that many")
        if self.score_kind == "elbo":
            out = self._neg_elbo(X)
        else:
            from anogen.train import reconstruction_error

            out = reconstruction_error(self.model_, X.astype(np.float32), window=self.window_)
        return check_scores(out, n, owner=self.name)

    # -- negative ELBO ----------------------------------------------------------------------------
    def _neg_elbo(self, X: np.ndarray, batch: int = 256) -> np.ndarray:
        import jax
        import jax.numpy as jnp

        model = self.model_
        if not hasattr(model, "per_sample_loss"):
            raise AnogenError(f"{self.name}: score='elbo' needs a VAE (a model with per_sample_loss)")
        n = X.shape[0]
        if self.window_ is None:
            samples, starts = X.astype(np.float32), np.arange(n)
        else:
            samples, starts = sliding_windows(X.astype(np.float32), self.window_, 1, None, owner=self.name)
        loss_fn, state = self._elbo_function()
        key = jax.random.key(self.seed)
        m = samples.shape[0]
        out = np.empty(m, dtype=np.float64)
        for i, lo in enumerate(range(0, m, batch)):  # loop over batches of windows, not time steps
            chunk = samples[lo : lo + batch]
            k = chunk.shape[0]
            if k < batch:  # pad: every batch has the same shape, so one compilation serves all folds
                chunk = np.concatenate([chunk, np.repeat(chunk[-1:], batch - k, axis=0)])
            vals = loss_fn(state, jnp.asarray(chunk), jax.random.fold_in(key, i))
            out[lo : lo + k] = np.asarray(vals, dtype=np.float64)[:k]
        if self.window_ is None:
            return out
        return aggregate_window_scores(out, starts, self.window_, n, "mean")

    def _elbo_function(self) -> tuple[Any, Any]:
        """A jitted ``(state, x, key) -> (B,)`` negative ELBO, built once per fitted model."""
        cached = getattr(self, "_elbo_cache", None)
        if cached is not None and cached[0] is self.model_:
            return cached[1], cached[2]
        import jax
        import jax.numpy as jnp
        from flax import nnx

        graphdef, state = nnx.split(self.model_)
        recon_weight = getattr(self, "recon_weight", None)
        n_samples = int(getattr(self, "n_samples", 1))

        @jax.jit
        def loss_fn(state, x, key):
            m = nnx.merge(graphdef, state)

            def one(k):
                return m.per_sample_loss(x, k, recon_weight=recon_weight, beta=1.0, train=False)["loss"]

            return jnp.mean(jax.lax.map(one, jax.random.split(key, n_samples)), axis=0)

        self._elbo_cache = (self.model_, loss_fn, state)
        return loss_fn, state


class LSTMAEDetector(_ReconstructionDetector):
    """LSTM autoencoder, scored by per-step reconstruction error (seed 000's LSTM-AE).

    Args:
        window: window length ``L`` (stride-1 windows).
        latent_dim: size of the latent code.
        hidden: encoder LSTM sizes (the decoder mirrors them).
        epochs: maximum training epochs.
        batch_size: training batch size.
        learning_rate: optimizer learning rate.
        optimizer: optax optimizer name.
        val_split: validation fraction for early stopping.
        patience: early-stopping patience (epochs).
        seed: seed for initialisation and training.
        score: ``"mse"`` (the only option for an autoencoder).
        model: an already-trained ``LSTMAE`` to use instead of training one.
        progress: show the training progress bar.
        train_kwargs: extra :class:`anogen.train.TrainConfig` fields (e.g. ``epsilon``).
        name: result key.

    Attributes:
        model_: the trained model.
        history_: the training history (``None`` when ``model=`` was given).
        window_: the window length in use.
        n_features_in_: ``d``.
    """

    def __init__(
        self,
        window: int = 10,
        latent_dim: int = 16,
        hidden: tuple[int, ...] | list[int] = (128, 64, 32),
        epochs: int = 20,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        optimizer: str = "adam",
        val_split: float = 0.1,
        patience: int = 10,
        seed: int = 0,
        score: Literal["mse"] = "mse",
        model: Any = None,
        progress: bool = False,
        train_kwargs: dict[str, Any] | None = None,
        name: str = "lstm_ae",
    ) -> None:
        super().__init__(
            name=name, window=window, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            optimizer=optimizer, val_split=val_split, patience=patience, seed=seed, score=score,
            model=model, progress=progress, train_kwargs=train_kwargs,
        )  # fmt: skip
        self.latent_dim = _positive_int(self.name, "latent_dim", latent_dim)
        self.hidden = _hidden(self.name, hidden)

    def _build_model(self, n_features: int) -> Any:
        from flax import nnx

        from anogen.models import LSTMAE

        return LSTMAE(n_features, self.window, self.latent_dim, self.hidden, rngs=nnx.Rngs(self.seed))


class VAEDetector(_ReconstructionDetector):
    """LSTM-VAE, scored by reconstruction error or by negative ELBO (seed 000's LSTM-VAE).

    Args:
        window: window length ``L`` (stride-1 windows).
        latent_dim: size of the latent code.
        hidden: encoder LSTM sizes (the decoder mirrors them).
        dense: size of the dense layer before the latent code.
        epochs: maximum training epochs.
        batch_size: training batch size.
        learning_rate: optimizer learning rate.
        optimizer: optax optimizer name.
        val_split: validation fraction for early stopping.
        patience: early-stopping patience (epochs).
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

    Attributes:
        model_: the trained model.
        history_: the training history (``None`` when ``model=`` was given).
        window_: the window length in use (``None`` for a row model).
        n_features_in_: ``d``.
    """

    _scores = ("mse", "elbo")

    def __init__(
        self,
        window: int = 10,
        latent_dim: int = 8,
        hidden: tuple[int, ...] | list[int] = (64, 32),
        dense: int = 32,
        epochs: int = 20,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        optimizer: str = "adam",
        val_split: float = 0.1,
        patience: int = 10,
        beta: float = 1.0,
        recon_weight: float | None = None,
        seed: int = 0,
        score: Literal["mse", "elbo"] = "mse",
        n_samples: int = 8,
        model: Any = None,
        progress: bool = False,
        train_kwargs: dict[str, Any] | None = None,
        name: str = "vae",
    ) -> None:
        super().__init__(
            name=name, window=window, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            optimizer=optimizer, val_split=val_split, patience=patience, seed=seed, score=score,
            model=model, progress=progress, train_kwargs=train_kwargs,
        )  # fmt: skip
        self.latent_dim = _positive_int(self.name, "latent_dim", latent_dim)
        self.hidden = _hidden(self.name, hidden)
        self.dense = _positive_int(self.name, "dense", dense)
        self.beta = float(beta)
        self.recon_weight = None if recon_weight is None else float(recon_weight)
        self.n_samples = _positive_int(self.name, "n_samples", n_samples)

    def _train_config_kwargs(self) -> dict[str, Any]:
        return {"beta": self.beta, "recon_weight": self.recon_weight}

    def _build_model(self, n_features: int) -> Any:
        from flax import nnx

        from anogen.models import LSTMVAE

        return LSTMVAE(n_features, self.window, self.latent_dim, self.hidden, self.dense, rngs=nnx.Rngs(self.seed))
