"""Window features for point estimators and per-step aggregation of window scores.

A point estimator (Isolation Forest, LOF, ...) sees one feature vector per sample. To use it on a
time series, every window of ``window`` consecutive rows is flattened into one vector of
``window * d`` features (row-major: the ``d`` values of the first row, then of the second row, ...).
The estimator scores each window; the score of a time step is the mean (or max) of the scores of
all windows that cover it.

Window starts come from :func:`anogen.data.windows.window_starts` (the one windowing helper of the
trainer and the detectors; re-exported here with :func:`~anogen.data.windows.check_segments`).
Rules (shared by every windowed detector):

- Windows start every ``stride`` rows inside each segment and never cross a segment boundary
  (``segments`` are half-open ``[start, end)`` row ranges of contiguous data, e.g. the train rows
  before and after the test period).
- When ``stride`` does not divide the segment, one extra window aligned to the segment end is added,
  so every row of a segment at least ``window`` rows long is covered by at least one window.
- Segments shorter than ``window`` give no windows (their rows are skipped when fitting); scoring
  needs at least ``window`` rows.

Everything is vectorised: windows are views from :func:`numpy.lib.stride_tricks.sliding_window_view`,
the mean aggregation uses a cumulative-sum difference array and the max aggregation a single
``np.maximum.at`` scatter; there is no Python loop over time steps (only over segments).

Window lengths as a choice (:data:`Window`): a windowed detector's ``window`` is a number of rows,
or ``"auto"`` / ``"period"`` (the dominant period of the train part), or ``"<K>period"`` (``K``
periods, e.g. ``"2period"``), resolved at fit time by :func:`resolve_window` with
:func:`anogen.data.period.period_window` (bounds ``4 <= window <= min(500, n_train // 4)``; no clear
cycle: a period of 10 rows, logged) and stored as the fitted detector's ``window_``.
:func:`split_variant` reads the variant names ``NAME@N``, ``NAME@wN``, ``NAME@period``,
``NAME@Kperiod`` and ``NAME@auto``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from pydantic import AfterValidator

from anogen.data.period import period_window
from anogen.data.windows import check_segments, window_starts
from anogen.params import PositiveInt
from anogen.types import AnogenError

__all__ = [
    "check_data",
    "check_segments",
    "window_starts",
    "sliding_windows",
    "window_features",
    "window_features_at",
    "windows_touching",
    "aggregate_window_scores",
    "check_scores",
    "check_fitted",
    "Window",
    "resolve_window",
    "split_variant",
]

_PERIOD = re.compile(r"(?P<k>\d+(?:\.\d+)?)?period")


def _window_spec(value: object) -> object:
    """A window: an int >= 1 (digits in a string too), ``"auto"``, ``"period"`` or ``"<K>period"``."""
    if not isinstance(value, str):
        return value
    s = value.strip()
    if s.isdigit() and int(s) >= 1:
        return int(s)
    m = _PERIOD.fullmatch(s)
    if s == "auto" or (m and float(m.group("k") or 1) > 0):
        return s
    raise ValueError("must be an integer >= 1, 'auto', 'period' or K periods such as '2period'")


#: a window length in rows, or one taken from the train part's period at fit time: ``"auto"`` =
#: ``"period"`` (one period), ``"2period"`` (two periods), ``"0.5period"``
Window = Annotated[Union[PositiveInt, str], AfterValidator(_window_spec)]


def resolve_window(window: object, X: np.ndarray, *, owner: str | None = None) -> int:
    """The window length in rows of a :data:`Window` for the ``(n_train, d)`` train rows ``X``
    (a period-based one through :func:`anogen.data.period.period_window`, logged)."""
    spec = _window_spec(window)
    if not isinstance(spec, str):
        return int(spec)  # type: ignore[call-overload]
    m = _PERIOD.fullmatch(spec)
    factor = float(m.group("k") or 1) if m else 1.0
    return period_window(X, factor, owner=owner)


def split_variant(name: str) -> tuple[str, int | str | None]:
    """``"knn@50"`` -> ``("knn", 50)``; ``"knn@w50"`` -> ``("knn", 50)`` (the selection's spelling);
    ``"knn@period"``, ``"knn@2period"``, ``"knn@auto"`` -> ``("knn", "period")``... ; ``"knn"`` ->
    ``("knn", None)``.

    Raises:
        AnogenError: a suffix that is not a window.
    """
    base, at, suffix = str(name).partition("@")
    if not at:
        return base, None
    raw = suffix[1:] if suffix[:1] == "w" and suffix[1:].isdigit() else suffix
    try:
        spec = _window_spec(raw)
    except ValueError:
        spec = None
    if not base or spec is None or isinstance(spec, bool):
        raise AnogenError(f"{name!r}: a variant is NAME@N (window N rows), NAME@period or NAME@Kperiod "
                          "(K periods of the train part, e.g. knn@2period)", key="detectors")
    return base, spec  # type: ignore[return-value]

Aggregate = Literal["mean", "max"]


def check_data(X: np.ndarray, *, name: str = "X", n_features: int | None = None, owner: str = "detector") -> np.ndarray:
    """Validate a data matrix and return it as a C-contiguous float64 array (never modified in place).

    Args:
        X: ``(n, d)`` numeric data (a 1-D ``(n,)`` array is read as one column).
        name: name used in error messages.
        n_features: the number of columns seen at fit time, if known.
        owner: detector name used in error messages.

    Returns:
        ``(n, d)`` float64 array.

    Raises:
        AnogenError: not numeric, not 1-D/2-D, empty, NaN/inf values, or a wrong column count.
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnogenError(f"{owner}: {name} must be a numeric (n, d) array ({exc})") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise AnogenError(f"{owner}: {name} must be a 2-D (n, d) array, got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise AnogenError(f"{owner}: {name} is empty (shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise AnogenError(f"{owner}: {name} contains {bad} NaN/inf value(s); clean or impute the data first")
    if n_features is not None and arr.shape[1] != n_features:
        raise AnogenError(
            f"{owner}: {name} has {arr.shape[1]} column(s) but the detector was fitted on {n_features}"
        )
    return np.ascontiguousarray(arr)


def sliding_windows(
    X: np.ndarray,
    window: int,
    stride: int = 1,
    segments: np.ndarray | None = None,
    *,
    owner: str = "detector",
) -> tuple[np.ndarray, np.ndarray]:
    """All windows of ``X`` as a ``(m, L, d)`` array (a copy of the selected views).

    Args:
        X: ``(n, d)`` data.
        window: window length ``L``.
        stride: step between window starts inside a segment.
        segments: ``(k, 2)`` half-open ranges or ``None``.
        owner: detector name used in error messages.

    Returns:
        ``(windows, starts)``: ``(m, L, d)`` windows and their ``(m,)`` start rows.

    Raises:
        AnogenError: no segment is at least ``window`` rows long.
    """
    feats, starts = window_features(X, window, stride, segments, owner=owner)
    d = 1 if np.ndim(X) == 1 else np.shape(X)[1]
    return feats.reshape(starts.size, window, d), starts


def _starts_or_raise(n: int, window: int, stride: int, segments: np.ndarray | None, owner: str) -> np.ndarray:
    starts = window_starts(n, window, segments, stride, owner=owner)
    if starts.size == 0:
        where = "the data" if segments is None else "every segment"
        raise AnogenError(
            f"{owner}: window={window} is longer than {where} ({n} rows"
            + ("" if segments is None else f", segments {np.asarray(segments).tolist()}")
            + "); use a smaller window"
        )
    return starts


def _take(view: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``view[starts]`` as a contiguous copy; a plain slice copy when the starts are consecutive."""
    if starts[-1] - starts[0] + 1 == starts.size:  # sorted unique -> consecutive
        return np.ascontiguousarray(view[starts[0] : starts[-1] + 1])
    return view[starts]


def window_features(
    X: np.ndarray,
    window: int,
    stride: int = 1,
    segments: np.ndarray | None = None,
    *,
    owner: str = "detector",
) -> tuple[np.ndarray, np.ndarray]:
    """Flattened window features for point estimators.

    Args:
        X: ``(n, d)`` data.
        window: window length ``L`` (``1`` = the rows themselves).
        stride: step between window starts inside a segment.
        segments: ``(k, 2)`` half-open ranges or ``None``.
        owner: detector name used in error messages.

    Returns:
        ``(features, starts)``: ``(m, L * d)`` features, row-major over (time, column), and the
        ``(m,)`` start rows.
    """
    X = np.ascontiguousarray(X)
    if X.ndim == 1:
        X = X[:, None]
    n, d = X.shape
    starts = _starts_or_raise(n, window, stride, segments, owner)
    # windows of the flattened array, one every d values: (n - L + 1, L * d), row-major over
    # (time, column), a view; the fancy index below makes the only copy
    flat = sliding_window_view(X.reshape(-1), window * d)[::d]
    return _take(flat, starts), starts


def window_features_at(X: np.ndarray, window: int, starts: np.ndarray) -> np.ndarray:
    """Flattened features ``(k, window * d)`` of the windows starting at ``starts`` (sorted, unique).

    Same layout as :func:`window_features`; only the requested windows are copied.
    """
    X = np.ascontiguousarray(X)
    if X.ndim == 1:
        X = X[:, None]
    d = X.shape[1]
    flat = sliding_window_view(X.reshape(-1), window * d)[::d]
    starts = np.asarray(starts, dtype=np.int64)
    if starts.size == 0:
        return np.zeros((0, window * d), dtype=X.dtype)
    return _take(flat, starts)


def windows_touching(rows: np.ndarray, starts: np.ndarray, window: int, n: int) -> np.ndarray:
    """``(m,)`` bool: which windows ``[starts[j], starts[j] + window)`` contain one of ``rows``.

    Args:
        rows: ``(k,)`` row numbers in ``[0, n)``.
        starts: ``(m,)`` window starts.
        window: window length.
        n: rows of the array.
    """
    mark = np.zeros(n + 1, dtype=np.int64)
    mark[np.asarray(rows, dtype=np.int64) + 1] = 1
    c = np.cumsum(mark)  # c[i] = marked rows before row i
    return (c[starts + window] - c[starts]) > 0


def aggregate_window_scores(
    scores: np.ndarray,
    starts: np.ndarray,
    window: int,
    n: int,
    how: Aggregate = "mean",
    *,
    fill: float | None = None,
) -> np.ndarray:
    """Per-step scores from per-window scores.

    The score of row ``t`` is the mean (or max) of ``scores[j]`` over every window ``j`` with
    ``starts[j] <= t < starts[j] + window``.

    Args:
        scores: ``(m,)`` window scores.
        starts: ``(m,)`` window start rows (any order).
        window: window length ``L``.
        n: number of rows of the output.
        how: ``"mean"`` or ``"max"``.
        fill: value for rows that no window covers; ``None`` = the minimum window score (such a
            row then looks as normal as the most normal window).

    Returns:
        ``(n,)`` float64 per-step scores.
    """
    if how not in ("mean", "max"):
        raise AnogenError(f"aggregate must be 'mean' or 'max', got {how!r}")
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    if scores.shape != starts.shape:
        raise ValueError(f"scores {scores.shape} and starts {starts.shape} differ in length")
    if scores.size and (starts.min() < 0 or starts.max() + window > n):
        raise ValueError(f"windows [start, start + {window}) must lie inside [0, {n})")
    fill_value = (float(scores.min()) if scores.size else 0.0) if fill is None else float(fill)
    if how == "mean":
        # difference arrays: +score at start, -score at start + L, then a cumulative sum
        diff = np.zeros(n + 1, dtype=np.float64)
        cnt = np.zeros(n + 1, dtype=np.int64)
        np.add.at(diff, starts, scores)
        np.add.at(diff, starts + window, -scores)
        np.add.at(cnt, starts, 1)
        np.add.at(cnt, starts + window, -1)
        total = np.cumsum(diff)[:n]
        count = np.cumsum(cnt)[:n]
        out = np.full(n, fill_value, dtype=np.float64)
        covered = count > 0
        out[covered] = total[covered] / count[covered]
        return out
    out = np.full(n, -np.inf, dtype=np.float64)
    rows = (starts[:, None] + np.arange(window, dtype=np.int64)).reshape(-1)
    np.maximum.at(out, rows, np.repeat(scores, window))
    out[np.isneginf(out)] = fill_value
    return out


def check_scores(scores: np.ndarray, n: int, *, owner: str = "detector") -> np.ndarray:
    """Check that a detector returned ``n`` finite scores; return them as ``(n,)`` float64.

    Raises:
        AnogenError: wrong length or NaN/inf scores (the message names the detector).
    """
    out = np.asarray(scores, dtype=np.float64).reshape(-1)
    if out.shape[0] != n:
        raise AnogenError(f"{owner}: produced {out.shape[0]} scores for {n} rows")
    if not np.all(np.isfinite(out)):
        bad = int(np.count_nonzero(~np.isfinite(out)))
        raise AnogenError(
            f"{owner}: produced {bad} NaN/inf score(s); check the estimator's parameters "
            "(e.g. duplicate rows with LOF, or a too small window)"
        )
    return out


def check_fitted(detector: object, attribute: str) -> None:
    """Raise a clear error when ``decision_function`` is called before ``fit``.

    Args:
        detector: the detector (its ``name`` is used in the message).
        attribute: a fitted attribute (ending in ``_``) that ``fit`` sets.

    Raises:
        AnogenError: the attribute is missing.
    """
    if getattr(detector, attribute, None) is None:
        name = getattr(detector, "name", type(detector).__name__)
        raise AnogenError(f"{name}: decision_function() called before fit(); call fit(X) first")
