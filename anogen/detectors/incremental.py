"""Incremental scoring: rescore only the rows whose inputs changed, and score a sample of rows.

A detector is *local* when the score of row ``t`` depends only on the rows
``t - left .. t + right`` of the scored array (and on where the array ends, when that is nearer):
its **receptive field** ``(left, right)``. A detector declares it after ``fit`` as
``receptive_field_`` (``None``: not local, e.g. :class:`~anogen.detectors.RandomScore`, whose
scores depend on the row number, or an estimator that scores a batch as a whole).

For a local detector the scores of some rows ("cores") can be computed without scoring the whole
array: each core is cut out with ``left`` rows before and ``right`` rows after it (its margins,
clipped at the ends of the array) and the cut-outs are concatenated into one array scored by a
single call. Rows of a core see exactly the rows they would see in the whole array: its margins
are its true neighbours, a core at the start of the array is placed first and one at its end last
(cores are sorted), so edge effects are the same. Rows of the margins get wrong scores and are
dropped.

Two uses:

- **Incremental scoring** (:func:`affected_cores`): a test fold with injected anomalies differs from
  a scored reference (the clean fold) in a few rows; only the rows within the receptive field of a
  changed row get new scores, spliced into the reference's scores.
- **A bounded sample of train scores** (:func:`sample_cores`): percentile thresholds need the
  distribution of train scores, not every one of them; evenly spaced runs of rows are scored.

Everything is vectorised over cores (no Python loop over rows or cores).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["ScoredReference", "ReceptiveField", "merge_intervals", "interval_rows", "affected_cores",
           "sample_cores", "score_cores", "splice", "MAX_RESCORE_FRACTION"]

#: ``(left, right)``: rows before and after a row that its score depends on
ReceptiveField = tuple[int, int]

#: above this fraction of rows to rescore (margins included), scoring everything is as cheap
MAX_RESCORE_FRACTION = 0.5


@dataclass(frozen=True)
class ScoredReference:
    """A scored array that other arrays of the same shape can be scored against.

    Made by :meth:`anogen.detectors.BaseDetector.score_reference`; passed to
    ``decision_function(X, reference=...)``.

    Attributes:
        x: ``(n, d)`` float64 rows that were scored (a private copy).
        scores: ``(n,)`` float64 their scores.
        state: detector-private intermediate results (e.g. window scores), or ``None``.
    """

    x: np.ndarray
    scores: np.ndarray
    state: Any = None


def merge_intervals(starts: np.ndarray, ends: np.ndarray, gap: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Merge sorted half-open intervals that overlap or lie at most ``gap`` rows apart.

    Args:
        starts: ``(k,)`` interval starts, ascending.
        ends: ``(k,)`` interval ends (``> starts``).
        gap: intervals separated by at most this many rows are merged.

    Returns:
        ``(starts, ends)`` of the merged intervals, ascending and disjoint.
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    if starts.size <= 1:
        return starts, ends
    reach = np.maximum.accumulate(ends)
    first = np.flatnonzero(np.r_[True, starts[1:] - reach[:-1] > gap])
    return starts[first], np.maximum.reduceat(ends, first)


def interval_rows(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The rows of half-open intervals, concatenated: ``(sum(ends - starts),)`` int64."""
    lengths = np.asarray(ends, dtype=np.int64) - np.asarray(starts, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) + np.repeat(np.asarray(starts, dtype=np.int64) - offsets, lengths)


