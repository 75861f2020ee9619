"""USAD: UnSupervised Anomaly Detection on multivariate time series (Audibert et al., KDD 2020).

Two autoencoders share one encoder ``E`` and have their own decoders ``D1``, ``D2``:
``AE1(W) = D1(E(W))``, ``AE2(W) = D2(E(W))``, on flattened windows ``W`` of ``L`` rows. Training
has two phases per batch, with ``n`` the (1-based) epoch:

- phase 1 trains AE1 (``E``, ``D1``) on ``loss1 = 1/n ||W - AE1(W)|| + (1 - 1/n) ||W - AE2(AE1(W))||``:
  reconstruct ``W``, and fool AE2 (make AE2 reconstruct AE1's output well);
- phase 2 trains AE2 (``E``, ``D2``) on ``loss2 = 1/n ||W - AE2(W)|| - (1 - 1/n) ||W - AE2(AE1(W))||``:
  reconstruct ``W``, and tell real windows from AE1's reconstructions.

``||.||`` is the mean squared error over the window (as the authors' code). Early epochs are mostly
reconstruction, later ones mostly adversarial. The anomaly score of a window is
``alpha * ||W - AE1(W)||^2 + beta * ||W - AE2(AE1(W))||^2``.

How the project's one trainer runs the two phases (one optimizer step per batch), ``adversarial``:

- ``False`` (default, as TSB-AD's USAD, whose benchmark figures motivated this model): one
  objective ``loss1 + loss2`` for all parameters. Its adversarial terms cancel, in value and in
  gradient, so this trains both autoencoders (shared encoder) on ``1/n (||W - AE1(W)|| +
  ||W - AE2(W)||)``; the score still reads ``AE2(AE1(W))``.
- ``True`` (the paper's game): ``loss1`` sees decoder 2's parameters as constants and ``loss2``
  decoder 1's (``jax.lax.stop_gradient``), so decoder 1 follows the gradient of ``loss1``, decoder 2
  that of ``loss2``, and the shared encoder their sum (it belongs to both autoencoders; there the
  adversarial terms cancel): the two phase updates taken together instead of one after the other
  (simultaneous gradient steps, one Adam state). Measured on a clean sine (window 10, min-max
  scaled), AE2 wins the game within a few epochs (``||W - AE2(AE1(W))||`` near its maximum for
  every window, AE1 dragged along), so the score no longer separates anomalies. (The authors'
  PyTorch code steps two optimizers one after the other, but each ``zero_grad`` clears only the
  stepping optimizer's parameters, so each decoder's adversarial gradient is summed with the other
  phase's, where it has the opposite sign: by our reading of the code, not measured, its game is
  much milder than the paper's equations.)

The epoch ``n`` reaches the loss through the trainer's :class:`~anogen.train.Hyper` (``uses_epoch``).

Without ``epoch`` (validation, :func:`anogen.train.evaluate`) the loss is the mean of the two
autoencoders' reconstruction errors, which does not change with the epoch, so early stopping
compares like with like.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any

import jax
import jax.numpy as jnp
from flax import nnx
from pydantic import Field

from anogen.models.vae import Dense, Hidden, ParamInit
from anogen.params import NonNegativeFloat, PositiveInt, check_params

__all__ = ["USAD", "usad_losses"]

#: the anomaly score's weights ``(alpha, beta)``
ScoreWeights = Annotated[tuple[NonNegativeFloat, NonNegativeFloat], Field(min_length=2, max_length=2)]


def usad_losses(x: jax.Array, w1: jax.Array, w2: jax.Array, w3: jax.Array,
                n: float | jax.Array) -> tuple[jax.Array, jax.Array]:
    """USAD's two training objectives per sample (eq. 7 and 8 of the paper, squared errors).

    Args:
        x: ``(B, m)`` flattened windows ``W``.
        w1: ``(B, m)`` ``AE1(W)``.
        w2: ``(B, m)`` ``AE2(W)``.
        w3: ``(B, m)`` ``AE2(AE1(W))``.
        n: the 1-based training epoch.

    Returns:
        ``(loss1, loss2)``, each ``(B,)``: ``1/n e1 + (1 - 1/n) e3`` and ``1/n e2 - (1 - 1/n) e3``
        with ``e_k`` the mean squared error of ``w_k``.
    """
    e1, e2, e3 = (jnp.mean(jnp.square(x - w), axis=-1) for w in (w1, w2, w3))
    inv = 1.0 / jnp.asarray(n, x.dtype)
    return inv * e1 + (1.0 - inv) * e3, inv * e2 - (1.0 - inv) * e3


def _mlp(layers: Any, x: jax.Array, *, frozen: bool = False, last: Any = jax.nn.relu) -> jax.Array:
    """Dense layers with ReLU between them and ``last`` after the last one; ``frozen``: the layers'
    parameters are constants for the gradient (``stop_gradient``)."""
    n = len(layers)
    for i, layer in enumerate(layers):
        k, b = layer.kernel[...], layer.bias[...]
        if frozen:
            k, b = jax.lax.stop_gradient(k), jax.lax.stop_gradient(b)
        x = x @ k + b
        x = jax.nn.relu(x) if i < n - 1 else last(x)
    return x


def _decode(layers: Any, z: jax.Array, *, frozen: bool = False) -> jax.Array:
    return _mlp(layers, z, frozen=frozen, last=jax.nn.sigmoid)


class USAD(nnx.Module):
    """USAD's shared encoder and two decoders on flattened windows.

    Encoder: ``Dense(hidden[0]) -> ... -> Dense(hidden[-1]) -> Dense(latent_dim)``, ReLU after
    every layer (the latent code too, as the authors' code); each decoder mirrored,
    ``Dense(hidden[-1]) -> ... -> Dense(hidden[0])`` (ReLU) ``-> Dense(L * d) -> sigmoid``. As in the
    paper the data must be min-max scaled to ``[0, 1]`` (train statistics; :class:`~anogen.detectors.usad.USADDetector`
    does it): the bounded output bounds the adversarial term AE2 maximises (with a linear output
    ``||W - AE2(AE1(W))||`` grows without limit and training diverges).

    Args:
        n_features: ``d``, columns per row.
        seq_len: ``L``, window length.
        latent_dim: size of the code.
        hidden: encoder layer sizes (the decoders use them reversed).
        score_weights: ``(alpha, beta)`` of the anomaly score (:meth:`step_errors`).
        adversarial: train the decoders on their own phase's objective (the paper's game) instead
            of both on ``loss1 + loss2`` (TSB-AD); see the module docstring.
        rngs: parameter initialisation keys.
    """

    kind = "window"
    uses_epoch = True

    def __init__(
        self,
        n_features: PositiveInt,
        seq_len: PositiveInt,
        latent_dim: PositiveInt = 8,
        hidden: Hidden = (64, 32),
        score_weights: ScoreWeights = (0.5, 0.5),
        adversarial: bool = False,
        *,
        rngs: nnx.Rngs,
    ):
        p = check_params(USAD, {"n_features": n_features, "seq_len": seq_len, "latent_dim": latent_dim,
                                "hidden": hidden, "score_weights": score_weights, "adversarial": adversarial,
                                "rngs": rngs}, "model")  # fmt: skip
        self.n_features, self.seq_len, self.latent_dim = p["n_features"], p["seq_len"], p["latent_dim"]
        self.hidden = tuple(p["hidden"])
        self.score_weights = tuple(float(v) for v in p["score_weights"])
        self.adversarial = bool(p["adversarial"])
        init = ParamInit(rngs)
        m = self.seq_len * self.n_features
        enc = (m, *self.hidden, self.latent_dim)
        dec = enc[::-1]
        self.encoder = nnx.List([Dense(a, b, rngs=init) for a, b in itertools.pairwise(enc)])
        self.decoder1 = nnx.List([Dense(a, b, rngs=init) for a, b in itertools.pairwise(dec)])
        self.decoder2 = nnx.List([Dense(a, b, rngs=init) for a, b in itertools.pairwise(dec)])
        init.finish()

    def get_config(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-able) that rebuild this model."""
        return {"n_features": self.n_features, "seq_len": self.seq_len, "latent_dim": self.latent_dim,
                "hidden": list(self.hidden), "score_weights": list(self.score_weights),
                "adversarial": self.adversarial}  # fmt: skip

    @property
    def default_recon_weight(self) -> float:
        """1.0 (the losses are used as they are)."""
        return 1.0

    def _flat(self, x: jax.Array) -> jax.Array:
        return x.reshape(x.shape[0], -1)

    def _windows(self, flat: jax.Array) -> jax.Array:
        return flat.reshape(flat.shape[0], self.seq_len, self.n_features)

    def encode(self, x: jax.Array) -> jax.Array:
        """``(B, L, d)`` windows -> ``(B, latent_dim)`` codes (non-negative)."""
        return _mlp(self.encoder, self._flat(x))

    def decode(self, z: jax.Array) -> jax.Array:
        """``(B, latent_dim)`` codes -> ``(B, L, d)`` windows through decoder 1 (``AE1``)."""
        return self._windows(_decode(self.decoder1, z))

    def reconstruct(self, x: jax.Array) -> jax.Array:
        """``AE1(W)``: ``(B, L, d) -> (B, L, d)``."""
        return self.decode(self.encode(x))

    def __call__(self, x: jax.Array, key: jax.Array | None = None) -> tuple[jax.Array, jax.Array, jax.Array]:
        """``(AE1(W), AE2(W), AE2(AE1(W)))``, each ``(B, L, d)``; ``key`` is unused (deterministic)."""
        del key
        flat = self._flat(x)
        z = _mlp(self.encoder, flat)
        w1 = _decode(self.decoder1, z)
        w2 = _decode(self.decoder2, z)
        w3 = _decode(self.decoder2, _mlp(self.encoder, w1))
        return self._windows(w1), self._windows(w2), self._windows(w3)

    def step_errors(self, x: jax.Array) -> jax.Array:
        """The anomaly score per step: ``alpha * mean_d (W - AE1(W))^2 + beta * mean_d (W - AE2(AE1(W)))^2``,
        ``(B, L, d) -> (B, L)`` (its mean over the ``L`` steps is the paper's window score divided by ``L d``)."""
        w1, _, w3 = self(x)
        alpha, beta = self.score_weights
        return alpha * jnp.mean(jnp.square(x - w1), axis=-1) + beta * jnp.mean(jnp.square(x - w3), axis=-1)

    def per_sample_loss(
        self,
        x: jax.Array,
        key: jax.Array | None = None,
        *,
        recon_weight: float | None = None,
        beta: float | jax.Array = 1.0,
        train: bool = True,
        epoch: float | jax.Array | None = None,
    ) -> dict[str, jax.Array]:
        """Loss terms per window.

        Args:
            x: ``(B, L, d)``.
            key: unused (deterministic).
            recon_weight: a factor on the loss; ``None`` = 1.
            beta: unused (the trainer's KL weight; USAD's score weights are ``score_weights``).
            train: unused.
            epoch: the 1-based training epoch ``n`` (given by the trainer); ``None`` (evaluation):
                ``loss`` is the mean of the two autoencoders' squared errors.

        Returns:
            dict of ``(B,)`` arrays: ``loss`` (in training ``loss1 + loss2``; with ``adversarial``
            its gradient is ``loss1``'s for decoder 1, ``loss2``'s for decoder 2, their sum for the
            encoder), ``recon`` (``||W - AE1(W)||``), ``recon2`` (``||W - AE2(W)||``),
            ``adversarial`` (``||W - AE2(AE1(W))||``), and in training ``loss1``, ``loss2``.
        """
        del key, beta, train
        rw = self.default_recon_weight if recon_weight is None else recon_weight
        flat = self._flat(x)
        z = _mlp(self.encoder, flat)
        w1 = _decode(self.decoder1, z)
        w2 = _decode(self.decoder2, z)
        e1 = jnp.mean(jnp.square(flat - w1), axis=-1)
        e2 = jnp.mean(jnp.square(flat - w2), axis=-1)
        # phase 1 (AE1 = E, D1) sees decoder 2 as a constant, phase 2 (AE2 = E, D2) decoder 1 (adversarial)
        w3_phase1 = _decode(self.decoder2, _mlp(self.encoder, w1), frozen=self.adversarial)
        e3 = jnp.mean(jnp.square(flat - w3_phase1), axis=-1)
        out = {"recon": e1, "recon2": e2, "adversarial": e3}
        if epoch is None:
            return {"loss": rw * 0.5 * (e1 + e2), **out}
        loss1, loss2 = usad_losses(flat, w1, w2, w3_phase1, epoch)
        if self.adversarial:
            w3_phase2 = _decode(self.decoder2, _mlp(self.encoder, _decode(self.decoder1, z, frozen=True)))
            _, loss2 = usad_losses(flat, w1, w2, w3_phase2, epoch)
        return {"loss": rw * (loss1 + loss2), "loss1": loss1, "loss2": loss2, **out}
