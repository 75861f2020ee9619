"""The generator report: numbers that say whether a learned generator made real anomalies.

A learned sampler (``vae_tail``, ``latent_uniform``) records, in ``ctx.extra["generator"][name]``,
each anomaly it wrote next to its *clean counterpart* (the window it replaced, or the normal
sample its latent code was anchored on) and their latent codes. :func:`generator_report` turns
that into a :class:`GeneratorReport`; every distance is measured in units of the train standard
deviation of each column ("std units"):

* ``acceptance``: per filter, the fraction of the candidates it saw that it kept; ``total`` =
  accepted / drawn.
* ``deviation``: mean over anomalies of the RMS difference anomaly - clean counterpart.
* ``recon_error``: mean RMS reconstruction error (``decode(mu)``) of the model on the clean
  counterparts, i.e. on the normal data the anomalies are made from (test windows for
  ``vae_tail``, the anchoring train samples for ``latent_uniform``); ``deviation_ratio = deviation /
  recon_error``: below 1 the "anomaly" is smaller than what the model gets wrong on that data
  anyway (with ``direct`` decoding the label then marks mostly reconstruction error).
* ``diversity``: mean pairwise distance among the anomalies / among normal samples (train).
* ``roughness``: RMS step-to-step change inside the anomalous windows / inside normal windows
  (windows only; ``nan`` for rows, which have no time axis of their own: the summary says "n/a").
* ``active_dims``: latent dimensions whose posterior means vary over the normal data
  (variance > 0.01, Burda et al. 2016); ``latent_coverage``: mean over dimensions of the std of the
  anomalies' codes / the std of the normal codes; ``latent_distance``: median distance from an
  anomaly's code to the nearest normal code, in normal-code std units.
* ``auc_zscore``, ``auc_rolling``, ``auc_knn``: row-level ROC-AUC on the injected test fold (this
  sampler's anomalous rows against the normal rows) of simple detectors: the largest absolute
  z-score against the train mean and std; the same against the mean and std of the 50 previous rows
  (contextual anomalies; windows only: rows are tabular, a time-order detector is the wrong judge of
  them, so it is ``nan`` for rows); the distance of each ``L``-row window to the nearest train window
  (unusual shapes or combinations of values; ``L`` = the anomalies' length, 1 for rows).
  ``auc_best`` is the largest of them and ``auc_best_by`` names it; below 0.5 even the best simple
  detector ranks the anomalies as *more* normal than normal data.
* ``val_share``, ``overfit``: from the generative model's training history (when the job passes it):
  over the second half of the epochs run, the validation loss' drop / the train loss' drop;
  ``overfit`` when the train loss still fell by at least ``overfit_train_drop`` of its whole range
  while the validation loss fell by less than ``overfit_val_share`` of that (flat or rising).

The verdict (thresholds in :data:`THRESHOLDS`, documented in ``docs/generators.md``) is ``ok``,
``weak`` (a quality target missed) or ``degenerate`` (near-identical anomalies, deviation below the
reconstruction error, anomalies much smoother than the data, or no active latent dimension); an
over-fitted generator is ``weak``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from anogen.data.windows import window_starts
from anogen.metrics.curves import roc_auc
from anogen.samplers.base import SampleContext
from anogen.types import AnogenError

__all__ = ["THRESHOLDS", "DETECTOR_NAMES", "GeneratorReport", "OnDegenerate", "check_verdict", "detector_aucs", "generator_metrics",
           "generator_report", "mean_pairwise_distance", "overfitting", "quality", "record_pairs", "roughness_of", "verdict"]

#: ``generator.on_degenerate``: log a warning (default) or stop the run with an error
OnDegenerate = Literal["warn", "error"]

#: Verdict thresholds: ``degenerate`` below the first value, ``weak`` below the second
#: (roughness: ``weak`` outside ``[roughness_ok, roughness_high]``). Diversity is judged against its
#: thresholds from ``diversity_min_n`` anomalies on (two windows can be alike by chance); with fewer,
#: only below ``diversity_identical`` (copies of one anomaly) is it degenerate.
THRESHOLDS: dict[str, float] = {
    "diversity_degenerate": 0.1, "diversity_ok": 1 / 3,
    "deviation_degenerate": 1.0, "deviation_ok": 2.0,
    "roughness_degenerate": 0.25, "roughness_ok": 0.5, "roughness_high": 2.0,
    "auc_ok": 0.7, "active_var": 0.01,
    "diversity_min_n": 5, "diversity_identical": 0.02,
    "overfit_train_drop": 0.2, "overfit_val_share": 0.5, "overfit_min_epochs": 10,
}

#: the simple detectors behind ``auc_*``: the name the summary prints
DETECTOR_NAMES = {"auc_zscore": "zscore", "auc_rolling": "zscore_rolling", "auc_knn": "knn"}

_MAX_NORMAL = 1024  # normal samples used for diversity, roughness, reconstruction error, kNN


@dataclass
class GeneratorReport:
    """Quality figures of one learned generator on one fold (see the module docstring).

    Attributes:
        sampler: the sampler's name.
        n: anomalies made.
        length: rows per anomaly (``1`` for rows).
        decoding: ``residual`` or ``direct``.
        acceptance: ``{filter: kept / seen}`` plus ``total`` (accepted / drawn); empty without filters.
        deviation, recon_error, deviation_ratio, diversity, roughness, active_dims, latent_dim,
        latent_coverage, latent_distance, auc_zscore, auc_rolling, auc_knn, auc_best: the figures.
        auc_best_by: the detector behind ``auc_best`` (``zscore``, ``zscore_rolling``, ``knn``).
        val_share: validation loss' drop / train loss' drop over the second half of training
            (``nan`` without a training history).
        overfit: whether the training history shows over-fitting (see :func:`overfitting`).
        verdict: ``ok``, ``weak`` or ``degenerate``.
        reasons: one phrase per threshold missed.
        notes: remarks of the filters (e.g. a bounds filter that can reject nothing).
    """

    sampler: str
    n: int
    length: int
    decoding: str
    acceptance: dict[str, float] = field(default_factory=dict)
    deviation: float = math.nan
    recon_error: float = math.nan
    deviation_ratio: float = math.nan
    diversity: float = math.nan
    roughness: float = math.nan
    active_dims: int = 0
    latent_dim: int = 0
    latent_coverage: float = math.nan
    latent_distance: float = math.nan
    auc_zscore: float = math.nan
    auc_rolling: float = math.nan
    auc_knn: float = math.nan
    auc_best: float = math.nan
    auc_best_by: str = ""
    val_share: float = math.nan
    overfit: bool = False
    verdict: str = "ok"
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    _FIGURES = ("n", "deviation", "recon_error", "deviation_ratio", "diversity", "roughness", "active_dims",
                "latent_coverage", "latent_distance", "auc_zscore", "auc_rolling", "auc_knn", "auc_best",
                "val_share")

    def metrics(self, prefix: str = "generator/") -> dict[str, float]:
        """Flat numbers for ``metrics.json`` and the loggers: ``{prefix + name: value}``.

        ``verdict`` is encoded as ``degenerate`` 1/0 and ``ok`` 1/0 so it can be averaged over folds.
        """
        out = {f"{prefix}{k}": float(getattr(self, k)) for k in self._FIGURES}
        out.update({f"{prefix}acceptance/{k}": float(v) for k, v in self.acceptance.items()})
        out[f"{prefix}overfit"] = float(self.overfit) if math.isfinite(self.val_share) else math.nan
        out[f"{prefix}degenerate"] = float(self.verdict == "degenerate")
        out[f"{prefix}ok"] = float(self.verdict == "ok")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict of every field."""
        return {k: (float(v) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    def summary(self) -> str:
        """One line for the run log: every figure names what it is (the detector behind each AUC),
        a figure that does not apply says ``n/a`` and why, never ``nan``."""
        acc = ", ".join(f"{k} {100 * v:.0f}%" for k, v in self.acceptance.items())
        why = f" ({'; '.join(self.reasons)})" if self.reasons else ""
        judged = "rows" if self.length == 1 else f"{self.length}-row windows"
        aucs = ", ".join(f"{DETECTOR_NAMES[k]} {getattr(self, k):.2f}" for k in DETECTOR_NAMES
                         if math.isfinite(getattr(self, k)))
        found = (f"simple {'row' if self.length == 1 else 'window'} detectors' ROC-AUC: {aucs} (best "
                 f"{self.auc_best_by} {self.auc_best:.2f})" if aucs else "detector AUC n/a (no injected fold)")
        rough = (f"roughness {self.roughness:.2f}" if math.isfinite(self.roughness)
                 else "roughness n/a (rows have no time axis)" if self.length == 1 else "roughness n/a")
        parts = [f"{self.n} anomalies ({judged})", f"deviation {_fmt(self.deviation)} std = "
                 f"{_fmt(self.deviation_ratio, '.1f')}x reconstruction error", f"diversity {_fmt(self.diversity)}",
                 rough, found]
        if self.latent_dim:
            parts.append(f"active latent dims {self.active_dims}/{self.latent_dim}")
        if math.isfinite(self.val_share):
            parts.append(f"training: validation loss fell {_fmt(self.val_share)}x as much as train loss in the "
                         f"second half" + (" (over-fitting)" if self.overfit else ""))
        return (f"generator {self.sampler}: {self.verdict}{why} | " + ", ".join(parts)
                + (f" | acceptance {acc}" if acc else ""))


def _fmt(value: float, spec: str = ".2f") -> str:
    """A figure, or ``n/a`` when it could not be measured."""
    return format(value, spec) if math.isfinite(value) else "n/a"


# ------------------------------------------------------------------------------ array measures


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1)


def mean_pairwise_distance(x: np.ndarray, max_points: int = _MAX_NORMAL, seed: int = 0) -> float:
    """Mean Euclidean distance over all pairs of samples ``(n, ...)`` (a seeded subset when large); ``nan`` if n < 2."""
    from scipy.spatial.distance import pdist

    f = _flat(x)
    if len(f) < 2:
        return math.nan
    if len(f) > max_points:
        f = f[np.random.default_rng(seed).choice(len(f), max_points, replace=False)]
    return float(np.mean(pdist(f)))


def roughness_of(windows: np.ndarray) -> float:
    """RMS change between consecutive steps of ``(n, L, d)`` windows (pooled); ``nan`` for ``L < 2``."""
    w = np.asarray(windows, dtype=np.float64)
    if w.ndim != 3 or w.shape[1] < 2 or len(w) == 0:
        return math.nan
    return float(np.sqrt(np.mean(np.square(np.diff(w, axis=1)))))


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Row-level ROC-AUC (:func:`anogen.metrics.curves.roc_auc`); ``nan`` with one class only."""
    if labels.all() or not labels.any():
        return math.nan
    return roc_auc(labels, scores)


def _knn_rows(z: np.ndarray, ref: np.ndarray, L: int) -> np.ndarray:
    """``(n,)`` per row: mean over the stride-1 ``L``-row windows covering it of the window's distance to
    the nearest reference window ``ref`` ``(m, L * d)`` (rows: ``L = 1``): the
    :class:`~anogen.detectors.KNNDistance` detector (``k = 1``, exact) on the seeded reference windows."""
    # lazy: anogen.detectors imports scikit-learn (~2 s), which anogen.generate with a model-free sampler never needs
    from anogen.detectors import KNNDistance, aggregate_window_scores, window_features

    n = len(z)
    if n < L:
        return np.zeros(n)
    win, starts = window_features(z, L)
    knn = KNNDistance(n_neighbors=1, index="exact").fit(ref)
    return aggregate_window_scores(-knn.score_samples(win), starts, L, n, "mean")


def detector_aucs(values: np.ndarray, labels: np.ndarray, train: np.ndarray, train_segments: np.ndarray,
                  L: int = 1, window: int = 50, seed: int = 0) -> dict[str, float]:
    """Row-level ROC-AUC of three simple detectors on an injected fold.

    Args:
        values: ``(n, d)`` the injected test fold (original units).
        labels: ``(n,)`` bool, the anomalous rows to find (rows of other anomalies removed beforehand).
        train: ``(m, d)`` the normal train rows.
        train_segments: ``(s, 2)`` contiguous train ranges (windows of the kNN detector stay inside).
        L: window length of the kNN detector (the anomalies' length; 1 = rows).
        window: previous rows of the rolling z-score.
        seed: seed of the subset of train windows the kNN detector compares with.

    Returns:
        ``auc_zscore`` (:class:`~anogen.detectors.ZScore`: largest |z| against the train mean/std),
        ``auc_rolling`` (``ZScore(mode="rolling")``: against the mean/std of the ``window`` previous
        rows, at least ``window // 2`` of them, else the train statistics; the std floored at 0.1
        train stds; ``nan`` for rows, ``L == 1``: row anomalies are tabular, judged by row detectors
        only), ``auc_knn (:class:`~anogen.detectors.KNNDistance`: distance of the ``L``-row
        windows to the nearest train window, in train std units, averaged over the windows covering
        a row) and ``auc_best``.
    """
    # lazy: anogen.detectors imports scikit-learn (~2 s), which anogen.generate with a model-free sampler never needs
    from anogen.detectors import ZScore

    zscore = ZScore(mode="global").fit(train)
    mean, std = zscore.mean_, zscore.scale_
    ref = (_samples(train, train_segments, L, 4096, seed) - mean) / std
    rolling = math.nan
    if L > 1:  # rows carry no time order of their own: no time-order detector judges them
        roll = ZScore(mode="rolling", window=window, min_periods=max(2, window // 2), min_std=0.1).fit(train)
        rolling = _auc(roll.decision_function(values), labels)
    out = {"auc_zscore": _auc(zscore.decision_function(values), labels), "auc_rolling": rolling,
           "auc_knn": _auc(_knn_rows((values - mean) / std, ref.reshape(len(ref), -1), L), labels)}
    finite = [v for v in out.values() if np.isfinite(v)]
    out["auc_best"] = max(finite) if finite else math.nan
    return out


def quality(anomaly: np.ndarray, clean: np.ndarray, normal: np.ndarray, recon_error: float) -> dict[str, float]:
    """The data-space figures from arrays already in std units.

    Args:
        anomaly: ``(k, L, d)`` anomalies.
        clean: ``(k, L, d)`` their clean counterparts.
        normal: ``(m, L, d)`` normal (train) samples.
        recon_error: the model's mean RMS reconstruction error on normal data.

    Returns:
        ``deviation``, ``deviation_ratio``, ``diversity``, ``roughness``.
    """
    dev = np.sqrt(np.mean(np.square(_flat(anomaly) - _flat(clean)), axis=1)) if len(anomaly) else np.zeros(0)
    deviation = float(np.mean(dev)) if dev.size else math.nan
    d_norm = mean_pairwise_distance(normal)
    rough_norm = roughness_of(normal)
    return {
        "deviation": deviation,
        "deviation_ratio": deviation / recon_error if recon_error > 0 else math.inf,
        "diversity": mean_pairwise_distance(anomaly) / d_norm if d_norm > 0 else math.nan,
        "roughness": roughness_of(anomaly) / rough_norm if rough_norm > 0 else math.nan,
    }


# ------------------------------------------------------------------------------ from a sampling context


def record_pairs(ctx: SampleContext, name: str, anomaly: np.ndarray, clean: np.ndarray, *, z: np.ndarray | None,
                 z_normal: np.ndarray | None, decoding: str, filters: dict | None = None,
                 notes: list[str] | None = None) -> None:
    """What a learned sampler leaves for :func:`generator_report` (in ``ctx.extra["generator"][name]``).

    Args:
        ctx: the fold's sampling context.
        name: the sampler's name.
        anomaly: ``(k, L, d)`` or ``(k, d)`` anomalies in original units.
        clean: their clean counterparts, same shape.
        z: ``(k, latent_dim)`` the anomalies' latent codes (``None`` if not latent).
        z_normal: ``(m, latent_dim)`` posterior means of the normal data.
        decoding: ``residual`` or ``direct``.
        filters: the sampler's filter report (``drawn``, ``accepted``, ``filters: {name: {in, kept, rate}}``).
        notes: remarks to show with the report.
    """
    a, c = np.asarray(anomaly, np.float64), np.asarray(clean, np.float64)
    if a.ndim == 2:
        a, c = a[:, None, :], c[:, None, :]
    ctx.extra.setdefault("generator", {})[name] = {
        "anomaly": a, "clean": c, "z": None if z is None else np.asarray(z, np.float64),
        "z_normal": None if z_normal is None else np.asarray(z_normal, np.float64), "decoding": decoding,
        "filters": filters, "notes": list(notes or [])}


def _samples(values: np.ndarray, segments: np.ndarray, L: int, max_points: int, seed: int) -> np.ndarray:
    """``(m, L, d)`` stride-1 windows of ``values`` inside ``segments`` (a seeded subset of at most ``max_points``)."""
    starts = window_starts(len(values), L, segments) if L > 1 else np.arange(len(values))
    if len(starts) > max_points:
        starts = np.sort(np.random.default_rng(seed).choice(starts, max_points, replace=False))
    return np.asarray(values, np.float64)[np.asarray(starts)[:, None] + np.arange(L)]


def _recon_error(ctx: SampleContext, windows: np.ndarray) -> float:
    """Mean RMS reconstruction error (std units) of ``(m, L, d)`` original-unit samples through ``decode(mu)``."""
    from anogen.train import decode, encode  # lazy: JAX/flax, paid only when a learned sampler's report runs

    if len(windows) == 0 or ctx.model is None:
        return math.nan
    L = windows.shape[1]
    x = ctx.scaler.transform(windows).astype(np.float32)
    x = x if getattr(ctx.model, "kind", "row") == "window" else x.reshape(-1, x.shape[-1])
    mu, _ = encode(ctx.model, x, window=None)
    rec = ctx.scaler.inverse_transform(np.asarray(decode(ctx.model, mu), np.float64)).reshape(windows.shape)
    err = (rec - windows) / ctx.std
    return float(np.mean(np.sqrt(np.mean(np.square(err.reshape(len(windows), L * windows.shape[2])), axis=1))))


def _latent(rec: dict, report: GeneratorReport) -> None:
    """Active dimensions, coverage and distance of the anomalies' codes (updates ``report``)."""
    from scipy.spatial import cKDTree

    zn, za = rec.get("z_normal"), rec.get("z")
    if zn is None or len(zn) < 2:
        return
    var = zn.var(axis=0)
    active = var > THRESHOLDS["active_var"]
    report.active_dims, report.latent_dim = int(active.sum()), int(zn.shape[1])
    if za is None or len(za) == 0:
        return
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    use = active if active.any() else np.ones_like(active)
    report.latent_coverage = float(np.mean(za[:, use].std(axis=0) / sd[use])) if len(za) > 1 else math.nan
    dist, _ = cKDTree(zn / sd).query(za / sd, k=1)
    report.latent_distance = float(np.median(dist))


def _acceptance(filters: dict | None) -> dict[str, float]:
    if not filters:
        return {}
    out = {k: float(v["rate"]) for k, v in filters.get("filters", {}).items()}
    if out and filters.get("drawn"):
        out["total"] = float(filters["accepted"]) / float(filters["drawn"])
    return out


def _rows_of(injected: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(values, labels)`` of an injected fold with only ``name``'s anomalies labelled (other anomalies dropped)."""
    own = np.zeros(len(injected.labels), dtype=bool)
    other = np.zeros_like(own)
    for e in injected.events:
        (own if e.source == name else other)[e.start:e.end] = True
    return injected.values[~other], own[~other]


def overfitting(history: Any) -> tuple[float, bool]:
    """``(val_share, overfit)`` from a training history (``{"train_loss": [...], "val_loss": [...]}``).

    Over the second half of the epochs run (the KL warm-up is over by then), with the median of 5
    epochs at each end: ``val_share`` = the validation loss' drop / the train loss' drop;
    ``overfit`` when the train loss fell by at least ``overfit_train_drop`` of its range over the
    whole run while the validation loss fell by less than ``overfit_val_share`` of the train loss'
    drop (flat or rising). Differences, not ratios: a Gaussian likelihood's loss can be negative.
    ``(nan, False)`` without a validation curve or with fewer than ``overfit_min_epochs`` epochs.
    """
    t = THRESHOLDS
    h = history if isinstance(history, dict) else dict(getattr(history, "__dict__", {}) or {})
    tr = np.asarray([np.nan if v is None else v for v in h.get("train_loss") or []], dtype=np.float64)
    va = np.asarray([np.nan if v is None else v for v in h.get("val_loss") or []], dtype=np.float64)
    n = min(len(tr), len(va))
    if n < t["overfit_min_epochs"] or not (np.isfinite(tr[:n]).all() and np.isfinite(va[:n]).all()):
        return math.nan, False
    tr, va = tr[:n], va[:n]
    half, k = n // 2, max(1, min(5, n // 4))

    def drop(x: np.ndarray) -> float:
        return float(np.median(x[half:half + k]) - np.median(x[n - k:]))

    d_train, d_val = drop(tr), drop(va)
    span = float(tr.max() - tr.min())
    if d_train <= 0 or span <= 0:
        return math.nan, False
    share = d_val / d_train
    return share, bool(d_train >= t["overfit_train_drop"] * span and share < t["overfit_val_share"])


def _one(ctx: SampleContext, name: str, rec: dict, seed: int, injected: Any = None,
         history: Any = None) -> GeneratorReport:
    a, c = rec["anomaly"], rec["clean"]
    L = int(a.shape[1])
    fold = ctx.fold

    def std_units(x: np.ndarray) -> np.ndarray:
        return (x - ctx.mean) / ctx.std

    normal = _samples(fold.train, fold.train_segments, L, _MAX_NORMAL, seed)
    report = GeneratorReport(sampler=name, n=int(len(a)), length=L, decoding=str(rec["decoding"]),
                             acceptance=_acceptance(rec.get("filters")), notes=list(rec.get("notes") or []))
    report.recon_error = _recon_error(ctx, c)
    figures = quality(std_units(a), std_units(c), std_units(normal), report.recon_error)
    if injected is not None:
        figures.update(detector_aucs(*_rows_of(injected, name), fold.train, fold.train_segments, L, seed=seed))
    for k, v in figures.items():
        setattr(report, k, v)
    finite = {k: getattr(report, k) for k in DETECTOR_NAMES if math.isfinite(getattr(report, k))}
    report.auc_best_by = DETECTOR_NAMES[max(finite, key=finite.get)] if finite else ""
    if history is not None:
        report.val_share, report.overfit = overfitting(history)
    _latent(rec, report)
    report.verdict, report.reasons = verdict(report)
    return report


def verdict(r: GeneratorReport) -> tuple[str, list[str]]:
    """``(verdict, reasons)`` from the figures and :data:`THRESHOLDS` (``nan`` figures are not judged)."""
    t = THRESHOLDS
    bad: list[str] = []
    weak: list[str] = []
    if r.latent_dim and r.active_dims == 0:
        bad.append("no active latent dimension (posterior collapse)")
    few = r.n < t["diversity_min_n"]
    for value, lo_bad, lo_ok, what in (
            (r.diversity, t["diversity_identical"] if few else t["diversity_degenerate"],
             t["diversity_identical"] if few else t["diversity_ok"], "near-identical anomalies: diversity"),
            (r.deviation_ratio, t["deviation_degenerate"], t["deviation_ok"],
             "deviation vs reconstruction error"),
            (r.roughness, t["roughness_degenerate"], t["roughness_ok"], "smoother than the data: roughness")):
        if value < lo_bad:
            bad.append(f"{what} {value:.2f} < {lo_bad:.2f}")
        elif value < lo_ok:
            weak.append(f"{what} {value:.2f} < {lo_ok:.2f}")
    if r.roughness > t["roughness_high"]:
        weak.append(f"rougher than the data: roughness {r.roughness:.2f} > {t['roughness_high']:.2f}")
    if r.auc_best < t["auc_ok"]:
        judge = "row" if r.length == 1 else "window"
        by = f" ({r.auc_best_by})" if r.auc_best_by else ""
        weak.append(f"no simple {judge} detector finds them: best AUC{by} {r.auc_best:.2f} < {t['auc_ok']:.2f}")
    if r.overfit:
        weak.append(f"the generator over-fits: validation loss fell {r.val_share:.2f}x as much as train loss "
                    f"in the second half of training (< {t['overfit_val_share']:.2f})")
    if bad:
        return "degenerate", bad + weak
    return ("weak", weak) if weak else ("ok", [])


def generator_report(ctx: SampleContext, injected: Any = None, seed: int = 0,
                     history: Any = None) -> dict[str, GeneratorReport]:
    """One :class:`GeneratorReport` per learned sampler that ran on this context (empty if none did).

    Args:
        ctx: the sampling context the samplers filled (``ctx.extra["generator"]``).
        injected: the :class:`~anogen.types.Injected` fold they produced, for the detector AUCs
            (``None``: those stay ``nan``).
        seed: seed of the subsets of normal samples.
        history: the generative model's training history (``{"train_loss": [...], "val_loss":
            [...]}``), for the over-fitting check (``None``: not checked).
    """
    recs = ctx.extra.get("generator") or {}
    return {name: _one(ctx, name, rec, seed, injected, history) for name, rec in recs.items() if len(rec["anomaly"])}


def check_verdict(reports: dict[str, GeneratorReport], on_degenerate: OnDegenerate, where: str = "") -> None:
    """Act on degenerate verdicts: log a warning (``warn``) or raise (``error``).

    Raises:
        AnogenError: ``on_degenerate="error"`` and a report's verdict is ``degenerate``.
    """
    import logging

    log = logging.getLogger("anogen")
    for r in reports.values():
        if r.verdict != "degenerate":
            continue
        msg = (f"{where}generator {r.sampler} made degenerate anomalies: {'; '.join(r.reasons)}; "
               "see docs/generators.md (train longer, check the model's active latent dimensions)")
        if on_degenerate == "error":
            raise AnogenError(msg + " (generator.on_degenerate=error)")
        log.warning(msg)


def generator_metrics(reports: dict[str, GeneratorReport] | None) -> dict[str, float]:
    """Finite figures of a fold's reports as ``generator/<figure>`` (one learned sampler) or
    ``generator/<sampler>/<figure>`` (several), for ``metrics.json`` and the loggers."""
    reports = reports or {}
    out: dict[str, float] = {}
    for name, r in reports.items():
        prefix = "generator/" if len(reports) == 1 else f"generator/{name}/"
        out.update({k: v for k, v in r.metrics(prefix).items() if math.isfinite(v)})
    return out
