"""Adapter that turns any scikit-learn or PyOD estimator into a time-series detector.

:class:`Estimator` flattens windows of ``window`` rows into feature vectors (see
:mod:`anogen.detectors.windows`), fits a clone of the wrapped estimator on the windows of the
clean train data, scores the windows of the scored series and spreads the window scores back to
time steps (mean or max over the windows that cover a step).

Score convention (higher = more anomalous), chosen by duck typing on the *fitted* estimator:

- **PyOD** (the fitted estimator has ``decision_scores_``, which every PyOD detector sets in
  ``fit``): ``decision_function(X)`` as it is; PyOD scores are already higher = more anomalous.
- **scikit-learn** (anything else): ``-score_samples(X)`` if the estimator has ``score_samples``
  (IsolationForest, LocalOutlierFactor with ``novelty=True``, OneClassSVM, EllipticEnvelope,
  GaussianMixture, KernelDensity, ...), else ``-decision_function(X)``. scikit-learn's
  convention is the opposite (higher = more normal), so the sign is flipped.

``convention="sklearn"`` or ``"pyod"`` overrides the guess.

Two small scikit-learn-style estimators complete the built-in set: :class:`KNNDistance`
(distance to the k-th nearest train window) and :class:`PCAReconstruction` (PCA reconstruction
error). Both follow the scikit-learn convention (``score_samples``: higher = more normal).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator

from anogen.detectors.windows import (
    aggregate_window_scores,
    check_data,
    check_fitted,
    check_scores,
    window_features,
)
from anogen.types import AnogenError

__all__ = ["Estimator", "KNNDistance", "PCAReconstruction", "instantiate_estimator"]


def _target_name(target: Any) -> str:
    return str(target).rsplit(".", 1)[-1].lower()


def instantiate_estimator(spec: object) -> object:
    """Return an estimator instance from an instance or a ``_target_`` mapping.

    Args:
        spec: an estimator instance (returned as is), or a ``dict``/``DictConfig`` with
            ``_target_`` (the import path of the class) and its constructor arguments, built with
            :func:`hydra.utils.instantiate` (nested ``_target_`` nodes are built too).

    Returns:
        The estimator instance.

    Raises:
        AnogenError: the mapping has no ``_target_`` or the class cannot be imported/built.
    """
    if not isinstance(spec, Mapping):
        return spec
    if "_target_" not in spec:
        raise AnogenError(
            f"estimator: a mapping needs a '_target_' key with the estimator's import path "
            f"(e.g. sklearn.ensemble.IsolationForest), got keys {sorted(map(str, spec))}"
        )
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate

    try:
        return instantiate(spec, _convert_="all")
    except InstantiationException as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        raise AnogenError(f"estimator: cannot build '{spec['_target_']}': {first}") from None


class Estimator:
    """A windowed scikit-learn / PyOD estimator as a time-series detector.

    Args:
        estimator: an unfitted estimator instance (it is cloned on ``fit`` and never modified), or
            a mapping with ``_target_`` and constructor arguments (built by Hydra).
        window: rows per window (``1`` = plain rows).
        stride: step between window starts, for fitting and scoring (every row stays covered: a
            last window is aligned to the end of each segment).
        aggregate: how a row's score combines the scores of the windows that cover it:
            ``"mean"`` or ``"max"``.
        convention: ``"auto"`` (duck typing, see the module docstring), ``"sklearn"``
            (``-score_samples``, else ``-decision_function``) or ``"pyod"`` (``decision_function``).
        name: result key; default the estimator's class name in lower case.
        max_train: fit on at most this many train windows (evenly spaced) so kernel and
            neighbour methods stay tractable on long series; ``None`` = all.

    Attributes:
        estimator_: the fitted clone.
        convention_: ``"sklearn"`` or ``"pyod"``, the convention in use.
        n_features_in_: ``d`` seen at fit time.
        n_windows_: number of train windows the estimator was fitted on.
    """

    def __init__(
        self,
        estimator: object | Mapping[str, Any],
        window: int = 1,
        stride: int = 1,
        aggregate: Literal["mean", "max"] = "mean",
        convention: Literal["auto", "sklearn", "pyod"] = "auto",
        name: str | None = None,
        max_train: int | None = 20000,
    ) -> None:
        default_name = (
            _target_name(estimator["_target_"])
            if isinstance(estimator, Mapping) and "_target_" in estimator
            else type(estimator).__name__.lower()
        )
        self.name = str(name) if name is not None else default_name
        if aggregate not in ("mean", "max"):
            raise AnogenError(f"{self.name}: aggregate must be 'mean' or 'max', got {aggregate!r}")
        if convention not in ("auto", "sklearn", "pyod"):
            raise AnogenError(f"{self.name}: convention must be 'auto', 'sklearn' or 'pyod', got {convention!r}")
        for key, value in (("window", window), ("stride", stride)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise AnogenError(f"{self.name}: {key} must be a positive integer, got {value!r}")
        self.estimator = instantiate_estimator(estimator)
        if not hasattr(self.estimator, "fit"):
            raise AnogenError(f"{self.name}: {type(self.estimator).__name__} has no fit() method; not an estimator")
        if max_train is not None and (isinstance(max_train, bool) or int(max_train) < 1):
            raise AnogenError(f"{self.name}: max_train must be a positive integer or null, got {max_train!r}")
        self.max_train = None if max_train is None else int(max_train)
        self.window = int(window)
        self.stride = int(stride)
        self.aggregate = aggregate
        self.convention = convention
        self.estimator_: Any = None
        self.convention_: str | None = None
        self.n_features_in_: int | None = None
        self.n_windows_: int | None = None

    def __repr__(self) -> str:
        return (
            f"Estimator({self.estimator!r}, window={self.window}, stride={self.stride}, "
            f"aggregate={self.aggregate!r}, name={self.name!r})"
        )

    def fit(self, X: np.ndarray, segments: np.ndarray | None = None) -> "Estimator":
        """Fit a clone of the estimator on the train windows.

        Args:
            X: ``(n_train, d)`` clean (scaled) train data.
            segments: ``(k, 2)`` half-open ranges of contiguous rows; windows never cross them.

        Returns:
            self.
        """
        X = check_data(X, owner=self.name)
        features, _ = window_features(X, self.window, self.stride, segments, owner=self.name)
        if self.max_train is not None and features.shape[0] > self.max_train:
            # kernel and neighbour methods scale quadratically: fit on evenly spaced train windows
            keep = np.linspace(0, features.shape[0] - 1, self.max_train).round().astype(np.int64)
            features = features[np.unique(keep)]
        est = _clone(self.estimator)
        try:
            est.fit(features)
        except ValueError as exc:  # e.g. n_neighbors > n_samples
            raise AnogenError(f"{self.name}: fitting {type(est).__name__} on {features.shape} failed: {exc}") from None
        if self.convention == "auto":
            convention = "pyod" if hasattr(est, "decision_scores_") else "sklearn"
        else:
            convention = self.convention
        _score_method(est, convention, self.name)  # fail early if it cannot score
        self.estimator_ = est
        self.convention_ = convention
        self.n_features_in_ = X.shape[1]
        self.n_windows_ = int(features.shape[0])
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """Score every row.

        Args:
            X: ``(n, d)`` data, ``n >= window``.

        Returns:
            ``(n,)`` float64 scores, higher = more anomalous.
        """
        check_fitted(self, "estimator_")
        X = check_data(X, n_features=self.n_features_in_, owner=self.name)
        features, starts = window_features(X, self.window, self.stride, None, owner=self.name)
        method, sign = _score_method(self.estimator_, self.convention_, self.name)
        raw = sign * np.asarray(method(features), dtype=np.float64).reshape(-1)
        raw = check_scores(raw, features.shape[0], owner=self.name)
        out = aggregate_window_scores(raw, starts, self.window, X.shape[0], self.aggregate)
        return check_scores(out, X.shape[0], owner=self.name)


def _clone(est: object) -> Any:
    from sklearn.base import clone

    try:
        return clone(est)
    except (TypeError, RuntimeError, AttributeError):  # not a BaseEstimator: plain copy
        return copy.deepcopy(est)


def _score_method(est: Any, convention: str | None, owner: str) -> tuple[Any, float]:
    """The bound scoring method and the sign that makes it higher = more anomalous."""
    if convention == "pyod":
        if hasattr(est, "decision_function"):
            return est.decision_function, 1.0
        raise AnogenError(f"{owner}: {type(est).__name__} has no decision_function() (needed for convention 'pyod')")
    if hasattr(est, "score_samples"):
        return est.score_samples, -1.0
    if hasattr(est, "decision_function"):
        return est.decision_function, -1.0
    hint = " (set novelty: true for LocalOutlierFactor)" if type(est).__name__ == "LocalOutlierFactor" else ""
    raise AnogenError(
        f"{owner}: {type(est).__name__} has neither score_samples() nor decision_function() "
        f"after fit{hint}; it cannot score new data"
    )


class KNNDistance(BaseEstimator):
    """Distance to the k-th nearest train sample (scikit-learn style, for :class:`Estimator`).

    Args:
        n_neighbors: ``k``.
        method: ``"largest"`` (distance to the k-th neighbour) or ``"mean"`` (mean distance to
            the k nearest).
        metric: any :class:`sklearn.neighbors.NearestNeighbors` metric.

    Attributes:
        nn_: the fitted :class:`sklearn.neighbors.NearestNeighbors`.
    """

    def __init__(self, n_neighbors: int = 5, method: str = "largest", metric: str = "minkowski") -> None:
        self.n_neighbors = n_neighbors
        self.method = method
        self.metric = metric

    def fit(self, X: np.ndarray, y: Any = None) -> "KNNDistance":
        """Index the ``(m, p)`` train samples. Returns self."""
        from sklearn.neighbors import NearestNeighbors

        if self.method not in ("largest", "mean"):
            raise AnogenError(f"knn: method must be 'largest' or 'mean', got {self.method!r}")
        X = np.asarray(X, dtype=np.float64)
        if not 1 <= int(self.n_neighbors) <= X.shape[0]:
            raise AnogenError(
                f"knn: n_neighbors={self.n_neighbors} must be in [1, number of train windows={X.shape[0]}]"
            )
        self.nn_ = NearestNeighbors(n_neighbors=int(self.n_neighbors), metric=self.metric).fit(X)
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """``(m,)`` minus the k-NN distance (scikit-learn convention: higher = more normal)."""
        dist, _ = self.nn_.kneighbors(np.asarray(X, dtype=np.float64))
        d = dist[:, -1] if self.method == "largest" else dist.mean(axis=1)
        return -d


class PCAReconstruction(BaseEstimator):
    """Squared PCA reconstruction error (scikit-learn style, for :class:`Estimator`).

    Args:
        n_components: kept components; an int, or a float in ``(0, 1)`` = the fraction of
            variance to keep. Clipped to ``min(m, p) - 1`` when an int is too large (so that the
            error is not identically zero).
        whiten: passed to :class:`sklearn.decomposition.PCA`.

    Attributes:
        pca_: the fitted :class:`sklearn.decomposition.PCA`.
    """

    def __init__(self, n_components: int | float = 0.9, whiten: bool = False) -> None:
        self.n_components = n_components
        self.whiten = whiten

    def fit(self, X: np.ndarray, y: Any = None) -> "PCAReconstruction":
        """Fit PCA on the ``(m, p)`` train samples. Returns self."""
        from sklearn.decomposition import PCA

        X = np.asarray(X, dtype=np.float64)
        k = self.n_components
        if isinstance(k, bool) or not isinstance(k, (int, float, np.integer, np.floating)) or k <= 0:
            raise AnogenError(f"pca: n_components must be an int >= 1 or a fraction in (0, 1), got {k!r}")
        if isinstance(k, (float, np.floating)) and not float(k).is_integer():
            if k >= 1:
                raise AnogenError(f"pca: a fractional n_components must be in (0, 1), got {k!r}")
            comp: int | float = float(k)
        else:
            comp = max(1, min(int(k), min(X.shape) - 1))
        self.pca_ = PCA(n_components=comp, whiten=self.whiten, svd_solver="full").fit(X)
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """``(m,)`` minus the squared reconstruction error (higher = more normal)."""
        X = np.asarray(X, dtype=np.float64)
        recon = self.pca_.inverse_transform(self.pca_.transform(X))
        return -np.sum((X - recon) ** 2, axis=1)
