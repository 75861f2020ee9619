"""Batched, jitted inference: encode, decode, reconstruction error, per-sample losses, evaluation.

Every helper runs a model over many samples in fixed-size chunks inside one ``jax.jit`` call
(``lax.scan`` over the chunks; windows gathered on the device from start rows). The number of
data rows and of samples are padded to a few sizes per octave (:func:`anogen.train.samples.bucket`)
and the padding is masked, so scoring 3000, 3001 and 3002 rows runs one compiled program. The
compiled programs are module-level ``jax.jit`` functions keyed on the model's graph definition
(static), not on a model or detector instance: a second model of the same shape reuses them.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from anogen.models.losses import recon_error
from anogen.params import PositiveInt, check_value
from anogen.train.samples import bucket, check_model_data, gather, pad_rows, sample_starts, to_device
from anogen.types import AnogenError

__all__ = [
    "decode", "encode", "eval_diagnostics", "eval_terms", "evaluate", "map_chunks", "map_samples", "reconstruction_error", "sample_errors",
    "sample_losses",
]


@functools.partial(jax.jit, static_argnames=("graphdef", "fn", "window", "chunk"))
def map_chunks(params, rest, data, starts, key, extra, *, graphdef, fn, window, chunk):
    """Jitted core of every helper here: ``fn`` over all samples, ``chunk`` samples at a time.

    Args:
        params, rest: the model's ``nnx.Param`` state and other state (``nnx.split``).
        data: ``(n, d)`` device rows.
        starts: ``(m,)`` int32 sample start rows.
        key: PRNG key; chunk ``i`` gets ``fold_in(key, i)``.
        extra: a pytree of run-time values passed to ``fn``.
        graphdef: the model's graph definition (static).
        fn: ``fn(model, x, key_i, extra)`` -> pytree of ``(chunk, ...)`` per-sample arrays; a
            module-level function (static: a new function object compiles anew).
        window: window length, or ``None`` for rows (static).
        chunk: samples per chunk (static).

    Returns:
        The pytree of ``(ceil(m / chunk) * chunk, ...)`` outputs; entries past ``m`` repeat
        earlier samples (slice them off).
    """
    n = starts.shape[0]
    n_chunks = -(-n // chunk)
    idx = (jnp.arange(n_chunks * chunk) % n).reshape(n_chunks, chunk)

    def body(carry, inp):
        i, bidx = inp
        model = nnx.merge(graphdef, params, rest)
        return carry, fn(model, gather(data, starts[bidx], window), jax.random.fold_in(key, i), extra)

    _, out = jax.lax.scan(body, None, (jnp.arange(n_chunks), idx))
    return jax.tree.map(lambda a: a.reshape(n_chunks * chunk, *a.shape[2:]), out)


def map_samples(
    model: Any, fn: Callable, data: np.ndarray, starts: np.ndarray, window: int | None, batch_size: int,
    *, key: jax.Array | None = None, extra: Any = None,
) -> Any:
    """Apply ``fn(model, x, key, extra)`` to every sample in padded, jitted chunks.

    Args:
        model: an anogen model.
        fn: a module-level function (it is a static jit argument) returning a pytree of
            per-sample arrays with leading dimension ``B``.
        data: ``(n, d)`` float32 rows.
        starts: ``(m,)`` start rows of the samples.
        window: window length, or ``None`` for rows.
        batch_size: samples per chunk.
        key: PRNG key (chunk ``i`` gets ``fold_in(key, i)``); ``None`` = ``key(0)``.
        extra: a pytree of traced run-time values passed to ``fn``.

    Returns:
        The pytree of ``(m, ...)`` NumPy arrays.
    """
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    m = len(starts)
    m_pad = bucket(m)
    chunk = min(int(batch_size), m_pad)
    data_dev = to_device(pad_rows(data, bucket(len(data))))
    starts_dev = to_device(pad_rows(np.asarray(starts, np.int32), m_pad))
    key = jax.random.key(0) if key is None else key
    out = map_chunks(params, rest, data_dev, starts_dev, key, extra,
                      graphdef=graphdef, fn=fn, window=window, chunk=chunk)  # fmt: skip
    return jax.tree.map(lambda a: np.asarray(a)[:m], out)


def _check_batch_size(batch_size: Any) -> int:
    return int(check_value(batch_size, PositiveInt, "batch_size"))


# ------------------------------------------------------------------------------ encode / decode


def _encode(model, x, key, extra):
    return model.encode(x)


def _decode(model, z, key, extra):
    return model.decode(z)


def _as_samples(model: Any, data: Any, window: int | None, segments: np.ndarray | None):
    """Inference input as ``(rows, sample starts, window)``; ``(n, L, d)`` windows are laid end to end."""
    arr = np.asarray(data)
    if model.kind == "window" and arr.ndim == 3:
        if arr.shape[1:] != (model.seq_len, model.n_features):
            raise AnogenError(f"windows have shape {arr.shape}: expected (n, {model.seq_len}, {model.n_features})")
        if not np.isfinite(arr).all():
            raise AnogenError("windows contain NaN or inf")
        flat = arr.astype(np.float32).reshape(-1, model.n_features)
        return flat, (np.arange(arr.shape[0]) * model.seq_len).astype(np.int32), model.seq_len
    arr, window = check_model_data(model, arr, window)
    return arr, sample_starts(len(arr), window, segments), window


def encode(
    model: Any, data: np.ndarray, *, window: int | None = None, segments: np.ndarray | None = None,
    batch_size: int = 4096,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Encode rows or windows in jitted batches.

    Args:
        model: an anogen model.
        data: ``(n, d)`` scaled rows, or for window models also ``(n_windows, L, d)`` windows.
            With ``(n, d)`` and a window model, every stride-1 window inside ``segments`` is
            encoded (``window`` defaults to ``model.seq_len``).
        window: window length (window models only).
        segments: ``(k, 2)`` half-open row ranges for the windows; ``None`` = whole array.
        batch_size: samples per compiled chunk.

    Returns:
        ``(mu, logvar)``, each ``(n_samples, latent_dim)`` float32; for the (deterministic)
        ``LSTMAE`` ``(z, None)``.
    """
    batch_size = _check_batch_size(batch_size)
    arr, starts, window = _as_samples(model, data, window, segments)
    out = map_samples(model, _encode, arr, starts, window, batch_size)
    return (out[0], out[1]) if isinstance(out, tuple) else (out, None)


