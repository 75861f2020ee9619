"""Baseline detectors: z-score (global and rolling) and a random sanity baseline."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from anogen.detectors.base import BaseDetector
from anogen.params import NonNegativeInt, PositiveFloat, Ratio
from anogen.types import AnogenError

__all__ = ["ZScore", "RandomScore"]

#: a rolling window or period count: an integer >= 2
_AtLeastTwo = Annotated[int, Field(ge=2)]


class ZScore(BaseDetector):
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
        window: rolling window length (rows, >= 2), ``mode="rolling"`` only.
        min_periods: earlier rows needed for rolling statistics, in ``[2, window]``;
            ``None`` = ``max(2, window // 2)``.
        min_std: floor of the rolling standard deviation, as a fraction of the train one.
        reduce: how to combine the columns' ``|z|``: ``"max"`` or ``"mean"``.
        name: result key.
        contamination: expected fraction of anomalies, sets ``threshold_`` (PyOD semantics).

    Attributes:
        mean_: ``(d,)`` train mean per column.
        scale_: ``(d,)`` train standard deviation per column (zeros replaced by 1).
        n_features_in_, decision_scores_, threshold_, labels_: see :class:`BaseDetector`.
    """

    def __init__(
        self,
        *,
        mode: Literal["global", "rolling"] = "global",
        window: _AtLeastTwo = 50,
        min_periods: _AtLeastTwo | None = None,
        min_std: PositiveFloat = 0.1,
        reduce: Literal["max", "mean"] = "max",
        name: str = "zscore",
        contamination: Ratio = 0.1,
    ) -> None:
        self.mode = mode
        self.window = window
        self.min_periods = min_periods
        self.min_std = min_std
        self.reduce = reduce
        self.name = name
        self.contamination = contamination

    def _check_rules(self, key: str) -> None:
        if self.min_periods is not None and self.min_periods > self.window:
            raise AnogenError(f"{key}.min_periods: must be <= window={self.window}, got {self.min_periods!r}")

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Learn the train mean and standard deviation per column (``segments`` are not needed)."""
        std = X.std(axis=0)
        self.mean_ = X.mean(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)

    def _receptive_field(self) -> tuple[int, int]:
        """A row alone (global), or the row and the ``window`` rows before it (rolling)."""
        return (0, 0) if self.mode == "global" else (int(self.window), 0)

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """``(n, d)`` -> ``(n,)`` reduced ``|z|``, larger = more anomalous."""
        Xc = (X - self.mean_) / self.scale_  # train-standardised, keeps cumulative sums well conditioned
        z = np.abs(Xc) if self.mode == "global" else np.abs(self._rolling_z(Xc))
        return z.max(axis=1) if self.reduce == "max" else z.mean(axis=1)

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


class RandomScore(BaseDetector):
    """Uniform random scores: a sanity baseline whose ROC-AUC should be about 0.5.

    The scores depend only on ``seed`` and the number of rows (a fresh
    :class:`numpy.random.Generator` is made on each call; no global random state), so the detector
    is not local (``receptive_field_`` is ``None``: it is always scored whole).

    Args:
        seed: seed of the generator.
        name: result key.
        contamination: expected fraction of anomalies, sets ``threshold_`` (PyOD semantics).

    Attributes:
        n_features_in_, decision_scores_, threshold_, labels_: see :class:`BaseDetector`.
    """

    def __init__(self, *, seed: NonNegativeInt = 0, name: str = "random", contamination: Ratio = 0.1) -> None:
        self.seed = seed
        self.name = name
        self.contamination = contamination

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Nothing to learn."""

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """``(n,)`` float64 uniform scores in ``[0, 1)``."""
        return np.random.default_rng(int(self.seed)).random(X.shape[0])
