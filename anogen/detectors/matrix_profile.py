"""Matrix-profile discords with stumpy (optional extra ``detectors``: ``pip install 'anogen[detectors]'``).

The matrix profile of a series holds, for every subsequence of ``m`` rows, the z-normalised
Euclidean distance to its nearest neighbour; a *discord* (a subsequence far from every other) is an
anomaly (Yeh et al., ICDM 2016). :class:`MatrixProfile` computes it with ``stumpy.stump``, column by
column, in one of two ways:

- ``mode="join"`` (default, semi-supervised): an AB-join of the scored series against the clean
  train part (``stumpy.stump(T_A=test, m, T_B=train, ignore_trivial=False)``): each test window is
  scored by its distance to the nearest *train* window. A repeated anomaly cannot hide behind its
  twin, and the detector is local (receptive field ``(m - 1, m - 1)``: incremental scoring is exact).
  Train segments are joined one by one (windows never cross a segment boundary); the profile is
  their minimum.
- ``mode="self"`` (unsupervised, as TSB-AD's ``MatrixProfile``): the self-join of the scored series
  (``stumpy.stump(T, m)``, exclusion zone ``m / 4``); not local.

A multivariate series is scored per column and reduced over the columns per window (``reduce``:
``max`` or ``mean``; ``stumpy.mstump``'s k-dimensional profile took 30-40 s for 2,000 rows x 32
columns on 2 cores, so it is not offered). Window scores become row scores as in
:class:`~anogen.detectors.estimator.Estimator` (the mean, or max, over the windows covering a row).

stumpy compiles its kernels with numba on first use (about a minute on 2 cores); :func:`load_stumpy`
turns numba's on-disk cache on for stumpy's kernels, so that cost is paid once per installation,
not once per process.
"""

from __future__ import annotations

import importlib
from typing import Any, Literal

import numpy as np

from anogen.config import install_hint
from anogen.detectors.base import BaseDetector
from anogen.detectors.windows import Window, aggregate_window_scores, resolve_window
from anogen.params import Ratio
from anogen.types import AnogenError

__all__ = ["MatrixProfile", "load_stumpy"]

_STUMPY: Any = None


def load_stumpy(owner: str = "mp") -> Any:
    """Import stumpy with numba's disk cache on for its kernels (once per process).

    Raises:
        AnogenError: stumpy is not installed (one line with the install hint).
    """
    global _STUMPY
    if _STUMPY is not None:
        return _STUMPY
    try:
        import stumpy
        from stumpy import cache
    except ImportError:
        raise AnogenError(f"{owner}: the matrix profile needs stumpy, which is not installed"
                          f"{install_hint('stumpy')}") from None
    try:  # what stumpy.cache.save() does before it recompiles: each njit kernel caches to disk
        for module, func in cache.get_njit_funcs():
            getattr(importlib.import_module(f"stumpy.{module}"), func).enable_caching()
    except Exception:  # noqa: BLE001 - a stumpy without this helper: compile in memory, as stumpy does
        pass
    _STUMPY = stumpy
    return stumpy