def decode(model: Any, z: np.ndarray, *, batch_size: int = 4096) -> np.ndarray:
    """Decode latent codes in jitted batches.

    Args:
        model: an anogen model.
        z: ``(n, latent_dim)`` codes.
        batch_size: codes per compiled chunk.

    Returns:
        ``(n, L, d)`` windows or ``(n, d)`` rows (data space; sigmoid applied for a Bernoulli
        MLP-VAE), float32.
    """
    batch_size = _check_batch_size(batch_size)
    arr = np.asarray(z)
    if arr.ndim != 2 or arr.shape[1] != model.latent_dim:
        raise AnogenError(f"z has shape {arr.shape}: expected (n, {model.latent_dim}) latent codes")
    if not np.isfinite(arr).all():
        raise AnogenError("z contains NaN or inf")
    if len(arr) == 0:  # nothing to decode: the empty output of the right shape
        one = jax.eval_shape(model.decode, jax.ShapeDtypeStruct((1, model.latent_dim), jnp.float32))
        return np.zeros((0, *one.shape[1:]), np.float32)
    return map_samples(model, _decode, arr.astype(np.float32), np.arange(len(arr), dtype=np.int32), None, batch_size)


# ------------------------------------------------------------------------------ errors and losses


def _row_error(model, x, key, extra):
    return recon_error(model, x)


