"""The prior voter: how each detector did on real labelled series, and how much weight it gets.

The prior is the mean Borda points (``[0, 1]``, 1 = best) of each detector's *real* ranking over
the labelled series anogen ships (:mod:`anogen.data.real`), measured by
``scripts/selection_evidence.py`` and stored in ``anogen/data/real/prior.json`` with the
leave-one-series-out (LOSO) table that chose its weight: for each candidate weight ``w``, each
series is held out in turn, the prior is rebuilt from the *other* series, the selection's points
are mixed ``(1 - w) * synthetic + w * prior``, and the Spearman correlation with the held-out
series' real ranking is recorded; the weight with the best median wins (within ``MARGIN`` = 0.02:
the smaller weight, so the prior has to earn its share).

Series from one source (the four UCR InternalBleeding records; one recording family) are not
independent evidence: each **group** (``group`` in the provenance) counts once in the prior (the
mean over its series, then over groups), and the weight is chosen by leave-one-*group*-out (a
held-out series' whole group leaves the prior; the score is the median over groups of each
group's mean Spearman). Without groups every series is its own group.

The prior knows detectors by their packaged name (``knn``, ``iforest``, ...); a detector it has
no record of gets no prior points and keeps its synthetic points.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from anogen.selection.agreement import spearman

__all__ = ["Prior", "load_prior", "without_group", "prior_points", "mix", "choose_weight", "same_group", "PRIOR_PATH", "WEIGHTS"]

PRIOR_PATH = Path(__file__).resolve().parents[1] / "data" / "real" / "prior.json"
#: the candidate prior weights tried by leave-one-series-out
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: how much better (median Spearman) a larger prior weight must do than the best smaller one
MARGIN = 0.02


@dataclass(frozen=True)
class Prior:
    """Real-data points per series and the chosen weight.

    Attributes:
        points: ``{series: {detector: Borda points on its real labels}}``.
        weight: the LOSO-chosen weight of the prior in ``[0, 1]``.
        metrics: the metrics the real rankings were measured with.
        loso: the LOSO table ``{weight: {"median_spearman": ..., "per_series": {...}}}``.
        source: where it was read from.
        groups: ``{series: group}`` (series of one group count once; default: each its own).
    """

    points: dict[str, dict[str, float]]
    weight: float
    metrics: tuple[str, ...] = ()
    loso: dict = field(default_factory=dict)
    source: str = ""
    groups: dict[str, str] = field(default_factory=dict)


def load_prior(path: str | Path | None = None) -> Prior | None:
    """The shipped prior (``None`` when the file is absent)."""
    p = Path(path) if path is not None else PRIOR_PATH
    if not p.is_file():
        return None
    raw = json.loads(p.read_text())
    return Prior({s: {k: float(v) for k, v in d.items()} for s, d in raw["points"].items()}, float(raw["weight"]),
                 tuple(raw.get("metrics", ())), raw.get("loso", {}), str(p), dict(raw.get("groups", {})))


def without_group(prior: Prior | None, series: str) -> Prior | None:
    """``prior`` less ``series`` and every series of its group: the prior to use when selecting
    on a series it was built from (its own real ranking must not vote for itself)."""
    if prior is None:
        return None
    held = set(same_group(series, prior.groups, list(prior.points)))
    return replace(prior, points={s: p for s, p in prior.points.items() if s not in held},
                   groups={s: g for s, g in prior.groups.items() if s not in held})


def prior_points(points: Mapping[str, Mapping[str, float]], detectors: Sequence[str],
                 exclude: Sequence[str] = (), groups: Mapping[str, str] | None = None) -> np.ndarray:
    """``(m,)`` real points of each detector over the series not in ``exclude`` (NaN = unknown):
    the mean within each group (``{series: group}``; default: each series its own), then the
    mean over groups."""
    groups = groups or {}
    out = np.full(len(detectors), np.nan)
    for i, d in enumerate(detectors):
        by_group: dict[str, list[float]] = {}
        for s, v in points.items():
            if s not in exclude and d in v and np.isfinite(v[d]):
                by_group.setdefault(groups.get(s, s), []).append(float(v[d]))
        if by_group:
            out[i] = float(np.mean([np.mean(v) for v in by_group.values()]))
    return out


def mix(synthetic: np.ndarray, prior: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - w) * synthetic + w * prior`` where the prior knows the detector, else ``synthetic``."""
    syn = np.asarray(synthetic, dtype=np.float64)
    pr = np.asarray(prior, dtype=np.float64)
    return np.where(np.isfinite(pr), (1 - weight) * syn + weight * np.nan_to_num(pr), syn)


def same_group(series: str, groups: Mapping[str, str] | None, pool: Sequence[str]) -> list[str]:
    """The series of ``pool`` in ``series``' group (itself included)."""
    groups = groups or {}
    g = groups.get(series, series)
    return [series, *[s for s in pool if s != series and groups.get(s, s) == g]]


def choose_weight(synthetic: Mapping[str, Mapping[str, float]], real: Mapping[str, Mapping[str, float]],
                  real_points: Mapping[str, Mapping[str, float]],
                  weights: Sequence[float] = WEIGHTS, groups: Mapping[str, str] | None = None,
                  margin: float = MARGIN) -> tuple[float, dict]:
    """Leave-one-group-out choice of the prior's weight (groups of one series: leave-one-series-out).

    Args:
        synthetic: ``{series: {detector: synthetic points}}`` (the selection without prior).
        real: ``{series: {detector: real score}}`` (what the selection should predict).
        real_points: ``{series: {detector: real Borda points}}`` (what the prior is built from).
        weights: candidate weights.
        groups: ``{series: group}``: a held-out series' whole group leaves the prior, and each
            group counts once in the median (its series' mean Spearman).
        margin: a larger weight must beat the best smaller one by more than this (Spearman), so
            that the prior earns its share (a near tie keeps the smaller weight).

    Returns:
        ``(weight, table)``: the weight with the highest median Spearman (within ``margin``: the
        smaller), and
        ``{str(w): {"median_spearman": float, "per_series": {series: rho}}}``.
    """
    groups = dict(groups or {})
    table: dict[str, dict] = {}
    best_w, best = 0.0, -np.inf
    for w in weights:
        rhos = {}
        for s in synthetic:
            dets = [d for d in synthetic[s] if d in real[s]]
            pr = prior_points(real_points, dets, exclude=same_group(s, groups, list(real_points)), groups=groups)
            pts = mix(np.array([synthetic[s][d] for d in dets]), pr, w)
            rhos[s] = spearman(pts, np.array([real[s][d] for d in dets]))
        by_group: dict[str, list[float]] = {}
        for s, v in rhos.items():
            if np.isfinite(v):
                by_group.setdefault(groups.get(s, s), []).append(v)
        finite = [float(np.mean(v)) for v in by_group.values()]
        med = float(np.median(finite)) if finite else float("nan")
        table[f"{w:g}"] = {"median_spearman": med, "per_series": rhos}
        if np.isfinite(med) and med > best + (margin if np.isfinite(best) else 0.0):
            best_w, best = float(w), med
    return best_w, table
