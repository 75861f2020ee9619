"""Label-free surrogates of detector quality: extra voters that need no anomaly at all.

**Model centrality** (Goswami, Challu, Callot, Minorics and Kan, *Unsupervised Model Selection for
Time-series Anomaly Detection*, ICLR 2023, Sec. 3.3): detectors that are right tend to agree with
each other, while each wrong one is wrong in its own way. A detector's centrality is the mean
Kendall rank correlation between its anomaly scores on the *target* rows (data the detectors were
not fitted on, labels unused) and the scores of its ``k`` nearest detectors (the ``k`` most
correlated others). Higher = more central = the surrogate's vote for it.

Centrality votes on the whole candidate set at once, so it is only as good as the candidates: a
set of near-duplicates (three z-score variants) pulls the vote towards them. It is one voter, in
its own ``surrogate`` family, weighted like one anomaly family (:mod:`anogen.selection.consensus`).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

__all__ = ["centrality", "SURROGATES"]



def _kendall_matrix(scores: np.ndarray) -> np.ndarray:
    """``(m, m)`` Kendall tau-b between the rows of ``scores`` (NaN where undefined, e.g. constant scores)."""
    from scipy.stats import kendalltau

    m = scores.shape[0]
    out = np.eye(m)
    for i in range(m):
        for j in range(i + 1, m):
            tau = kendalltau(scores[i], scores[j]).statistic
            out[i, j] = out[j, i] = tau if np.isfinite(tau) else np.nan
    return out


def centrality(scores: Mapping[str, np.ndarray | None], k: int | None = None) -> dict[str, float]:
    """Each detector's mean Kendall correlation with its ``k`` most correlated other detectors.

    Args:
        scores: ``{detector: (n,) anomaly scores on the target rows}``; ``None`` = the detector
            failed (it gets NaN: ranked last).
        k: neighbours per detector (default: half the others, at least 1).

    Returns:
        ``{detector: centrality}`` in ``[-1, 1]`` (NaN for failed or constant-score detectors).
    """
    names = list(scores)
    ok = [n for n in names if scores[n] is not None and np.ptp(np.asarray(scores[n], dtype=np.float64)) > 0]
    out = {n: float("nan") for n in names}
    if len(ok) < 2:
        return out
    tau = _kendall_matrix(np.array([np.asarray(scores[n], dtype=np.float64) for n in ok]))
    kk = max(1, (len(ok) - 1) // 2) if k is None else max(1, min(int(k), len(ok) - 1))
    for i, n in enumerate(ok):
        others = np.delete(tau[i], i)
        others = np.sort(others[np.isfinite(others)])[::-1]
        out[n] = float(others[:kk].mean()) if len(others) else float("nan")
    return out


#: the label-free surrogates ``select.surrogates`` accepts: name -> ``{detector: scores} -> {detector: value}``
SURROGATES = {"centrality": centrality}
