"""Variational autoencoders (Flax NNX): the LSTM-VAE of seed 000 and the MLP-VAE of seed 001.

Both models keep *only* ``nnx.Param`` state (no RNG streams, no batch statistics): every random
draw (reparameterisation noise, dropout masks) comes from a JAX key passed to the call. That keeps
``nnx.split(model)`` a plain pytree of arrays, which is what the trainer's pure ``jax.jit`` step
needs, and makes a trained model fully described by its constructor arguments plus its params.

The recurrent layer (:class:`LSTM`) is written directly on ``jax.lax.scan`` (fused ``(in, 4h)`` and
``(h, 4h)`` kernels, gates ``i, f, g, o``) instead of ``nnx.RNN(nnx.OptimizedLSTMCell)``: no
``nnx`` transform runs inside the traced step, the sequence stays time-major between stacked
layers, and the decoder's repeated input is projected once instead of at every step. Variants
that were measured and rejected (projection of the whole sequence before the loop, a hand-written
backward pass) are listed in ``docs/training.md``; unrolling pays only at large batches, so the
LSTM models ask the trainer for it there (``step_context``, :func:`full_unroll`).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
from typing import Annotated, Any, Literal, Union

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from pydantic import Field

from anogen.models.losses import SIGMA_FLOOR, bernoulli_nll, gaussian_nll
from anogen.params import Fraction, PositiveFloat, PositiveInt, check_params

__all__ = ["LSTM", "LSTMVAE", "MLPVAE", "Dense", "Hidden", "ParamInit", "Sigma", "UNROLL_MIN_BATCH", "full_unroll",
           "kl_divergence", "kl_per_dim", "lstm_step_context", "reparameterise"]

_lecun = jax.nn.initializers.lecun_normal()
_orthogonal = jax.nn.initializers.orthogonal()


#: LSTM layer sizes of an encoder (the decoder mirrors them): at least one positive size
Hidden = Annotated[tuple[PositiveInt, ...], Field(min_length=1)]

#: observation noise of a Gaussian likelihood, in scaled units: ``"learned"`` (one std per feature,
#: trained with the model from the model's ``sigma_init``) or a fixed positive std
Sigma = Union[Literal["learned"], PositiveFloat]


_INIT_KINDS = ("lecun_normal", "orthogonal", "zeros", "forget_bias")


@functools.partial(jax.jit, static_argnums=1)
def _draw_params(key: jax.Array, spec: tuple[tuple[str, tuple[int, ...]], ...]) -> tuple[jax.Array, ...]:
    """Initial values for ``spec`` = ((kind, shape), ...), with two random draws in total.

    ``lecun_normal``: truncated normal in [-2, 2] scaled to variance ``1 / fan_in``
    (``fan_in = shape[0]``), as ``jax.nn.initializers.lecun_normal``. ``orthogonal``: QR of a
    Gaussian matrix with the sign fix of ``jax.nn.initializers.orthogonal``. All values of one
    kind come from one draw (one random-bits kernel to compile instead of one per parameter).
    """
    k_lecun, k_orth = jax.random.split(key)
    sizes = {kind: sum(math.prod(shape) for kd, shape in spec if kd == kind) for kind in _INIT_KINDS}
    lecun = jax.random.truncated_normal(k_lecun, -2.0, 2.0, (sizes["lecun_normal"],), jnp.float32)
    gauss = jax.random.normal(k_orth, (sizes["orthogonal"],), jnp.float32)
    offsets = dict.fromkeys(_INIT_KINDS, 0)
    out = []
    for kind, shape in spec:
        size = math.prod(shape)
        start = offsets[kind]
        offsets[kind] += size
        if kind == "lecun_normal":
            std = math.sqrt(1.0 / shape[0]) / 0.87962566103423978  # std of the truncated normal
            out.append(lecun[start : start + size].reshape(shape) * std)
        elif kind == "orthogonal":
            rows, cols = shape
            a = gauss[start : start + size].reshape((cols, rows) if rows < cols else (rows, cols))
            q, r = jnp.linalg.qr(a)
            q = q * jnp.sign(jnp.diag(r))[None, :]
            out.append(q.T if rows < cols else q)
        elif kind == "zeros":
            out.append(jnp.zeros(shape, jnp.float32))
        else:  # forget_bias: LSTM bias (4h,) with the forget-gate block at 1
            h = shape[0] // 4
            out.append(jnp.zeros(shape, jnp.float32).at[h : 2 * h].set(1.0))
    return tuple(out)


class ParamInit:
    """Creates a model's parameters and draws all their initial values in *one* jitted call.

    Eager initialisers compile one small XLA program per distinct shape (about 0.5 s each on a
    2-core CPU, i.e. several seconds for one LSTM-VAE); drawing every parameter inside one
    ``jax.jit`` (cached per architecture) costs one compilation instead.

    Args:
        rngs: the model's ``nnx.Rngs``; one ``rngs.params()`` key seeds every parameter.
    """

    def __init__(self, rngs: nnx.Rngs):
        self._key = rngs.params()
        self._items: list[tuple[nnx.Param, str, tuple[int, ...]]] = []

    def __call__(self, kind: str, shape: tuple[int, ...]) -> nnx.Param:
        """A parameter with a placeholder value, initialised by :meth:`finish`."""
        assert kind in _INIT_KINDS, kind
        param = nnx.Param(np.zeros(shape, np.float32))
        self._items.append((param, kind, tuple(int(s) for s in shape)))
        return param

    def finish(self) -> None:
        """Draw every registered parameter's initial value."""
        values = _draw_params(self._key, tuple((kind, shape) for _, kind, shape in self._items))
        for (param, _, _), value in zip(self._items, values, strict=True):
            param.set_value(value)
        self._items = []


