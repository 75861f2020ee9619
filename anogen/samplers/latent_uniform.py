"""Latent-space sampling with filters (seed 001, AnoGen), anchored on the normal data.

1. Encode the normal (train) data with the trained VAE -> ``z_normal`` (posterior means).
2. Draw ``z' ~ U(z_min - margin * range, z_max + margin * range)`` per latent dimension.
3. Decode in batches. ``decoding="residual"`` (default): each candidate is anchored on the normal
   sample ``x`` whose code ``z`` is nearest to ``z'`` (in normal-code std units) and becomes
   ``x + decode(z') - decode(z)``: real data plus the learned latent move, so it keeps the data's
   texture and is not the model's reconstruction error in disguise. ``decoding="direct"`` (seed
   001): the candidate is ``decode(z')``.
4. Apply the filters in order (default ``bounds`` then ``cluster``, seed 001's method: realistic
   values, outside the normal clusters), then the ``deviation`` floor: a candidate must differ from
   its anchor by at least ``min_deviation`` times the model's reconstruction error on that anchor
   (RMS, train-std units), so a label never marks what is only the model's error;
   repeat until ``n`` candidates are accepted or ``max_batches``.
5. Place the accepted rows/windows into the test fold (``insert`` new rows or ``replace``).
"""

from __future__ import annotations

from typing import Any, Literal, Mapping

import numpy as np

from anogen.params import NonNegativeFloat, PositiveInt, Ratio, check_attributes
from anogen.filters.bounds import Bounds
from anogen.filters.cluster import Cluster
from anogen.samplers.base import SampleContext, Sampler, Slot, SlotRequest, anomaly_count
from anogen.samplers.report import record_pairs
from anogen.types import AnogenError, Edit

__all__ = ["LatentUniform", "default_filters", "normal_codes", "normal_samples"]

_KEEP_REJECTED = (4, 500)  # batches x points of rejected codes kept per filter (for the latent plot)
_MAX_ANCHORS = 50_000  # normal samples kept as anchors for residual decoding


def default_filters() -> dict[str, Any]:
    """Seed 001's filters with their packaged settings: ``{"bounds": Bounds(), "cluster": Cluster()}``."""
    return {"bounds": Bounds(), "cluster": Cluster()}


