"""Range-based precision and recall (Tatbul et al., NeurIPS 2018).

Recall averages over the true ranges ``R_i``, precision over the predicted ranges ``P_j``::

    score(R) = alpha * existence(R) + (1 - alpha) * gamma(R) * omega(R)

- ``existence``: 1 if any predicted point falls in ``R``.
- ``omega``: positional-bias-weighted share of ``R`` that is covered by the other side,
  ``sum_{i in R, covered} delta(i) / sum_{i in R} delta(i)`` with ``delta`` at 1-based
  position ``t`` in a range of length ``L``: flat 1, front ``L - t + 1``, back ``t``, middle
  ``t`` for ``t <= L / 2`` else ``L - t + 1``.
- ``gamma``: cardinality factor, 1 for ``"one"``; for ``"reciprocal"`` ``1 / m`` when ``R``
  overlaps ``m > 1`` ranges of the other side.

This is exactly what ``prts`` 1.0.0.3 and ``aeon`` 1.x compute (they differ only by a
constant normalisation of ``delta`` that cancels). F-beta uses the standard
``(1 + b^2) P R / (b^2 P + R)``; note that aeon's ``range_f_score`` divides by
``b^2 (P + R)`` instead, which only agrees for ``beta = 1``.

Everything is computed from prefix sums over the other side's 0/1 array, ``O(n)``.
Undefined cases: with no predicted range precision is ``1.0`` if there is no true range
either, else ``0.0``; with no true range recall is ``1.0`` if nothing is predicted, else
``0.0``. (``prts`` asserts on all-zero input; aeon returns 0.0 for any constant
``y_pred``, all ones included.)
"""

from __future__ import annotations

import numpy as np

from ._validate import (
    check_choice,
    check_positive,
    check_pred,
    check_unit,
    fbeta_from,
    ranges,
)
from .base import metric

_BIASES = ("flat", "front", "middle", "back")
_CARDS = ("one", "reciprocal")


def _tri(m: np.ndarray) -> np.ndarray:
    return m * (m + 1) // 2


def _side_score(
    own_s: np.ndarray,
    own_e: np.ndarray,
    other: np.ndarray,
    other_s: np.ndarray,
    other_e: np.ndarray,
    alpha: float,
    cardinality: str,
    bias: str,
) -> float:
    """Mean over ``own`` ranges of ``alpha * existence + (1 - alpha) * gamma * omega``."""
    n = other.shape[0]
    idx = np.arange(n, dtype=np.int64)
    c0 = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(other, out=c0[1:])
    L = own_e - own_s
    if bias == "flat":
        my = (c0[own_e] - c0[own_s]).astype(np.float64)
        mx = L.astype(np.float64)
    else:
        c1 = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.where(other, idx, 0), out=c1[1:])

        def cnt(a, b):
            return c0[b] - c0[a]

        def isum(a, b):
            return c1[b] - c1[a]

        if bias == "front":  # delta(i) = e - i  (i in [s, e))
            my = own_e * cnt(own_s, own_e) - isum(own_s, own_e)
            mx = _tri(L)
        elif bias == "back":  # delta(i) = i - s + 1
            my = isum(own_s, own_e) - (own_s - 1) * cnt(own_s, own_e)
            mx = _tri(L)
        else:  # middle: first floor(L/2) positions rise, the rest fall
            f = L // 2
            m = own_s + f
            my = (isum(own_s, m) - (own_s - 1) * cnt(own_s, m)) + (own_e * cnt(m, own_e) - isum(m, own_e))
            mx = _tri(f) + _tri(L - f)
        my = my.astype(np.float64)
        mx = mx.astype(np.float64)
    omega = my / mx
    # number of other-side ranges overlapping each own range
    m_over = np.searchsorted(other_s, own_e, side="left") - np.searchsorted(other_e, own_s, side="right")
    exist = (m_over > 0).astype(np.float64)
    if cardinality == "reciprocal":
        gamma = np.where(m_over > 1, 1.0 / np.maximum(m_over, 1), 1.0)
    else:
        gamma = 1.0
    score = alpha * exist + (1.0 - alpha) * (gamma * omega)
    return float(np.sum(score) / own_s.shape[0])


