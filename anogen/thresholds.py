"""Turning anomaly scores into 0/1 predictions.

Convention everywhere in anogen: a point is predicted anomalous when
``score >= threshold`` (as scikit-learn's ``precision_recall_curve``), see :func:`predict`.

Each strategy is a small object configured once (``_target_: anogen.thresholds.Percentile``)
and called per detector as ``strategy(train_scores, test_scores, y_true)`` to get the
threshold. ``oracle`` is ``True`` for strategies that look at the test labels
(:class:`BestF1`): their results are an upper bound, not a deployable detector, and outputs
must say so.

Parameters are typed (:mod:`anogen.params`): :func:`anogen.config.build` rejects
``threshold.q=101`` in one line (``threshold.q: must be <= 100, got 101``) before any data are loaded.
"""

from __future__ import annotations

import numbers
from typing import Annotated

import numpy as np
from pydantic import Field

from anogen.metrics.curves import best_f1_threshold
from anogen.params import FiniteFloat, Ratio, check_attributes
from anogen.types import AnogenError

__all__ = ["Threshold", "Fixed", "Percentile", "Contamination", "BestF1", "predict", "Percent"]

#: a percentile in [0, 100]
Percent = Annotated[float, Field(ge=0, le=100)]


def _scores(x, name: str, allow_none: bool = False) -> np.ndarray | None:
    if x is None:
        if allow_none:
            return None
        raise AnogenError(f"{name} are required for this threshold, got None")
    a = np.asarray(x)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or a.shape[0] == 0:
        raise AnogenError(f"{name} must be a non-empty 1-D array of scores, got shape {a.shape}")
    if a.dtype == bool or not np.issubdtype(a.dtype, np.number):
        raise AnogenError(f"{name} must be numeric scores, got dtype {a.dtype}")
    a = a.astype(np.float64)
    bad = ~np.isfinite(a)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AnogenError(f"{name} must be finite; found {a[i].item()!r} at index {i}")
    return a


def predict(scores, threshold: float) -> np.ndarray:
    """0/1 prediction from scores: ``scores >= threshold``.

    Args:
        scores: ``(n,)`` anomaly scores.
        threshold: the cut-off (a point exactly at it is predicted anomalous).

    Returns:
        ``(n,)`` bool array.
    """
    s = _scores(scores, "scores")
    if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or np.isnan(threshold):
        raise AnogenError(f"threshold must be a number, got {threshold!r}")
    return s >= float(threshold)


class Threshold:
    """Base class: ``__call__(train_scores, test_scores, y_true=None) -> float``.

    A subclass implements ``_threshold`` with the same arguments; ``__call__`` first checks the
    constructor parameters against their annotations (so a strategy built in Python, not from a
    config, is checked too: ``threshold.q: must be <= 100, got 101``).
    """

    oracle: bool = False

    def __call__(self, train_scores=None, test_scores=None, y_true=None) -> float:
        check_attributes(self, "threshold")
        return self._threshold(train_scores, test_scores, y_true)

    def _threshold(self, train_scores, test_scores, y_true) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def predict(scores, threshold: float) -> np.ndarray:
        """``scores >= threshold`` (see :func:`predict`)."""
        return predict(scores, threshold)


class Fixed(Threshold):
    """A fixed cut-off.

    Args:
        value: the threshold (finite).
    """

    def __init__(self, value: FiniteFloat) -> None:
        self.value = float(value)

    def _threshold(self, train_scores, test_scores, y_true) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"Fixed(value={self.value!r})"


class Percentile(Threshold):
    """The ``q``-th percentile of the scores on the (clean) train data.

    With ``q = 99`` about 1% of normal behaviour would be flagged.

    Args:
        q: percentile in ``[0, 100]``.
    """

    def __init__(self, q: Percent = 99.0) -> None:
        self.q = float(q)

    def _threshold(self, train_scores, test_scores, y_true) -> float:
        tr = _scores(train_scores, "train_scores")
        return float(np.percentile(tr, self.q))

    def __repr__(self) -> str:
        return f"Percentile(q={self.q!r})"


class Contamination(Threshold):
    """Flag the top ``ratio`` share of the test scores (top-k, ``k = max(1, round(ratio n))``).

    The threshold is the k-th largest test score, so ``score >= threshold`` flags ``k``
    points (more when scores tie at the threshold).

    Args:
        ratio: expected share of anomalies in ``(0, 0.5]`` (as scikit-learn's ``contamination``).
    """

    def __init__(self, ratio: Ratio) -> None:
        self.ratio = float(ratio)

    def _threshold(self, train_scores, test_scores, y_true) -> float:
        te = _scores(test_scores, "test_scores")
        k = min(max(1, int(round(self.ratio * te.shape[0]))), te.shape[0])
        return float(np.partition(te, te.shape[0] - k)[te.shape[0] - k])

    def __repr__(self) -> str:
        return f"Contamination(ratio={self.ratio!r})"


class BestF1(Threshold):
    """The test-score threshold with the best point-wise F1 (an oracle: uses the labels)."""

    oracle = True

    def _threshold(self, train_scores, test_scores, y_true) -> float:
        te = _scores(test_scores, "test_scores")
        if y_true is None:
            raise AnogenError("BestF1 threshold needs y_true (it is an oracle that looks at the labels)")
        return best_f1_threshold(y_true, te)[1]

    def __repr__(self) -> str:
        return "BestF1()"
