"""Calibrated advice: P(best) and rank intervals that mean what they say on real data.

The battery's bootstrap measures how stable the ranking is *within the battery*; on real labelled
series it did not say how often the recommendation is right (mean P(best) 0.83 against a 22% hit
rate, 90% bootstrap rank intervals holding the real rank 44% of the time; ``docs/selection.md``).
The calibration maps the selection's points (the synthetic points mixed with the real-data prior)
to probabilities and intervals fitted on real labelled series, leave-one-source-out, by
``scripts/advice_evidence.py``, and stored in ``anogen/data/real/advice.json``:

* **P(best)** of each candidate is a softmax of its points, ``exp(T * points) / sum(...)``, with one
  temperature ``T`` fitted by maximum likelihood to which candidate was really best on the other
  sources' series (ties share the credit). A temperature near 0 says the points barely predict the
  real best; the probabilities then stay near ``1 / k``, which is the honest answer.
* **Rank intervals** are split-conformal: each candidate's predicted rank (its rank by points) plus
  and minus the ``level`` quantile of how far the predicted rank was from the real rank (the range
  of tied real ranks) on the other sources' (series, candidate) pairs.

A calibration holds for the candidate pool it was fitted on (``detectors``, less the window variants
a series leaves out); for another pool the selection keeps its bootstrap figures and says that they
are not calibrated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

__all__ = ["Calibration", "load_calibration", "ADVICE_PATH", "softmax_p_best", "predicted_ranks", "rank_intervals",
           "fit_temperature", "calibrated_p_best", "mean_best_count", "rank_errors", "conformal_halfwidth", "covered", "best_share", "calibration_dict",
           "mapping_points"]

ADVICE_PATH = Path(__file__).resolve().parents[1] / "data" / "real" / "advice.json"
#: the largest temperature tried (points are in [0, 1]: T = 50 already puts ~all mass on the top)
MAX_TEMPERATURE = 50.0


@dataclass(frozen=True)
class Calibration:
    """What ``scripts/advice_evidence.py`` fitted on real labelled series (``advice.json``).

    Attributes:
        detectors: the candidate pool it holds for (the packaged detector names).
        temperature: ``T`` of the P(best) softmax over the points.
        halfwidth: the rank intervals' half-width (in ranks) at ``level``.
        level: the intervals' nominal coverage (0.9).
        prior_weight: the weight of the real-data prior in the points it was fitted with.
        recommend: ``"ensemble"`` (the evaluation's winner was always the ensemble detector) or
            ``"ranking"`` (the first of the ranking).
        evidence: the leave-one-source-out figures the report quotes (series, families, % of oracle
            per method, the calibration check).
        source: where it was read from.
        ties: the mean number of candidates that are really best per calibration series (ties
            count for each: 1.27 on the shipped evidence). P(best) is "this candidate is a real
            best", so a softmax, which shares one win, is scaled by it (:func:`calibrated_p_best`).
    """

    detectors: tuple[str, ...]
    temperature: float
    halfwidth: float
    level: float = 0.9
    prior_weight: float = 0.0
    recommend: str = "ranking"
    evidence: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    ties: float = 1.0

    def applies(self, detectors: Iterable[str]) -> bool:
        """Whether it holds for this candidate pool: the same detectors, in any order, less any
        window variants (``knn@period``) the data left out (:func:`anogen.selection.candidates.window_variants`:
        it was fitted on series where they were left out too)."""
        have, pool = set(detectors), set(self.detectors)
        return have <= pool and all("@" in d for d in pool - have) and any("@" not in d for d in have)


def load_calibration(path: str | Path | None = None) -> Calibration | None:
    """The shipped calibration (``None`` when the file is absent)."""
    p = Path(path) if path is not None else ADVICE_PATH
    if not p.is_file():
        return None
    raw = json.loads(p.read_text())
    return Calibration(tuple(raw["detectors"]), float(raw["temperature"]), float(raw["halfwidth"]),
                       float(raw.get("level", 0.9)), float(raw.get("prior_weight", 0.0)),
                       str(raw.get("recommend", "ranking")), dict(raw.get("evidence", {})), str(p),
                       float(raw.get("ties", 1.0)))


def softmax_p_best(points: Sequence[float], temperature: float) -> np.ndarray:
    """``(m,)`` P(best) of each candidate: ``softmax(T * points)`` over the finite points (a candidate
    without points gets 0)."""
    pts = np.asarray(points, dtype=np.float64)
    ok = np.isfinite(pts)
    out = np.zeros(len(pts))
    if ok.any():
        z = float(temperature) * (pts[ok] - pts[ok].max())
        e = np.exp(z)
        out[ok] = e / e.sum()
    return out


def calibrated_p_best(points: Sequence[float], temperature: float, ties: float = 1.0) -> np.ndarray:
    """``(m,)`` P(this candidate is a real best): :func:`softmax_p_best` times ``ties``, the mean
    number of real-best candidates per series where it was fitted (a tie for best makes each tied
    candidate a best, so these can sum to more than 1), at most 1."""
    return np.minimum(1.0, float(ties) * softmax_p_best(points, temperature))


def mean_best_count(real: Sequence[Sequence[float]]) -> float:
    """The mean number of really best candidates (ties count for each) over the series of ``real``
    that have a real best (:func:`best_share`); 1.0 when none has."""
    counts = [float((best_share(r) > 0).sum()) for r in real]
    counts = [c for c in counts if c > 0]
    return float(np.mean(counts)) if counts else 1.0


def predicted_ranks(points: Sequence[float]) -> np.ndarray:
    """``(m,)`` rank of each candidate by points, 1 = best, ties averaged (missing points: last)."""
    from scipy.stats import rankdata  # lazy: scipy.stats (~0.3 s), only where ranks are computed

    pts = np.nan_to_num(np.asarray(points, dtype=np.float64), nan=-np.inf)
    return rankdata(-pts, method="average")


def rank_intervals(points: Sequence[float], halfwidth: float) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``: the predicted rank minus/plus ``halfwidth``, as whole ranks within ``1..m``."""
    r = predicted_ranks(points)
    m = len(r)
    lo = np.clip(np.ceil(r - halfwidth - 1e-9), 1, m)
    hi = np.clip(np.floor(r + halfwidth + 1e-9), 1, m)
    return lo, hi


def _real_rank_range(real: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst rank each candidate can have in the real ranking (higher real = better; ties)."""
    best = np.array([1 + np.sum(real > x) for x in real], dtype=np.float64)
    worst = np.array([np.sum(real >= x) for x in real], dtype=np.float64)
    return best, worst


def rank_errors(points: Sequence[float], real: Sequence[float]) -> np.ndarray:
    """``(m,)`` how far each candidate's predicted rank is from its real rank range (0 inside it)."""
    pts, rl = np.asarray(points, np.float64), np.asarray(real, np.float64)
    ok = np.isfinite(pts) & np.isfinite(rl)
    r = predicted_ranks(pts[ok])
    best, worst = _real_rank_range(rl[ok])
    return np.maximum(0.0, np.maximum(best - r, r - worst))


def covered(points: Sequence[float], real: Sequence[float], halfwidth: float) -> np.ndarray:
    """``(m,)`` whether each candidate's interval (:func:`rank_intervals`) meets its real rank range."""
    pts, rl = np.asarray(points, np.float64), np.asarray(real, np.float64)
    ok = np.isfinite(pts) & np.isfinite(rl)
    lo, hi = rank_intervals(pts[ok], halfwidth)
    best, worst = _real_rank_range(rl[ok])
    return (lo <= worst) & (hi >= best)


def conformal_halfwidth(errors: Sequence[float], level: float = 0.9) -> float:
    """The split-conformal half-width: the ``ceil((n + 1) * level) / n`` quantile of the errors."""
    e = np.sort(np.asarray(errors, np.float64)[np.isfinite(errors)])
    if not len(e):
        return float("nan")
    k = min(len(e) - 1, int(np.ceil((len(e) + 1) * level)) - 1)
    return float(e[k])


def best_share(real: Sequence[float]) -> np.ndarray:
    """``(m,)`` which candidates are really best (ties share 1 equally; nothing when all tie)."""
    rl = np.asarray(real, np.float64)
    ok = np.isfinite(rl)
    out = np.zeros(len(rl))
    if ok.sum() < 2 or np.ptp(rl[ok]) == 0:
        return out
    top = ok & (rl == rl[ok].max())
    out[top] = 1.0 / top.sum()
    return out


def fit_temperature(points: Sequence[Sequence[float]], real: Sequence[Sequence[float]]) -> float:
    """Maximum-likelihood temperature of :func:`softmax_p_best` for which candidate was really best.

    Args:
        points: per series, the candidates' points.
        real: per series, the candidates' real scores (higher = better), same order.

    Returns:
        ``T`` in ``[0, MAX_TEMPERATURE]``; series whose real scores all tie are left out.
    """
    from scipy.optimize import minimize_scalar  # lazy: scipy.optimize, only when fitting

    pairs = [(np.asarray(p, np.float64), best_share(r)) for p, r in zip(points, real)]
    pairs = [(p, b) for p, b in pairs if b.sum() > 0]
    if not pairs:
        return 0.0

    def nll(t: float) -> float:
        return -sum(float(np.sum(b * np.log(softmax_p_best(p, t) + 1e-12))) for p, b in pairs)

    return float(minimize_scalar(nll, bounds=(0.0, MAX_TEMPERATURE), method="bounded").x)


def calibration_dict(cal: Calibration) -> dict[str, Any]:
    """What ``advice.json`` holds (the inverse of :func:`load_calibration`)."""
    return {"detectors": list(cal.detectors), "temperature": cal.temperature, "halfwidth": cal.halfwidth,
            "level": cal.level, "prior_weight": cal.prior_weight, "recommend": cal.recommend,
            "ties": cal.ties, "evidence": dict(cal.evidence)}


def mapping_points(points: Mapping[str, float], detectors: Sequence[str]) -> np.ndarray:
    """``(m,)`` the points of ``detectors`` from a ``{detector: points}`` mapping (missing: NaN)."""
    return np.array([float(points.get(d, np.nan)) for d in detectors], dtype=np.float64)
