"""Comparing detectors over many data sets (Demšar, "Statistical Comparisons of Classifiers over
Multiple Data Sets", JMLR 7, 2006): ranks per data set, the Friedman test, the Nemenyi critical
difference and the groups a critical-difference diagram joins.

Pure functions: a ``(n_datasets, k_detectors)`` table of a higher-is-better figure (VUS-PR) in,
numbers out. A ``NaN`` cell (the detector failed on that data set) ranks last on it.

>>> import numpy as np
>>> s = friedman_nemenyi(np.array([[0.9, 0.5, 0.1], [0.8, 0.6, 0.2], [0.7, 0.9, 0.3], [0.6, 0.5, 0.4]]))
>>> s.mean_ranks.tolist(), round(s.chi2, 3), round(s.cd, 3)
([1.25, 1.75, 3.0], 6.5, 1.657)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from anogen.types import AnogenError

__all__ = ["ranks_per_row", "friedman_nemenyi", "nemenyi_q", "cliques", "CDStats"]


def ranks_per_row(table: np.ndarray) -> np.ndarray:
    """``(n, k)`` ranks per row, 1 = the highest value, ties sharing the mean of their ranks; a ``NaN``
    cell ranks below every number (the failed ones of a row tie for the last places)."""
    from scipy.stats import rankdata

    x = np.asarray(table, dtype=np.float64)
    return rankdata(np.where(np.isnan(x), np.inf, -x), method="average", axis=1)


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Nemenyi's ``q_alpha`` for ``k`` detectors: the studentized range's ``1 - alpha`` quantile with
    infinite degrees of freedom over ``sqrt(2)`` (Demšar's Table 5a: 1.960, 2.343, 2.569, 2.728 for k = 2..5)."""
    from scipy.stats import studentized_range

    if k < 2:
        raise AnogenError(f"the Nemenyi test needs at least two detectors, got {k}")
    return float(studentized_range.ppf(1.0 - alpha, k, np.inf) / np.sqrt(2.0))


def cliques(mean_ranks: np.ndarray, cd: float) -> list[list[int]]:
    """The groups a critical-difference diagram joins with a bar: maximal runs of detectors (in the
    order of their mean ranks) whose mean ranks differ by less than ``cd``; each a list of column
    indices, best first; single detectors are not listed."""
    r = np.asarray(mean_ranks, dtype=np.float64)
    order = np.argsort(r, kind="stable")
    out: list[list[int]] = []
    last_end = -1
    for i in range(len(order)):
        j = i
        while j + 1 < len(order) and r[order[j + 1]] - r[order[i]] < cd:
            j += 1
        if j > i and j > last_end:          # not inside a group already drawn
            out.append([int(c) for c in order[i:j + 1]])
            last_end = j
    return out


@dataclass(frozen=True)
class CDStats:
    """Friedman test and Nemenyi critical difference over ``n`` data sets and ``k`` detectors.

    Attributes:
        n, k: data sets (rows) and detectors (columns).
        ranks: ``(n, k)`` ranks per data set (1 = best).
        mean_ranks: ``(k,)`` mean rank of each detector.
        chi2: Friedman's statistic ``12 n / (k (k+1)) * (sum R_j^2 - k (k+1)^2 / 4)``.
        p_chi2: its p-value (chi-squared, ``k - 1`` degrees of freedom).
        f: Iman and Davenport's ``(n-1) chi2 / (n (k-1) - chi2)`` (Demšar's recommended form).
        p_f: its p-value (F with ``k - 1`` and ``(k-1)(n-1)`` degrees of freedom); ``nan`` when undefined.
        alpha: the significance level.
        q: Nemenyi's ``q_alpha``.
        cd: the critical difference ``q sqrt(k (k+1) / (6 n))``: two detectors whose mean ranks
            differ by at least this differ significantly.
        groups: :func:`cliques` of the mean ranks.
    """

    n: int
    k: int
    ranks: np.ndarray
    mean_ranks: np.ndarray
    chi2: float
    p_chi2: float
    f: float
    p_f: float
    alpha: float
    q: float
    cd: float
    groups: list[list[int]]

    @property
    def significant(self) -> bool:
        """Whether the Friedman test (Iman-Davenport form) rejects "all detectors are equal" at ``alpha``."""
        return bool(np.isfinite(self.p_f) and self.p_f < self.alpha)


def friedman_nemenyi(table: np.ndarray, alpha: float = 0.05) -> CDStats:
    """The statistics of a critical-difference diagram for a ``(n, k)`` higher-is-better table.

    Raises:
        AnogenError: fewer than two detectors or no data set.
    """
    from scipy.stats import chi2 as chi2_dist
    from scipy.stats import f as f_dist

    x = np.asarray(table, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 2:
        raise AnogenError(f"a critical-difference comparison needs at least one data set and two detectors, "
                          f"got a table of shape {x.shape}")
    n, k = x.shape
    ranks = ranks_per_row(x)
    mean = ranks.mean(axis=0)
    chi2 = float(12.0 * n / (k * (k + 1)) * (np.sum(mean ** 2) - k * (k + 1) ** 2 / 4.0))
    p_chi2 = float(chi2_dist.sf(chi2, k - 1))
    denom = n * (k - 1) - chi2
    f = float((n - 1) * chi2 / denom) if denom > 0 else float("inf")
    p_f = float(f_dist.sf(f, k - 1, (k - 1) * (n - 1))) if n > 1 and np.isfinite(f) else \
        (0.0 if n > 1 else float("nan"))
    q = nemenyi_q(k, alpha)
    cd = float(q * np.sqrt(k * (k + 1) / (6.0 * n)))
    return CDStats(n, k, ranks, mean, chi2, p_chi2, f, p_f, float(alpha), q, cd, cliques(mean, cd))
