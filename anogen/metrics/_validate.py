"""Input validation and run-length helpers shared by every metric.

Every public metric calls one of :func:`check_pred` / :func:`check_score` once, then works
on plain numpy arrays. Mistakes raise :class:`anogen.types.AnogenError` with a one-line
message that names the offending argument and value.

Ranges are half-open ``[start, end)`` row positions, as everywhere in anogen.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from anogen.types import AnogenError

__all__ = [
    "as_binary",
    "check_pred",
    "check_score",
    "check_k",
    "check_choice",
    "check_unit",
    "check_positive",
    "ranges",
    "ratio",
    "fbeta_from",
]


def as_binary(y: Any, name: str) -> np.ndarray:
    """Convert 0/1 (or bool) labels to a 1-D bool array.

    Args:
        y: ``(n,)`` array-like of 0/1 values or bools (a ``(n, 1)`` column is accepted).
        name: argument name used in error messages.

    Returns:
        ``(n,)`` bool array (a new array; the input is never modified).

    Raises:
        AnogenError: empty input, more than one dimension, or a value other than 0/1.
    """
    a = np.asarray(y)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise AnogenError(f"{name} must be a 1-D array of 0/1 values, got shape {a.shape}")
    if a.shape[0] == 0:
        raise AnogenError(f"{name} is empty: need at least one time step")
    if a.dtype == bool:
        return a.copy()
    if not (np.issubdtype(a.dtype, np.number)):
        raise AnogenError(f"{name} must contain only 0/1 values, got dtype {a.dtype}")
    bad = (a != 0) & (a != 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AnogenError(f"{name} must contain only 0/1 values; found {a[i].item()!r} at index {i}")
    return a != 0


def check_pred(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair of binary label arrays of one length.

    Args:
        y_true: ``(n,)`` ground-truth 0/1 labels.
        y_pred: ``(n,)`` predicted 0/1 labels.

    Returns:
        ``(y_true, y_pred)`` as ``(n,)`` bool arrays.
    """
    t = as_binary(y_true, "y_true")
    p = as_binary(y_pred, "y_pred")
    if t.shape[0] != p.shape[0]:
        raise AnogenError(f"y_true and y_pred must have the same length, got {t.shape[0]} and {p.shape[0]}")
    return t, p


def check_score(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate binary labels and real-valued anomaly scores of one length.

    Args:
        y_true: ``(n,)`` ground-truth 0/1 labels.
        y_score: ``(n,)`` anomaly scores (higher = more anomalous), finite.

    Returns:
        ``(y_true, y_score)`` as a ``(n,)`` bool array and a ``(n,)`` float64 array.
    """
    t = as_binary(y_true, "y_true")
    s = np.asarray(y_score)
    if s.ndim == 2 and s.shape[1] == 1:
        s = s[:, 0]
    if s.ndim != 1:
        raise AnogenError(f"y_score must be a 1-D array of scores, got shape {s.shape}")
    if s.dtype == bool or not np.issubdtype(s.dtype, np.number):
        raise AnogenError(f"y_score must be numeric scores, got dtype {s.dtype}")
    s = s.astype(np.float64)
    if s.shape[0] != t.shape[0]:
        raise AnogenError(f"y_true and y_score must have the same length, got {t.shape[0]} and {s.shape[0]}")
    finite = np.isfinite(s)
    if not finite.all():
        i = int(np.flatnonzero(~finite)[0])
        raise AnogenError(f"y_score must be finite; found {s[i].item()!r} at index {i}")
    return t, s


def check_k(k: Any, name: str = "k") -> int:
    """Validate a non-negative integer tolerance (the seed's ``range``)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        if isinstance(k, float) and k.is_integer():
            k = int(k)
        else:
            raise AnogenError(f"{name} must be a non-negative integer, got {k!r}")
    if k < 0:
        raise AnogenError(f"{name} must be a non-negative integer, got {k!r}")
    return int(k)


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """Validate that ``value`` is one of ``choices``."""
    if value not in choices:
        raise AnogenError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return str(value)


def check_unit(value: Any, name: str) -> float:
    """Validate a number in ``[0, 1]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
        raise AnogenError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def check_positive(value: Any, name: str, allow_zero: bool = False) -> float:
    """Validate a finite number ``> 0`` (or ``>= 0`` with ``allow_zero``)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = value >= 0 if allow_zero else value > 0
    if not ok:
        rel = ">= 0" if allow_zero else "> 0"
        raise AnogenError(f"{name} must be a finite number {rel}, got {value!r}")
    return float(value)


def ranges(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run-length encode a bool array into its anomalous ranges.

    Args:
        y: ``(n,)`` bool array.

    Returns:
        ``(starts, ends)``: two ``(r,)`` int64 arrays, half-open ``[start, end)``, sorted,
        disjoint and non-adjacent (adjacent positive points form one range).
    """
    d = np.diff(y.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(d == 1).astype(np.int64)
    ends = np.flatnonzero(d == -1).astype(np.int64)
    return starts, ends


def ratio(num: float, den: float, agree: bool) -> float:
    """``num / den``, or the documented value when the denominator is empty.

    An empty denominator means there was nothing to count. The ratio is then ``1.0`` when
    ground truth and prediction agree on that (both have no positives) and ``0.0`` otherwise.

    Args:
        num: numerator.
        den: denominator.
        agree: whether y_true and y_pred both have no positives.
    """
    if den == 0:
        return 1.0 if agree else 0.0
    return float(num) / float(den)


def fbeta_from(p: float, r: float, beta: float = 1.0) -> float:
    """F-beta from precision and recall; ``0.0`` when both are zero."""
    b2 = beta * beta
    den = b2 * p + r
    if den == 0:
        return 0.0
    return float((1.0 + b2) * p * r / den)