def _slices(starts: np.ndarray, ends: np.ndarray, field: ReceptiveField, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Cores widened by their margins, clipped to ``[0, n)``."""
    left, right = field
    return np.maximum(starts - left, 0), np.minimum(ends + right, n)


def affected_cores(changed: np.ndarray, field: ReceptiveField, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose scores a change of ``changed`` rows can alter, as merged intervals.

    Row ``t`` sees rows ``t - left .. t + right``, so a changed row ``c`` alters rows
    ``c - right .. c + left``. Cores closer than ``left + right`` rows are merged (their margins
    would overlap: scoring the rows between them costs nothing extra).

    Args:
        changed: ``(k,)`` ascending row numbers that differ from the reference.
        field: ``(left, right)``.
        n: rows of the array.

    Returns:
        ``(starts, ends)`` ascending disjoint half-open intervals.
    """
    left, right = field
    c = np.asarray(changed, dtype=np.int64)
    return merge_intervals(np.maximum(c - right, 0), np.minimum(c + left + 1, n), gap=left + right)


def sample_cores(n: int, size: int | None, field: ReceptiveField | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Evenly spaced runs of rows to score instead of all ``n`` (``None``: score every row).

    Runs are ``left + right + 1`` rows long (so the margins cost at most as much as the rows kept),
    ``ceil(size / run)`` of them, spread evenly from the first to the last row.

    Args:
        n: rows of the array.
        size: the most rows to score (about); ``None`` = all.
        field: the detector's receptive field; ``None`` (not local) = all rows.

    Returns:
        ``(starts, ends)`` of the runs, or ``None`` when every row should be scored (no bound, a
        non-local detector, or a sample that would not be smaller than ``n``).
    """
    if size is None or field is None or size >= n:
        return None
    run = max(1, field[0] + field[1] + 1)
    count = max(1, -(-int(size) // run))
    if count * (run + field[0] + field[1]) >= n:
        return None
    starts = np.unique(np.linspace(0, n - run, count).round().astype(np.int64))
    return merge_intervals(starts, starts + run)


def score_cores(score: Callable[[np.ndarray], np.ndarray], X: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                field: ReceptiveField) -> np.ndarray:
    """Scores of the rows of ``[starts, ends)`` of ``X`` from one call on their concatenated slices.

    Args:
        score: ``(m, d) -> (m,)`` the detector's scoring of a contiguous array.
        X: ``(n, d)`` the whole array.
        starts: ``(k,)`` ascending disjoint core starts.
        ends: ``(k,)`` core ends.
        field: ``(left, right)`` receptive field of ``score``.

    Returns:
        ``(sum(ends - starts),)`` float64 scores, cores in order (as :func:`interval_rows`).
    """
    a, b = _slices(starts, ends, field, X.shape[0])
    rows = interval_rows(a, b)
    s = np.asarray(score(X[rows]), dtype=np.float64).reshape(-1)
    if s.shape[0] != rows.shape[0]:
        raise ValueError(f"scoring {rows.shape[0]} rows returned {s.shape[0]} scores")
    lengths = b - a
    offsets = np.cumsum(lengths) - lengths  # where each slice starts in the concatenation
    return s[interval_rows(offsets + (starts - a), offsets + (ends - a))]


def splice(score: Callable[[np.ndarray], np.ndarray], X: np.ndarray, ref: ScoredReference,
           field: ReceptiveField | None, max_fraction: float = MAX_RESCORE_FRACTION) -> np.ndarray | None:
    """Scores of ``X`` from a reference of the same shape, rescoring only the affected rows.

    Args:
        score: ``(m, d) -> (m,)`` the detector's scoring of a contiguous array.
        X: ``(n, d)`` rows to score.
        ref: the scored reference (``ref.x.shape == X.shape``).
        field: the receptive field; ``None`` = not local.
        max_fraction: give up (return ``None``) when more than this fraction of rows would be scored.

    Returns:
        ``(n,)`` float64 scores, or ``None`` when the caller should score ``X`` whole (not local, a
        different shape, or too many rows changed).
    """
    if field is None or ref.x.shape != X.shape:
        return None
    changed = np.flatnonzero(np.any(X != ref.x, axis=1))
    out = ref.scores.copy()
    if changed.size == 0:
        return out
    starts, ends = affected_cores(changed, field, X.shape[0])
    a, b = _slices(starts, ends, field, X.shape[0])
    if int((b - a).sum()) > max_fraction * X.shape[0]:
        return None
    out[interval_rows(starts, ends)] = score_cores(score, X, starts, ends, field)
    return out