class MatrixProfile(BaseDetector):
    """Matrix-profile discord score per row (stumpy; see the module docstring).

    Args:
        window: subsequence length ``m`` in rows (``>= 3``), or ``"auto"`` / ``"period"`` /
            ``"2period"``: periods of the train part, resolved at fit time (``window_``).
        mode: ``"join"`` (distance to the nearest train window; local) or ``"self"`` (self-join of
            the scored series, as TSB-AD; not local).
        normalize: z-normalised distances (stumpy's default); ``False`` = plain Euclidean.
        reduce: how a window's per-column distances combine: ``"max"`` or ``"mean"``.
        aggregate: how a row's score combines the windows that cover it: ``"mean"`` or ``"max"``.
        name: result key.
        contamination: expected fraction of anomalies, sets ``threshold_`` (PyOD semantics).

    Attributes:
        window_: ``m`` in rows.
        train_: ``(n_train, d)`` the train rows (a read-only copy), joined against in ``mode="join"``.
        segments_: ``(k, 2)`` the train segments at least ``m`` rows long.
    """

    def __init__(
        self,
        *,
        window: Window = "auto",
        mode: Literal["join", "self"] = "join",
        normalize: bool = True,
        reduce: Literal["max", "mean"] = "max",
        aggregate: Literal["mean", "max"] = "mean",
        name: str = "mp",
        contamination: Ratio = 0.1,
    ) -> None:
        self.window = window
        self.mode = mode
        self.normalize = normalize
        self.reduce = reduce
        self.aggregate = aggregate
        self.name = name
        self.contamination = contamination

    def _check_rules(self, key: str) -> None:
        if isinstance(self.window, int) and not isinstance(self.window, bool) and self.window < 3:
            raise AnogenError(f"must be >= 3 rows (stumpy's smallest subsequence), got {self.window!r}",
                              key=f"{key}.window")

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Resolve the window and keep the train rows (the join's reference)."""
        load_stumpy(self.name)
        m = max(3, resolve_window(self.window, X, owner=self.name))
        seg = segments[(segments[:, 1] - segments[:, 0]) >= m]
        if self.mode == "join" and seg.shape[0] == 0:
            raise AnogenError(f"{self.name}: no train segment is as long as the window ({m} rows); "
                              "use a shorter window or more train rows")
        self.window_ = m
        self.segments_ = seg
        train = X.copy()
        train.flags.writeable = False
        self.train_ = train

    def _min_rows(self) -> int:
        return int(self.window_) if self.mode == "join" else 2 * int(self.window_)

    def _receptive_field(self) -> tuple[int, int] | None:
        """A join scores each window on its own: ``(m - 1, m - 1)``; a self-join is not local."""
        return (self.window_ - 1, self.window_ - 1) if self.mode == "join" else None

    def _train_scores(self, X: np.ndarray, size: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Train scores of a join: the train part's self-join (each train window's distance to its
        nearest train window outside its own exclusion zone; joined with itself every distance is 0)."""
        if self.mode == "self":
            return super()._train_scores(X, size)
        stumpy, m, n = load_stumpy(self.name), int(self.window_), X.shape[0]
        if n < 2 * m:
            return np.arange(n, dtype=np.int64), np.zeros(n)
        cols = np.column_stack([stumpy.stump(np.ascontiguousarray(X[:, j]), m, normalize=bool(self.normalize))[:, 0]
                                for j in range(X.shape[1])]).astype(np.float64)
        cols[~np.isfinite(cols)] = 0.0
        windows = cols.max(axis=1) if self.reduce == "max" else cols.mean(axis=1)
        starts = np.arange(windows.shape[0], dtype=np.int64)
        return np.arange(n, dtype=np.int64), aggregate_window_scores(windows, starts, m, n, self.aggregate)

    def window_scores(self, X: np.ndarray) -> np.ndarray:
        """``(n - m + 1,)`` discord distance of every window of ``X`` ``(n, d)``, reduced over columns."""
        stumpy = load_stumpy(self.name)
        m, n = int(self.window_), X.shape[0]
        if n < m or (self.mode == "self" and n < 2 * m):
            need = m if self.mode == "join" else 2 * m
            raise AnogenError(f"{self.name}: the scored series has {n} rows; the matrix profile needs at least "
                              f"{need} (window {m} rows)")
        per_column = np.empty((n - m + 1, X.shape[1]), dtype=np.float64)
        for j in range(X.shape[1]):
            column = np.ascontiguousarray(X[:, j])
            if self.mode == "self":
                per_column[:, j] = stumpy.stump(column, m, normalize=bool(self.normalize))[:, 0]
                continue
            best = np.full(n - m + 1, np.inf)
            for a, b in self.segments_:
                ref = np.ascontiguousarray(self.train_[a:b, j])
                prof = stumpy.stump(column, m, ref, ignore_trivial=False, normalize=bool(self.normalize))[:, 0]
                np.minimum(best, prof.astype(np.float64), out=best)
            per_column[:, j] = best
        return per_column.max(axis=1) if self.reduce == "max" else per_column.mean(axis=1)

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """Window distances spread to the ``(n,)`` rows (mean or max over the covering windows)."""
        m = int(self.window_)
        scores = self.window_scores(X)
        starts = np.arange(scores.shape[0], dtype=np.int64)
        return aggregate_window_scores(scores, starts, m, X.shape[0], self.aggregate)
