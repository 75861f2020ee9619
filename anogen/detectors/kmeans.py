"""Subsequence k-means: aeon's ``KMeansAD`` on scikit-learn's :class:`~sklearn.cluster.KMeans`.

aeon's ``KMeansAD`` (``aeon.anomaly_detection.series.distance_based``; Yairi et al. 2001) cuts a
series into windows, clusters the windows with scikit-learn's ``KMeans`` (k-means++, 10 inits, Lloyd)
and scores each window by its Euclidean distance to its cluster centre; a row's score is the mean
over the windows that cover it. :class:`KMeansDistance` is that window scorer as a scikit-learn-style
estimator for :class:`~anogen.detectors.estimator.Estimator` (which makes the windows, fits on the
train part's windows and spreads window scores to rows, as aeon's ``reverse_windowing`` with
``nanmean`` does), so it runs without aeon: aeon 1.6 pins ``numba < 0.64`` and so ``numpy < 2.4``,
older than anogen's environment. With aeon installed, ``aeon:KMeansAD`` runs aeon's own class
(:mod:`anogen.detectors.library`), and ``tests/test_library_detectors.py`` checks that both agree.

The packaged ``kmeans`` (``anogen/conf/detectors/kmeans.yaml``) uses aeon's defaults: windows of
20 rows, 20 clusters. Each window is scored on its own: the detector is local.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from anogen.params import NonNegativeInt, PositiveFloat, PositiveInt, check_params
from anogen.types import AnogenError

__all__ = ["KMeansDistance"]


class KMeansDistance(BaseEstimator):
    """Distance of each sample to its k-means cluster centre (scikit-learn style: ``score_samples``
    is minus the distance, higher = more normal).

    Args:
        n_clusters: ``k`` (clipped to the number of train samples).
        n_init, max_iter, tol: passed to :class:`sklearn.cluster.KMeans` (aeon's values).
        random_state: seed of the k-means++ initialisation (``None``: not reproducible).

    Attributes:
        kmeans_: the fitted :class:`sklearn.cluster.KMeans`.
    """

    def __init__(self, *, n_clusters: PositiveInt = 20, n_init: PositiveInt = 10, max_iter: PositiveInt = 300,
                 tol: PositiveFloat = 1e-4, random_state: NonNegativeInt | None = 0) -> None:
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: Any = None) -> "KMeansDistance":
        """Cluster the ``(m, p)`` train samples. Returns self.

        Raises:
            AnogenError: an invalid parameter, or no train sample.
        """
        from sklearn.cluster import KMeans

        check_params(type(self), self.get_params(deep=False), "kmeans")
        X = np.asarray(X, dtype=np.float64)
        if X.shape[0] == 0:
            raise AnogenError("kmeans: no train window to cluster")
        k = min(int(self.n_clusters), X.shape[0])
        self.kmeans_ = KMeans(n_clusters=k, random_state=self.random_state, init="k-means++", n_init=int(self.n_init),
                              max_iter=int(self.max_iter), tol=float(self.tol), algorithm="lloyd").fit(X)
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """``(m,)`` minus the distance of each sample to the centre of its cluster."""
        X = np.asarray(X, dtype=np.float64)
        centres = self.kmeans_.cluster_centers_[self.kmeans_.predict(X)]
        return -np.linalg.norm(X - centres, axis=1)
