"""Baseline detectors: z-score (global and rolling) and a random sanity baseline."""

from __future__ import annotations

from typing import Literal

import numpy as np

from anogen.detectors.windows import check_data, check_fitted, check_scores
from anogen.types import AnogenError

__all__ = ["ZScore", "RandomScore"]


class ZScore:
    """Absolute z-score per column, reduced over columns (default: the largest ``|z|``).

    ``mode="global"``: ``z[t, j] = (x[t, j] - mean_j) / std_j`` with the mean and standard
    deviation of the train data (a column with zero spread gets ``std = 1``).

    ``mode="rolling"``: the mean and standard deviation come from the ``window`` rows *before*
    ``t`` in the scored series itself (the current row is excluded, so a spike does not inflate
    its own spread). Rows with fewer than ``min_periods`` earlier rows use the train statistics.
    The rolling standard deviation is floored at ``min_std`` times the train standard deviation,
    so that flat stretches do not divide by ~0. Computed with cumulative sums (no loop over time).

    Args:
        mode: ``"global"`` or ``"rolling"``.
        window: rolling window length (rows), ``mode="rolling"`` only.
        min_periods: earlier rows needed for rolling statistics; ``None`` = ``max(2, window // 2)``.
        min_std: floor of the rolling standard deviation, as a fraction of the train one.
        reduce: how to combine the columns' ``|z|``: ``"max"`` or ``"mean"``.
        name: result key; default ``"zscore"`` (global) or ``"zscore_rolling"``.

    Attributes:
        mean_: ``(d,)`` train mean per column.
        scale_: ``(d,)`` train standard deviation per column (zeros replaced by 1).
        n_features_in_: ``d``.
    """

    def __init__(
        self,
        mode: Literal["global", "rolling"] = "global",
        window: int = 50,
        min_periods: int | None = None,
        min_std: float = 0.1,
        reduce: Literal["max", "mean"] = "max",
        name: str | None = None,
    ) -> None:
        if mode not in ("global", "rolling"):
            raise AnogenError(f"zscore: mode must be 'global' or 'rolling', got {mode!r}")
        if reduce not in ("max", "mean"):
            raise AnogenError(f"zscore: reduce must be 'max' or 'mean', got {reduce!r}")
        if isinstance(window, bool) or int(window) != window or window < 2:
            raise AnogenError(f"zscore: window must be an integer >= 2, got {window!r}")
        if min_periods is not None and (int(min_periods) != min_periods or not 2 <= min_periods <= window):
            raise AnogenError(f"zscore: min_periods must be an integer in [2, window={window}], got {min_periods!r}")
        if not min_std > 0:
            raise AnogenError(f"zscore: min_std must be > 0, got {min_std!r}")
        self.mode = mode
        self.window = int(window)
        self.min_periods = None if min_periods is None else int(min_periods)
        self.min_std = float(min_std)
        self.reduce = reduce
        self.name = name if name is not None else ("zscore" if mode == "global" else "zscore_rolling")
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.n_features_in_: int | None = None

    def fit(self, X: np.ndarray, segments: np.ndarray | None = None) -> "ZScore":
        """Learn the train mean and standard deviation per column.

        Args:
            X: ``(n_train, d)`` clean train data.
            segments: ignored (the statistics do not depend on row order).

        Returns:
            self.
        """
        X = check_data(X, owner=self.name)
        std = X.std(axis=0)
        self.mean_ = X.mean(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)
        self.n_features_in_ = X.shape[1]
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """Score every row.

        Args:
            X: ``(n, d)`` data.

        Returns:
            ``(n,)`` float64, larger ``|z|`` = more anomalous.
        """
        check_fitted(self, "mean_")
        X = check_data(X, n_features=self.n_features_in_, owner=self.name)
        Xc = (X - self.mean_) / self.scale_  # train-standardised, keeps cumulative sums well conditioned
        if self.mode == "global":
            z = np.abs(Xc)
        else:
            z = np.abs(self._rolling_z(Xc))
        out = z.max(axis=1) if self.reduce == "max" else z.mean(axis=1)
        return check_scores(out, X.shape[0], owner=self.name)

    def _rolling_z(self, Xc: np.ndarray) -> np.ndarray:
        """``(n, d)`` z-scores against the trailing window (``Xc`` already train-standardised)."""
        n = Xc.shape[0]
        w = self.window
        min_p = self.min_periods if self.min_periods is not None else max(2, w // 2)
        c1 = np.concatenate([np.zeros((1, Xc.shape[1])), np.cumsum(Xc, axis=0)])
        c2 = np.concatenate([np.zeros((1, Xc.shape[1])), np.cumsum(Xc * Xc, axis=0)])
        t = np.arange(n)
        lo = np.maximum(0, t - w)
        cnt = (t - lo).astype(np.float64)[:, None]
        safe = np.maximum(cnt, 1.0)
        mean = (c1[t] - c1[lo]) / safe
        var = np.maximum((c2[t] - c2[lo]) / safe - mean * mean, 0.0)
        std = np.maximum(np.sqrt(var), self.min_std)  # min_std in units of the train std
        few = cnt[:, 0] < min_p
        mean[few] = 0.0  # train statistics (Xc is standardised: mean 0, std 1)
        std[few] = 1.0
        return (Xc - mean) / std


class RandomScore:
    """Uniform random scores: a sanity baseline whose ROC-AUC should be about 0.5.

    The scores depend only on ``seed`` and the number of rows (a fresh
    :class:`numpy.random.Generator` is made on each call; no global random state).

    Args:
        seed: seed of the generator.
        name: result key.

    Attributes:
        n_features_in_: ``d`` seen at fit time.
    """

    def __init__(self, seed: int = 0, name: str = "random") -> None:
        self.seed = int(seed)
        self.name = name
        self.n_features_in_: int | None = None

    def fit(self, X: np.ndarray, segments: np.ndarray | None = None) -> "RandomScore":
        """Record the number of columns. Returns self."""
        self.n_features_in_ = check_data(X, owner=self.name).shape[1]
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` float64 uniform scores in ``[0, 1)``."""
        check_fitted(self, "n_features_in_")
        X = check_data(X, n_features=self.n_features_in_, owner=self.name)
        return np.random.default_rng(self.seed).random(X.shape[0])
