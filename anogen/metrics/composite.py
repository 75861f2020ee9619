"""Composite F-score (Garg et al., IEEE TNNLS 2021).

Harmonic mean (F-beta) of the point-wise precision and the event-wise recall (the share of
true ranges with at least one predicted point). Same as ``tsadmetrics`` ``CompositeFScore``;
unlike TSB-AD's ``metric_EventF1PA`` the last point of a final range is not dropped.
Undefined cases follow the package rule (see :mod:`anogen.metrics.pointwise`).
"""

from __future__ import annotations

import numpy as np

from ._validate import check_positive, check_pred, fbeta_from, ranges, ratio
from .base import metric


def _parts(t: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    s, e = ranges(t)
    c = np.zeros(t.shape[0] + 1, dtype=np.int64)
    np.cumsum(p, out=c[1:])
    detected = int(np.count_nonzero((c[e] - c[s]) > 0))
    tp = int(np.count_nonzero(t & p))
    n_pred = int(np.count_nonzero(p))
    agree = s.shape[0] == 0 and n_pred == 0
    prec = ratio(tp, n_pred, agree)
    rec = ratio(detected, s.shape[0], agree)
    return prec, rec


@metric(input="pred")
def event_recall(y_true, y_pred) -> float:
    """Share of true ranges with at least one predicted point.

    Returns:
        Recall in ``[0, 1]``; with no true range ``1.0`` if nothing is predicted, else ``0.0``.
    """
    return _parts(*check_pred(y_true, y_pred))[1]


@metric(input="pred")
def composite_f1(y_true, y_pred, beta: float = 1.0) -> float:
    """Composite F-beta: point-wise precision and event-wise recall.

    Args:
        y_true: ``(n,)`` 0/1 ground truth.
        y_pred: ``(n,)`` 0/1 prediction.
        beta: weight of recall, ``> 0``.

    Returns:
        Score in ``[0, 1]``.
    """
    beta = check_positive(beta, "beta")
    prec, rec = _parts(*check_pred(y_true, y_pred))
    return fbeta_from(prec, rec, beta)