def _param_init(rngs: nnx.Rngs | ParamInit) -> tuple[ParamInit, bool]:
    """(initialiser, whether the caller owns it and must call ``finish``)."""
    if isinstance(rngs, ParamInit):
        return rngs, False
    return ParamInit(rngs), True


class Dense(nnx.Module):
    """Affine layer ``x @ kernel + bias`` (like ``nnx.Linear``: LeCun-normal kernel, zero bias).

    Args:
        in_features: input size.
        out_features: output size.
        rngs: ``nnx.Rngs`` or the parent model's :class:`ParamInit`.
    """

    def __init__(self, in_features: int, out_features: int, *, rngs: nnx.Rngs | ParamInit):
        init, own = _param_init(rngs)
        self.kernel = init("lecun_normal", (in_features, out_features))
        self.bias = init("zeros", (out_features,))
        if own:
            init.finish()

    def __call__(self, x: jax.Array) -> jax.Array:
        """``(..., in) -> (..., out)``."""
        return x @ self.kernel[...] + self.bias[...]


def reparameterise(mu: jax.Array, logvar: jax.Array, key: jax.Array) -> jax.Array:
    """Draw ``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)``.

    Args:
        mu: ``(B, k)`` posterior means.
        logvar: ``(B, k)`` posterior log-variances.
        key: JAX PRNG key.

    Returns:
        ``(B, k)`` samples.
    """
    eps = jax.random.normal(key, mu.shape, mu.dtype)
    return mu + jnp.exp(0.5 * logvar) * eps


def kl_per_dim(mu: jax.Array, logvar: jax.Array) -> jax.Array:
    """KL(N(mu, exp(logvar)) || N(0, 1)) per sample and latent dimension: ``(B, k)`` nats."""
    return -0.5 * (1.0 + logvar - jnp.square(mu) - jnp.exp(logvar))


def kl_divergence(mu: jax.Array, logvar: jax.Array) -> jax.Array:
    """KL(N(mu, exp(logvar)) || N(0, I)) per sample.

    Args:
        mu: ``(B, k)``.
        logvar: ``(B, k)``.

    Returns:
        ``(B,)`` KL divergence in nats (summed over the latent dimensions).
    """
    return jnp.sum(kl_per_dim(mu, logvar), axis=-1)


def _log_sigma(init: ParamInit, likelihood: str, sigma: Any, n_features: int) -> nnx.Param | None:
    """The learned per-feature log std of a Gaussian likelihood (``None`` when fixed or not Gaussian)."""
    return init("zeros", (n_features,)) if likelihood == "gaussian" and sigma == "learned" else None


def _obs_log_sigma(model: Any) -> jax.Array | float:
    """``(d,)`` learned or scalar fixed log std of the model's Gaussian likelihood."""
    if model.log_sigma is not None:  # the parameter is the offset from log(sigma_init)
        return model.log_sigma[...] + float(np.log(model.sigma_init))
    return float(np.log(model.sigma))


