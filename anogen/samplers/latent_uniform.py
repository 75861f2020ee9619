"""Latent-space sampling with filters (seed 001, AnoGen).

1. Encode the normal (train) data with the trained VAE -> ``z_normal`` (posterior means).
2. Draw ``z ~ U(z_min - margin * range, z_max + margin * range)`` per latent dimension.
3. Decode in batches and apply the filters in order (``bounds``: realistic values; ``cluster``:
   outside the normal clusters); repeat until ``n`` candidates are accepted or ``max_batches``.
4. Place the accepted rows/windows into the test fold (``insert`` new rows or ``replace``).
"""

from __future__ import annotations

from typing import Any, Literal, Mapping

import numpy as np

from anogen.params import NonNegativeFloat, PositiveInt, Ratio
from anogen.samplers.base import SampleContext, Slot, SlotRequest, anomaly_count, check_attributes
from anogen.types import AnogenError, Edit

__all__ = ["LatentUniform", "normal_codes"]

_KEEP_REJECTED = (4, 500)  # batches x points of rejected codes kept per filter (for the latent plot)


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
        ratio: fraction of anomalous rows, in (0, 0.5] (used when ``count`` is None).
        count: exact number of anomalies (rows for row models, windows for window models).
        margin: extra latent range on each side, as a fraction of the normal range (>= 0).
        mode: ``insert`` (new rows, time stamps interpolated) or ``replace`` (overwrite rows).
        filters: ``{name: filter}`` applied in order (built from the ``filters`` group by the pipeline).
        batch_size: candidates per batch; ``None`` = ``10 * count`` (seed 001), at least 1024.
        max_batches: give up after this many batches (clear error with acceptance rates).
    """

    name = "latent_uniform"
    needs_model = True

    def __init__(self, ratio: Ratio | None = 0.05, count: PositiveInt | None = None, margin: NonNegativeFloat = 0.5,
                 mode: Literal["insert", "replace"] = "insert", filters: Mapping[str, Any] | None = None,
                 batch_size: PositiveInt | None = None, max_batches: PositiveInt = 50) -> None:
        if ratio is None and count is None:
            raise AnogenError("sampler.ratio: set sampler.ratio or sampler.count (both are null)")
        self.ratio, self.count, self.margin, self.mode = ratio, count, margin, mode
        self.filters = dict(filters or {})
        self.batch_size, self.max_batches = batch_size, max_batches

    def _length(self, ctx: SampleContext) -> int:
        return int(ctx.model.seq_len) if getattr(ctx.model, "kind", "row") == "window" else 1

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        """``count`` requests (or ``max(1, round(int(n * ratio) / L))``) of ``L`` rows in ``mode``."""
        check_attributes(self, "sampler")
        if ctx.model is None:
            raise AnogenError("sampler=latent_uniform needs a trained model: add model=vae_mlp or model=vae")
        L = self._length(ctx)
        if self.count is not None:
            k = int(self.count)
        else:
            k = max(1, int(round(anomaly_count(ctx.n_test, self.ratio) / L)))
        return [SlotRequest(L, self.mode) for _ in range(k)]

    def _box(self, z_normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(k,)`` low and high ends of the sampling box: the normal range widened by ``margin``."""
        lo, hi = z_normal.min(axis=0), z_normal.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        return lo - self.margin * span, hi + self.margin * span

    def _filter(self, z: np.ndarray, x: np.ndarray, stats: dict[str, dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        """Apply the filters in order to one batch, counting what each saw and kept (updates ``stats``)."""
        for name, f in self.filters.items():
            keep = np.asarray(f(z, x), dtype=bool)
            st = stats[name]
            st["in"] += z.shape[0]
            st["kept"] += int(keep.sum())
            if len(st["rejected"]) < _KEEP_REJECTED[0]:
                st["rejected"].append(z[~keep][:_KEEP_REJECTED[1]])
            z, x = z[keep], x[keep]
            if z.shape[0] == 0:
                break
        return z, x

    def sample(self, ctx: SampleContext, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
        """Draw until ``n`` candidates pass every filter.

        Returns:
            (z ``(n, k)``, decoded values in original units ``(n, d)`` or ``(n, L, d)``, report dict with
            per-filter acceptance counts). The report and the codes (for the latent plot) are also
            written to ``ctx.extra["filter_report"]`` and ``ctx.extra["latent"]``.

        Raises:
            AnogenError: fewer than ``n`` accepted after ``max_batches`` batches (with the rates).
        """
        from anogen.train import decode

        z_normal = normal_codes(ctx)
        for f in self.filters.values():
            f.fit(z_normal=z_normal, x_train=ctx.fold.train, columns=tuple(ctx.fold.columns))
        lo, hi = self._box(z_normal)
        bs = int(self.batch_size or max(1024, 10 * n))
        stats = {name: {"in": 0, "kept": 0, "rejected": []} for name in self.filters}
        drawn, have, acc_z, acc_x = 0, 0, [], []
        for _ in range(self.max_batches):
            z = rng.uniform(lo, hi, size=(bs, z_normal.shape[1]))
            drawn += bs
            x = ctx.scaler.inverse_transform(np.asarray(decode(ctx.model, z.astype(np.float32)), np.float64))
            z, x = self._filter(z, x, stats)
            acc_z.append(z)
            acc_x.append(x)
            have += z.shape[0]
            if have >= n:
                break
        report = {"drawn": drawn, "accepted": have,
                  "filters": {k: {"in": v["in"], "kept": v["kept"],
                                  "rate": v["kept"] / v["in"] if v["in"] else float("nan")} for k, v in stats.items()}}
        ctx.extra["filter_report"] = report
        if have < n:
            raise AnogenError(self._shortfall(have, n, report))
        z, x = np.concatenate(acc_z)[:n], np.concatenate(acc_x)[:n]
        ctx.extra["latent"] = {"z_normal": z_normal, "accepted": z,
                               "rejected": {k: np.concatenate(v["rejected"]) if v["rejected"]
                                            else np.zeros((0, z.shape[1])) for k, v in stats.items()}}
        return z, x, report

    def _shortfall(self, have: int, n: int, report: dict) -> str:
        rates = ", ".join(f"{k}: {v['kept']}/{v['in']} kept ({100 * v['rate']:.2f}%)"
                          for k, v in report["filters"].items()) or "no filters"
        worst = min(report["filters"].items(), key=lambda kv: kv[1]["rate"], default=(None, None))[0]
        return (f"sampler=latent_uniform accepted {have} of {n} anomalies after {report['drawn']} candidates "
                f"({self.max_batches} batches); acceptance per filter: {rates}"
                + (f"; '{worst}' rejected most: loosen it or raise sampler.margin/max_batches" if worst else ""))

    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        """Sample ``len(slots)`` accepted candidates and write one into each slot."""
        if not slots:
            return []
        z, x, _ = self.sample(ctx, len(slots), rng)
        L = self._length(ctx)
        edits = []
        for i, s in enumerate(slots):
            vals = x[i].reshape(L, -1)
            edits.append(Edit(int(s.start), vals, self.mode, "latent", tuple(ctx.fold.columns), self.name,
                              {"z": np.round(z[i], 5).tolist(), "margin": float(self.margin)}))
        return edits
