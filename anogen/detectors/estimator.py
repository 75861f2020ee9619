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

The adapter is itself a scikit-learn estimator (:class:`~anogen.detectors.base.BaseDetector`):
``get_params(deep=True)`` lists the wrapped estimator's parameters as ``estimator__<param>``,
``set_params(estimator__n_estimators=50)`` changes them, and :func:`sklearn.base.clone` copies it.
The wrapped estimator is never fitted itself: ``fit`` fits a clone (``estimator_``), so refits are
independent.

Three small scikit-learn-style estimators complete the built-in set: :class:`KNNDistance`
(distance to the k-th nearest train window), :class:`LOF` (local outlier factor; both on an exact
or approximate neighbour index, :mod:`anogen.detectors.neighbors`) and :class:`PCAReconstruction`
(PCA reconstruction error). All follow the scikit-learn convention (``score_samples``: higher =
more normal).
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, Field
from sklearn.base import BaseEstimator, clone

from anogen.config import build, check_sklearn, to_plain
from anogen.detectors.base import BaseDetector
from anogen.detectors.incremental import ScoredReference
from anogen.detectors.neighbors import Index, NeighborIndex
from anogen.detectors.windows import (Window, aggregate_window_scores, check_scores, resolve_window, window_features,
                                      window_features_at, window_starts, windows_touching)
from anogen.params import PositiveInt, Ratio, check_params
from anogen.types import AnogenError

__all__ = ["Estimator", "KNNDistance", "LOF", "PCAReconstruction", "instantiate_estimator", "POINTWISE"]

#: estimators known to score each sample on its own (public import paths); anogen's own estimators
#: (module ``anogen.*``) are pointwise too. Others need ``pointwise: true`` for incremental scoring.
POINTWISE = (
    "sklearn.ensemble.IsolationForest",
    "sklearn.neighbors.LocalOutlierFactor",
    "sklearn.neighbors.KernelDensity",
    "sklearn.svm.OneClassSVM",
    "sklearn.linear_model.SGDOneClassSVM",
    "sklearn.covariance.EllipticEnvelope",
    "sklearn.mixture.GaussianMixture",
    "sklearn.mixture.BayesianGaussianMixture",
)


def known_pointwise(est: object) -> bool:
    """Whether ``est`` is one of :data:`POINTWISE` or an anogen estimator."""
    if type(est).__module__.startswith("anogen."):
        return True
    for path in POINTWISE:
        module, _, name = path.rpartition(".")
        cls = getattr(sys.modules.get(module), name, None)  # a class not imported cannot be est's
        if isinstance(cls, type) and isinstance(est, cls):
            return True
    return False


def _count_or_fraction(value: float) -> int | float:
    if float(value).is_integer():
        return int(value)
    if value < 1:
        return value
    raise ValueError("must be an integer >= 1 or a fraction in (0, 1)")


#: a number of components (an integer >= 1; ``3.0`` counts as 3) or a fraction of variance in (0, 1)
CountOrFraction = Annotated[float, Field(gt=0), AfterValidator(_count_or_fraction)]


def instantiate_estimator(spec: object, key: str = "estimator") -> object:
    """Return an estimator instance from an instance or a ``_target_`` mapping.

    Args:
        spec: an estimator instance (returned as is), or a ``dict``/``DictConfig`` with
            ``_target_`` (the import path of the class) and its constructor arguments, built (and
            its parameters checked) by :func:`anogen.config.build`; nested ``_target_`` nodes too.
        key: the config key for error messages (``"detectors.iforest.estimator"``).

    Returns:
        The estimator instance.

    Raises:
        AnogenError: the mapping has no ``_target_``, the class cannot be imported, or a parameter
            is invalid (one line naming ``key.<param>``).
    """
    plain = to_plain(spec)
    if not isinstance(plain, Mapping):
        return spec
    if "_target_" not in plain:
        raise AnogenError(
            f"{key}: a mapping needs a '_target_' key with the estimator's import path "
            f"(e.g. sklearn.ensemble.IsolationForest), got keys {sorted(map(str, plain))}"
        )
    return build(plain, key)


