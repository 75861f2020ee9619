"""Array helpers for anomaly kinds: interpolation, reflection, periods, train windows."""

from __future__ import annotations

import numpy as np

from anogen.data.period import dominant_period  # moved there: the detectors (a lower floor) use it too
from anogen.types import AnogenError

__all__ = ["interp_at", "reflect", "dominant_period", "column_period", "train_windows", "source_windows"]


def interp_at(col: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``col`` (length >= 2) at fractional row positions in ``[0, n - 1]``
    (O(len(pos)), unlike ``np.interp`` over the whole column)."""
    i0 = np.minimum(np.floor(pos).astype(np.int64), col.shape[0] - 2)
    frac = pos - i0
    return col[i0] * (1.0 - frac) + col[i0 + 1] * frac


def reflect(pos: np.ndarray, n: int) -> np.ndarray:
    """Positions reflected into ``[0, n - 1]``."""
    if n == 1:
        return np.zeros_like(pos)
    period = 2.0 * (n - 1)
    p = np.mod(pos, period)
    return np.where(p > n - 1, period - p, p)


def column_period(seg) -> int | None:
    """The dominant period of a segment's train column, memoised in ``seg.cache`` for one ``fill``."""
    key = ("dominant_period", seg.column)
    if key not in seg.cache:
        seg.cache[key] = dominant_period(seg.train)
    return seg.cache[key]


def train_windows(fold_train: np.ndarray, segments: np.ndarray | None, L: int, k: int,
                  rng: np.random.Generator) -> np.ndarray:
    """``(k,)`` random starts of length-``L`` windows inside contiguous train segments.

    Raises:
        AnogenError: no train segment has ``L`` rows.
    """
    segs = np.asarray(segments, dtype=np.int64).reshape(-1, 2) if segments is not None else np.zeros((0, 2))
    if segs.shape[0] == 0:
        segs = np.array([[0, fold_train.shape[0]]], dtype=np.int64)
    room = np.maximum(segs[:, 1] - segs[:, 0] - L + 1, 0)
    total = int(room.sum())
    if total <= 0:
        raise AnogenError(
            f"sampler: no contiguous train segment has {L} rows (segments "
            f"{segs.tolist()}); use a shorter sampler.max_length")
    idx = rng.integers(0, total, size=k)
    cum = np.cumsum(room)
    seg = np.searchsorted(cum, idx, side="right")
    before = np.concatenate([[0], cum[:-1]])
    return segs[seg, 0] + (idx - before[seg])


def source_windows(fold, column: int, L: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``k`` random length-``L`` train windows of one column.

    Args:
        fold: the clean :class:`~anogen.types.Fold`.
        column: column index.
        L: window length.
        k: number of windows.
        rng: random generator.

    Returns:
        ``(k,)`` starts in the train rows and ``(k, L)`` float64 values.
    """
    starts = train_windows(fold.train, fold.train_segments, L, k, rng)
    win = np.asarray(fold.train, dtype=np.float64)[starts[:, None] + np.arange(L)[None, :], column]
    return starts, win