@functools.partial(jax.jit, static_argnames=("graphdef", "window", "chunk"))
def _window_error_sums(params, rest, data, starts, n_valid, *, graphdef, window, chunk):
    """Per-row sums and counts of the per-step squared errors of every valid window covering the row."""
    n = starts.shape[0]
    n_chunks = -(-n // chunk)
    pos = jnp.arange(n_chunks * chunk)
    sidx = starts[pos % n].reshape(n_chunks, chunk)
    w = (pos < n_valid).astype(jnp.float32).reshape(n_chunks, chunk)
    offs = jnp.arange(window, dtype=starts.dtype)

    def body(acc, inp):
        s, bw = inp
        model = nnx.merge(graphdef, params, rest)
        rows = (s[:, None] + offs[None, :]).reshape(-1)
        err = (recon_error(model, gather(data, s, window)) * bw[:, None]).reshape(-1)
        bws = jnp.broadcast_to(bw[:, None], (chunk, window)).reshape(-1)
        return (acc[0].at[rows].add(err), acc[1].at[rows].add(bws)), None

    zeros = jnp.zeros((data.shape[0],), jnp.float32)
    (sums, counts), _ = jax.lax.scan(body, (zeros, zeros), (sidx, w))
    return sums, counts


def _fill_uncovered(values: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """Rows no window covers take the value of the nearest covered row (the earlier one on a tie)."""
    if covered.all():
        return values
    pos = np.flatnonzero(covered)
    missing = np.flatnonzero(~covered)
    right = np.clip(np.searchsorted(pos, missing), 0, len(pos) - 1)
    left = np.clip(right - 1, 0, len(pos) - 1)
    use_left = np.abs(missing - pos[left]) <= np.abs(pos[right] - missing)
    values[missing] = values[np.where(use_left, pos[left], pos[right])]
    return values


def reconstruction_error(
    model: Any, data: np.ndarray, *, window: int | None = None, segments: np.ndarray | None = None,
    batch_size: int = 4096,
) -> np.ndarray:
    """Per-row reconstruction error, the score of the reconstruction detectors.

    Row models: mean over features of ``(x - reconstruct(x))^2`` per row. Window models: the
    same per time step of every stride-1 window inside ``segments``, averaged over all windows
    covering the step; steps covered by no window (outside every segment, or in a segment
    shorter than the window) take the value of the nearest covered step (the earlier one on a
    tie). Reconstructions are deterministic (VAEs decode the posterior mean).

    Args:
        model: an anogen model.
        data: ``(n, d)`` scaled rows.
        window: window length (window models; ``None`` = ``model.seq_len``).
        segments: ``(k, 2)`` half-open row ranges windows must lie in; ``None`` = whole array.
        batch_size: windows/rows per compiled chunk.

    Returns:
        ``(n,)`` float64 errors (higher = more anomalous).
    """
    batch_size = _check_batch_size(batch_size)
    arr, window = check_model_data(model, data, window)
    starts = sample_starts(len(arr), window, segments)
    if window is None:
        return map_samples(model, _row_error, arr, starts, None, batch_size).astype(np.float64)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    m_pad = bucket(len(starts))
    sums, counts = _window_error_sums(
        params, rest, to_device(pad_rows(arr, bucket(len(arr)))), to_device(pad_rows(starts, m_pad)),
        to_device(len(starts), np.int32), graphdef=graphdef, window=window, chunk=min(batch_size, m_pad),
    )  # fmt: skip
    sums = np.asarray(sums, np.float64)[: len(arr)]
    counts = np.asarray(counts, np.float64)[: len(arr)]
    covered = counts > 0
    out = np.zeros(len(arr), np.float64)
    out[covered] = sums[covered] / counts[covered]
    return _fill_uncovered(out, covered)


def _sample_error(model, x, key, extra):
    err = recon_error(model, x)
    return err.reshape(err.shape[0], -1).mean(axis=1)


def sample_errors(
    model: Any, data: np.ndarray, *, window: int | None = None, segments: np.ndarray | None = None,
    batch_size: int = 4096,
) -> tuple[np.ndarray, np.ndarray]:
    """The deterministic error of every sample, one number each (the score of a forecaster).

    The mean of :func:`anogen.models.losses.recon_error` over a sample's steps: for a forecaster
    (``step_errors`` of its forecast row) the squared error of the forecast of the sample's last
    row, averaged over features.

    Args:
        model: an anogen model.
        data: ``(n, d)`` scaled rows.
        window: sample length (window models; ``None`` = ``model.seq_len``).
        segments: ``(k, 2)`` half-open row ranges samples must lie in; ``None`` = whole array.
        batch_size: samples per compiled chunk.

    Returns:
        ``(errors, starts)``: ``(m,)`` float64 errors and the ``(m,)`` int64 start rows of the samples.
    """
    batch_size = _check_batch_size(batch_size)
    arr, window = check_model_data(model, data, window)
    starts = sample_starts(len(arr), window, segments)
    out = map_samples(model, _sample_error, arr, starts, window, batch_size)
    return out.astype(np.float64), starts.astype(np.int64)


def eval_terms(model, x, key, extra):
    """Per-sample ``(loss, reconstruction MSE)`` in eval mode; ``extra = (beta, recon_weight)``."""
    beta, recon_weight = extra
    terms = model.per_sample_loss(x, key, recon_weight=recon_weight, beta=beta, train=False)
    err = recon_error(model, x)
    return terms["loss"], err.reshape(err.shape[0], -1).mean(axis=1)


def eval_diagnostics(model, x, key, extra):
    """Per-sample ``(loss, reconstruction MSE, KL per latent dimension (B, k), posterior mean (B, k))``.

    Eval mode, ``extra = (beta, recon_weight)``. Models without a KL term (the LSTM autoencoder)
    give zeros for the KL and their code for the mean.
    """
    beta, recon_weight = extra
    terms = model.per_sample_loss(x, key, recon_weight=recon_weight, beta=beta, train=False)
    err = recon_error(model, x)
    enc = model.encode(x)
    mu = enc[0] if isinstance(enc, tuple) else enc
    kl_dims = terms.get("kl_dims", jnp.zeros_like(mu))
    return terms["loss"], err.reshape(err.shape[0], -1).mean(axis=1), kl_dims, mu


@functools.lru_cache(maxsize=16)
def _posterior_mean_loss(n_samples: int) -> Callable:
    """``fn(model, x, key, (beta, recon_weight))``: the loss per sample averaged over ``n_samples`` draws."""

    def fn(model, x, key, extra):
        beta, recon_weight = extra

        def one(k):
            return model.per_sample_loss(x, k, recon_weight=recon_weight, beta=beta, train=False)["loss"]

        return jnp.mean(jax.lax.map(one, jax.random.split(key, n_samples)), axis=0)

    return fn


def _weights(model: Any, beta: float, recon_weight: float | None) -> tuple[jax.Array, jax.Array]:
    rw = model.default_recon_weight if recon_weight is None else recon_weight
    return to_device(beta, np.float32), to_device(rw, np.float32)


def sample_losses(
    model: Any, data: np.ndarray, *, window: int | None = None, segments: np.ndarray | None = None,
    beta: float = 1.0, recon_weight: float | None = None, n_samples: int = 1, seed: int = 0,
    batch_size: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """The model's loss per sample (the negative ELBO of a VAE with ``beta=1``), eval mode.

    The expectation over the posterior is estimated with ``n_samples`` reparameterised draws
    from fixed keys (chunk ``i`` of ``batch_size`` samples uses ``fold_in(key(seed), i)``), so
    the values are deterministic.

    Args:
        model: an anogen model.
        data: ``(n, d)`` scaled rows.
        window: window length (window models; ``None`` = ``model.seq_len``).
        segments: ``(k, 2)`` half-open row ranges windows must lie in; ``None`` = whole array.
        beta: KL weight.
        recon_weight: reconstruction weight; ``None`` = the model's default.
        n_samples: posterior draws per sample.
        seed: seed of the draws.
        batch_size: samples per compiled chunk.

    Returns:
        ``(losses, starts)``: ``(m,)`` float64 losses and the ``(m,)`` start rows of the samples.
    """
    batch_size = _check_batch_size(batch_size)
    n_samples = int(check_value(n_samples, PositiveInt, "n_samples"))
    arr, window = check_model_data(model, data, window)
    starts = sample_starts(len(arr), window, segments)
    out = map_samples(model, _posterior_mean_loss(n_samples), arr, starts, window, batch_size,
                      key=jax.random.key(int(seed)), extra=_weights(model, beta, recon_weight))  # fmt: skip
    return out.astype(np.float64), starts.astype(np.int64)


def evaluate(
    model: Any, data: np.ndarray, *, window: int | None = None, segments: np.ndarray | None = None,
    beta: float = 1.0, recon_weight: float | None = None, seed: int = 0, batch_size: int = 1024,
) -> dict[str, float]:
    """Mean loss and reconstruction MSE of a trained model on (held-out) data, jitted and batched.

    The loss is the model's training objective with fixed weights (``beta``, ``recon_weight`` =
    the model default when ``None``), eval mode (no dropout) and latent noise from ``seed``: the
    same quantity as :class:`anogen.train.History`'s ``val_loss``, so it stays comparable across
    runs that trained with different weights.

    Args:
        model: an anogen model.
        data: ``(n, d)`` scaled rows.
        window: window length (window models; ``None`` = ``model.seq_len``).
        segments: ``(k, 2)`` half-open row ranges windows must lie in; ``None`` = whole array.
        beta: KL weight of the reported loss.
        recon_weight: reconstruction weight; ``None`` = the model's default.
        seed: seed of the latent noise.
        batch_size: samples per compiled chunk.

    Returns:
        ``{"loss": mean loss per sample, "recon": mean squared error of decode(mu), "n": samples}``.
    """
    batch_size = _check_batch_size(batch_size)
    arr, window = check_model_data(model, data, window)
    starts = sample_starts(len(arr), window, segments)
    loss, err = map_samples(model, eval_terms, arr, starts, window, batch_size,
                            key=jax.random.key(int(seed)), extra=_weights(model, beta, recon_weight))  # fmt: skip
    return {"loss": float(np.mean(loss, dtype=np.float64)), "recon": float(np.mean(err, dtype=np.float64)),
            "n": int(len(starts))}  # fmt: skip
