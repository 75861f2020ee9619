"""Splitting a frame into folds by date ranges (seed 000: test = rows with d1 < t <= d2)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Sequence

import numpy as np
import pandas as pd
from pydantic import AfterValidator

from anogen.params import OpenFraction, PositiveInt, check_value
from anogen.types import AnogenError, Fold, Frame

__all__ = ["make_folds", "segments_of", "Dates", "TrainMode"]


def _pair(v: list) -> list:
    if len(v) != 2:
        raise ValueError("must be a [start, end] pair")
    return v


#: ``data.dates``: ``[[start, end], ...]`` test ranges (time stamps, or row numbers without a key)
Dates = list[Annotated[list[Any], AfterValidator(_pair)]]
#: ``data.train``: ``rest`` (every row outside the test range) or ``before`` (rows before it)
TrainMode = Literal["rest", "before"]


def segments_of(mask: np.ndarray) -> np.ndarray:
    """Half-open ``(k, 2)`` ranges of the True runs of ``mask``, in positions of ``mask[mask]``.

    Example: ``mask = [1,1,0,0,1]`` -> train rows are positions 0,1 and 4 of the table; in the
    compacted train array they are rows 0,1 and 2, split in segments ``[[0, 2], [2, 3]]``.
    """
    m = np.asarray(mask, dtype=bool)
    padded = np.concatenate([[False], m, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1]).reshape(-1, 2)
    lengths = edges[:, 1] - edges[:, 0]
    ends = np.cumsum(lengths)
    return np.stack([ends - lengths, ends], axis=1).astype(np.int64)


def _parse(stamp, what: str) -> np.datetime64:
    try:
        ts = pd.Timestamp(stamp)
    except (ValueError, TypeError) as e:
        raise AnogenError(f"cannot parse {what} {stamp!r}: {e}", key="data.dates") from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return np.datetime64(ts.to_datetime64(), "ns")


def make_folds(frame: Frame, dates: Dates | None = None, train: TrainMode = "rest",
               test_fraction: OpenFraction = 0.25, min_rows: PositiveInt = 2) -> list[Fold]:
    """Split ``frame`` into folds.

    Args:
        frame: the loaded data.
        dates: list of ``[start, end]``; fold i's test part is the rows with ``start < t <= end``.
            With a frame without time key, ``start``/``end`` are row numbers (same rule). Empty or
            ``None``: one fold whose test part is the last ``test_fraction`` of the rows.
        train: ``rest`` (every row outside the test range, the README's rule) or ``before``
            (only rows ``t <= start``, what the seed's code did).
        test_fraction: see ``dates``, in (0, 1).
        min_rows: minimum rows in each part.

    Returns:
        One :class:`Fold` per date pair.

    Raises:
        AnogenError: invalid option, bad pair, range outside the data, empty or too small parts.
    """
    train = check_value(train, TrainMode, "data.train")
    pairs = check_value(list(dates or []), Dates, "data.dates")
    min_rows = check_value(min_rows, PositiveInt, "data.min_rows")
    n = frame.n_rows
    if not pairs:
        test_fraction = check_value(test_fraction, OpenFraction, "data.test_fraction")
        cut = n - _n_test(n, test_fraction)
        if cut < min_rows or n - cut < min_rows:
            raise _too_short(n, test_fraction, min_rows)
        masks, starts = [np.arange(n) >= cut], [cut]
    else:
        masks = [_test_mask(frame, i, pair) for i, pair in enumerate(pairs)]
        starts = [int(np.argmax(m)) if m.any() else 0 for m in masks]
    folds = []
    for i, mask in enumerate(masks):
        n_test = int(mask.sum())
        if n_test < min_rows:
            raise AnogenError(f"the test fold has {n_test} rows (need >= {min_rows})", key=f"data.dates[{i}]")
        train_mask = ~mask
        if train == "before":
            train_mask &= np.arange(n) < starts[i]
        if int(train_mask.sum()) < min_rows:
            raise AnogenError(f"the train part has {int(train_mask.sum())} rows (need >= {min_rows}); "
                              "with train=before the test range must not start the data", key=f"data.dates[{i}]")
        folds.append(Fold(
            number=i, columns=frame.columns,
            train=frame.values[train_mask].copy(), test=frame.values[mask].copy(),
            train_index=frame.index[train_mask].copy(), test_index=frame.index[mask].copy(),
            train_segments=segments_of(train_mask), key=frame.key))
    return folds


def _n_test(n: int, test_fraction: float) -> int:
    """Test rows of ``n`` rows without ``data.dates``: the last ``test_fraction`` of them, at least one."""
    return max(1, int(round(n * test_fraction)))


def _too_short(n: int, test_fraction: float, min_rows: int) -> AnogenError:
    """The error for data too short to split by ``test_fraction``: what the user can change."""
    n_test = _n_test(n, test_fraction)
    need = next(m for m in range(2 * min_rows, 2 * min_rows + int(min_rows / min(test_fraction, 1 - test_fraction)) + 2)
                if min(_n_test(m, test_fraction), m - _n_test(m, test_fraction)) >= min_rows)
    got = f"{n} rows: the last {test_fraction:g} of them gives {n_test} test and {n - n_test} train rows"
    if n < 2 * min_rows:
        return AnogenError(f"the data has {got} (need >= {min_rows} each); the data is too short: at least "
                           f"{need} rows are needed (with data.test_fraction={test_fraction:g})", key="data.path",
                           hint="give a longer file", refs=("data.test_fraction",))
    return AnogenError(f"the data has {got} (need >= {min_rows} each); at least {need} rows are needed with "
                       f"data.test_fraction={test_fraction:g}", key="data.path",
                       hint="give a longer file or change data.test_fraction", refs=("data.test_fraction",))


def _test_mask(frame: Frame, i: int, pair: Sequence) -> np.ndarray:
    """``(n,)`` bool: the rows with ``start < t <= end`` for the ``i``-th pair of ``data.dates``."""
    if np.issubdtype(frame.index.dtype, np.datetime64):
        a, b = _parse(pair[0], "start"), _parse(pair[1], "end")
    else:
        try:
            a, b = int(pair[0]), int(pair[1])
        except (TypeError, ValueError):
            raise AnogenError(f"without data.key the dates are row numbers, got {pair!r}", key=f"data.dates[{i}]",
                              refs=("data.key",)) from None
    if not a < b:
        raise AnogenError(f"start {pair[0]} must be before end {pair[1]}", key=f"data.dates[{i}]")
    lo_t, hi_t = frame.index[0], frame.index[-1]
    if b <= lo_t or a >= hi_t:
        raise AnogenError(f"{list(map(str, pair))} lies outside the data ({lo_t} .. {hi_t})", key=f"data.dates[{i}]",
                          sep=" = ")
    return (frame.index > a) & (frame.index <= b)
