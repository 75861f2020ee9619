"""Numenta Anomaly Benchmark score (Lavin & Ahmad, ICMLA 2015) on binary predictions.

NAB itself is not on PyPI (the PyPI ``nab`` is unrelated); this follows the scoring rules of
Numenta's ``Sweeper`` (``nab/sweeper.py``), with the window rule of its labeller:

- **Windows**: every true range gets a window of ``W = floor(window_fraction * n / R)``
  points (``R`` true ranges; NAB uses 10%), centred on the range; a range longer than
  ``W`` keeps its own extent. Windows are clipped to the series and overlapping windows are
  merged (NAB merges them too). ``window_fraction=0`` makes the windows exactly the true
  ranges (the convention of the ``tsadmetrics`` port).
- **Scaled sigmoid** ``sigma(x) = 2 / (1 + exp(5 x)) - 1`` (``-1`` for ``x > 3``).
- **True positive**: only the first prediction inside a window counts, worth
  ``A_tp * sigma(x) / sigma(-1)`` at relative position ``x = -(end - i + 1) / width`` (1 at
  the window start, close to 0 at its end). A window without prediction costs ``-A_fn``.
- **False positive** (prediction outside every window): ``A_fp * sigma(x)`` with
  ``x = (i - prev_end) / max(prev_width - 1, 1)`` after the previous window, ``-A_fp``
  when no window precedes it.
- **Normalised score**: ``100 * (raw - null) / (perfect - null)`` with ``null = -A_fn * W``
  (nothing detected) and ``perfect = A_tp * W`` (every window hit at its first point).
  A prediction that exactly equals the labels reaches 100 only when the windows are the
  ranges themselves; with wider windows NAB rewards detecting earlier than the label.

Profiles (NAB's ``config/profiles.json``): ``standard`` (A_tp 1, A_fp 0.11, A_fn 1),
``reward_low_fp`` (A_fp 0.22), ``reward_low_fn`` (A_fn 2). There is no probationary period
(NAB skips the first 15% of each file, which would hide injected anomalies there).

Undefined case: with no true anomaly the normalisation is 0/0 and ``AnogenError`` is raised.
"""

from __future__ import annotations

import numpy as np

from anogen.types import AnogenError

from ._validate import check_choice, check_positive, check_pred, ranges
from .base import metric

NAB_PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_fp": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_fn": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def _scaled_sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        val = 2.0 / (1.0 + np.exp(5.0 * x)) - 1.0
    return np.where(x > 3.0, -1.0, val)


def nab_windows(y_true: np.ndarray, window_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """NAB windows for bool labels: inclusive ``(starts, ends)`` after centring and merging."""
    n = y_true.shape[0]
    s, e = ranges(y_true)
    last = e - 1
    if s.shape[0] == 0:
        return s, last
    w = int(np.floor(window_fraction * n / s.shape[0]))
    extra = np.maximum(w - (last - s + 1), 0)
    left = extra // 2
    ws = np.maximum(s - left, 0)
    we = np.minimum(last + (extra - left), n - 1)
    # merge overlapping windows
    run = np.maximum.accumulate(we)
    new = np.r_[True, ws[1:] > run[:-1]]
    first = np.flatnonzero(new)
    return ws[first], np.maximum.reduceat(we, first)


@metric(input="pred")
def nab_score(y_true, y_pred, profile: str = "standard", window_fraction: float = 0.1) -> float:
    """Normalised NAB score of a binary prediction (see the module docstring).

    Args:
        y_true: ``(n,)`` 0/1 ground truth with at least one anomaly.
        y_pred: ``(n,)`` 0/1 prediction (every predicted point is one detection).
        profile: ``"standard"``, ``"reward_low_fp"`` or ``"reward_low_fn"``.
        window_fraction: share of the series covered by windows in total (NAB: 0.1).

    Returns:
        Score ``<= 100`` (100 = every window detected at its start and no false
        positive; 0 = nothing detected; negative when false positives dominate).
    """
    profile = check_choice(profile, "profile", tuple(NAB_PROFILES))
    window_fraction = check_positive(window_fraction, "window_fraction", allow_zero=True)
    if window_fraction > 1:
        raise AnogenError(f"window_fraction must be in [0, 1], got {window_fraction!r}")
    t, p = check_pred(y_true, y_pred)
    if not t.any():
        raise AnogenError("nab_score needs at least one anomalous point in y_true; y_true is all 0")
    a = NAB_PROFILES[profile]
    ws, we = nab_windows(t, window_fraction)
    n_win = ws.shape[0]
    width = (we - ws + 1).astype(np.float64)
    pi = np.flatnonzero(p)
    k = np.searchsorted(ws, pi, side="right") - 1
    kc = np.clip(k, 0, None)
    inside = (k >= 0) & (pi <= we[kc])

    # true positives: first prediction in each window
    ki = k[inside]
    win_ids, first_idx = np.unique(ki, return_index=True)
    pos = -(we[win_ids] - pi[inside][first_idx] + 1) / width[win_ids]
    max_tp = 2.0 / (1.0 + np.exp(-5.0)) - 1.0
    tp_score = a["tp"] * _scaled_sigmoid(pos) / max_tp
    missed = n_win - win_ids.shape[0]

    # false positives
    out = ~inside
    ko = k[out]
    after = ko >= 0
    kc_o = np.clip(ko, 0, None)
    rel = (pi[out] - we[kc_o]) / np.maximum(width[kc_o] - 1.0, 1.0)
    fp_unweighted = np.where(after, _scaled_sigmoid(rel), -1.0)
    fp_score = a["fp"] * fp_unweighted

    raw = float(tp_score.sum() - a["fn"] * missed + fp_score.sum())
    null = -a["fn"] * n_win
    perfect = a["tp"] * n_win
    return float(100.0 * (raw - null) / (perfect - null))
