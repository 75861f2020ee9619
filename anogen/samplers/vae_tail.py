"""VAE posterior-tail anomalies (seed 000, after Laptev's AnoGen), decoded as a learned deviation.

For each chosen test window ``x``: encode it with the trained VAE (posterior ``N(mu, sigma^2)``),
draw a latent point from the tails, ``z' = mu + s * eps`` with ``|eps| >= margin`` on the chosen
latent dimensions (the other dimensions get an ordinary posterior draw ``mu + sigma * eps``),
decode all windows in one batched, jitted call and write

* ``decoding="residual"`` (default): ``x + decode(z') - decode(mu)``: the real window keeps its
  texture (noise, small wiggles the decoder cannot reproduce) and only the learned latent move is
  added, so the anomaly is not mistaken for the model's reconstruction error;
* ``decoding="direct"`` (seed 000): ``decode(z')``: smooth decoder output, which also replaces
  the window's texture by the decoder's mean (on noisy data: a flat line at the channel mean).

The unit ``s`` of the move is ``scale="codes"`` (default): the std of the normal data's posterior
means per dimension, so ``margin=2`` moves the window two "normal spreads" away in the latent
space, whatever scale the VAE learned, and dimensions the model does not use (collapsed onto the
prior) are not moved; or ``scale="posterior"`` (seed 000): the window's own posterior std ``sigma``,
which is about 1 on unused dimensions and tiny on used ones. Each tail draw has a random sign
(moving a window "outward", away from the normal codes' centre, was tried and rejected: the decoder
saturates at the edge of the normal codes, so outward moves of windows that are already unusual
change almost nothing; ``docs/generators.md``). With ``draws > 1`` each window gets that many tail
draws and the one whose decoded move is largest is written. Exactly the rows written are labelled (the original was off by ``L - 1``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from anogen.params import NonNegativeFloat, NonNegativeInt, PositiveInt, Ratio, check_attributes
from anogen.samplers.base import SampleContext, Sampler, Slot, SlotRequest, anomaly_count
from anogen.samplers.latent_uniform import normal_codes
from anogen.samplers.report import record_pairs
from anogen.types import AnogenError, Edit

__all__ = ["VAETail", "tail_normal"]


def tail_normal(rng: np.random.Generator, margin: float, size) -> np.ndarray:
    """Samples of ``|eps|`` for ``eps ~ N(0, 1)`` conditioned on ``|eps| >= margin`` (inverse CDF)."""
    from scipy.special import ndtr, ndtri

    lo = ndtr(margin)
    u = rng.uniform(lo, 1.0, size=size)
    u = np.minimum(u, np.nextafter(1.0, 0.0))
    return ndtri(u)


class VAETail(Sampler):
    """Posterior-tail sampler.

    Args:
        ratio: fraction of test rows made anomalous, (0, 0.5]; the number of windows is
            ``max(1, round(int(n * ratio) / L))``.
        margin: minimum ``|eps|`` (in units of ``scale``), >= 0.
        dims: latent dimensions pushed into the tails (each < the model's ``latent_dim``); empty = all.
        window: window length ``L``; ``None`` = the model's ``seq_len``.
        decoding: ``residual`` (``x + decode(z') - decode(mu)``) or ``direct`` (``decode(z')``, seed 000).
        scale: unit of ``eps``: ``codes`` (std of the normal codes per dimension) or ``posterior``
            (the window's posterior std, seed 000).
        draws: tail draws per window; the one whose decoded move is largest (RMS) is written, so the
            anomaly clears the model's reconstruction error also on windows the model knows poorly
            (1 = seed 000's single draw).
    """

    name = "vae_tail"
    needs_model = True

    def __init__(self, ratio: Ratio = 0.05, margin: NonNegativeFloat = 2.0,
                 dims: list[NonNegativeInt] | None = None, window: PositiveInt | None = None,
                 decoding: Literal["residual", "direct"] = "residual",
                 scale: Literal["codes", "posterior"] = "codes", draws: PositiveInt = 4) -> None:
        self.ratio = ratio
        self.margin = margin
        self.dims = list(dims or [])
        self.window = window
        self.decoding = decoding
        self.scale = scale
        self.draws = draws

    def _L(self, ctx: SampleContext) -> int:
        L = self.window or getattr(ctx.model, "seq_len", None)
        if getattr(ctx.model, "kind", "window") != "window" or L is None:
            raise AnogenError("sampler=vae_tail needs a window model: use model=vae (LSTM-VAE)")
        return int(L)

    def _dims(self, ctx: SampleContext) -> list[int]:
        """The latent dimensions pushed into the tails (checked against the model's ``latent_dim``)."""
        latent = int(getattr(ctx.model, "latent_dim"))
        bad = [d for d in self.dims if not 0 <= d < latent]
        if bad:
            raise AnogenError(f"{bad} out of range for the model's latent_dim {latent}", key="sampler.dims")
        return list(self.dims) or list(range(latent))

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        """``max(1, round(int(n * ratio) / L))`` windows of ``L`` rows."""
        check_attributes(self, "sampler")
        if ctx.model is None:
            raise AnogenError("sampler=vae_tail needs a trained model: add model=vae")
        L = self._L(ctx)
        if L > ctx.n_test:
            key = "sampler.window" if self.window else "model.seq_len"
            raise AnogenError(f"({L}) is longer than the test fold ({ctx.n_test} rows)", key=key, sep=" ")
        self._dims(ctx)
        k = max(1, int(round(anomaly_count(ctx.n_test, self.ratio) / L)))
        return [SlotRequest(L) for _ in range(k)]

    def _codes(self, ctx: SampleContext, mu: np.ndarray, logvar: np.ndarray, rng: np.random.Generator,
               z_normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(z', eps)``: tail draws around ``mu`` ``(k, latent)`` in the unit of ``scale``."""
        dims = self._dims(ctx)
        sigma = np.exp(0.5 * logvar)
        eps = rng.standard_normal(mu.shape)
        sign = rng.choice([-1.0, 1.0], size=(len(mu), len(dims)))
        eps[:, dims] = sign * tail_normal(rng, self.margin, (len(mu), len(dims)))
        unit = sigma.copy()
        if self.scale == "codes":
            unit[:, dims] = np.broadcast_to(z_normal.std(axis=0)[dims], (len(mu), len(dims)))
        return mu + unit * eps, eps

    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        """Decode a tail draw for each slot's clean window and write it (see the module docstring)."""
        # lazy: JAX/flax (anogen.train, ~4 s to import) only once a model runs; building the sampler stays light
        from anogen.train import decode, encode

        if not slots:
            return []
        L = self._L(ctx)
        starts = np.array([s.start for s in slots])
        clean = ctx.fold.test[starts[:, None] + np.arange(L)]            # (k, L, d)
        x = ctx.scaler.transform(clean)
        mu, logvar = encode(ctx.model, x.astype(np.float32), window=None)
        mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
        z_normal = normal_codes(ctx, max_points=20_000)
        k, r = len(mu), int(self.draws)
        z, eps = self._codes(ctx, np.repeat(mu, r, 0), np.repeat(logvar, r, 0), rng, z_normal)
        dec = np.asarray(decode(ctx.model, np.concatenate([z, mu]).astype(np.float32)), np.float64)
        move = dec[: k * r].reshape(k, r, *dec.shape[1:]) - dec[k * r:][:, None]
        pick = np.argmax(np.mean(np.square(move.reshape(k, r, -1)), axis=2), axis=1)
        z, eps = z.reshape(k, r, -1)[np.arange(k), pick], eps.reshape(k, r, -1)[np.arange(k), pick]
        move = move[np.arange(k), pick]
        moved = x + move if self.decoding == "residual" else dec[k * r:] + move
        values = ctx.scaler.inverse_transform(moved)
        ctx.extra["latent"] = {"z_normal": z_normal, "accepted": z, "rejected": {}}
        record_pairs(ctx, self.name, values, clean, z=z, z_normal=z_normal, decoding=self.decoding)
        return [Edit(int(s.start), values[i], "replace", "vae_tail", tuple(ctx.fold.columns), self.name,
                     {"margin": float(self.margin), "eps": np.round(eps[i], 4).tolist(), "decoding": self.decoding,
                      "scale": self.scale})
                for i, s in enumerate(slots)]
