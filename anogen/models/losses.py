"""Loss and reconstruction-error functions shared by every anogen model.

Every model implements ``per_sample_loss(x, key, *, recon_weight, beta, train) -> dict`` of
``(B,)`` arrays (at least ``loss`` and ``recon``) and ``reconstruct(x)``; the functions here reduce
those to what the trainer and the detectors need. They are pure and safe to call inside
``jax.jit``.

Two optional parts of the protocol:

- ``uses_epoch = True``: the training loss depends on the epoch (USAD's ``1/n`` weights);
  :func:`loss` then passes ``per_sample_loss(..., epoch=n)`` (``n`` 1-based, a traced scalar) and
  evaluation calls it without ``epoch`` (``None``: an epoch-independent loss to monitor).
- ``step_errors(x)``: the model's own deterministic error per sample and step, used by
  :func:`recon_error` instead of ``x - reconstruct(x)`` (a forecaster: the error of its forecast
  row; USAD: its weighted two-autoencoder score).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["bernoulli_nll", "gaussian_nll", "loss", "recon_error", "SIGMA_FLOOR"]


#: smallest learned observation noise std (in scaled units): keeps the Gaussian likelihood finite
#: when a column repeats one value exactly (e.g. ``Light`` at 0 all night)
SIGMA_FLOOR = 1e-2


def gaussian_nll(x: jax.Array, mean: jax.Array, log_sigma: jax.Array | float, axes: tuple[int, ...]) -> jax.Array:
    """Negative log-likelihood of ``x`` under ``N(mean, sigma^2)``, summed over ``axes``.

    Args:
        x: data, ``(B, ..., d)``.
        mean: decoder output, same shape.
        log_sigma: ``(d,)`` log standard deviations (broadcast over the last axis) or a scalar;
            clipped below at ``log(SIGMA_FLOOR)``.
        axes: the axes summed (every axis but the batch axis).

    Returns:
        ``(B,)`` NLL in nats (the ``log(2 pi) / 2`` constant included).
    """
    log_sigma = jnp.maximum(jnp.asarray(log_sigma, x.dtype), jnp.log(SIGMA_FLOOR))
    z = (x - mean) * jnp.exp(-log_sigma)
    per = 0.5 * jnp.square(z) + log_sigma + 0.5 * jnp.log(2.0 * jnp.pi)
    return jnp.sum(per, axis=axes)


def bernoulli_nll(x: jax.Array, logits: jax.Array, axes: tuple[int, ...]) -> jax.Array:
    """Binary cross-entropy of ``x`` in ``[0, 1]`` with ``logits`` (numerically stable), summed over ``axes``."""
    return jnp.sum(jax.nn.softplus(logits) - x * logits, axis=axes)


def loss(
    model: Any,
    batch: jax.Array,
    key: jax.Array,
    *,
    weights: jax.Array | None = None,
    recon_weight: float | None = None,
    beta: float | jax.Array = 1.0,
    train: bool = True,
    free_bits: float | jax.Array = 0.0,
    epoch: float | jax.Array | None = None,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Weighted mean training loss of a batch.

    With ``free_bits`` (nats per latent dimension, Kingma et al. 2016) the KL term of a VAE is
    ``sum_j max(KL_j, free_bits)`` with ``KL_j`` the batch mean of dimension ``j``'s KL: a
    dimension that carries less than ``free_bits`` nats is not pushed further towards the prior,
    which keeps latent dimensions from collapsing early in training. ``0`` = the plain ELBO.

    Args:
        model: an anogen model (``LSTMVAE``, ``MLPVAE``, ``LSTMAE``).
        batch: ``(B, L, d)`` windows or ``(B, d)`` rows (``model.kind``).
        key: PRNG key (latent noise, dropout).
        weights: optional ``(B,)`` sample weights (0 masks the padding of a partial batch);
            ``None`` = all ones.
        recon_weight: weight of the reconstruction term (``None`` = the model's default).
        beta: weight of the KL term (VAEs only).
        train: training mode (dropout on).
        free_bits: KL floor per latent dimension in nats (VAEs; a run-time value).
        epoch: the 1-based training epoch, passed on to a model with ``uses_epoch = True`` (and only
            to one); ``None`` = not given.

    Returns:
        ``(loss, aux)``: the scalar weighted mean loss and a dict of scalar weighted means of
        every per-sample term, including ``"recon"`` (mean squared reconstruction error).
    """
    extra = {"epoch": epoch} if epoch is not None and getattr(model, "uses_epoch", False) else {}
    terms = dict(model.per_sample_loss(batch, key, recon_weight=recon_weight, beta=beta, train=train, **extra))
    kl_dims = terms.pop("kl_dims", None)
    w = jnp.ones(batch.shape[0], batch.dtype) if weights is None else weights
    total = jnp.maximum(jnp.sum(w), 1e-12)
    aux = {name: jnp.sum(v * w) / total for name, v in terms.items()}
    if kl_dims is not None:  # free bits: the batch's KL per dimension floored at free_bits
        per_dim = jnp.sum(kl_dims * w[:, None], axis=0) / total
        aux["loss"] = aux["loss"] + beta * (jnp.sum(jnp.maximum(per_dim, free_bits)) - aux["kl"])
    return aux["loss"], aux


def recon_error(model: Any, x: jax.Array) -> jax.Array:
    """Deterministic squared reconstruction error, averaged over features.

    VAEs reconstruct from the posterior mean (``decode(mu)``, no sampling, no dropout). A model
    with ``step_errors(x)`` gives its own errors (a forecaster: ``(B, 1)``, its forecast row's).

    Args:
        model: an anogen model.
        x: ``(B, L, d)`` windows or ``(B, d)`` rows.

    Returns:
        ``(B, L)`` per-step errors for window models, ``(B,)`` per-row errors for row models.
    """
    own = getattr(model, "step_errors", None)
    if own is not None:
        return own(x)
    return jnp.mean(jnp.square(x - model.reconstruct(x)), axis=-1)
