"""The detector base class: a scikit-learn estimator with PyOD's outlier-detector attributes.

A detector is fitted on the clean train part of a fold and scores every time step of the
(injected) test fold; a higher score means more anomalous. Inputs are scaled with statistics of
the train part (the evaluation does that), shape ``(n, d)``.

:class:`BaseDetector` is a :class:`sklearn.base.BaseEstimator`, so ``get_params``, ``set_params``
and :func:`sklearn.base.clone` work, and it speaks PyOD's dialect
(``decision_function``, ``decision_scores_``, ``threshold_``, ``labels_``, ``predict`` giving 0/1).
A new detector subclasses it, stores its constructor arguments unchanged (annotated with the types
of :mod:`anogen.params`, which ``fit`` checks) and implements two methods::

    class MeanShift(BaseDetector):
        def __init__(self, name: str = "mean_shift", contamination: Ratio = 0.1) -> None:
            self.name = name
            self.contamination = contamination

        def _fit(self, X, segments):           # X (n_train, d) float64, segments (k, 2) int64
            self.mean_ = X.mean(axis=0)

        def _decision_function(self, X):       # X (n, d) float64 -> (n,)
            return np.abs(X - self.mean_).max(axis=1)

Note: unlike scikit-learn's outlier detectors (higher = more normal, ``predict`` in {-1, +1}),
anogen and PyOD score higher = more anomalous and ``predict`` returns 1 for an anomaly.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from anogen.detectors.windows import check_data, check_scores, check_segments
from anogen.params import check_params
from anogen.types import AnogenError

__all__ = ["BaseDetector", "Detector", "NotFittedError"]


class NotFittedError(AnogenError, _SklearnNotFittedError):
    """``decision_function``/``predict`` called before ``fit`` (an :class:`AnogenError` and
    scikit-learn's :class:`~sklearn.exceptions.NotFittedError`)."""


@runtime_checkable
class Detector(Protocol):
    """What the evaluation needs from a detector (for typing; :class:`BaseDetector` implements it).

    Attributes:
        name: short name used in result keys (``"name/metric"``).
    """

    name: str

    def fit(self, X: np.ndarray, y: Any = None, *, segments: np.ndarray | None = None) -> "Detector":
        """Fit on ``X`` ``(n_train, d)``; ``segments`` ``(k, 2)`` are half-open ranges of
        contiguous rows (windows must not cross them; ``None`` = one segment). Returns self."""
        ...

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Anomaly score per row of ``X`` ``(n, d)`` -> ``(n,)`` float64, higher = more anomalous."""
        ...


class BaseDetector(BaseEstimator):
    """Base class of every anogen detector (scikit-learn estimator, PyOD conventions).

    Subclasses define ``__init__`` (storing every argument unchanged, including ``name: str`` and
    ``contamination: Ratio = 0.1``) and implement :meth:`_fit` and :meth:`_decision_function`.

    Attributes (after ``fit``):
        decision_scores_: ``(n_train,)`` float64 scores of the train data.
        threshold_: the ``100 * (1 - contamination)`` percentile of ``decision_scores_``.
        labels_: ``(n_train,)`` int 0/1, ``decision_scores_ >= threshold_``.
        n_features_in_: ``d`` seen at fit time.
    """

    name: str
    contamination: float

    #: the parameters' types and ranges are their annotations (checked by :meth:`_validate_params`);
    #: present so that :func:`anogen.config.build` runs that check when it builds a detector
    _parameter_constraints: dict = {}

    # ------------------------------------------------------------------ to implement

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Learn from the clean train data.

        Args:
            X: ``(n_train, d)`` float64, finite, C-contiguous (never modify it in place).
            segments: ``(k, 2)`` int64 half-open ranges of contiguous rows (windows must not
                cross them).
        """
        raise NotImplementedError

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """Score every row of ``X`` ``(n, d)`` float64 -> ``(n,)``, higher = more anomalous."""
        raise NotImplementedError

    def _check_rules(self, key: str) -> None:
        """Optional: rules between parameters (``min_periods <= window``), checked without data.

        Raise :class:`AnogenError` naming ``f"{key}.<param>"``; the annotations are already checked.
        """

    # ------------------------------------------------------------------ public API

    def fit(self, X: np.ndarray, y: Any = None, *, segments: np.ndarray | None = None) -> "BaseDetector":
        """Check the parameters and the data, fit, and score the train data.

        Args:
            X: ``(n_train, d)`` clean (scaled) train data (a 1-D array is one column).
            y: ignored (scikit-learn API compatibility).
            segments: ``(k, 2)`` half-open ``[start, end)`` row ranges of contiguous data;
                ``None`` = one segment ``[0, n_train)``.

        Returns:
            self.

        Raises:
            AnogenError: an invalid parameter (one line naming ``detectors.<name>.<param>``), bad
                data or segments, or the detector's own error.
        """
        self._reset()
        self._validate_params()
        X = check_data(X, owner=self._owner())
        seg = check_segments(segments, X.shape[0], owner=self._owner())
        self.n_features_in_ = X.shape[1]
        self._fit(X, seg)
        scores = check_scores(self._decision_function(X), X.shape[0], owner=self._owner())
        self.decision_scores_ = scores
        self.threshold_ = float(np.percentile(scores, 100.0 * (1.0 - float(self.contamination))))
        self.labels_ = (scores >= self.threshold_).astype(int)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Anomaly score of every row.

        Args:
            X: ``(n, d)`` data with the ``d`` columns seen by ``fit``.

        Returns:
            ``(n,)`` float64, finite, higher = more anomalous.

        Raises:
            NotFittedError: called before ``fit``.
            AnogenError: bad data, or the detector produced a wrong number of / non-finite scores.
        """
        self._check_fitted()
        X = check_data(X, n_features=self.n_features_in_, owner=self._owner())
        return check_scores(self._decision_function(X), X.shape[0], owner=self._owner())

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` int labels: 1 = anomaly (``decision_function(X) >= threshold_``), 0 = normal."""
        return (self.decision_function(X) >= self.threshold_).astype(int)

    # ------------------------------------------------------------------ helpers

    def _owner(self) -> str:
        """The detector's name for error messages."""
        name = getattr(self, "name", None)
        return str(name) if name else type(self).__name__

    def _validate_params(self) -> None:
        """Check the parameters without data: annotations, then :meth:`_check_rules`.

        Called by :meth:`fit` (so values set with ``set_params`` are checked) and, through
        scikit-learn's hook name, by :func:`anogen.config.build` (so a bad config fails before any
        data are loaded).

        Raises:
            AnogenError: one line naming ``detectors.<name>.<param>`` and what is valid.
        """
        key = f"detectors.{self._owner()}"
        check_params(type(self), self.get_params(deep=False), key)
        self._check_rules(key)

    def _reset(self) -> None:
        """Forget a previous fit (so a failed refit leaves an unfitted detector, not a stale one)."""
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("_")]:
            delattr(self, attr)

    def _check_fitted(self) -> None:
        if not hasattr(self, "decision_scores_"):
            raise NotFittedError(f"{self._owner()}: decision_function() called before fit(); call fit(X) first")