def observation_sigma(model: Any) -> np.ndarray | None:
    """``(d,)`` std of a Gaussian likelihood in scaled units (floored as in training), else ``None``."""
    if getattr(model, "likelihood", None) != "gaussian":
        return None
    ls = np.broadcast_to(np.asarray(_obs_log_sigma(model), np.float64), (model.n_features,))
    return np.maximum(np.exp(ls), SIGMA_FLOOR)


_FULL_UNROLL = contextvars.ContextVar("anogen_lstm_full_unroll", default=False)

#: samples of a batch on one device from which a training step unrolls the LSTM loops fully
#: (:func:`lstm_step_context`; measured on 2 CPU cores, seed LSTM-VAE: faster at a device batch of
#: 128 and 256, slower at 32)
UNROLL_MIN_BATCH = 128


@contextlib.contextmanager
def full_unroll(on: bool = True):
    """Inside (at trace time): LSTM layers built with the default ``unroll=1`` unroll their loop fully.

    The LSTM models ask the trainer to trace a training step inside it when a device's batch is
    large (:func:`lstm_step_context`, :data:`UNROLL_MIN_BATCH`): XLA:CPU then schedules the ``L`` steps' small
    matmuls and gate fusions without the loop's per-iteration slicing of the saved activations
    (seed LSTM-VAE, batch 256: ~17% more steps per CPU second). At small batches the loop is
    faster. Unrolling changes no operation, only XLA's fusion: results agree to float rounding.
    """
    token = _FULL_UNROLL.set(bool(on))
    try:
        yield
    finally:
        _FULL_UNROLL.reset(token)


def lstm_step_context(batch_size: int) -> contextlib.AbstractContextManager:
    """The ``step_context`` of the models built of :class:`LSTM` layers: a training step of
    ``batch_size`` samples (one device's part of a batch) is traced with fully unrolled LSTM loops
    from :data:`UNROLL_MIN_BATCH` samples on (:func:`full_unroll`), with the loops otherwise."""
    return full_unroll(batch_size >= UNROLL_MIN_BATCH)


def _unroll(unroll: int, length: int) -> int:
    """The scan's unroll factor: the layer's own, or ``length`` inside :func:`full_unroll` when it is 1."""
    return max(int(length), 1) if unroll == 1 and _FULL_UNROLL.get() else unroll


class LSTM(nnx.Module):
    """One LSTM layer over a *time-major* sequence, built on ``jax.lax.scan``.

    Gates follow the usual (Keras / ``nnx.OptimizedLSTMCell``) definition with gate order
    ``i, f, g, o`` in the fused kernels; the forget-gate bias starts at 1 (Keras
    ``unit_forget_bias``). The initial carry is zero.

    Args:
        in_features: input size per time step.
        hidden_features: state size ``h``.
        unroll: ``lax.scan`` unroll factor (``>= L`` = fully unrolled).
        rngs: ``nnx.Rngs`` or the parent model's :class:`ParamInit`.
    """

    def __init__(
        self, in_features: PositiveInt, hidden_features: PositiveInt, *, unroll: PositiveInt = 1,
        rngs: nnx.Rngs | ParamInit,
    ):
        p = check_params(LSTM, {"in_features": in_features, "hidden_features": hidden_features,
                                "unroll": unroll, "rngs": rngs}, "LSTM")  # fmt: skip
        self.in_features, self.hidden_features, self.unroll = p["in_features"], p["hidden_features"], p["unroll"]
        h = self.hidden_features
        in_features = self.in_features
        init, own = _param_init(rngs)
        self.kernel_i = init("lecun_normal", (in_features, 4 * h))
        self.kernel_h = init("orthogonal", (h, 4 * h))
        self.bias = init("forget_bias", (4 * h,))
        if own:
            init.finish()

    def _step(self, carry: tuple[jax.Array, jax.Array], z: jax.Array) -> tuple[jax.Array, jax.Array]:
        c, h = carry
        i, f, g, o = jnp.split(z, 4, axis=-1)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
        h = jax.nn.sigmoid(o) * jnp.tanh(c)
        return c, h

    def _init(self, batch: int, dtype) -> tuple[jax.Array, jax.Array]:
        zeros = jnp.zeros((batch, self.hidden_features), dtype)
        return zeros, zeros

    def __call__(self, x: jax.Array, *, return_sequences: bool = True) -> tuple[jax.Array | None, jax.Array]:
        """Run the layer over a sequence.

        Args:
            x: ``(L, B, in_features)`` time-major inputs.
            return_sequences: also return every step's hidden state.

        Returns:
            ``(hs, h_last)``: ``hs`` is ``(L, B, h)`` (``None`` if not requested), ``h_last`` ``(B, h)``.
        """
        wi, wh, b = self.kernel_i[...], self.kernel_h[...], self.bias[...]

        def step(carry, xt):
            carry = self._step(carry, xt @ wi + carry[1] @ wh + b)
            return carry, (carry[1] if return_sequences else None)

        (_, h_last), hs = jax.lax.scan(step, self._init(x.shape[1], wh.dtype), x,
                                       unroll=_unroll(self.unroll, x.shape[0]))
        return hs, h_last

    def repeated(self, x: jax.Array, length: int) -> jax.Array:
        """Run the layer over ``length`` copies of the same input (Keras ``RepeatVector``).

        Args:
            x: ``(B, in_features)`` input repeated at every step.
            length: number of steps ``L``.

        Returns:
            ``(L, B, h)`` hidden states.
        """
        wh = self.kernel_h[...]
        const = x @ self.kernel_i[...] + self.bias[...]

        def step(carry, _):
            carry = self._step(carry, const + carry[1] @ wh)
            return carry, carry[1]

        _, hs = jax.lax.scan(step, self._init(x.shape[0], wh.dtype), None, length=length,
                             unroll=_unroll(self.unroll, length))
        return hs


