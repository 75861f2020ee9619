"""Loss and reconstruction-error functions shared by every anogen model.

Every model implements ``per_sample_loss(x, key, *, recon_weight, beta, train) -> dict`` of
``(B,)`` arrays (at least ``loss`` and ``recon``) and ``reconstruct(x)``; the functions here reduce
those to what the trainer and the detectors need. They are pure and safe to call inside
``jax.jit``.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["loss", "recon_error"]


def loss(
    model: Any,
    batch: jax.Array,
    key: jax.Array,
    *,
    weights: jax.Array | None = None,
    recon_weight: float | None = None,
    beta: float | jax.Array = 1.0,
    train: bool = True,
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Weighted mean training loss of a batch.

    Args:
        model: an anogen model (``LSTMVAE``, ``MLPVAE``, ``LSTMAE``).
        batch: ``(B, L, d)`` windows or ``(B, d)`` rows (``model.kind``).
        key: PRNG key (latent noise, dropout).
        weights: optional ``(B,)`` sample weights (0 masks the padding of a partial batch);
            ``None`` = all ones.
        recon_weight: weight of the reconstruction term (``None`` = the model's default).
        beta: weight of the KL term (VAEs only).
        train: training mode (dropout on).

    Returns:
        ``(loss, aux)``: the scalar weighted mean loss and a dict of scalar weighted means of
        every per-sample term, including ``"recon"`` (mean squared reconstruction error).
    """
    terms = model.per_sample_loss(batch, key, recon_weight=recon_weight, beta=beta, train=train)
    if weights is None:
        aux = {name: jnp.mean(v) for name, v in terms.items()}
    else:
        total = jnp.maximum(jnp.sum(weights), 1e-12)
        aux = {name: jnp.sum(v * weights) / total for name, v in terms.items()}
    return aux["loss"], aux


def recon_error(model: Any, x: jax.Array) -> jax.Array:
    """Deterministic squared reconstruction error, averaged over features.

    VAEs reconstruct from the posterior mean (``decode(mu)``, no sampling, no dropout).

    Args:
        model: an anogen model.
        x: ``(B, L, d)`` windows or ``(B, d)`` rows.

    Returns:
        ``(B, L)`` per-step errors for window models, ``(B,)`` per-row errors for row models.
    """
    return jnp.mean(jnp.square(x - model.reconstruct(x)), axis=-1)
