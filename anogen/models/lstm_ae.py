"""Plain LSTM autoencoder for windows (seed 000's ``LSTM128 -> 64 -> 32 -> Dense(latent, tanh)``)."""

from __future__ import annotations

import contextlib
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from anogen.models.vae import LSTM, Dense, Hidden, ParamInit, lstm_step_context
from anogen.params import PositiveInt, check_params

__all__ = ["LSTMAE"]


class LSTMAE(nnx.Module):
    """Deterministic LSTM autoencoder.

    Encoder: ``LSTM(hidden[0]) -> ... -> LSTM(hidden[-1])`` (last state) ``-> Dense(latent_dim,
    tanh)``. Decoder (mirrored): ``z`` repeated over ``L`` steps ``-> LSTM(hidden[-1]) -> ... ->
    LSTM(hidden[0]) -> Dense(d)`` per step. Loss per window: ``recon_weight * mean((x - x_hat)^2)``
    (default ``recon_weight = 1``).

    Args:
        n_features: ``d``, features per time step.
        seq_len: ``L``, window length.
        latent_dim: size of the code.
        hidden: LSTM sizes of the encoder (the decoder uses them reversed).
        unroll: ``lax.scan`` unroll factor of the LSTM layers (speed only; ``>= seq_len`` = full unroll).
        rngs: parameter initialisation keys.
    """

    kind = "window"

    def __init__(
        self,
        n_features: PositiveInt,
        seq_len: PositiveInt,
        latent_dim: PositiveInt = 16,
        hidden: Hidden = (128, 64, 32),
        *,
        unroll: PositiveInt = 1,
        rngs: nnx.Rngs,
    ):
        p = check_params(LSTMAE, {"n_features": n_features, "seq_len": seq_len, "latent_dim": latent_dim,
                                  "hidden": hidden, "unroll": unroll, "rngs": rngs}, "model")  # fmt: skip
        self.n_features, self.seq_len, self.latent_dim = p["n_features"], p["seq_len"], p["latent_dim"]
        self.hidden, self.unroll = p["hidden"], p["unroll"]
        unroll = self.unroll
        init = ParamInit(rngs)
        sizes = (self.n_features, *self.hidden)
        self.enc_lstm = nnx.List(
            [LSTM(a, b, unroll=unroll, rngs=init) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        )
        self.to_latent = Dense(self.hidden[-1], self.latent_dim, rngs=init)
        dec_sizes = (self.latent_dim, *self.hidden[::-1])
        self.dec_lstm = nnx.List(
            [LSTM(a, b, unroll=unroll, rngs=init) for a, b in zip(dec_sizes[:-1], dec_sizes[1:], strict=True)]
        )
        self.out = Dense(self.hidden[0], self.n_features, rngs=init)
        init.finish()

    def get_config(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-able) that rebuild this model."""
        return {
            "n_features": self.n_features,
            "seq_len": self.seq_len,
            "latent_dim": self.latent_dim,
            "hidden": list(self.hidden),
            "unroll": self.unroll,
        }

    def step_context(self, batch_size: int) -> contextlib.AbstractContextManager:
        """The context the trainer traces a training step of ``batch_size`` samples (per device) in:
        fully unrolled LSTM loops at large batches (:func:`anogen.models.vae.lstm_step_context`)."""
        return lstm_step_context(batch_size)

    @property
    def default_recon_weight(self) -> float:
        """1.0 (plain mean squared error)."""
        return 1.0

    def encode(self, x: jax.Array) -> jax.Array:
        """Encode windows.

        Args:
            x: ``(B, L, d)``.

        Returns:
            ``(B, latent_dim)`` codes in ``(-1, 1)``.
        """
        h = jnp.swapaxes(x, 0, 1)
        last = None
        for i, layer in enumerate(self.enc_lstm):
            h, last = layer(h, return_sequences=i < len(self.enc_lstm) - 1)
        return jnp.tanh(self.to_latent(last))

    def decode(self, z: jax.Array) -> jax.Array:
        """Decode codes.

        Args:
            z: ``(B, latent_dim)``.

        Returns:
            ``(B, L, d)`` windows.
        """
        h = self.dec_lstm[0].repeated(z, self.seq_len)
        for layer in list(self.dec_lstm)[1:]:
            h, _ = layer(h)
        return jnp.swapaxes(self.out(h), 0, 1)

    def __call__(self, x: jax.Array, key: jax.Array | None = None) -> jax.Array:
        """Reconstruct windows ``(B, L, d) -> (B, L, d)``; ``key`` is unused (deterministic)."""
        del key
        return self.decode(self.encode(x))

    def reconstruct(self, x: jax.Array) -> jax.Array:
        """Same as ``__call__``: ``(B, L, d) -> (B, L, d)``."""
        return self.decode(self.encode(x))

    def per_sample_loss(
        self,
        x: jax.Array,
        key: jax.Array | None = None,
        *,
        recon_weight: float | None = None,
        beta: float | jax.Array = 1.0,
        train: bool = True,
    ) -> dict[str, jax.Array]:
        """Loss terms per window.

        Args:
            x: ``(B, L, d)``.
            key: unused.
            recon_weight: weight of the mean squared error; ``None`` = 1.
            beta: unused (no KL term).
            train: unused.

        Returns:
            dict of ``(B,)`` arrays: ``loss`` and ``recon`` (mean squared error).
        """
        del key, beta, train
        rw = self.default_recon_weight if recon_weight is None else recon_weight
        mse = jnp.mean(jnp.square(x - self.reconstruct(x)), axis=(1, 2))
        return {"loss": rw * mse, "recon": mse}
