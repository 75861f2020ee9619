"""Point adjustment: PA (Xu et al. 2018) and PA%K (Kim et al., AAAI 2022).

A true range counts as fully detected when more than ``k`` percent of its points are
predicted (``k = 0``: any predicted point, the classic point adjustment). The adjusted
prediction is then scored with point-wise F1. This follows ``tadpak.pak`` (strict ``>``;
note that ``tadpak.evaluate``'s docs and some ports use ``>=``). Unlike TSB-AD's
``_adjust_predicts`` a range starting at index 0 is adjusted like any other.

Everything is computed per range from prefix sums, ``O(n)``.
"""

from __future__ import annotations

import numbers

import numpy as np

from anogen.types import AnogenError

from ._validate import check_pred, fbeta_from, ranges, ratio
from .base import metric


def _check_pct(k, name: str = "k") -> float:
    if isinstance(k, bool) or not isinstance(k, numbers.Real) or not 0.0 <= k <= 100.0:
        raise AnogenError(f"{name} must be a percentage in [0, 100], got {k!r}")
    return float(k)


def _range_hits(t: np.ndarray, p: np.ndarray):
    """Per true range: start, end, length and number of predicted points."""
    s, e = ranges(t)
    c = np.zeros(t.shape[0] + 1, dtype=np.int64)
    np.cumsum(p, out=c[1:])
    return s, e, e - s, c[e] - c[s]


def point_adjust(y_true, y_pred, k: float = 0.0) -> np.ndarray:
    """The PA%K-adjusted prediction.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        k: percentage in ``[0, 100]``; a range is filled when more than ``k``% of it is predicted.

    Returns:
        ``(n,)`` bool array: ``y_pred`` with every adjusted true range set to 1.
    """
    k = _check_pct(k)
    t, p = check_pred(y_true, y_pred)
    s, e, L, hit = _range_hits(t, p)
    adj = hit > (k / 100.0) * L
    mark = np.zeros(t.shape[0] + 1, dtype=np.int64)
    np.add.at(mark, s[adj], 1)
    np.add.at(mark, e[adj], -1)
    return p | (np.cumsum(mark[:-1]) > 0)


def _f1_at(L, hit, n_true, n_pred_out, n_pred_in, adj) -> float:
    tp = int(np.sum(np.where(adj, L, hit)))
    fp = n_pred_out
    fn = n_true - tp
    agree = n_true == 0 and (n_pred_out + n_pred_in) == 0
    prec = ratio(tp, tp + fp, agree)
    rec = ratio(tp, tp + fn, agree)
    return fbeta_from(prec, rec, 1.0)


@metric(input="pred")
def pak_f1(y_true, y_pred, k: float) -> float:
    """F1 of the PA%K-adjusted prediction.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        k: percentage in ``[0, 100]`` (``0`` = point-adjusted F1, ``100`` = plain F1).

    Returns:
        F1 in ``[0, 1]`` (undefined cases as for point-wise F1).
    """
    k = _check_pct(k)
    t, p = check_pred(y_true, y_pred)
    _, _, L, hit = _range_hits(t, p)
    n_true = int(L.sum())
    n_pred_in = int(hit.sum())
    n_pred_out = int(np.count_nonzero(p)) - n_pred_in
    return _f1_at(L, hit, n_true, n_pred_out, n_pred_in, hit > (k / 100.0) * L)


@metric(input="pred")
def point_adjusted_f1(y_true, y_pred) -> float:
    """Point-adjusted F1 (Xu et al. 2018): :func:`pak_f1` with ``k = 0``."""
    return pak_f1(y_true, y_pred, k=0.0)


@metric(input="pred")
def pak_auc(y_true, y_pred, ks=None) -> float:
    """Area under the PA%K F1 curve over ``K`` (Kim et al. 2022), normalised to ``[0, 1]``.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        ks: increasing percentages to evaluate; default ``0, 1, ..., 100`` (as the
            PA%K authors' protocol). The area uses the trapezoidal rule over ``K / 100``
            divided by the covered span, so it is the mean F1 for an even grid.

    Returns:
        Area in ``[0, 1]``.
    """
    if ks is None:
        grid = np.arange(101, dtype=np.float64)
    else:
        grid = np.asarray([_check_pct(x, "ks") for x in ks], dtype=np.float64)
        if grid.shape[0] < 2 or np.any(np.diff(grid) <= 0):
            raise AnogenError(f"ks must be at least two strictly increasing percentages, got {list(ks)!r}")
    t, p = check_pred(y_true, y_pred)
    _, _, L, hit = _range_hits(t, p)
    n_true = int(L.sum())
    n_pred_in = int(hit.sum())
    n_pred_out = int(np.count_nonzero(p)) - n_pred_in
    f = np.array([_f1_at(L, hit, n_true, n_pred_out, n_pred_in, hit > (k / 100.0) * L) for k in grid])
    x = grid / 100.0
    return float(np.sum(np.diff(x) * (f[1:] + f[:-1]) / 2.0) / (x[-1] - x[0]))
