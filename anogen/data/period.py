"""The dominant period of a series, and the window length a detector takes from it.

One estimate serves the samplers (periodic anomaly kinds), the selection's window variants and the
detectors' ``window: auto``:

- :func:`dominant_period`: one column, the first autocorrelation peak after the first zero crossing,
  if it is above 0.2 (``None``: no clear cycle).
- :func:`data_period`: ``(n, d)`` rows, the median of the periods of the columns that have one.
- :func:`period_window`: a window length of ``factor`` periods, within bounds
  ``MIN_WINDOW <= window <= min(MAX_WINDOW, n_train // 4)``. Data without a clear cycle fall back
  to a period of :data:`DEFAULT_WINDOW` rows (the packaged detectors' window), logged.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

__all__ = ["dominant_period", "data_period", "period_window", "DEFAULT_WINDOW", "MIN_WINDOW", "MAX_WINDOW"]

log = logging.getLogger(__name__)

#: the period assumed for data without a clear cycle (the packaged detectors' window)
DEFAULT_WINDOW = 10
#: the shortest window taken from a period (a shorter cycle is mostly noise for a window detector)
MIN_WINDOW = 4
#: the longest window taken from a period (also at most a quarter of the train rows)
MAX_WINDOW = 500


def dominant_period(x: np.ndarray, max_rows: int = 1 << 17) -> int | None:
    """Dominant period in rows of a 1-D series (first autocorrelation peak after the first zero
    crossing, if it is above 0.2), or ``None`` for a series without a clear cycle."""
    x = np.asarray(x[:max_rows], dtype=np.float64)
    n = x.shape[0]
    if n < 8:
        return None
    x = x - x.mean()
    if not (x != 0).any():
        return None
    f = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(f * np.conj(f))[:n]
    acf = acf / acf[0]
    neg = np.flatnonzero(acf[: n // 2] < 0)
    if neg.size == 0:
        return None
    lag = int(neg[0] + np.argmax(acf[neg[0]: n // 2]))
    return lag if acf[lag] > 0.2 else None


def data_period(train: np.ndarray) -> int | None:
    """The dominant period of ``(n, d)`` rows: the median of the columns' periods (``None``
    when no column has a clear cycle, :func:`dominant_period`)."""
    x = np.asarray(train)
    x = x[:, None] if x.ndim == 1 else x
    found = [p for p in (dominant_period(x[:, j]) for j in range(x.shape[1])) if p]
    return int(np.median(found)) if found else None


_UNKNOWN = object()


def period_window(train: np.ndarray, factor: float = 1.0, *, owner: str | None = None, period: Any = _UNKNOWN) -> int:
    """A window of ``factor`` dominant periods of the ``(n, d)`` train rows.

    Args:
        train: the train part (scaling does not move the period).
        factor: periods per window (``knn@2period``: 2).
        owner: the detector's name for the log line.
        period: :func:`data_period` of ``train`` when the caller has it already (not estimated again).

    Returns:
        ``round(factor * period)`` within ``[MIN_WINDOW, min(MAX_WINDOW, n // 4)]`` (at least 1);
        without a clear cycle the period is taken as :data:`DEFAULT_WINDOW` rows (logged).
    """
    x = np.asarray(train)
    n = int(x.shape[0])
    period = data_period(x) if period is _UNKNOWN else period
    found = period is not None
    size = int(round(float(factor) * (period if found else DEFAULT_WINDOW)))
    hi = max(1, min(MAX_WINDOW, n // 4))
    window = max(1, min(max(size, MIN_WINDOW), hi))
    who = f"{owner}: " if owner else ""
    times = "" if float(factor) == 1.0 else f"{float(factor):g} x "
    if found:
        log.info("%swindow = %s%d-row period of the train part = %d rows", who, times, period, window)
    else:
        log.info("%swindow: the train part has no clear period (no autocorrelation peak above 0.2); "
                 "using %s%d rows = %d rows", who, times, DEFAULT_WINDOW, window)
    return window