class LSTMVAE(nnx.Module):
    """LSTM variational autoencoder for windows (seed 000).

    Encoder: ``LSTM(hidden[0]) -> ... -> LSTM(hidden[-1])`` (last state) ``-> Dense(dense, relu)
    -> (mu, logvar)`` of size ``latent_dim``. Decoder (mirrored): ``z -> Dense(dense, relu)``
    repeated over ``L`` steps ``-> LSTM(hidden[-1]) -> ... -> LSTM(hidden[0]) -> Dense(d)``
    per step. Loss per window: ``recon_weight * NLL + beta * KL``.

    ``likelihood="gaussian"`` (the packaged ``model=vae``): NLL is the Gaussian negative
    log-likelihood summed over the window, with a per-feature observation std that is learned
    (``sigma="learned"``) or fixed; default ``recon_weight = 1``. ``likelihood="mse"`` (seed 000,
    the class default): NLL is ``mean((x - x_hat)^2)`` with the default ``recon_weight = 100 *
    seq_len`` (the seed's ``100 * mse * L + KL``).

    Args:
        n_features: ``d``, features per time step.
        seq_len: ``L``, window length.
        latent_dim: size of the latent code.
        hidden: LSTM sizes of the encoder (the decoder uses them reversed).
        dense: size of the dense layer between the LSTMs and the latent code.
        unroll: ``lax.scan`` unroll factor of the LSTM layers (speed only; results agree to
            float rounding; ``>= seq_len`` = fully unrolled).
        likelihood: ``"mse"`` (seed 000) or ``"gaussian"``.
        sigma: observation std of the Gaussian likelihood (scaled units): ``"learned"`` or a number.
        sigma_init: starting value of a learned ``sigma`` (scaled units). 1 (the data's std): the
            model starts smooth and sharpens; starting at 0.1 made the codes carry finer detail
            whose latent moves decode to smaller changes (embedded data: tail anomalies moved
            windows by 1.1 instead of 1.7 train stds).
        rngs: parameter initialisation keys.
    """

    kind = "window"

    def __init__(
        self,
        n_features: PositiveInt,
        seq_len: PositiveInt,
        latent_dim: PositiveInt = 8,
        hidden: Hidden = (64, 32),
        dense: PositiveInt = 32,
        *,
        unroll: PositiveInt = 1,
        likelihood: Literal["mse", "gaussian"] = "mse",
        sigma: Sigma = "learned",
        sigma_init: PositiveFloat = 1.0,
        rngs: nnx.Rngs,
    ):
        p = check_params(LSTMVAE, {"n_features": n_features, "seq_len": seq_len, "latent_dim": latent_dim, "hidden": hidden,
                                   "dense": dense, "unroll": unroll, "likelihood": likelihood, "sigma": sigma,
                                   "sigma_init": sigma_init, "rngs": rngs}, "model")  # fmt: skip
        self.n_features, self.seq_len, self.latent_dim = p["n_features"], p["seq_len"], p["latent_dim"]
        self.hidden, self.dense, self.unroll = p["hidden"], p["dense"], p["unroll"]
        self.likelihood, self.sigma, self.sigma_init = p["likelihood"], p["sigma"], float(p["sigma_init"])
        unroll = self.unroll
        init = ParamInit(rngs)
        sizes = (self.n_features, *self.hidden)
        self.enc_lstm = nnx.List(
            [LSTM(a, b, unroll=unroll, rngs=init) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        )
        self.enc_dense = Dense(self.hidden[-1], self.dense, rngs=init)
        self.mu = Dense(self.dense, self.latent_dim, rngs=init)
        self.logvar = Dense(self.dense, self.latent_dim, rngs=init)
        self.dec_dense = Dense(self.latent_dim, self.dense, rngs=init)
        dec_sizes = (self.dense, *self.hidden[::-1])
        self.dec_lstm = nnx.List(
            [LSTM(a, b, unroll=unroll, rngs=init) for a, b in zip(dec_sizes[:-1], dec_sizes[1:], strict=True)]
        )
        self.out = Dense(self.hidden[0], self.n_features, rngs=init)
        self.log_sigma = _log_sigma(init, self.likelihood, self.sigma, self.n_features)
        init.finish()

    def get_config(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-able) that rebuild this model."""
        return {
            "n_features": self.n_features,
            "seq_len": self.seq_len,
            "latent_dim": self.latent_dim,
            "hidden": list(self.hidden),
            "dense": self.dense,
            "unroll": self.unroll,
            "likelihood": self.likelihood,
            "sigma": self.sigma,
            "sigma_init": self.sigma_init,
        }

    def step_context(self, batch_size: int) -> contextlib.AbstractContextManager:
        """The context the trainer traces a training step of ``batch_size`` samples (per device) in:
        fully unrolled LSTM loops at large batches (:func:`lstm_step_context`)."""
        return lstm_step_context(batch_size)

    @property
    def default_recon_weight(self) -> float:
        """``"mse"``: ``100 * seq_len`` (the seed's ``100 * mse * L + KL``); ``"gaussian"``: 1."""
        return 100.0 * self.seq_len if self.likelihood == "mse" else 1.0

    def encode(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Encode windows.

        Args:
            x: ``(B, L, d)`` windows.

        Returns:
            ``(mu, logvar)``, each ``(B, latent_dim)``.
        """
        h = jnp.swapaxes(x, 0, 1)
        last = None
        for i, layer in enumerate(self.enc_lstm):
            final = i == len(self.enc_lstm) - 1
            h, last = layer(h, return_sequences=not final)
        e = jax.nn.relu(self.enc_dense(last))
        return self.mu(e), self.logvar(e)

    def decode(self, z: jax.Array) -> jax.Array:
        """Decode latent codes to windows.

        Args:
            z: ``(B, latent_dim)``.

        Returns:
            ``(B, L, d)`` reconstructed windows.
        """
        e = jax.nn.relu(self.dec_dense(z))
        h = self.dec_lstm[0].repeated(e, self.seq_len)
        for layer in list(self.dec_lstm)[1:]:
            h, _ = layer(h)
        return jnp.swapaxes(self.out(h), 0, 1)

    def __call__(self, x: jax.Array, key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Reconstruct ``x`` through a reparameterised latent sample.

        Args:
            x: ``(B, L, d)``.
            key: PRNG key for the latent noise.

        Returns:
            ``(x_hat (B, L, d), mu (B, k), logvar (B, k))``.
        """
        mu, logvar = self.encode(x)
        return self.decode(reparameterise(mu, logvar, key)), mu, logvar

    def reconstruct(self, x: jax.Array) -> jax.Array:
        """Deterministic reconstruction ``decode(mu)``: ``(B, L, d) -> (B, L, d)``."""
        return self.decode(self.encode(x)[0])

    def per_sample_loss(
        self,
        x: jax.Array,
        key: jax.Array,
        *,
        recon_weight: float | None = None,
        beta: float | jax.Array = 1.0,
        train: bool = True,
    ) -> dict[str, jax.Array]:
        """Loss terms per window.

        Args:
            x: ``(B, L, d)``.
            key: PRNG key (latent noise).
            recon_weight: weight of the mean squared error; ``None`` = ``100 * seq_len``.
            beta: weight of the KL term.
            train: unused (no dropout); kept for a uniform signature.

        Returns:
            dict of ``(B,)`` arrays: ``loss``, ``recon`` (mean squared error), ``nll`` (the
            reconstruction term before weighting), ``kl``; and ``kl_dims`` ``(B, latent_dim)``.
        """
        del train
        rw = self.default_recon_weight if recon_weight is None else recon_weight
        x_hat, mu, logvar = self(x, key)
        mse = jnp.mean(jnp.square(x - x_hat), axis=(1, 2))
        nll = mse if self.likelihood == "mse" else gaussian_nll(x, x_hat, _obs_log_sigma(self), (1, 2))
        kl_dims = kl_per_dim(mu, logvar)
        kl = jnp.sum(kl_dims, axis=-1)
        return {"loss": rw * nll + beta * kl, "recon": mse, "nll": nll, "kl": kl, "kl_dims": kl_dims}


class MLPVAE(nnx.Module):
    """Dense variational autoencoder for table rows (seed 001).

    Encoder: ``Dropout(dropout) -> Dense(h) -> Dense(h-2) -> Dense(h-4)`` (ELU) ``-> (mu,
    logvar)``; decoder mirrored ``Dense(h-4) -> Dense(h-2) -> Dense(h)`` (ELU) ``-> Dense(d)``.
    ``likelihood="gaussian"`` (default, on standardised rows): identity output and the Gaussian
    negative log-likelihood summed over features, with a per-feature observation std that is
    learned (``sigma="learned"``) or fixed. ``likelihood="bernoulli"`` (seed 001's setup, the
    ``model=vae_mlp_seed001`` option): the last layer gives logits, :meth:`decode` returns
    ``sigmoid(logits)`` (inputs must be MinMax-scaled to ``[0, 1]``), the reconstruction term is
    the binary cross-entropy summed over features; on continuous sensor data this likelihood is
    nearly flat around 0.5, so the model learns to ignore its latent code (posterior collapse; see
    ``docs/generators.md``). Loss per row: ``recon_weight * NLL + beta * KL`` (default
    ``recon_weight = 1``).

    Args:
        n_features: ``d``.
        latent_dim: size of the latent code.
        hidden: ``h``, width of the first dense layer (``>= 5``: layers ``h, h-2, h-4``).
        dropout: input dropout rate in ``[0, 1)`` (only when training).
        likelihood: ``"gaussian"`` or ``"bernoulli"``.
        sigma: observation std of the Gaussian likelihood (scaled units): ``"learned"`` or a number.
        sigma_init: starting value of a learned ``sigma`` (scaled units). 0.1: the reconstruction
            counts from the first epoch, so the KL term cannot switch the code off early; starting at
            1 left the model on a plateau that early stopping took for convergence (a sine series: 37
            epochs and 26% of the variance unexplained, against 0.5% from 0.1).
        rngs: parameter initialisation keys.
    """

    kind = "row"

    def __init__(
        self,
        n_features: PositiveInt,
        latent_dim: PositiveInt = 2,
        hidden: Annotated[int, Field(ge=5)] = 12,
        dropout: Fraction = 0.15,
        likelihood: Literal["bernoulli", "gaussian"] = "gaussian",
        sigma: Sigma = "learned",
        sigma_init: PositiveFloat = 0.1,
        *,
        rngs: nnx.Rngs,
    ):
        p = check_params(MLPVAE, {"n_features": n_features, "latent_dim": latent_dim, "hidden": hidden,
                                  "dropout": dropout, "likelihood": likelihood, "sigma": sigma,
                                  "sigma_init": sigma_init, "rngs": rngs}, "model")  # fmt: skip
        self.n_features, self.latent_dim, self.hidden = p["n_features"], p["latent_dim"], p["hidden"]
        self.dropout, self.likelihood, self.sigma = float(p["dropout"]), p["likelihood"], p["sigma"]
        self.sigma_init = float(p["sigma_init"])
        h = self.hidden
        init = ParamInit(rngs)
        widths = (self.n_features, h, h - 2, h - 4)
        self.enc = nnx.List([Dense(a, b, rngs=init) for a, b in zip(widths[:-1], widths[1:], strict=True)])
        self.mu = Dense(h - 4, self.latent_dim, rngs=init)
        self.logvar = Dense(h - 4, self.latent_dim, rngs=init)
        dec_widths = (self.latent_dim, h - 4, h - 2, h)
        self.dec = nnx.List([Dense(a, b, rngs=init) for a, b in zip(dec_widths[:-1], dec_widths[1:], strict=True)])
        self.out = Dense(h, self.n_features, rngs=init)
        self.log_sigma = _log_sigma(init, self.likelihood, self.sigma, self.n_features)
        init.finish()

    def get_config(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-able) that rebuild this model."""
        return {
            "n_features": self.n_features,
            "latent_dim": self.latent_dim,
            "hidden": self.hidden,
            "dropout": self.dropout,
            "likelihood": self.likelihood,
            "sigma": self.sigma,
            "sigma_init": self.sigma_init,
        }

    @property
    def default_recon_weight(self) -> float:
        """1.0 (negative log-likelihood summed over the features)."""
        return 1.0

    def encode(self, x: jax.Array, key: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
        """Encode rows.

        Args:
            x: ``(B, d)`` rows.
            key: dropout key; ``None`` = no dropout (inference).

        Returns:
            ``(mu, logvar)``, each ``(B, latent_dim)``.
        """
        if key is not None and self.dropout > 0.0:
            keep = jax.random.bernoulli(key, 1.0 - self.dropout, x.shape)
            x = jnp.where(keep, x / (1.0 - self.dropout), 0.0)
        h = x
        for layer in self.enc:
            h = jax.nn.elu(layer(h))
        return self.mu(h), self.logvar(h)

    def decode_logits(self, z: jax.Array) -> jax.Array:
        """``(B, latent_dim) -> (B, d)`` output before the likelihood's link function."""
        h = z
        for layer in self.dec:
            h = jax.nn.elu(layer(h))
        return self.out(h)

    def decode(self, z: jax.Array) -> jax.Array:
        """Decode latent codes to rows in data space.

        Args:
            z: ``(B, latent_dim)``.

        Returns:
            ``(B, d)``; ``sigmoid`` applied for the Bernoulli likelihood.
        """
        logits = self.decode_logits(z)
        return jax.nn.sigmoid(logits) if self.likelihood == "bernoulli" else logits

    def __call__(
        self, x: jax.Array, key: jax.Array, *, train: bool = False
    ) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Reconstruct ``x`` through a reparameterised latent sample.

        Args:
            x: ``(B, d)``.
            key: PRNG key (latent noise, and the dropout mask when ``train``).
            train: apply input dropout.

        Returns:
            ``(x_hat (B, d) in data space, mu (B, k), logvar (B, k))``.
        """
        k_drop, k_z = jax.random.split(key)
        mu, logvar = self.encode(x, k_drop if train else None)
        return self.decode(reparameterise(mu, logvar, k_z)), mu, logvar

    def reconstruct(self, x: jax.Array) -> jax.Array:
        """Deterministic reconstruction ``decode(mu)`` without dropout: ``(B, d) -> (B, d)``."""
        return self.decode(self.encode(x)[0])

    def per_sample_loss(
        self,
        x: jax.Array,
        key: jax.Array,
        *,
        recon_weight: float | None = None,
        beta: float | jax.Array = 1.0,
        train: bool = True,
    ) -> dict[str, jax.Array]:
        """Loss terms per row.

        Args:
            x: ``(B, d)``.
            key: PRNG key (dropout and latent noise).
            recon_weight: weight of the reconstruction NLL; ``None`` = 1.
            beta: weight of the KL term (the trainer ramps it up during KL warm-up).
            train: apply input dropout.

        Returns:
            dict of ``(B,)`` arrays: ``loss``, ``recon`` (mean squared error in data space),
            ``nll`` (the reconstruction term before weighting), ``kl``; and ``kl_dims``
            ``(B, latent_dim)``.
        """
        rw = self.default_recon_weight if recon_weight is None else recon_weight
        k_drop, k_z = jax.random.split(key)
        mu, logvar = self.encode(x, k_drop if train else None)
        logits = self.decode_logits(reparameterise(mu, logvar, k_z))
        if self.likelihood == "bernoulli":
            nll = bernoulli_nll(x, logits, (-1,))
            x_hat = jax.nn.sigmoid(logits)
        else:
            nll = gaussian_nll(x, logits, _obs_log_sigma(self), (-1,))
            x_hat = logits
        kl_dims = kl_per_dim(mu, logvar)
        kl = jnp.sum(kl_dims, axis=-1)
        mse = jnp.mean(jnp.square(x - x_hat), axis=-1)
        return {"loss": rw * nll + beta * kl, "recon": mse, "nll": nll, "kl": kl, "kl_dims": kl_dims}
