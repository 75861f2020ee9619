"""Filter 2 of seed 001: drop latent candidates that fall inside a cluster of the normal data.

A clustering of ``z_normal`` (the latent codes of the normal data) defines "normal" regions of
the latent space; a candidate inside one of them would decode to normal-looking data and is
rejected.

* ``dbscan`` (the seed's choice, ``eps`` 0.2-0.3): inside = within ``eps`` of a *core sample*,
  exactly the rule by which DBSCAN assigns a new point to a cluster. Noise points of the normal
  data do not make a region normal. ``eps="auto"`` (default) takes the radius from the normal codes
  themselves: the ``eps_quantile`` quantile of each code's distance to its ``min_samples - 1``-th
  nearest other code, so that this share of the normal codes are core samples whatever the latent
  scale, dimension and number of codes (a fixed ``eps`` that suits a 2-d MLP-VAE finds no core
  sample at all among the 8-d codes of an LSTM-VAE and then keeps every candidate).
* ``kmeans``: inside = closer to the nearest centroid than the ``q``-quantile of the train codes'
  distances to their nearest centroid.
* ``gmm``: inside = log-likelihood higher than the ``(1 - q)``-quantile of the train codes'
  log-likelihoods.

For ``kmeans`` and ``gmm`` ``q`` is therefore the fraction of the normal codes that lie inside
the normal region (``q=0.95``: the 5 % least typical normal codes are outside).
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from anogen.filters import Filter, check_candidates
from anogen.params import NonNegativeInt, OpenFraction, PositiveFloat, PositiveInt, check_attributes
from anogen.types import AnogenError

__all__ = ["Cluster"]

#: a fraction in (0, 1]
_Share = Annotated[float, Field(gt=0, le=1)]


class Cluster(Filter):
    """Reject latent candidates inside the clusters of the normal latent codes.

    Args:
        method: ``"dbscan"``, ``"kmeans"`` or ``"gmm"``.
        eps: DBSCAN neighbourhood radius (> 0), in standard deviations of the normal codes
            (``standardize=True``) or raw latent units; ``"auto"`` = from the codes' nearest-neighbour
            distances (see the module docstring).
        eps_quantile: with ``eps="auto"``, the share of normal codes that are core samples, in (0, 1).
        min_samples: DBSCAN core-point threshold (>= 1).
        n_clusters: number of k-means centroids (>= 1).
        q: fraction of normal codes inside the normal region for ``kmeans``/``gmm``, in (0, 1].
        n_components: number of Gaussian mixture components (>= 1).
        seed: random state of k-means / the mixture (deterministic fit).
        max_fit_samples: DBSCAN's memory grows with the number of neighbours per point, so at
            most this many normal codes (a seeded random subset) are clustered; ``None`` = all.
        standardize: measure the latent space in units of the normal codes' standard deviation
            per dimension (default), so ``eps`` means the same whatever scale the VAE learned
            (a VAE's posterior means are often squeezed far below unit scale, and a raw ``eps``
            of 0.25 would then cover the whole sampling box). ``False`` = raw latent units.

    Attributes:
        eps_: the DBSCAN radius used (``eps``, or the one ``"auto"`` found).
        n_clusters_: clusters found (DBSCAN) or used.
        core_: ``(c, k)`` DBSCAN core samples.
        threshold_: k-means distance / GMM log-likelihood threshold.
        n_fit_: number of codes the clustering was fitted on.
    """

    name = "cluster"

    def __init__(self, method: Literal["dbscan", "kmeans", "gmm"] = "dbscan",
                 eps: PositiveFloat | Literal["auto"] = "auto", min_samples: PositiveInt = 5,
                 n_clusters: PositiveInt = 8, q: _Share = 0.95, n_components: PositiveInt = 4, seed: NonNegativeInt = 0,
                 max_fit_samples: PositiveInt | None = 20000, standardize: bool = True,
                 eps_quantile: OpenFraction = 0.95) -> None:
        self.method = method
        self.eps = eps
        self.eps_quantile = eps_quantile
        self.min_samples = min_samples
        self.n_clusters = n_clusters
        self.q = q
        self.n_components = n_components
        self.seed = seed
        self.max_fit_samples = max_fit_samples
        self.standardize = standardize
        self.center_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.k_: int | None = None
        self.n_fit_ = 0
        self.n_clusters_ = 0
        self.core_: np.ndarray | None = None
        self.threshold_: float | None = None
        self.eps_: float | None = None
        self._tree: Any = None
        self._model: Any = None

    def __repr__(self) -> str:
        if self.method == "dbscan":
            return f"Cluster(method='dbscan', eps={self.eps!r}, min_samples={self.min_samples})"
        if self.method == "kmeans":
            return f"Cluster(method='kmeans', n_clusters={self.n_clusters}, q={self.q}, seed={self.seed})"
        return f"Cluster(method='gmm', n_components={self.n_components}, q={self.q}, seed={self.seed})"

    def fit(self, *, z_normal: np.ndarray, x_train: np.ndarray | None = None,
            columns: tuple[str, ...] | None = None) -> "Cluster":
        """Cluster the normal latent codes.

        Args:
            z_normal: ``(m, k)`` latent codes of the normal data.
            x_train: unused (protocol argument).
            columns: unused (protocol argument).

        Returns:
            self.

        Raises:
            AnogenError: an invalid parameter, empty/non-finite codes, or fewer codes than
                clusters/components.
        """
        check_attributes(self, "filters.cluster")
        z = np.asarray(z_normal, dtype=np.float64)
        if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] == 0:
            raise AnogenError(f"filters.cluster: latent codes must be (m>0, k>0), got shape {z.shape}")
        if not np.isfinite(z).all():
            raise AnogenError("filters.cluster: the normal latent codes contain NaN or inf")
        self.k_ = z.shape[1]
        if self.standardize:
            self.center_ = z.mean(axis=0)
            sd = z.std(axis=0)
            self.scale_ = np.where(sd > 0, sd, 1.0)
            z = (z - self.center_) / self.scale_
        fit = {"dbscan": self._fit_dbscan, "kmeans": self._fit_kmeans, "gmm": self._fit_gmm}[self.method]
        self.n_fit_ = fit(z)
        return self

    def _fit_dbscan(self, z: np.ndarray) -> int:
        """Core samples of DBSCAN on (a seeded subset of) ``z`` ``(m, k)``; returns the codes used."""
        from scipy.spatial import cKDTree
        from sklearn.cluster import DBSCAN

        if self.max_fit_samples is not None and z.shape[0] > self.max_fit_samples:
            pick = np.random.default_rng(self.seed).choice(z.shape[0], self.max_fit_samples, replace=False)
            z = z[np.sort(pick)]
        self.eps_ = self._auto_eps(z) if self.eps == "auto" else float(self.eps)
        db = DBSCAN(eps=self.eps_, min_samples=self.min_samples).fit(z)
        self.core_ = z[db.core_sample_indices_]
        self.n_clusters_ = int(db.labels_.max()) + 1 if db.labels_.size else 0
        if self.core_.shape[0] == 0:
            warnings.warn(
                f"filters.cluster: DBSCAN found no core sample among {z.shape[0]} normal codes "
                f"(eps={self.eps_:.4g}, min_samples={self.min_samples}); the filter keeps every candidate. "
                "Raise eps (or use eps: auto) or lower min_samples.", stacklevel=3)
            self._tree = None
        else:
            self._tree = cKDTree(self.core_)
        return int(z.shape[0])

    def _auto_eps(self, z: np.ndarray) -> float:
        """The ``eps_quantile`` quantile of the codes' distances to their ``min_samples - 1``-th nearest other code."""
        from scipy.spatial import cKDTree

        k = min(self.min_samples, z.shape[0])  # the point itself counts towards min_samples, as in DBSCAN
        if k < 2:
            return float(np.finfo(np.float64).eps)
        dist, _ = cKDTree(z).query(z, k=k, workers=-1)
        eps = float(np.quantile(dist[:, -1], self.eps_quantile))
        return max(eps, float(np.finfo(np.float64).eps))

    def _fit_kmeans(self, z: np.ndarray) -> int:
        """k-means centroids and the ``q``-quantile of the codes' distances to them."""
        from sklearn.cluster import KMeans

        if z.shape[0] < self.n_clusters:
            raise AnogenError(
                f"filters.cluster.n_clusters={self.n_clusters} exceeds the {z.shape[0]} normal latent codes")
        self._model = KMeans(n_clusters=self.n_clusters, n_init="auto", random_state=self.seed).fit(z)
        dist = self._model.transform(z).min(axis=1)
        self.threshold_ = float(np.quantile(dist, self.q))
        self.n_clusters_ = self.n_clusters
        return int(z.shape[0])

    def _fit_gmm(self, z: np.ndarray) -> int:
        """A Gaussian mixture and the ``(1 - q)``-quantile of the codes' log-likelihoods."""
        from sklearn.mixture import GaussianMixture

        if z.shape[0] < self.n_components:
            raise AnogenError(
                f"filters.cluster.n_components={self.n_components} exceeds the {z.shape[0]} normal latent codes")
        self._model = GaussianMixture(n_components=self.n_components, random_state=self.seed).fit(z)
        ll = self._model.score_samples(z)
        self.threshold_ = float(np.quantile(ll, 1.0 - self.q))
        self.n_clusters_ = self.n_components
        return int(z.shape[0])

    def inside(self, z: np.ndarray) -> np.ndarray:
        """``(b,)`` bool: which latent points ``z`` ``(b, k)`` fall inside a normal cluster."""
        if self.k_ is None:
            raise AnogenError("filters.cluster: call fit(...) before filtering")
        z = np.asarray(z, dtype=np.float64)
        if z.ndim != 2 or z.shape[1] != self.k_:
            raise AnogenError(f"filters.cluster: latent candidates must be (b, {self.k_}), got shape {z.shape}")
        if z.shape[0] == 0:
            return np.zeros(0, dtype=bool)
        if self.standardize and self.center_ is not None:
            z = (z - self.center_) / self.scale_
        if self.method == "dbscan":
            if self._tree is None:
                return np.zeros(z.shape[0], dtype=bool)
            # the bound prunes the search (far candidates are cheap); scipy's bound is strict, so
            # widen it by one ulp-ish step and apply DBSCAN's `<= eps` ourselves
            bound = float(np.nextafter(self.eps_, np.inf)) * (1.0 + 1e-12)
            dist, _ = self._tree.query(z, k=1, distance_upper_bound=bound, workers=-1)
            return dist <= self.eps_
        if self.method == "kmeans":
            dist = self._model.transform(z).min(axis=1)
            return dist <= self.threshold_
        ll = self._model.score_samples(z)
        return ll >= self.threshold_

    def __call__(self, z: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Keep-mask: True for candidates outside every normal cluster.

        Args:
            z: ``(b, k)`` candidate latent points (NaN rows are rejected).
            x: ``(b, d)`` or ``(b, L, d)`` decoded candidates (unused apart from shape checks).

        Returns:
            ``(b,)`` bool.
        """
        z, x = check_candidates(z, x, self.name)
        finite = np.isfinite(z).all(axis=1)
        keep = np.zeros(z.shape[0], dtype=bool)
        if finite.all():
            return ~self.inside(z)
        keep[finite] = ~self.inside(z[finite])
        return keep
