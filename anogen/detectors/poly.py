"""POLY: the error of a local polynomial fit, as TSB-AD's ``POLY`` (Wu et al.; TSB-AD, Liu & Paparrizos 2024).

No maintained library ships POLY (TSB-AD's package needs PyTorch and more), so it is written here,
block for block as TSB-AD's ``TSB_AD/models/POLY.py`` computes it, vectorised over the columns:

1. The scored series is cut into blocks of ``window`` rows (from its first row; a shorter last
   block keeps the rest).
2. For each block, a polynomial of degree ``power`` is fitted (``numpy.polyfit``) to the
   ``neighborhood`` rows around the block, *excluding the block itself* (near the ends of the
   series the neighbourhood is shifted inside it, as TSB-AD does), and evaluated on the block's
   positions (TSB-AD's ``linspace(start, start + window, window)`` for full blocks).
3. The block's score is TSB-AD's Fourier measure ``||FFT(x) - FFT(fit)||_2 / L``, which by
   Parseval's theorem is the root mean square of the residual ``x - fit`` over the block's ``L``
   rows; every row of the block gets it.

Differences from TSB-AD, by design: (a) the first ``min(500, n // 10)`` rows are scored too
(TSB-AD leaves them at 0); (b) the series is not min-max scaled (anogen's data are already scaled
by the train part; TSB-AD's scores are ours divided by ``max - min``, the same ranking); (c) the
last partial block is always fitted (TSB-AD skips it when ``n`` is a multiple of the block count).
``tests/test_library_detectors.py`` compares the scores with TSB-AD's code on the rows where they
agree by definition. Several columns are scored one by one and reduced per row (``reduce``).

The score of a row depends on where the blocks fall, which is counted from the first row of the
scored array, so the detector is not local (receptive field ``None``: always scored whole).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from anogen.detectors.base import BaseDetector
from anogen.detectors.windows import Window, resolve_window
from anogen.params import PositiveInt, Ratio
from anogen.types import AnogenError

__all__ = ["POLY"]


def _neighbour_rows(index: int, window: int, neighborhood: int, n: int) -> np.ndarray:
    """The rows the polynomial of the block starting at ``index`` is fitted on (TSB-AD's branches)."""
    half = neighborhood // 2
    if index + half < n and index - half > 0:
        return np.r_[index - half:index, index + window:index + half]
    if index + half >= n and index + window < n:
        return np.r_[n - neighborhood:index, index + window:n]
    if index + window >= n:
        return np.arange(max(0, n - neighborhood), index)
    return np.r_[0:index, index + window:max(neighborhood, index + window)]


def poly_scores(X: np.ndarray, window: int, power: int, neighborhood: int) -> np.ndarray:
    """``(n, d)`` -> ``(n, d)`` POLY score of every row and column (see the module docstring)."""
    n, d = X.shape
    nb = min(int(neighborhood), n)
    blocks = max(1, n // window)
    out = np.zeros((n, d), dtype=np.float64)
    for i in range(blocks + 1):
        start = i * window
        end = n if i == blocks else start + window
        if start >= n:
            break
        rows = _neighbour_rows(start, window, nb, n)
        if rows.size <= power:  # too few points for the polynomial: fit what there is
            rows = np.setdiff1d(np.arange(n), np.arange(start, end))
        if rows.size == 0:
            continue
        coef = np.polyfit(rows.astype(np.float64), X[rows], int(power))            # (power + 1, d)
        at = (np.linspace(start, start + window, window) if i < blocks else np.arange(start, end, dtype=np.float64))
        fit = np.polynomial.polynomial.polyvander(at, int(power))[:, ::-1] @ coef   # (L, d)
        resid = X[start:end] - fit
        out[start:end] = np.sqrt(np.mean(resid * resid, axis=0))
    return out


class POLY(BaseDetector):
    """Polynomial-fit error per row (TSB-AD's POLY; see the module docstring).

    Args:
        window: block length in rows (``>= 2``), or ``"auto"`` / ``"period"`` / ``"2period"``
            (periods of the train part, resolved at fit time, as TSB-AD's ``find_length``).
        power: degree of the polynomial (TSB-AD's benchmark runs 3).
        neighborhood: rows the polynomial is fitted on around each block; ``None`` =
            ``max(100, 10 * window)`` (TSB-AD's default).
        reduce: how the columns' scores combine per row: ``"max"`` or ``"mean"``.
        name: result key.
        contamination: expected fraction of anomalies, sets ``threshold_`` (PyOD semantics).

    Attributes:
        window_: the block length in rows.
        neighborhood_: the neighbourhood in rows.
    """

    def __init__(
        self,
        *,
        window: Window = "auto",
        power: PositiveInt = 3,
        neighborhood: PositiveInt | None = None,
        reduce: Literal["max", "mean"] = "max",
        name: str = "poly",
        contamination: Ratio = 0.1,
    ) -> None:
        self.window = window
        self.power = power
        self.neighborhood = neighborhood
        self.reduce = reduce
        self.name = name
        self.contamination = contamination

    def _check_rules(self, key: str) -> None:
        if isinstance(self.window, int) and not isinstance(self.window, bool) and self.window < 2:
            raise AnogenError(f"must be >= 2 rows, got {self.window!r}", key=f"{key}.window")
        if self.neighborhood is not None and isinstance(self.window, int) and self.neighborhood <= self.window:
            raise AnogenError(f"must be > window={self.window}, got {self.neighborhood!r}", key=f"{key}.neighborhood")

    def _fit(self, X: np.ndarray, segments: np.ndarray) -> None:
        """Resolve the block length (nothing else is learnt: POLY scores a series against itself)."""
        self.window_ = max(2, resolve_window(self.window, X, owner=self.name))
        self.neighborhood_ = int(self.neighborhood) if self.neighborhood is not None else max(100, 10 * self.window_)

    def _min_rows(self) -> int:
        return 2 * int(self.window_)

    def _decision_function(self, X: np.ndarray) -> np.ndarray:
        """``(n, d)`` -> ``(n,)`` block residual RMS, reduced over the columns."""
        if X.shape[0] < 2 * self.window_:
            raise AnogenError(f"{self.name}: the scored series has {X.shape[0]} rows; POLY needs at least "
                              f"{2 * self.window_} (two blocks of {self.window_})")
        s = poly_scores(X, self.window_, int(self.power), self.neighborhood_)
        return s.max(axis=1) if self.reduce == "max" else s.mean(axis=1)