def _prepare(y_true, y_pred, alpha, cardinality, bias):
    alpha = check_unit(alpha, "alpha")
    cardinality = check_choice(cardinality, "cardinality", _CARDS)
    bias = check_choice(bias, "bias", _BIASES)
    t, p = check_pred(y_true, y_pred)
    return t, p, alpha, cardinality, bias


def _precision(t, p, ts, te, ps, pe, alpha, cardinality, bias) -> float:
    if ps.shape[0] == 0:
        return 1.0 if ts.shape[0] == 0 else 0.0
    return _side_score(ps, pe, t, ts, te, alpha, cardinality, bias)


def _recall(t, p, ts, te, ps, pe, alpha, cardinality, bias) -> float:
    if ts.shape[0] == 0:
        return 1.0 if ps.shape[0] == 0 else 0.0
    return _side_score(ts, te, p, ps, pe, alpha, cardinality, bias)


@metric(input="pred")
def range_precision(
    y_true, y_pred, alpha: float = 0.0, cardinality: str = "one", bias: str = "flat"
) -> float:
    """Range-based precision (Tatbul et al. 2018), averaged over predicted ranges.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        alpha: weight of the existence reward in ``[0, 1]`` (0 recommended for precision).
        cardinality: ``"one"`` or ``"reciprocal"``.
        bias: positional bias ``"flat"``, ``"front"``, ``"middle"`` or ``"back"``.

    Returns:
        Precision in ``[0, 1]``.
    """
    t, p, alpha, cardinality, bias = _prepare(y_true, y_pred, alpha, cardinality, bias)
    ts, te = ranges(t)
    ps, pe = ranges(p)
    return _precision(t, p, ts, te, ps, pe, alpha, cardinality, bias)


@metric(input="pred")
def range_recall(y_true, y_pred, alpha: float = 0.0, cardinality: str = "one", bias: str = "flat") -> float:
    """Range-based recall (Tatbul et al. 2018), averaged over true ranges.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        alpha: weight of the existence reward in ``[0, 1]``.
        cardinality: ``"one"`` or ``"reciprocal"``.
        bias: positional bias ``"flat"``, ``"front"``, ``"middle"`` or ``"back"``.

    Returns:
        Recall in ``[0, 1]``.
    """
    t, p, alpha, cardinality, bias = _prepare(y_true, y_pred, alpha, cardinality, bias)
    ts, te = ranges(t)
    ps, pe = ranges(p)
    return _recall(t, p, ts, te, ps, pe, alpha, cardinality, bias)


@metric(input="pred")
def range_fbeta(
    y_true,
    y_pred,
    beta: float = 1.0,
    p_alpha: float = 0.0,
    r_alpha: float = 0.0,
    cardinality: str = "one",
    p_bias: str = "flat",
    r_bias: str = "flat",
) -> float:
    """Range-based F-beta from :func:`range_precision` and :func:`range_recall`.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        beta: weight of recall, ``> 0``.
        p_alpha: existence weight of precision.
        r_alpha: existence weight of recall.
        cardinality: ``"one"`` or ``"reciprocal"`` (both sides).
        p_bias: positional bias of precision.
        r_bias: positional bias of recall.

    Returns:
        ``(1 + b^2) P R / (b^2 P + R)``, ``0.0`` when ``P = R = 0``.
    """
    beta = check_positive(beta, "beta")
    p_alpha = check_unit(p_alpha, "p_alpha")
    r_alpha = check_unit(r_alpha, "r_alpha")
    cardinality = check_choice(cardinality, "cardinality", _CARDS)
    p_bias = check_choice(p_bias, "p_bias", _BIASES)
    r_bias = check_choice(r_bias, "r_bias", _BIASES)
    t, p = check_pred(y_true, y_pred)
    ts, te = ranges(t)
    ps, pe = ranges(p)
    prec = _precision(t, p, ts, te, ps, pe, p_alpha, cardinality, p_bias)
    rec = _recall(t, p, ts, te, ps, pe, r_alpha, cardinality, r_bias)
    return fbeta_from(prec, rec, beta)
