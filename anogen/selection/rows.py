"""Row anomalies for the tabular mode (``select.mode: tabular``): ADBench's four synthetic types.

Han et al., "ADBench: Anomaly Detection Benchmark", NeurIPS 2022, Sec. 4.3, generate realistic
synthetic anomalies of four types from the normal data; here each replaces a share of the clean
test rows, at a *strength* ``s`` (the difficulty ladder of the tabular mode):

* ``global``: uniform in the train rows' bounding box widened ``s`` times around its centre
  (ADBench: ``s = 1.1``); rows that land inside the normal range are kept, they are the subtle part.
* ``local``: from a Gaussian mixture fitted to the train rows with every covariance scaled by
  ``s`` (ADBench: 5).
* ``dependency``: each column drawn independently from its own train marginal (the dependence
  between columns is broken, every marginal is normal; ADBench uses a vine copula for the normal
  dependence); ``s`` mixes ``1 - 1/s`` of the independent draw into a random normal row.
* ``clustered``: from the mixture with its means moved ``s`` times further from the data's mean
  (ADBench: 5), covariances unchanged: anomalies that form their own small clusters.

The mixture is fitted on standardised rows (``n_components`` up to 5, fewer for small data).
Pure numpy + scikit-learn.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from anogen.types import Event, Injected

__all__ = ["ROW_KINDS", "RowModel", "row_anomalies", "inject_rows"]

ROW_KINDS = ("global", "local", "dependency", "clustered")


class RowModel:
    """What the four row kinds need from the clean train rows: scale, bounds, marginals, a mixture.

    Args:
        train: ``(n, d)`` clean rows.
        seed: seed of the mixture fit.
    """

    def __init__(self, train: np.ndarray, seed: int = 0) -> None:
        from sklearn.mixture import GaussianMixture

        x = np.asarray(train, dtype=np.float64)
        self.mean = x.mean(axis=0)
        self.std = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        z = (x - self.mean) / self.std
        self.z = z
        self.lo, self.hi = z.min(axis=0), z.max(axis=0)
        k = int(np.clip(len(z) // 100, 1, 5))
        self.gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-3, random_state=seed).fit(z)

    def _gmm(self, n: int, rng: np.random.Generator, cov_scale: float = 1.0, mean_scale: float = 1.0) -> np.ndarray:
        g = self.gmm
        comp = rng.choice(len(g.weights_), size=n, p=g.weights_ / g.weights_.sum())
        out = np.empty((n, self.z.shape[1]))
        for c in np.unique(comp):
            idx = np.flatnonzero(comp == c)
            mu = g.means_[c] * mean_scale
            out[idx] = rng.multivariate_normal(mu, g.covariances_[c] * cov_scale, size=len(idx))
        return out

    def sample(self, kind: str, n: int, strength: float, rng: np.random.Generator) -> np.ndarray:
        """``(n, d)`` anomalous rows of ``kind`` in original units."""
        makers: dict[str, Callable[[], np.ndarray]] = {
            "global": lambda: rng.uniform((self.lo + self.hi) / 2 - strength * (self.hi - self.lo) / 2,
                                          (self.lo + self.hi) / 2 + strength * (self.hi - self.lo) / 2,
                                          size=(n, self.z.shape[1])),
            "local": lambda: self._gmm(n, rng, cov_scale=strength),
            "clustered": lambda: self._gmm(n, rng, mean_scale=strength),
            "dependency": lambda: self._dependency(n, strength, rng),
        }
        if kind not in makers:
            raise ValueError(f"unknown row kind {kind!r}; valid: {list(makers)}")
        return makers[kind]() * self.std + self.mean

    def _dependency(self, n: int, strength: float, rng: np.random.Generator) -> np.ndarray:
        m, d = self.z.shape
        indep = np.stack([self.z[rng.integers(0, m, n), j] for j in range(d)], axis=1)
        base = self.z[rng.integers(0, m, n)]
        w = 1.0 - 1.0 / max(strength, 1.0)
        return base + w * (indep - base)


def row_anomalies(model: RowModel, kind: str, n: int, strength: float, seed: int) -> np.ndarray:
    """``(n, d)`` rows of one kind (a fresh generator from ``seed``)."""
    return model.sample(kind, n, strength, np.random.default_rng(seed))


def inject_rows(test: np.ndarray, columns: tuple[str, ...], index: np.ndarray, model: RowModel, kind: str,
                strength: float, ratio: float, seed: int) -> Injected:
    """The clean test rows with ``ratio`` of them (at least 1) replaced by anomalies of ``kind``.

    Returns:
        An :class:`Injected` whose events are single rows (``kind``, every column, ``source="rows"``).
    """
    rng = np.random.default_rng(seed)
    test = np.asarray(test, dtype=np.float64)
    k = max(1, int(round(ratio * len(test))))
    rows = np.sort(rng.choice(len(test), size=k, replace=False))
    values = test.copy()
    values[rows] = model.sample(kind, k, strength, rng)
    labels = np.zeros(len(test), dtype=bool)
    labels[rows] = True
    events = tuple(Event(int(r), int(r) + 1, kind, tuple(columns), "rows", {"strength": strength}) for r in rows)
    kinds = np.where(labels, kind, "").astype(object)
    return Injected(values, labels, events, tuple(columns), index, test, kinds)
