"""Kovács, Sebestyen & Hangan (2019) metrics with a time tolerance ``k`` (seed 000).

Definitions (``k`` is the seed's ``range``; windows are clipped at the series ends):

- For every true anomalous point ``i``: **EM** (exact match) if ``y_pred[i]``; else **DA**
  (detected anomaly) if some prediction lies in ``[i - k, i + k]``; else **MA** (missed).
- **FA** (false anomaly): predicted points at normal positions.
- ``TDIR = (EM + DA) / (EM + DA + MA)``, ``DAIR = (EM + DA) / (EM + DA + FA)``.
- **TD** (temporal distance): sum over true points of the distance to the nearest predicted
  point plus sum over predicted points of the distance to the nearest true point. If one
  side is empty, each point of the other side costs the series length ``n``; both empty: 0.
- **WDD** (weighted detection difference), our exact form of the paper's third metric:
  ``WDD = sum_i g(d_i) - w_f * FA_k`` where ``d_i`` is the distance from true point ``i``
  to the nearest predicted point, ``g(d) = exp(-d^2 / (2 sigma^2))`` if ``d <= k`` else 0
  (``sigma = k / 3`` by default, so ``g(k) ~ 0.011``; with ``k = 0`` only exact matches
  count, ``g(0) = 1``), and ``FA_k`` counts predicted points farther than ``k`` from every
  true point (a detection within the tolerance is rewarded by ``g``, never also penalised).
  A perfect prediction scores the number of true points, the maximum.

Undefined ratios follow the package rule: ``1.0`` when there are no true and no predicted
anomalies, else ``0.0``.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_k, check_positive, check_pred, ratio
from .base import metric


def _counts(t: np.ndarray, p: np.ndarray, k: int) -> tuple[int, int, int, int]:
    n = t.shape[0]
    c = np.empty(n + 1, dtype=np.int64)
    c[0] = 0
    np.cumsum(p, out=c[1:])
    ti = np.flatnonzero(t)
    lo = np.maximum(ti - k, 0)
    hi = np.minimum(ti + k, n - 1)
    near = (c[hi + 1] - c[lo]) > 0
    exact = p[ti]
    em = int(np.count_nonzero(exact))
    da = int(np.count_nonzero(near & ~exact))
    ma = int(ti.shape[0] - em - da)
    fa = int(np.count_nonzero(p & ~t))
    return em, da, ma, fa


@metric(input="pred")
def detection_counts(y_true, y_pred, k: int) -> dict[str, int]:
    """Exact matches, detected, missed and false anomalies (Kovács et al. 2019).

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        k: tolerance in time steps (the seed's ``range``), ``>= 0``.

    Returns:
        ``{"EM": int, "DA": int, "MA": int, "FA": int}``.
    """
    k = check_k(k)
    em, da, ma, fa = _counts(*check_pred(y_true, y_pred), k)
    return {"EM": em, "DA": da, "MA": ma, "FA": fa}


@metric(input="pred")
def tdir(y_true, y_pred, k: int) -> float:
    """Total detected in range ``(EM + DA) / (EM + DA + MA)``.

    Returns:
        A value in ``[0, 1]``; with no true anomaly: ``1.0`` if nothing is predicted, else ``0.0``.
    """
    k = check_k(k)
    t, p = check_pred(y_true, y_pred)
    em, da, ma, fa = _counts(t, p, k)
    return ratio(em + da, em + da + ma, agree=not (t.any() or p.any()))


@metric(input="pred")
def dair(y_true, y_pred, k: int) -> float:
    """Detection accuracy in range ``(EM + DA) / (EM + DA + FA)``.

    Returns:
        A value in ``[0, 1]``; with nothing predicted: ``1.0`` if there is no true anomaly
        either, else ``0.0``.
    """
    k = check_k(k)
    t, p = check_pred(y_true, y_pred)
    em, da, ma, fa = _counts(t, p, k)
    return ratio(em + da, em + da + fa, agree=not (t.any() or p.any()))


def _nearest(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Distance from each sorted position in ``src`` to the nearest in sorted ``dst``."""
    j = np.searchsorted(dst, src)
    left = dst[np.clip(j - 1, 0, dst.shape[0] - 1)]
    right = dst[np.clip(j, 0, dst.shape[0] - 1)]
    return np.minimum(np.abs(src - left), np.abs(right - src))


@metric(input="pred")
def temporal_distance(y_true, y_pred) -> float:
    """Temporal distance TD (see the module docstring), ``O(n log n)``.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.

    Returns:
        TD ``>= 0`` as a float (0 for a perfect prediction).
    """
    t, p = check_pred(y_true, y_pred)
    n = t.shape[0]
    ti = np.flatnonzero(t)
    pi = np.flatnonzero(p)
    if ti.shape[0] == 0 or pi.shape[0] == 0:
        return float((ti.shape[0] + pi.shape[0]) * n)
    return float(_nearest(ti, pi).sum() + _nearest(pi, ti).sum())


@metric(input="pred")
def wdd(y_true, y_pred, k: int, sigma: float | None = None, w_f: float = 1.0) -> float:
    """Weighted detection difference (exact form in the module docstring).

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        k: tolerance in time steps, ``>= 0``.
        sigma: width of the Gaussian weight; default ``k / 3`` (ignored when ``k == 0``).
        w_f: weight of one false anomaly (outside every tolerance window), ``>= 0``.

    Returns:
        ``sum of Gaussian rewards - w_f * FA_k``; at most the number of true points.
    """
    k = check_k(k)
    w_f = check_positive(w_f, "w_f", allow_zero=True)
    if sigma is None:
        sigma = k / 3.0 if k > 0 else 1.0
    sigma = check_positive(sigma, "sigma")
    t, p = check_pred(y_true, y_pred)
    ti = np.flatnonzero(t)
    pi = np.flatnonzero(p)
    if pi.shape[0] == 0:
        return 0.0
    if ti.shape[0] == 0:
        return float(-w_f * pi.shape[0])
    d = _nearest(ti, pi).astype(np.float64)
    reward = np.where(d <= k, np.exp(-(d * d) / (2.0 * sigma * sigma)), 0.0).sum()
    fa = int(np.count_nonzero(_nearest(pi, ti) > k))
    return float(reward - w_f * fa)
