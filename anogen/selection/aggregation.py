"""Rank aggregation with uncertainty: trimmed Borda or trimmed mean, Kendall's W, a cluster bootstrap.

A *voter* is one ranking of the ``m`` candidate detectors (one battery cell scored by one metric,
or the prior). Ranks are 1 = best; ties share their average rank; a detector without a score
(failed) ranks last.

The consensus is the **trimmed Borda count** of Goswami et al., "Unsupervised Model Selection
for Time-series Anomaly Detection", ICLR 2023 (Sec. 4, robust rank aggregation): a first Borda
count over every voter, then the ``trim`` fraction of voters farthest from it (normalised Kendall
tau distance) is dropped, and the Borda count of the remaining voters is the answer. Dropping
outlying voters keeps one odd cell (a kind only one detector can see, a saturated metric) from
swinging the recommendation.

With the voters' metric values, the same trimming gives a **trimmed mean** instead
(:func:`value_points`, ``select.aggregate=mean``, the job's default): a voter then counts in
proportion to how far apart it sets the candidates (docs/selection.md has the evidence).

Uncertainty comes from a bootstrap over *clusters* of voters (e.g. the cells of one kind x level,
all seeds and metrics together, resampled with replacement), so that correlated voters are not
counted as independent evidence. Agreement among voters is Kendall's coefficient of concordance W
(0 = no agreement, 1 = every voter ranks identically), with the usual correction for ties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ranks", "borda", "value_points", "kendall_distance", "trimmed_borda", "kendalls_w", "order", "Aggregate",
           "BootstrapResult", "bootstrap"]


def ranks(scores: np.ndarray) -> np.ndarray:
    """Ranks of each row's candidates, 1 = highest score.

    Args:
        scores: ``(v, m)`` higher = better; NaN = no score (ranked last, ties among NaNs averaged).

    Returns:
        ``(v, m)`` float64 ranks in ``[1, m]`` (average ranks for ties).
    """
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    key = np.where(np.isnan(s), -np.inf, s)
    out = np.empty_like(s)
    for i, row in enumerate(key):
        srt = np.sort(-row)
        lo = np.searchsorted(srt, -row, side="left")
        hi = np.searchsorted(srt, -row, side="right")
        out[i] = (lo + hi + 1) / 2.0  # average of positions lo+1 .. hi
    return out


def borda(r: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Borda points in ``[0, 1]`` per candidate: the weighted mean of ``(m - rank) / (m - 1)``.

    Args:
        r: ``(v, m)`` ranks.
        weights: ``(v,)`` non-negative voter weights (``None`` = equal).
    """
    r = np.atleast_2d(r)
    m = r.shape[1]
    pts = (m - r) / max(m - 1, 1)
    w = np.ones(r.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    return (w[:, None] * pts).sum(axis=0) / w.sum()


def kendall_distance(r: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Normalised Kendall tau distance in ``[0, 1]`` of each row of ``r`` to the ranking ``ref``.

    Args:
        r: ``(v, m)`` ranks; ``ref``: ``(m,)`` ranks (or points, higher = better is NOT assumed:
            pass ranks).

    Returns:
        ``(v,)`` fraction of candidate pairs ordered oppositely (pairs tied in either count 1/2).
    """
    r = np.atleast_2d(r)
    m = r.shape[1]
    iu = np.triu_indices(m, 1)
    a = np.sign(r[:, iu[0]] - r[:, iu[1]])
    b = np.sign(ref[iu[0]] - ref[iu[1]])
    disagree = np.where((a == 0) | (b == 0), 0.5 * (a != b), (a != b).astype(float))
    return disagree.mean(axis=1) if len(iu[0]) else np.zeros(r.shape[0])


@dataclass(frozen=True)
class Aggregate:
    """A consensus.

    Attributes:
        points: ``(m,)`` trimmed Borda points in ``[0, 1]`` (higher = better).
        kept: ``(v,)`` bool, the voters that were kept after trimming.
        distance: ``(v,)`` each voter's Kendall distance to the untrimmed consensus.
    """

    points: np.ndarray
    kept: np.ndarray
    distance: np.ndarray


def order(points: np.ndarray) -> np.ndarray:
    """Candidate indices best first (stable for ties)."""
    return np.argsort(-np.asarray(points), kind="stable")


def value_points(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The weighted mean of each candidate's metric values, min-max scaled to ``[0, 1]`` over the
    candidates (1 = best, 0 = worst; all 0.5 when they tie), so that it reads like Borda points.

    Args:
        values: ``(v, m)`` metric values, higher = better; NaN (no score) counts as the voter's
            lowest value.
        weights: ``(v,)`` voter weights.
    """
    x = np.atleast_2d(np.asarray(values, dtype=np.float64))
    low = np.nanmin(np.where(np.isnan(x), np.inf, x), axis=1, keepdims=True)
    x = np.where(np.isnan(x), np.where(np.isfinite(low), low, 0.0), x)
    w = np.ones(x.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    mean = (w[:, None] * x).sum(axis=0) / w.sum()
    span = float(mean.max() - mean.min())
    return (mean - mean.min()) / span if span > 0 else np.full(mean.shape, 0.5)


def trimmed_borda(r: np.ndarray, trim: float = 0.2, weights: np.ndarray | None = None,
                  values: np.ndarray | None = None) -> Aggregate:
    """Trimmed Borda (Goswami et al. 2023): Borda, drop the ``trim`` fraction of voters farthest
    from it (by weight), Borda again.

    With ``values`` the same trimming gives a **trimmed mean of the metric values** instead
    (:func:`value_points`): a voter then counts in proportion to how far apart it sets the
    candidates, so a cell where every detector scores within a hair of the others (near-saturated
    or near-hopeless) moves the consensus by a hair, where Borda gives its ranking a full vote.

    Args:
        r: ``(v, m)`` ranks.
        trim: fraction of the total voter weight to drop, in ``[0, 1)``.
        weights: ``(v,)`` voter weights.
        values: ``(v, m)`` the metric values behind ``r`` (``None`` = Borda).
    """
    r = np.atleast_2d(r)
    w = np.ones(r.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)

    def points(keep: np.ndarray) -> np.ndarray:
        return borda(r[keep], w[keep]) if values is None else value_points(np.atleast_2d(values)[keep], w[keep])

    kept = np.ones(r.shape[0], dtype=bool)
    first = points(kept)
    dist = kendall_distance(r, ranks(first[None, :])[0])
    if trim > 0 and r.shape[0] > 2:
        idx = np.argsort(-dist, kind="stable")
        dropped = np.cumsum(w[idx]) <= trim * w.sum()
        kept[idx[dropped]] = False
        if not kept.any():
            kept[:] = True
    return Aggregate(points(kept), kept, dist)


def kendalls_w(r: np.ndarray) -> float:
    """Kendall's coefficient of concordance of ``v`` voters over ``m`` candidates (tie-corrected).

    Args:
        r: ``(v, m)`` ranks (average ranks for ties).

    Returns:
        W in ``[0, 1]``; ``nan`` with fewer than 2 voters or 2 candidates.
    """
    r = np.atleast_2d(r)
    k, m = r.shape
    if k < 2 or m < 2:
        return float("nan")
    total = r.sum(axis=0)
    s = float(((total - total.mean()) ** 2).sum())
    ties = 0.0
    for row in r:
        _, counts = np.unique(row, return_counts=True)
        ties += float((counts ** 3 - counts).sum())
    denom = k ** 2 * (m ** 3 - m) - k * ties
    return float(12 * s / denom) if denom > 0 else float("nan")


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap of the consensus over voter clusters.

    Attributes:
        p_best: ``(m,)`` share of resamples in which each candidate came first (ties split).
        rank_lo, rank_hi: ``(m,)`` the 5th and 95th percentile of each candidate's consensus rank.
        n: resamples drawn.
    """

    p_best: np.ndarray
    rank_lo: np.ndarray
    rank_hi: np.ndarray
    n: int


def bootstrap(r: np.ndarray, clusters: np.ndarray, n: int = 200, seed: int = 0, trim: float = 0.2,
              weights: np.ndarray | None = None, combine=None, values: np.ndarray | None = None) -> BootstrapResult:
    """Resample voter clusters with replacement and redo the trimmed Borda consensus.

    Args:
        r: ``(v, m)`` ranks.
        clusters: ``(v,)`` cluster id of each voter (voters of one cluster are drawn together).
        n: resamples.
        seed: the bootstrap's random seed.
        trim: as for :func:`trimmed_borda`.
        weights: ``(v,)`` voter weights.
        combine: optional ``points -> points`` applied to each resample's consensus (e.g. mixing
            in a fixed prior) before ranking.
        values: as for :func:`trimmed_borda` (the trimmed mean of metric values).
    """
    r = np.atleast_2d(r)
    w = np.ones(r.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    ids, inv = np.unique(np.asarray(clusters), return_inverse=True)
    members = [np.flatnonzero(inv == i) for i in range(len(ids))]
    rng = np.random.default_rng(seed)
    m = r.shape[1]
    best = np.zeros(m)
    all_ranks = np.empty((n, m))
    for b in range(n):
        pick = np.concatenate([members[i] for i in rng.integers(0, len(members), len(members))])
        pts = trimmed_borda(r[pick], trim, w[pick], None if values is None else values[pick]).points
        if combine is not None:
            pts = combine(pts)
        rk = ranks(pts[None, :])[0]
        top = rk == rk.min()
        best[top] += 1.0 / top.sum()
        all_ranks[b] = rk
    return BootstrapResult(best / n, np.percentile(all_ranks, 5, axis=0), np.percentile(all_ranks, 95, axis=0), n)
