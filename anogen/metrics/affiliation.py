"""Affiliation precision and recall (Huet, Navarro & Rossi, KDD 2022).

Time is continuous: a positive point ``i`` is the interval ``[i, i + 1)`` and the series is
``[0, n]``. Each true event ``J`` owns an affiliation zone ``E`` (the series is cut half-way
between consecutive true events). Inside a zone, with ``X`` uniform on ``E``:

- precision of the zone: mean over predicted time ``x`` in ``E`` of
  ``P(dist(X, J) >= dist(x, J))``; undefined (skipped) when the zone has no prediction;
- recall of the zone: mean over ``y`` in ``J`` of ``P(|X - y| >= dist(y, predictions in E))``;
  0 when the zone has no prediction.

Precision is the mean over zones that contain predictions, recall the mean over all zones.
This is exactly the reference ``affiliation`` package (copy in TSB-AD 1.5,
``pr_from_events(events_pred, events_gt, (0, n))``), but every integral is evaluated in
closed form for all pieces at once (``O(n + m log m)`` for ``m`` predicted events) instead of
a Python loop over events.

Undefined cases: with no predicted point precision is ``1.0`` if there is no true anomaly
either, else ``0.0`` (the reference returns NaN); with no true anomaly (the reference
raises) recall is ``1.0`` if nothing is predicted, else ``0.0``, and precision ``0.0`` when
something is predicted.
"""

from __future__ import annotations

import numpy as np

from ._validate import check_pred, ranges
from .base import metric


def _min_integral(d: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``int_0^d min(x, c) dx`` for ``d, c >= 0``."""
    return np.where(d <= c, 0.5 * d * d, c * d - 0.5 * c * c)


def _pieces(ps, pe, bounds):
    """Cut predicted intervals ``[ps, pe)`` at the zone boundaries.

    Returns:
        ``(zone, lo, hi)`` of every piece with positive length, sorted by zone then start.
    """
    inner = bounds[1:-1]
    z0 = np.searchsorted(inner, ps, side="right")
    z1 = np.searchsorted(inner, pe, side="left")
    cnt = z1 - z0 + 1
    src = np.repeat(np.arange(ps.shape[0]), cnt)
    offs = np.arange(src.shape[0]) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    zone = z0[src] + offs
    lo = np.maximum(ps[src].astype(np.float64), bounds[zone])
    hi = np.minimum(pe[src].astype(np.float64), bounds[zone + 1])
    keep = lo < hi
    return zone[keep], lo[keep], hi[keep]


def _affiliation(t: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    n = t.shape[0]
    gs, ge = ranges(t)
    ps, pe = ranges(p)
    if gs.shape[0] == 0:
        if ps.shape[0] == 0:
            return 1.0, 1.0
        return 0.0, 0.0
    if ps.shape[0] == 0:
        return 0.0, 0.0
    gs = gs.astype(np.float64)
    ge = ge.astype(np.float64)
    nz = gs.shape[0]
    bounds = np.empty(nz + 1)
    bounds[0] = 0.0
    bounds[-1] = float(n)
    bounds[1:-1] = (ge[:-1] + gs[1:]) / 2.0
    zone, lo, hi = _pieces(ps, pe, bounds)

    emin = bounds[zone]
    emax = bounds[zone + 1]
    ez = emax - emin
    js = gs[zone]
    je = ge[zone]
    jl = je - js

    # ---- precision: integral over each piece of P(dist(X, J) >= dist(x, J)) ----
    left_room = js - emin
    right_room = emax - je

    def fbar_int(d1, d2):
        # int_{d1}^{d2} 1 - (|J| + min(d, L) + min(d, R)) / |E| dd
        g = (
            jl * (d2 - d1)
            + _min_integral(d2, left_room)
            - _min_integral(d1, left_room)
            + _min_integral(d2, right_room)
            - _min_integral(d1, right_room)
        )
        return (d2 - d1) - g / ez

    inside = np.maximum(np.minimum(hi, je) - np.maximum(lo, js), 0.0)
    has_l = lo < js
    lb = np.minimum(hi, js)
    left = np.where(has_l, fbar_int(np.where(has_l, js - lb, 0.0), np.where(has_l, js - lo, 0.0)), 0.0)
    has_r = hi > je
    ra = np.maximum(lo, je)
    right = np.where(has_r, fbar_int(np.where(has_r, ra - je, 0.0), np.where(has_r, hi - je, 0.0)), 0.0)
    prec_num = np.bincount(zone, weights=inside + left + right, minlength=nz)
    prec_den = np.bincount(zone, weights=hi - lo, minlength=nz)
    with_pred = prec_den > 0
    precision = float(np.mean(prec_num[with_pred] / prec_den[with_pred]))

    # ---- recall: integral over J of P(|X - y| >= dist(y, nearest piece)) ----
    first = np.r_[True, zone[1:] != zone[:-1]]
    lastp = np.r_[zone[1:] != zone[:-1], True]
    mid_prev = np.r_[0.0, (hi[:-1] + lo[1:]) / 2.0]
    mid_next = np.r_[(hi[:-1] + lo[1:]) / 2.0, 0.0]
    cell_lo = np.where(first, emin, mid_prev)
    cell_hi = np.where(lastp, emax, mid_next)
    ju = np.maximum(js, cell_lo)
    jv = np.minimum(je, cell_hi)
    valid = ju < jv
    ju = np.where(valid, ju, 0.0)
    jv = np.where(valid, jv, 0.0)

    r_inside = np.where(valid, np.maximum(np.minimum(jv, hi) - np.maximum(ju, lo), 0.0), 0.0)
    # part of J before the piece: pivot = lo, y <= lo
    u1 = ju
    v1 = np.minimum(jv, lo)
    ok1 = valid & (u1 < v1)
    piv = lo
    b1 = np.clip((piv + emin) / 2.0, u1, np.maximum(v1, u1))
    miss1 = (piv - emin) * (b1 - u1) + (v1 - b1) * (2.0 * piv - v1 - b1)
    r_before = np.where(ok1, (v1 - u1) - miss1 / ez, 0.0)
    # part of J after the piece: pivot = hi, y >= hi
    u2 = np.maximum(ju, hi)
    v2 = jv
    ok2 = valid & (u2 < v2)
    piv = hi
    b2 = np.clip((piv + emax) / 2.0, u2, np.maximum(v2, u2))
    miss2 = (b2 - u2) * (b2 + u2 - 2.0 * piv) + (emax - piv) * (v2 - b2)
    r_after = np.where(ok2, (v2 - u2) - miss2 / ez, 0.0)
    rec_num = np.bincount(zone, weights=r_inside + r_before + r_after, minlength=nz)
    recall = float(np.mean(rec_num / (ge - gs)))
    return precision, recall


@metric(input="pred")
def affiliation_pr(y_true, y_pred) -> dict[str, float]:
    """Affiliation precision and recall in one pass.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.

    Returns:
        ``{"precision": float, "recall": float}``, both in ``[0, 1]``.
    """
    pr, rc = _affiliation(*check_pred(y_true, y_pred))
    return {"precision": pr, "recall": rc}


@metric(input="pred")
def affiliation_precision(y_true, y_pred) -> float:
    """Affiliation precision (Huet et al. 2022); see the module docstring."""
    return _affiliation(*check_pred(y_true, y_pred))[0]


@metric(input="pred")
def affiliation_recall(y_true, y_pred) -> float:
    """Affiliation recall (Huet et al. 2022); see the module docstring."""
    return _affiliation(*check_pred(y_true, y_pred))[1]