def normal_samples(ctx: SampleContext, max_points: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """The normal (train) samples, scaled, and their posterior means.

    Returns:
        ``(x, mu)``: ``(m, d)`` rows (row models) or ``(m, L, d)`` every stride-1 window inside a
        train segment (window models), evenly thinned to ``max_points``; ``(m, latent_dim)`` codes.
    """
    # lazy: JAX/flax (anogen.train, ~4 s to import) only once a model runs; building the sampler stays light
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
    return x, np.asarray(mu, dtype=np.float64)


def normal_codes(ctx: SampleContext, max_points: int = 200_000) -> np.ndarray:
    """Posterior means of the train data: rows (row models) or every stride-1 window inside a segment."""
    return normal_samples(ctx, max_points)[1]


def _decoder_range(ctx: SampleContext) -> tuple[np.ndarray, np.ndarray] | None:
    """Per column, the original-unit range a bounded decoder can produce (a sigmoid: [0, 1] scaled), else ``None``."""
    if getattr(ctx.model, "likelihood", None) != "bernoulli":
        return None
    d = ctx.fold.n_features
    return ctx.scaler.inverse_transform(np.zeros((1, d)))[0], ctx.scaler.inverse_transform(np.ones((1, d)))[0]


def _count(st: dict[str, Any], z: np.ndarray, keep: np.ndarray) -> None:
    """Add one step's candidates ``z`` and keep-mask to its acceptance record (a few rejected codes kept for the plot)."""
    st["in"] += int(keep.size)
    st["kept"] += int(keep.sum())
    if len(st["rejected"]) < _KEEP_REJECTED[0]:
        st["rejected"].append(z[~keep][:_KEEP_REJECTED[1]])


class _Anchors:
    """The normal samples (scaled), their codes, and nearest-code lookup for residual decoding."""

    def __init__(self, x: np.ndarray, z: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.x, self.z = x, z
        sd = z.std(axis=0)
        self.unit = np.where(sd > 0, sd, 1.0)
        self.tree = cKDTree(z / self.unit)
        self._decoded: np.ndarray | None = None

    def nearest(self, z: np.ndarray) -> np.ndarray:
        """``(b,)`` index of the normal code nearest to each of ``z`` ``(b, k)`` (normal-code std units)."""
        return self.tree.query(z / self.unit, k=1)[1]

    def decoded(self, model: Any) -> np.ndarray:
        """``decode(z)`` of every normal code (scaled; computed once)."""
        # lazy: JAX/flax (anogen.train, ~4 s to import) only once a model runs; building the sampler stays light
        from anogen.train import decode

        if self._decoded is None:
            self._decoded = np.asarray(decode(model, self.z.astype(np.float32)), np.float64)
        return self._decoded


class LatentUniform(Sampler):
    """Uniform latent sampling outside the normal data, decoded (anchored) and filtered.

    Args:
        ratio: fraction of anomalous rows, in (0, 0.5] (used when ``count`` is None).
        count: exact number of anomalies (rows for row models, windows for window models).
        margin: extra latent range on each side, as a fraction of the normal range (>= 0).
        mode: ``insert`` (new rows, time stamps interpolated) or ``replace`` (overwrite rows).
        filters: ``{name: filter}`` applied in order; ``None`` = seed 001's ``bounds`` then
            ``cluster`` with their packaged settings (also when built from the CLI or the API);
            ``{}`` = no filter. Filters of the ``filters`` config group replace the default.
        batch_size: candidates per batch; ``None`` = ``10 * count`` (seed 001), at least 1024.
        max_batches: give up after this many batches (clear error with acceptance rates).
        decoding: ``residual`` (anchored: ``x + decode(z') - decode(z)``) or ``direct``
            (``decode(z')``, seed 001).
        min_deviation: keep only candidates whose RMS difference from their anchor (train-std
            units) is at least this multiple of the model's RMS reconstruction error on the anchor
            (reported as the ``deviation`` step of the filter report); 0 = off.
    """

    name = "latent_uniform"
    needs_model = True

    def __init__(self, ratio: Ratio | None = 0.05, count: PositiveInt | None = None, margin: NonNegativeFloat = 0.5,
                 mode: Literal["insert", "replace"] = "insert", filters: Mapping[str, Any] | None = None,
                 batch_size: PositiveInt | None = None, max_batches: PositiveInt = 50,
                 decoding: Literal["residual", "direct"] = "residual", min_deviation: NonNegativeFloat = 2.0) -> None:
        if ratio is None and count is None:
            raise AnogenError("sampler.ratio: set sampler.ratio or sampler.count (both are null)")
        self.ratio, self.count, self.margin, self.mode = ratio, count, margin, mode
        self.filters = dict(filters or {})
        self.filters_default = filters is None  # no filters given: seed 001's pair (unless attached later)
        self.batch_size, self.max_batches, self.decoding = batch_size, max_batches, decoding
        self.min_deviation = min_deviation

    def _length(self, ctx: SampleContext) -> int:
        return int(ctx.model.seq_len) if getattr(ctx.model, "kind", "row") == "window" else 1

    def active_filters(self) -> dict[str, Any]:
        """The filters that run: the given or attached ones, else (``filters=None``) the default pair."""
        return dict(self.filters) if self.filters or not self.filters_default else default_filters()

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

    def _filter(self, filters: dict, z: np.ndarray, x: np.ndarray, stats: dict[str, dict[str, Any]]) -> np.ndarray:
        """Apply the filters in order to one batch (updates ``stats``); returns the ``(b,)`` keep-mask."""
        alive = np.arange(z.shape[0])
        for name, f in filters.items():
            keep = np.asarray(f(z[alive], x[alive]), dtype=bool)
            _count(stats[name], z[alive], keep)
            alive = alive[keep]
            if alive.size == 0:
                break
        mask = np.zeros(z.shape[0], dtype=bool)
        mask[alive] = True
        return mask

    def _floor(self, ctx: SampleContext, anchors: _Anchors) -> np.ndarray | None:
        """``(m,)`` per normal sample: ``min_deviation`` x its RMS reconstruction error (train-std units); ``None`` = off."""
        if self.min_deviation <= 0:
            return None
        err = ctx.scaler.inverse_transform(anchors.decoded(ctx.model)) - ctx.scaler.inverse_transform(anchors.x)
        return self.min_deviation * np.sqrt(np.mean(np.square(err / ctx.std).reshape(len(err), -1), axis=1))

    def _candidates(self, ctx: SampleContext, z: np.ndarray, anchors: _Anchors) -> tuple[np.ndarray, ...]:
        """Candidates and their anchors' clean samples (original units), and the anchors' indices, for ``z`` ``(b, k)``."""
        # lazy: JAX/flax (anogen.train, ~4 s to import) only once a model runs; building the sampler stays light
        from anogen.train import decode

        idx = anchors.nearest(z)
        dec = np.asarray(decode(ctx.model, z.astype(np.float32)), np.float64)
        base = anchors.x[idx].astype(np.float64)
        moved = base + dec - anchors.decoded(ctx.model)[idx] if self.decoding == "residual" else dec
        return ctx.scaler.inverse_transform(moved), ctx.scaler.inverse_transform(base), idx

    def _notes(self, ctx: SampleContext, filters: dict, report: dict | None = None) -> list[str]:
        """Filters that cannot reject anything: by construction (a bounded decoder) or as measured."""
        notes = []
        reach = _decoder_range(ctx) if self.decoding == "direct" else None
        for name, f in filters.items():
            if reach is not None and hasattr(f, "covers") and f.covers(*reach):
                notes.append(f"filter '{name}' can reject nothing: every value this decoder can produce (a sigmoid "
                             "on min-max scaled data stays inside the train range) lies inside its limits")
            st = (report or {}).get("filters", {}).get(name)
            if st and st["in"] >= 100 and st["kept"] == st["in"]:
                notes.append(f"filter '{name}' kept all {st['in']} candidates it saw")
        return notes

    def _draw(self, ctx: SampleContext, n: int, rng: np.random.Generator, filters: dict, anchors: _Anchors,
              stats: dict) -> tuple[list, list, int]:
        """The batch loop: ``(accepted parts, near misses, drawn)``; a near miss passed every filter but
        not the deviation floor (``(ratio to the floor, z, x, clean)``, the best ``n`` per batch)."""
        lo, hi = self._box(anchors.z)
        floor = self._floor(ctx, anchors)
        bs = int(self.batch_size or max(1024, 10 * n))
        drawn, have, acc, near = 0, 0, [], []
        for _ in range(self.max_batches):
            z = rng.uniform(lo, hi, size=(bs, anchors.z.shape[1]))
            drawn += bs
            x, clean, idx = self._candidates(ctx, z, anchors)
            keep = self._filter(filters, z, x, stats)
            if floor is not None:
                ratio = np.sqrt(np.mean(np.square((x - clean) / ctx.std).reshape(bs, -1), axis=1)) / floor[idx]
                _count(stats["deviation"], z[keep], ratio[keep] >= 1)
                miss = np.flatnonzero(keep & (ratio < 1))
                miss = miss[np.argsort(-ratio[miss])[:n]]
                near.append((ratio[miss], z[miss], x[miss], clean[miss]))
                keep &= ratio >= 1
            acc.append((z[keep], x[keep], clean[keep]))
            have += int(keep.sum())
            if have >= n:
                break
        return acc, near, drawn

    def sample(self, ctx: SampleContext, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, dict]:
        """Draw until ``n`` candidates pass every filter and the deviation floor.

        When the budget (``max_batches``) runs out with candidates that passed every filter but not
        the floor, the best of them fill the rest, and the report's notes say how many: the
        generator report's verdict (and ``generator.on_degenerate``) then decides what happens.

        Returns:
            (z ``(n, k)``, values in original units ``(n, d)`` or ``(n, L, d)``, report dict with
            per-filter acceptance counts and ``notes``). The report and the codes (for the latent plot)
            are also written to ``ctx.extra["filter_report"]`` and ``ctx.extra["latent"]``; the
            anomalies and their anchors to ``ctx.extra["generator"]`` (the generator report).

        Raises:
            AnogenError: fewer than ``n`` candidates passed the filters after ``max_batches`` batches
                (with the rates).
        """
        x_normal, z_normal = normal_samples(ctx, _MAX_ANCHORS)
        filters = self.active_filters()
        for f in filters.values():
            f.fit(z_normal=z_normal, x_train=ctx.fold.train, columns=tuple(ctx.fold.columns))
        anchors = _Anchors(x_normal, z_normal)
        steps = [*filters, *(["deviation"] if self.min_deviation > 0 else [])]
        stats = {name: {"in": 0, "kept": 0, "rejected": []} for name in steps}
        acc, near, drawn = self._draw(ctx, n, rng, filters, anchors, stats)
        have = sum(len(a[0]) for a in acc)
        report = {"drawn": drawn, "accepted": have,
                  "filters": {k: {"in": v["in"], "kept": v["kept"],
                                  "rate": v["kept"] / v["in"] if v["in"] else float("nan")} for k, v in stats.items()}}
        report["notes"] = self._notes(ctx, filters, report)
        ctx.extra["filter_report"] = report
        short = n - have
        if short > 0 and sum(len(m[0]) for m in near) >= short:
            ratio, *rest = (np.concatenate(part) for part in zip(*near))
            best = np.argsort(-ratio)[:short]
            acc.append(tuple(r[best] for r in rest))
            report["notes"].append(f"{short} of {n} anomalies are below the deviation floor (sampler.min_deviation="
                                   f"{self.min_deviation} x the model's reconstruction error; the best reached "
                                   f"{ratio[best[0]]:.2f} of it): the model's latent moves are small")
        elif short > 0:
            raise AnogenError(self._shortfall(have, n, report))
        z, x, clean = (np.concatenate(part)[:n] for part in zip(*acc))
        ctx.extra["latent"] = {"z_normal": z_normal, "accepted": z,
                               "rejected": {k: np.concatenate(v["rejected"]) if v["rejected"]
                                            else np.zeros((0, z.shape[1])) for k, v in stats.items()}}
        record_pairs(ctx, self.name, x, clean, z=z, z_normal=z_normal, decoding=self.decoding, filters=report,
                     notes=report["notes"])
        return z, x, report

    def _shortfall(self, have: int, n: int, report: dict) -> str:
        rates = ", ".join(f"{k}: {v['kept']}/{v['in']} kept ({100 * v['rate']:.2f}%)"
                          for k, v in report["filters"].items()) or "no filters"
        rejecting = {k: v for k, v in report["filters"].items() if v["kept"] < v["in"]}
        worst = min(rejecting.items(), key=lambda kv: kv[1]["rate"], default=(None, None))[0]
        advice = (f"; '{worst}' rejected most: loosen it or raise sampler.margin/max_batches" if worst else
                  f"; no filter rejected a candidate: the budget of {report['drawn']} candidates is too small, "
                  "raise sampler.max_batches or sampler.batch_size (or lower sampler.count)")
        if worst == "deviation":
            advice = ("; 'deviation' rejected most: the model's latent moves are smaller than "
                      f"sampler.min_deviation={self.min_deviation} x its reconstruction error (a collapsed model? "
                      "see active_dims in the training history); train a better model, raise sampler.margin, "
                      "or set sampler.min_deviation=0 to get the anomalies and their generator report")
        return (f"sampler=latent_uniform accepted {have} of {n} anomalies after {report['drawn']} candidates "
                f"({self.max_batches} batches); acceptance per filter: {rates}{advice}")

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
                              {"z": np.round(z[i], 5).tolist(), "margin": float(self.margin),
                               "decoding": self.decoding}))
        return edits