def _check_inner(est: object, key: str) -> None:
    """Check a wrapped estimator's own parameters (annotations of anogen classes, scikit-learn's
    ``_parameter_constraints`` otherwise)."""
    if not hasattr(est, "fit"):
        raise AnogenError(f"{key}: {type(est).__name__} has no fit() method; not an estimator")
    get_params = getattr(est, "get_params", None)
    if str(type(est).__module__).startswith("anogen") and get_params is not None:
        check_params(type(est), get_params(deep=False), key)
    else:
        check_sklearn(est, key)  # one formatter for scikit-learn's messages


class Estimator(BaseDetector):
    """A windowed scikit-learn / PyOD estimator as a time-series detector.

    Args:
        estimator: an unfitted estimator instance (a clone is fitted; it is never modified), or a
            mapping with ``_target_`` and constructor arguments (built with
            :func:`anogen.config.build`).
        window: rows per window (``1`` = plain rows), or ``"auto"`` / ``"period"`` / ``"2period"``:
            one (two) dominant periods of the train part, resolved at fit time (``window_``; bounds
            and fallback: :func:`anogen.data.period.period_window`).
        stride: step between window starts, for fitting and scoring (every row stays covered: a
            last window is aligned to the end of each segment).
        aggregate: how a row's score combines the scores of the windows that cover it:
            ``"mean"`` or ``"max"``.
        convention: ``"auto"`` (duck typing, see the module docstring), ``"sklearn"``
            (``-score_samples``, else ``-decision_function``) or ``"pyod"`` (``decision_function``).
        name: result key.
        max_train: fit on at most this many train windows (evenly spaced) so kernel and
            neighbour methods stay tractable on long series; ``None`` = all.
        contamination: expected fraction of anomalies, sets ``threshold_`` (PyOD semantics).
        pointwise: whether the estimator scores each window on its own (the score of a window does
            not depend on the other windows scored with it), which makes the detector local: a
            changed row only changes the windows that contain it (incremental scoring, train-score
            samples). ``None`` = known for the estimators listed in :data:`POINTWISE` (scikit-learn's
            outlier detectors and anogen's), else ``False`` (e.g. PyOD's ECOD, which ranks a batch
            against itself).

    Attributes:
        window_: the window in rows (``window`` itself, or resolved from the train part's period).
        estimator_: the fitted clone.
        convention_: ``"sklearn"`` or ``"pyod"``, the convention in use.
        n_windows_: number of train windows the estimator was fitted on.
        n_features_in_, decision_scores_, threshold_, labels_: see :class:`BaseDetector`.
    """

    def __init__(
        self,
        *,
        estimator: Any,
        window: Window = 1,
        stride: PositiveInt = 1,
        aggregate: Literal["mean", "max"] = "mean",
        convention: Literal["auto", "sklearn", "pyod"] = "auto",
        name: str = "estimator",
        max_train: PositiveInt | None = 20000,
        contamination: Ratio = 0.1,
        pointwise: bool | None = None,
    ) -> None:
        self.estimator = estimator
        self.window = window
        self.stride = stride
        self.aggregate = aggregate
        self.convention = convention
        self.name = name
        self.max_train = max_train
        self.contamination = contamination
        self.pointwise = pointwise

    def _inner(self, key: str) -> Any:
        """The wrapped estimator, built if it is a ``_target_`` mapping, its parameters checked."""
        est = instantiate_estimator(self.estimator, f"{key}.estimator")
        _check_inner(est, f"{key}.estimator")
        return est

    def _check_rules(self, key: str) -> None:
        self._inner(key)

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Fit a clone of the estimator on the (at most ``max_train``) train windows."""
        self.window_ = resolve_window(self.window, X, owner=self.name)
        features, _ = window_features(X, self.window_, self.stride, segments, owner=self.name)
        if self.max_train is not None and features.shape[0] > self.max_train:
            # kernel and neighbour methods scale quadratically: fit on evenly spaced train windows
            keep = np.linspace(0, features.shape[0] - 1, int(self.max_train)).round().astype(np.int64)
            features = features[np.unique(keep)]
        est = _clone(self._inner(f"detectors.{self.name}"))
        try:
            est.fit(features)
        except ValueError as exc:  # e.g. n_neighbors > n_samples
            msg = " ".join(str(exc).split())
            raise AnogenError(f"{self.name}: fitting {type(est).__name__} on {features.shape} failed: {msg}") from None
        if self.convention == "auto":
            convention = "pyod" if hasattr(est, "decision_scores_") else "sklearn"
        else:
            convention = self.convention
        _score_method(est, convention, self.name)  # fail early if it cannot score
        self.estimator_ = est
        self.convention_ = convention
        self.n_windows_ = int(features.shape[0])

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """Score the windows of ``X`` ``(n, d)`` (``n >= window``) and spread them to ``(n,)`` rows."""
        return self._score_with_state(X)[0]

    def _window_scores(self, features: np.ndarray) -> np.ndarray:
        """``(m, window * d)`` window features -> ``(m,)`` scores, higher = more anomalous."""
        method, sign = _score_method(self.estimator_, self.convention_, self.name)
        raw = sign * np.asarray(method(features), dtype=np.float64).reshape(-1)
        return check_scores(raw, features.shape[0], owner=self.name)

    def _score_with_state(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row scores ``(n,)`` and the window scores ``(m,)`` they were spread from."""
        features, starts = window_features(X, self.window_, self.stride, None, owner=self.name)
        raw = self._window_scores(features)
        return aggregate_window_scores(raw, starts, int(self.window_), X.shape[0], self.aggregate), raw

    def _is_pointwise(self) -> bool:
        if self.pointwise is not None:
            return bool(self.pointwise)
        return known_pointwise(self.estimator_)

    def _min_rows(self) -> int:
        return int(self.window_)

    def _receptive_field(self) -> tuple[int, int] | None:
        """Windows of ``L`` rows at stride 1 and a pointwise estimator: ``(L - 1, L - 1)``."""
        if not self._is_pointwise() or int(self.stride) != 1:
            return None
        return int(self.window_) - 1, int(self.window_) - 1

    def _rescore(self, X: np.ndarray, reference: ScoredReference) -> np.ndarray | None:
        """Rescore only the windows that contain a changed row (any stride), then spread again."""
        if not self._is_pointwise() or reference.state is None:
            return None
        changed = np.flatnonzero(np.any(X != reference.x, axis=1))
        if changed.size == 0:
            return reference.scores.copy()
        n, window = X.shape[0], int(self.window_)
        starts = window_starts(n, window, None, int(self.stride))
        hit = np.flatnonzero(windows_touching(changed, starts, window, n))
        raw = np.array(reference.state, dtype=np.float64, copy=True)
        if raw.shape != starts.shape or hit.size > 0.9 * starts.size:
            return None
        raw[hit] = self._window_scores(window_features_at(X, window, starts[hit]))
        return aggregate_window_scores(raw, starts, window, n, self.aggregate)


