"""One-step forecasters for windows: a 1-D CNN (DeepAnT, TSB-AD's CNN) and an LSTM (LSTM-AD).

A forecaster's *sample* is ``window + 1`` consecutive rows (``seq_len = window + 1``): the first
``window`` rows are the input, the last row the target. The model predicts the target row (all
``d`` columns) from the input; its loss and its anomaly score are the squared error of that
forecast, averaged over the columns. Both models keep only ``nnx.Param`` state and are
deterministic (no dropout), so the trainer's pure step and the batched inference helpers use them
as they use the autoencoders (``kind = "window"``, ``per_sample_loss``, ``get_config``;
``step_errors`` gives the forecast error to :func:`anogen.models.losses.recon_error`).

References:
    Munir, Siddiqui, Dengel, Ahmed (2019). DeepAnT: A Deep Learning Approach for Unsupervised
    Anomaly Detection in Time Series. IEEE Access 7.
    Malhotra, Vig, Shroff, Agarwal (2015). Long Short Term Memory Networks for Anomaly Detection in
    Time Series. ESANN.
"""

from __future__ import annotations

import contextlib
import itertools
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from anogen.models.vae import LSTM, Dense, Hidden, ParamInit, lstm_step_context
from anogen.params import PositiveInt, check_params

__all__ = ["CNNForecaster", "Conv1D", "LSTMForecaster"]


class Conv1D(nnx.Module):
    """1-D convolution over time, ``"SAME"`` padding, stride 1: ``(B, L, c_in) -> (B, L, c_out)``.

    The kernel is stored as ``(kernel_size * c_in, c_out)`` so that its LeCun-normal initialisation
    has the fan-in of a convolution (``kernel_size * c_in``).

    Args:
        in_features: ``c_in``.
        out_features: ``c_out``.
        kernel_size: taps over time.
        rngs: the parent model's :class:`~anogen.models.vae.ParamInit`.
    """

    def __init__(self, in_features: int, out_features: int, kernel_size: int, *, rngs: ParamInit):
        self.in_features, self.out_features, self.kernel_size = in_features, out_features, kernel_size
        self.kernel = rngs("lecun_normal", (kernel_size * in_features, out_features))
        self.bias = rngs("zeros", (out_features,))

    def __call__(self, x: jax.Array) -> jax.Array:
        """``(B, L, c_in) -> (B, L, c_out)``."""
        k, length = self.kernel_size, x.shape[1]
        left = (k - 1) // 2  # "SAME": as many zeros before as after (one more after for an even k)
        xp = jnp.pad(x, ((0, 0), (left, k - 1 - left), (0, 0)))
        taps = jnp.concatenate([xp[:, i : i + length] for i in range(k)], axis=-1)  # (B, L, k * c_in)
        return taps @ self.kernel[...] + self.bias[...]  # one matmul: faster on XLA:CPU than conv_general_dilated


def _max_pool2(h: jax.Array) -> jax.Array:
    """Max over non-overlapping pairs of time steps (a trailing odd step is dropped); ``L < 2``: unchanged."""
    b, length, c = h.shape
    if length < 2:
        return h
    half = length // 2
    return h[:, : 2 * half].reshape(b, half, 2, c).max(axis=2)


class _Forecaster(nnx.Module):
    """What both forecasters share: samples of ``window + 1`` rows, the forecast error as loss and score."""

    kind = "window"
    n_features: int
    window: int
    out: Dense

    @property
    def seq_len(self) -> int:
        """Rows per sample: ``window`` input rows and the target row."""
        return self.window + 1

    @property
    def default_recon_weight(self) -> float:
        """1.0 (plain mean squared error of the forecast)."""
        return 1.0

    def features(self, x: jax.Array) -> jax.Array:
        """``(B, window, d)`` input rows -> ``(B, h)`` the representation the output layer reads."""
        raise NotImplementedError

    def forecast(self, x: jax.Array) -> jax.Array:
        """The next row after ``(B, window, d)`` input rows: ``(B, d)``."""
        return self.out(self.features(x))

    def encode(self, x: jax.Array) -> jax.Array:
        """``(B, window + 1, d)`` samples -> ``(B, h)``: the representation of their input rows."""
        return self.features(x[:, : self.window])

    def reconstruct(self, x: jax.Array) -> jax.Array:
        """``(B, window + 1, d)`` samples with their last row replaced by its forecast."""
        return x.at[:, self.window].set(self.forecast(x[:, : self.window]))

    def __call__(self, x: jax.Array, key: jax.Array | None = None) -> jax.Array:
        """Forecast the last row of ``(B, window + 1, d)`` samples: ``(B, d)``; ``key`` is unused."""
        del key
        return self.forecast(x[:, : self.window])

    def step_errors(self, x: jax.Array) -> jax.Array:
        """``(B, 1)``: the squared error of the forecast of each sample's last row, averaged over columns."""
        err = jnp.mean(jnp.square(x[:, self.window] - self.forecast(x[:, : self.window])), axis=-1)
        return err[:, None]

    def per_sample_loss(
        self,
        x: jax.Array,
        key: jax.Array | None = None,
        *,
        recon_weight: float | None = None,
        beta: float | jax.Array = 1.0,
        train: bool = True,
    ) -> dict[str, jax.Array]:
        """Loss terms per sample.

        Args:
            x: ``(B, window + 1, d)`` samples.
            key: unused (deterministic).
            recon_weight: weight of the mean squared forecast error; ``None`` = 1.
            beta: unused (no KL term).
            train: unused (no dropout).

        Returns:
            dict of ``(B,)`` arrays: ``loss`` and ``recon`` (the mean squared forecast error).
        """
        del key, beta, train
        rw = self.default_recon_weight if recon_weight is None else recon_weight
        mse = self.step_errors(x)[:, 0]
        return {"loss": rw * mse, "recon": mse}


