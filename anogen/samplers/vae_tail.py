"""VAE posterior-tail anomalies (seed 000, after Laptev's AnoGen).

For each chosen test window: encode with the trained VAE, draw the latent sample from the tails of
its posterior, ``z = mu + sigma * eps`` with ``|eps| >= margin`` (in sigma units) on the chosen
latent dimensions (random sign; the other dimensions get an ordinary posterior sample), decode all
windows in one batched, jitted call, and write the decoded windows (original units) into the fold.
Exactly the rows written are labelled (the original was off by ``L - 1``).
"""

from __future__ import annotations

import numpy as np

from anogen.params import NonNegativeFloat, NonNegativeInt, PositiveInt, Ratio
from anogen.samplers.base import SampleContext, Slot, SlotRequest, anomaly_count, check_attributes
from anogen.types import AnogenError, Edit

__all__ = ["VAETail", "tail_normal"]


def tail_normal(rng: np.random.Generator, margin: float, size) -> np.ndarray:
    """Samples of ``|eps|`` for ``eps ~ N(0, 1)`` conditioned on ``|eps| >= margin`` (inverse CDF)."""
    from scipy.special import ndtr, ndtri

    lo = ndtr(margin)
    u = rng.uniform(lo, 1.0, size=size)
    u = np.minimum(u, np.nextafter(1.0, 0.0))
    return ndtri(u)


class VAETail:
    """Posterior-tail sampler.

    Args:
        ratio: fraction of test rows made anomalous, (0, 0.5]; the number of windows is
            ``max(1, round(int(n * ratio) / L))``.
        margin: minimum ``|eps|`` in posterior standard deviations (>= 0).
        dims: latent dimensions pushed into the tails (each < the model's ``latent_dim``); empty = all.
        window: window length ``L``; ``None`` = the model's ``seq_len``.
    """

    name = "vae_tail"
    needs_model = True

    def __init__(self, ratio: Ratio = 0.05, margin: NonNegativeFloat = 2.0,
                 dims: list[NonNegativeInt] | None = None, window: PositiveInt | None = None) -> None:
        self.ratio = ratio
        self.margin = margin
        self.dims = list(dims or [])
        self.window = window

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
            raise AnogenError(f"sampler.dims: {bad} out of range for the model's latent_dim {latent}")
        return list(self.dims) or list(range(latent))

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        """``max(1, round(int(n * ratio) / L))`` windows of ``L`` rows."""
        check_attributes(self, "sampler")
        if ctx.model is None:
            raise AnogenError("sampler=vae_tail needs a trained model: add model=vae")
        L = self._L(ctx)
        if L > ctx.n_test:
            key = "sampler.window" if self.window else "model.seq_len"
            raise AnogenError(f"{key} ({L}) is longer than the test fold ({ctx.n_test} rows)")
        self._dims(ctx)
        k = max(1, int(round(anomaly_count(ctx.n_test, self.ratio) / L)))
        return [SlotRequest(L) for _ in range(k)]

    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        from anogen.train import decode, encode

        if not slots:
            return []
        L = self._L(ctx)
        dims = self._dims(ctx)
        starts = np.array([s.start for s in slots])
        clean = ctx.fold.test[starts[:, None] + np.arange(L)]            # (k, L, d)
        x = ctx.scaler.transform(clean).astype(np.float32)
        mu, logvar = encode(ctx.model, x, window=None)
        mu, logvar = np.asarray(mu, np.float64), np.asarray(logvar, np.float64)
        sigma = np.exp(0.5 * logvar)
        eps = rng.standard_normal(mu.shape)
        sign = rng.choice([-1.0, 1.0], size=(len(slots), len(dims)))
        eps[:, dims] = sign * tail_normal(rng, self.margin, (len(slots), len(dims)))
        z = mu + sigma * eps
        decoded = np.asarray(decode(ctx.model, z.astype(np.float32)), np.float64)   # (k, L, d) scaled
        values = ctx.scaler.inverse_transform(decoded)
        from anogen.samplers.latent_uniform import normal_codes

        ctx.extra["latent"] = {"z_normal": normal_codes(ctx, max_points=20_000), "accepted": z, "rejected": {}}
        return [Edit(int(s.start), values[i], "replace", "vae_tail", tuple(ctx.fold.columns), self.name,
                     {"margin": float(self.margin), "eps": np.round(eps[i], 4).tolist()})
                for i, s in enumerate(slots)]