def _clone(est: object) -> Any:
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
        n_neighbors: ``k``, at most the number of train samples.
        method: ``"largest"`` (distance to the k-th neighbour) or ``"mean"`` (mean distance to
            the k nearest).
        metric: any :class:`sklearn.neighbors.NearestNeighbors` metric (``index="hnsw"``: Euclidean).
        index: ``"auto"``, ``"exact"`` or ``"hnsw"`` (:mod:`anogen.detectors.neighbors`).

    Attributes:
        nn_: the fitted :class:`~anogen.detectors.neighbors.NeighborIndex`.
    """

    def __init__(
        self, *, n_neighbors: PositiveInt = 5, method: Literal["largest", "mean"] = "largest",
        metric: str = "minkowski", index: Index = "auto",
    ) -> None:
        self.n_neighbors = n_neighbors
        self.method = method
        self.metric = metric
        self.index = index

    def fit(self, X: np.ndarray, y: Any = None) -> "KNNDistance":
        """Index the ``(m, p)`` train samples. Returns self.

        Raises:
            AnogenError: an invalid parameter, or ``n_neighbors > m``.
        """
        check_params(type(self), self.get_params(deep=False), "knn")
        X = np.asarray(X, dtype=np.float64)
        if int(self.n_neighbors) > X.shape[0]:
            raise AnogenError(
                f"knn.n_neighbors: must be <= the number of train windows ({X.shape[0]}), got {self.n_neighbors}"
            )
        self.nn_ = NeighborIndex(self.index, self.metric, owner="knn").fit(X)
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """``(m,)`` minus the k-NN distance (scikit-learn convention: higher = more normal)."""
        dist, _ = self.nn_.kneighbors(np.asarray(X, dtype=np.float64), int(self.n_neighbors))
        d = dist[:, -1] if self.method == "largest" else dist.mean(axis=1)
        return -d


class LOF(BaseEstimator):
    """Local Outlier Factor for new data (scikit-learn style, for :class:`Estimator`).

    The same scores as :class:`sklearn.neighbors.LocalOutlierFactor` with ``novelty=True``
    (``score_samples`` = minus the LOF: higher = more normal) on a
    :class:`~anogen.detectors.neighbors.NeighborIndex` (exact or HNSW).

    Args:
        n_neighbors: neighbours ``k`` (clipped to ``m - 1`` for ``m`` train samples, as scikit-learn).
        metric: distance (``index="hnsw"``: Euclidean).
        index: ``"auto"``, ``"exact"`` or ``"hnsw"`` (:mod:`anogen.detectors.neighbors`).

    Attributes:
        nn_: the fitted index.
        n_neighbors_: the ``k`` in use.
        k_distance_: ``(m,)`` distance of each train sample to its k-th neighbour.
        lrd_: ``(m,)`` local reachability density of each train sample.
    """

    def __init__(self, *, n_neighbors: PositiveInt = 20, metric: str = "minkowski", index: Index = "auto") -> None:
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.index = index

    def fit(self, X: np.ndarray, y: Any = None) -> "LOF":
        """Index the ``(m, p)`` train samples (``m >= 2``) and their densities. Returns self."""
        check_params(type(self), self.get_params(deep=False), "lof")
        X = np.asarray(X, dtype=np.float64)
        if X.shape[0] < 2:
            raise AnogenError(f"lof: needs at least 2 train windows, got {X.shape[0]}")
        self.n_neighbors_ = max(1, min(int(self.n_neighbors), X.shape[0] - 1))
        self.nn_ = NeighborIndex(self.index, self.metric, owner="lof").fit(X)
        dist, idx = self.nn_.kneighbors(None, self.n_neighbors_)
        self.k_distance_ = dist[:, -1].copy()
        self.lrd_ = self._lrd(dist, idx)
        return self

    def _lrd(self, dist: np.ndarray, idx: np.ndarray) -> np.ndarray:
        reach = np.maximum(dist, self.k_distance_[idx])
        return 1.0 / (reach.mean(axis=1) + 1e-10)

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """``(q,)`` minus the local outlier factor of each query (higher = more normal)."""
        dist, idx = self.nn_.kneighbors(np.asarray(X, dtype=np.float64), self.n_neighbors_)
        return -np.mean(self.lrd_[idx] / self._lrd(dist, idx)[:, None], axis=1)


class PCAReconstruction(BaseEstimator):
    """Squared PCA reconstruction error (scikit-learn style, for :class:`Estimator`).

    Args:
        n_components: kept components; an int ``>= 1``, or a float in ``(0, 1)`` = the fraction
            of variance to keep. Clipped to ``min(m, p) - 1`` when an int is too large (so that
            the error is not identically zero).
        whiten: passed to :class:`sklearn.decomposition.PCA`.

    Attributes:
        pca_: the fitted :class:`sklearn.decomposition.PCA`.
    """

    def __init__(self, *, n_components: CountOrFraction = 0.9, whiten: bool = False) -> None:
        self.n_components = n_components
        self.whiten = whiten

    def fit(self, X: np.ndarray, y: Any = None) -> "PCAReconstruction":
        """Fit PCA on the ``(m, p)`` train samples. Returns self.

        Raises:
            AnogenError: an invalid parameter.
        """
        from sklearn.decomposition import PCA

        k = check_params(type(self), self.get_params(deep=False), "pca")["n_components"]
        X = np.asarray(X, dtype=np.float64)
        comp: int | float = float(k) if isinstance(k, float) else max(1, min(int(k), min(X.shape) - 1))
        self.pca_ = PCA(n_components=comp, whiten=self.whiten, svd_solver="full").fit(X)
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """``(m,)`` minus the squared reconstruction error (higher = more normal)."""
        X = np.asarray(X, dtype=np.float64)
        recon = self.pca_.inverse_transform(self.pca_.transform(X))
        return -np.sum((X - recon) ** 2, axis=1)