class CNNForecaster(_Forecaster):
    """1-D convolutional one-step forecaster (DeepAnT; TSB-AD's CNN).

    ``window`` input rows ``-> [Conv1D(c, kernel_size, SAME) -> ReLU -> MaxPool(2)]`` per entry of
    ``channels`` ``->`` concatenated mean and max over time ``-> Dense(channels[-1]) -> ReLU ->
    Dense(d)``: the forecast of the next row. (TSB-AD's CNN has the same layout with dropout 0.25
    before the output layer; here no dropout, so scores are deterministic.)

    Args:
        n_features: ``d``, columns per row.
        window: input rows per forecast (samples are ``window + 1`` rows).
        channels: output channels of the convolution layers.
        kernel_size: taps of every convolution.
        rngs: parameter initialisation keys.
    """

    def __init__(
        self,
        n_features: PositiveInt,
        window: PositiveInt,
        channels: Hidden = (32, 32),
        kernel_size: PositiveInt = 3,
        *,
        rngs: nnx.Rngs,
    ):
        p = check_params(CNNForecaster, {"n_features": n_features, "window": window, "channels": channels,
                                         "kernel_size": kernel_size, "rngs": rngs}, "model")  # fmt: skip
        self.n_features, self.window = p["n_features"], p["window"]
        self.channels, self.kernel_size = tuple(p["channels"]), p["kernel_size"]
        init = ParamInit(rngs)
        sizes = (self.n_features, *self.channels)
        self.convs = nnx.List(
            [Conv1D(a, b, self.kernel_size, rngs=init) for a, b in itertools.pairwise(sizes)]
        )
        self.hidden = Dense(2 * self.channels[-1], self.channels[-1], rngs=init)
        self.out = Dense(self.channels[-1], self.n_features, rngs=init)
        init.finish()

    def get_config(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-able) that rebuild this model."""
        return {"n_features": self.n_features, "window": self.window, "channels": list(self.channels),
                "kernel_size": self.kernel_size}  # fmt: skip

    def features(self, x: jax.Array) -> jax.Array:
        """``(B, window, d) -> (B, channels[-1])``."""
        h = x
        for conv in self.convs:
            h = _max_pool2(jax.nn.relu(conv(h)))
        pooled = jnp.concatenate([jnp.mean(h, axis=1), jnp.max(h, axis=1)], axis=-1)
        return jax.nn.relu(self.hidden(pooled))


class LSTMForecaster(_Forecaster):
    """Stacked-LSTM one-step forecaster (LSTM-AD; TSB-AD's LSTMAD).

    ``window`` input rows ``-> LSTM(hidden[0]) -> ... -> LSTM(hidden[-1])`` (last state) ``->
    Dense(d)``: the forecast of the next row.

    Args:
        n_features: ``d``, columns per row.
        window: input rows per forecast (samples are ``window + 1`` rows).
        hidden: LSTM sizes, first layer first.
        unroll: ``lax.scan`` unroll factor of the LSTM layers (speed only).
        rngs: parameter initialisation keys.
    """

    def __init__(
        self,
        n_features: PositiveInt,
        window: PositiveInt,
        hidden: Hidden = (32, 32),
        *,
        unroll: PositiveInt = 1,
        rngs: nnx.Rngs,
    ):
        p = check_params(LSTMForecaster, {"n_features": n_features, "window": window, "hidden": hidden,
                                          "unroll": unroll, "rngs": rngs}, "model")  # fmt: skip
        self.n_features, self.window = p["n_features"], p["window"]
        self.hidden, self.unroll = tuple(p["hidden"]), p["unroll"]
        init = ParamInit(rngs)
        sizes = (self.n_features, *self.hidden)
        self.lstm = nnx.List(
            [LSTM(a, b, unroll=self.unroll, rngs=init) for a, b in itertools.pairwise(sizes)]
        )
        self.out = Dense(self.hidden[-1], self.n_features, rngs=init)
        init.finish()

    def get_config(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-able) that rebuild this model."""
        return {"n_features": self.n_features, "window": self.window, "hidden": list(self.hidden),
                "unroll": self.unroll}  # fmt: skip

    def step_context(self, batch_size: int) -> contextlib.AbstractContextManager:
        """Fully unrolled LSTM loops at large batches (:func:`anogen.models.vae.lstm_step_context`)."""
        return lstm_step_context(batch_size)

    def features(self, x: jax.Array) -> jax.Array:
        """``(B, window, d) -> (B, hidden[-1])``: the last layer's final state."""
        h = jnp.swapaxes(x, 0, 1)
        last = None
        for i, layer in enumerate(self.lstm):
            h, last = layer(h, return_sequences=i < len(self.lstm) - 1)
        return last
