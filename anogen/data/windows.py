"""Window start rows: the one windowing helper of the trainer and the windowed detectors.

Rules:

- ``segments`` are half-open ``[start, end)`` row ranges of contiguous data (e.g. the train rows
  before and after the test period); a window never crosses a segment boundary.
- Windows start every ``stride`` rows inside each segment. When ``stride`` does not reach the
  segment end, one extra window aligned to the end is added, so every row of a segment at least
  ``window`` rows long is covered by at least one window (with ``stride=1`` these are simply all
  windows).
- A segment shorter than ``window`` gives no window.

Vectorised per segment (a handful of segments, never a loop over rows).
"""

from __future__ import annotations

import numpy as np

from anogen.params import PositiveInt, check_value
from anogen.types import AnogenError

__all__ = ["check_segments", "window_starts"]


def _prefix(owner: str | None) -> str:
    return f"{owner}: " if owner else ""


def check_segments(segments: np.ndarray | None, n: int, *, owner: str | None = None) -> np.ndarray:
    """Validate segments and return them as a ``(k, 2)`` int64 array.

    Args:
        segments: ``(k, 2)`` half-open row ranges ``[start, end)`` (integer values; floats holding
            whole numbers are accepted), or ``None`` for one segment ``[0, n)``.
        n: number of rows of the data the segments index.
        owner: component name prefixed to error messages (``"lstm_ae: ..."``).

    Returns:
        ``(k, 2)`` int64 array with ``0 <= start < end <= n`` in every row.

    Raises:
        AnogenError: empty, wrong shape, non-integer values, or an empty range / a range outside
            ``[0, n]`` (the message names the first bad segment).
    """
    if segments is None:
        return np.array([[0, n]], dtype=np.int64)
    pre = _prefix(owner)
    seg = np.asarray(segments)
    if seg.size == 0:
        raise AnogenError(f"{pre}segments is empty; pass None for one segment covering all {n} rows")
    if seg.ndim != 2 or seg.shape[1] != 2:
        raise AnogenError(f"{pre}segments must have shape (k, 2) of [start, end) rows, got shape {seg.shape}")
    if not np.issubdtype(seg.dtype, np.integer):
        numeric = np.issubdtype(seg.dtype, np.number) and not np.issubdtype(seg.dtype, np.complexfloating)
        if not numeric or not np.all(np.isfinite(seg)) or not np.all(seg == np.round(seg)):
            raise AnogenError(f"{pre}segments must hold integer row positions, got {seg.tolist()}")
    seg = seg.astype(np.int64)
    bad = (seg[:, 0] < 0) | (seg[:, 1] > n) | (seg[:, 0] >= seg[:, 1])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AnogenError(
            f"{pre}segments[{i}]={seg[i].tolist()} is not a non-empty [start, end) range inside [0, {n}] "
            f"(the data have {n} rows)"
        )
    return seg


def window_starts(
    n: int,
    window: int,
    segments: np.ndarray | None = None,
    stride: int = 1,
    *,
    owner: str | None = None,
    allow_empty: bool = True,
) -> np.ndarray:
    """Start rows of every window of ``window`` rows lying inside one segment.

    Args:
        n: number of rows.
        window: window length ``L >= 1``.
        segments: ``(k, 2)`` half-open row ranges ``[start, end)``; ``None`` = ``[[0, n]]``.
        stride: step between consecutive window starts inside a segment (``>= 1``).
        owner: component name prefixed to error messages.
        allow_empty: return an empty array when no segment is ``window`` rows long; ``False``
            raises instead.

    Returns:
        ``(m,)`` int64 start rows, sorted ascending (segments in row order); window ``j`` covers
        rows ``starts[j] .. starts[j] + window - 1``.

    Raises:
        AnogenError: invalid ``window``/``stride``/``segments``, or (``allow_empty=False``) no
            window fits.
    """
    key = f"{owner}.window" if owner else "window"
    window = int(check_value(window, PositiveInt, key))
    stride = int(check_value(stride, PositiveInt, f"{owner}.stride" if owner else "stride"))
    seg = check_segments(segments, n, owner=owner)
    parts = []
    for a, b in seg:  # a handful of segments, not rows
        last = b - window
        if last < a:
            continue
        s = np.arange(a, last + 1, stride, dtype=np.int64)
        if s[-1] != last:
            s = np.append(s, last)
        parts.append(s)
    starts = np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    if starts.size == 0 and not allow_empty:
        longest = int((seg[:, 1] - seg[:, 0]).max())
        raise AnogenError(
            f"{_prefix(owner)}window={window} is longer than every segment (the longest has {longest} rows): "
            "no window fits; use a smaller window"
        )
    return starts
