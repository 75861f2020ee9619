"""Latent-space sampling with filters (seed 001, AnoGen).

1. Encode the normal (train) data with the trained VAE -> ``z_normal`` (posterior means).
2. Draw ``z ~ U(z_min - margin * range, z_max + margin * range)`` per latent dimension.
3. Decode in batches and apply the filters in order (``bounds``: realistic values; ``cluster``:
   outside the normal clusters); repeat until ``n`` candidates are accepted or ``max_batches``.
4. Place the accepted rows/windows into the test fold (``insert`` new rows or ``replace``).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from anogen.samplers.base import SampleContext, Slot, SlotRequest, anomaly_count
from anogen.types import AnogenError, Edit

__all__ = ["LatentUniform", "normal_codes"]


def normal_codes(ctx: SampleContext, max_points: int = 200_000) -> np.ndarray:
    """Posterior means of the train data: rows (row models) or every stride-1 window inside a segment."""
    from anogen.train import encode

    model = ctx.model
    x = ctx.scaler.transform(ctx.fold.train).astype(np.float32)
    if getattr(model, "kind", "row") == "window":
        L = int(model.seq_len)
        starts = np.concatenate([np.arange(a, b - L + 1) for a, b in ctx.fold.train_segments if b - a >= L] or
                                [np.zeros(0, dtype=np.int64)])
        if starts.size == 0:
            raise AnogenError(f"no train segment is as long as model.seq_len ({L})")
        if starts.size > max_points:
            starts = starts[np.linspace(0, starts.size - 1, max_points).astype(np.int64)]
        x = x[starts[:, None] + np.arange(L)]
    elif x.shape[0] > max_points:
        x = x[np.linspace(0, x.shape[0] - 1, max_points).astype(np.int64)]
    mu, _ = encode(model, x, window=None)
    return np.asarray(mu, dtype=np.float64)


class LatentUniform:
    """Uniform latent sampling outside the normal data, decoded and filtered.

    Args:
        ratio: fraction of anomalous rows (used when ``count`` is None).
        count: exact number of anomalies (rows for row models, windows for window models).
        margin: extra latent range on each side, as a fraction of the normal range (>= 0).
        mode: ``insert`` (new rows, time stamps interpolated) or ``replace`` (overwrite rows).
        filters: ``{name: filter}`` applied in order (built from the ``filters`` group by the pipeline).
        batch_size: candidates per batch; ``None`` = ``10 * count`` (seed 001), at least 1024.
        max_batches: give up after this many batches (clear error with acceptance rates).
    """

    name = "latent_uniform"
    needs_model = True

    def __init__(self, ratio: float | None = 0.05, count: int | None = None, margin: float = 0.5,
                 mode: str = "insert", filters: Mapping[str, Any] | None = None, batch_size: int | None = None,
                 max_batches: int = 50) -> None:
        if count is None:
            anomaly_count(100, ratio)
        elif not isinstance(count, (int, np.integer)) or count < 1:
            raise AnogenError(f"sampler.count must be a positive integer or null, got {count!r}")
        if not (isinstance(margin, (int, float)) and np.isfinite(margin) and margin >= 0):
            raise AnogenError(f"sampler.margin must be a number >= 0, got {margin!r}")
        if mode not in ("insert", "replace"):
            raise AnogenError(f"sampler.mode must be 'insert' or 'replace', got {mode!r}")
        if max_batches < 1:
            raise AnogenError(f"sampler.max_batches must be >= 1, got {max_batches}")
        self.ratio, self.count, self.margin, self.mode = ratio, count, float(margin), mode
        self.filters = dict(filters or {})
        self.batch_size, self.max_batches = batch_size, int(max_batches)

    def _length(self, ctx: SampleContext) -> int:
        return int(ctx.model.seq_len) if getattr(ctx.model, "kind", "row") == "window" else 1

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        if ctx.model is None:
            raise AnogenError("sampler=latent_uniform needs a trained model: add model=vae_mlp or model=vae")
        L = self._length(ctx)
        if self.count is not None:
            k = int(self.count)
        else:
            k = max(1, int(round(anomaly_count(ctx.n_test, self.ratio) / L)))
        return [SlotRequest(L, self.mode) for _ in range(k)]

    def sample(self, ctx: SampleContext, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
        """Draw until ``n`` candidates pass every filter.

        Returns:
            (z ``(n, k)``, decoded values in original units ``(n, d)`` or ``(n, L, d)``, report dict with
            per-filter acceptance counts).
        """
        from anogen.train import decode

        z_normal = normal_codes(ctx)
        for name, f in self.filters.items():
            f.fit(z_normal=z_normal, x_train=ctx.fold.train, columns=tuple(ctx.fold.columns))
        lo, hi = z_normal.min(axis=0), z_normal.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        lo, hi = lo - self.margin * span, hi + self.margin * span
        bs = int(self.batch_size or max(1024, 10 * n))
        seen = {name: 0 for name in self.filters}
        kept_by = {name: 0 for name in self.filters}
        drawn = 0
        acc_z, acc_x = [], []
        rejected: dict[str, list[np.ndarray]] = {name: [] for name in self.filters}
        have = 0
        for _ in range(self.max_batches):
            z = rng.uniform(lo, hi, size=(bs, z_normal.shape[1]))
            drawn += bs
            x = ctx.scaler.inverse_transform(np.asarray(decode(ctx.model, z.astype(np.float32)), np.float64))
            for name, f in self.filters.items():
                seen[name] += z.shape[0]
                keep = np.asarray(f(z, x), dtype=bool)
                kept_by[name] += int(keep.sum())
                if len(rejected[name]) < 4:
                    rejected[name].append(z[~keep][:500])
                z, x = z[keep], x[keep]
                if z.shape[0] == 0:
                    break
            acc_z.append(z)
            acc_x.append(x)
            have += z.shape[0]
            if have >= n:
                break
        report = {"drawn": drawn, "accepted": have,
                  "filters": {name: {"in": seen[name], "kept": kept_by[name],
                                     "rate": kept_by[name] / seen[name] if seen[name] else float("nan")}
                              for name in self.filters}}
        ctx.extra["filter_report"] = report
        if have < n:
            rates = ", ".join(f"{k}: {v['kept']}/{v['in']} kept ({100 * v['rate']:.2f}%)"
                              for k, v in report["filters"].items()) or "no filters"
            worst = min(report["filters"].items(), key=lambda kv: kv[1]["rate"], default=(None, None))[0]
            raise AnogenError(
                f"sampler=latent_uniform accepted {have} of {n} anomalies after {drawn} candidates "
                f"({self.max_batches} batches); acceptance per filter: {rates}"
                + (f"; '{worst}' rejected most: loosen it or raise sampler.margin/max_batches" if worst else ""))
        z = np.concatenate(acc_z)[:n]
        x = np.concatenate(acc_x)[:n]
        ctx.extra["latent"] = {"z_normal": z_normal, "accepted": z,
                               "rejected": {k: np.concatenate(v) if v else np.zeros((0, z.shape[1]))
                                            for k, v in rejected.items()}}
        ctx.extra["filter_report"] = report
        return z, x, report

    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        if not slots:
            return []
        z, x, _ = self.sample(ctx, len(slots), rng)
        L = self._length(ctx)
        edits = []
        for i, s in enumerate(slots):
            vals = x[i].reshape(L, -1)
            edits.append(Edit(int(s.start), vals, self.mode, "latent", tuple(ctx.fold.columns), self.name,
                              {"z": np.round(z[i], 5).tolist(), "margin": self.margin}))
        return edits
