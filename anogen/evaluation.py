"""The one evaluation path: fit -> score -> threshold -> measure, with one error policy.

Used by the run job, the benchmark job and the library API. Every detector is fitted once on the
clean train part of a fold (:func:`fit_detectors`), then scores each injected test set (a
:class:`Case`) and is measured on it (:func:`score_cases`). :func:`evaluate_detectors` does both.

Error policy: any exception a detector raises (in ``fit``, in ``decision_function``, a wrong
shape, NaN scores, or an :class:`~anogen.types.AnogenError` about its own parameters or the data it
was given) is recorded on its :class:`DetectorRun` with the message, and the other detectors go on.
The jobs decide what "every detector failed" means (an error that lists the messages).
"""

from __future__ import annotations

import copy
import logging
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from anogen.types import Injected

log = logging.getLogger("anogen")

__all__ = ["Case", "DetectorRun", "fit_detectors", "score_cases", "evaluate_detectors",
           "event_recall_by_kind", "fresh_detectors", "all_failed_message"]


@dataclass(frozen=True)
class Case:
    """One injected test set to score.

    Attributes:
        name: identifies the case in results (``"noise/seed0"``; ``""`` for a single run).
        injected: the injected fold (labels, events; values in original units).
        x: ``(n, d)`` ``injected.values`` scaled for the detectors (train statistics).
        validation: an optional second case used only to tune the threshold (its labels are
            synthetic, so tuning on it is legitimate); the results are measured on this case.
        tags: extra columns carried into result rows (``{"sampler": "noise", "seed": 0}``).
    """

    name: str
    injected: Injected
    x: np.ndarray
    validation: "Case | None" = None
    tags: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class DetectorRun:
    """One detector measured on one case.

    Attributes:
        detector: detector name.
        case: the case name.
        metrics: ``{metric: value}`` (empty when the detector failed).
        scores: ``(n,)`` float64 scores, ``None`` when it failed.
        predictions: ``(n,)`` bool, ``None`` when it failed.
        threshold: the threshold used, ``None`` when it failed.
        recall_by_kind: fraction of events of each kind with at least one predicted row.
        seconds: fit (shared by the cases of one fold) + scoring time.
        error: ``"Type: message"`` when the detector failed, else ``None``.
        tags: the case's tags.
    """

    detector: str
    case: str
    metrics: dict[str, float] = field(default_factory=dict)
    scores: np.ndarray | None = None
    predictions: np.ndarray | None = None
    threshold: float | None = None
    recall_by_kind: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    tags: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    def row(self) -> dict[str, Any]:
        """A flat result row (benchmark ``runs.csv``)."""
        out: dict[str, Any] = {**self.tags, "detector": self.detector, "error": self.error}
        out.update(self.metrics)
        if self.ok:
            out["threshold"] = self.threshold
            out["seconds"] = self.seconds
            out.update({f"recall[{k}]": v for k, v in self.recall_by_kind.items()})
        return out


def _message(e: BaseException) -> str:
    return f"{type(e).__name__}: {' '.join(str(e).split())}"


def fresh_detectors(prototypes: Mapping[str, Any]) -> dict[str, Any]:
    """Unfitted copies of configured detectors (``sklearn.base.clone``, else a deep copy)."""
    from sklearn.base import BaseEstimator, clone

    return {k: clone(d) if isinstance(d, BaseEstimator) else copy.deepcopy(d) for k, d in prototypes.items()}


def fit_detectors(detectors: Mapping[str, Any], x_train: np.ndarray,
                  segments: np.ndarray | None = None) -> tuple[dict[str, Any], dict[str, str], dict[str, float]]:
    """Fit every detector on the scaled clean train rows.

    Args:
        detectors: ``{name: unfitted detector}`` (``fit(X, segments=...)``, ``decision_function``).
        x_train: ``(n_train, d)`` scaled train rows.
        segments: ``(k, 2)`` half-open ranges of contiguous train rows.

    Returns:
        ``(fitted, errors, seconds)``: the detectors that fitted, ``{name: message}`` for the others,
        and the fit time per detector.
    """
    fitted, errors, seconds = {}, {}, {}
    for name, det in detectors.items():
        t0 = time.perf_counter()
        try:
            det.fit(x_train, segments=segments)
            train_scores = np.asarray(det.decision_scores_, dtype=np.float64)
            if not np.isfinite(train_scores).all():
                raise RuntimeError("train scores contain NaN or inf")
            fitted[name] = det
        except Exception as e:  # noqa: BLE001 - recorded; the other detectors go on
            errors[name] = _message(e)
            log.warning("detector %s failed to fit: %s", name, errors[name])
            log.debug("%s", traceback.format_exc())
        seconds[name] = time.perf_counter() - t0
    return fitted, errors, seconds


def event_recall_by_kind(inj: Injected, pred: np.ndarray) -> dict[str, float]:
    """Fraction of events of each kind with at least one predicted row (vectorised over events)."""
    if not inj.events:
        return {}
    c = np.concatenate([[0], np.cumsum(np.asarray(pred, dtype=np.int64))])
    starts = np.array([e.start for e in inj.events])
    ends = np.array([e.end for e in inj.events])
    hit = (c[ends] - c[starts]) > 0
    kinds = np.array([e.kind for e in inj.events])
    return {k: float(hit[kinds == k].mean()) for k in sorted(set(kinds.tolist()))}


def _scores_of(det: Any, x: np.ndarray) -> np.ndarray:
    s = np.asarray(det.decision_function(x), dtype=np.float64)
    if s.shape != (x.shape[0],):
        raise RuntimeError(f"decision_function returned shape {s.shape}, expected ({x.shape[0]},)")
    if not np.isfinite(s).all():
        raise RuntimeError("decision_function returned NaN or inf")
    return s


def _threshold(det: Any, case: Case, scores: np.ndarray, threshold: Any, tuning: Mapping | None) -> float:
    if tuning and case.validation is not None:
        from anogen.tuning import tune_threshold

        val = case.validation
        return float(tune_threshold(val.injected.labels, _scores_of(det, val.x), tuning.get("objective", "f1"),
                                    float(tuning.get("max_fpr", 0.05))))
    return float(threshold(np.asarray(det.decision_scores_, dtype=np.float64), scores, case.injected.labels))


def measure(name: str, det: Any, case: Case, threshold: Any, metrics: Mapping[str, Any],
            tuning: Mapping | None = None, fit_seconds: float = 0.0) -> DetectorRun:
    """Score one case with a fitted detector, threshold it, compute the metrics (errors recorded)."""
    from anogen.metrics.suite import compute_metrics
    from anogen.thresholds import predict

    t0 = time.perf_counter()
    run = DetectorRun(detector=name, case=case.name, tags=dict(case.tags))
    try:
        scores = _scores_of(det, case.x)
        thr = _threshold(det, case, scores, threshold, tuning)
        pred = predict(scores, thr)
        y = case.injected.labels.astype(bool)
        run.metrics = {k: float(v) for k, v in compute_metrics(metrics, y, pred, scores).items()}
        run.scores, run.predictions, run.threshold = scores, pred, thr
        run.recall_by_kind = event_recall_by_kind(case.injected, pred)
    except Exception as e:  # noqa: BLE001 - recorded; the other detectors go on
        run.error = _message(e)
        log.warning("detector %s failed on %s: %s", name, case.name or "the test fold", run.error)
        log.debug("%s", traceback.format_exc())
    run.seconds = fit_seconds + time.perf_counter() - t0
    return run


def score_cases(fitted: Mapping[str, Any], cases: Sequence[Case], threshold: Any, metrics: Mapping[str, Any], *,
                tuning: Mapping | None = None, fit_errors: Mapping[str, str] | None = None,
                fit_seconds: Mapping[str, float] | None = None, order: Sequence[str] | None = None) -> list[DetectorRun]:
    """Every (case, detector) pair; detectors that failed to fit get a run carrying their fit error."""
    fit_errors, fit_seconds = dict(fit_errors or {}), dict(fit_seconds or {})
    names = list(order) if order is not None else [*fitted, *[n for n in fit_errors if n not in fitted]]
    runs = []
    for case in cases:
        for name in names:
            if name in fitted:
                runs.append(measure(name, fitted[name], case, threshold, metrics, tuning, fit_seconds.get(name, 0.0)))
            else:
                runs.append(DetectorRun(detector=name, case=case.name, error=fit_errors.get(name, "not fitted"),
                                        tags=dict(case.tags)))
    return runs


def evaluate_detectors(detectors: Mapping[str, Any], x_train: np.ndarray, cases: Sequence[Case], threshold: Any,
                       metrics: Mapping[str, Any], *, segments: np.ndarray | None = None,
                       tuning: Mapping | None = None) -> list[DetectorRun]:
    """Fit each detector once on ``x_train`` and measure it on every case.

    Args:
        detectors: ``{name: unfitted detector}``.
        x_train: ``(n_train, d)`` scaled clean train rows.
        cases: the injected test sets (:class:`Case`).
        threshold: strategy ``(train_scores, test_scores, labels) -> float`` (:mod:`anogen.thresholds`).
        metrics: ``{name: Metric}``.
        segments: ``(k, 2)`` contiguous ranges of the train rows.
        tuning: ``{"objective": "f1"|"recall_at_fpr", "max_fpr": float}`` to choose thresholds on each
            case's ``validation`` set instead.

    Returns:
        One :class:`DetectorRun` per (case, detector), cases outermost, detectors in the given order.
    """
    fitted, errors, secs = fit_detectors(detectors, x_train, segments)
    return score_cases(fitted, cases, threshold, metrics, tuning=tuning, fit_errors=errors, fit_seconds=secs,
                       order=list(detectors))


def all_failed_message(runs: Sequence[DetectorRun]) -> str | None:
    """``None`` if any detector produced results, else one line with every detector's error."""
    if not runs or any(r.ok for r in runs):
        return None
    seen: dict[str, str] = {}
    for r in runs:
        seen.setdefault(r.detector, r.error or "")
    return "every detector failed: " + "; ".join(f"{k}: {v}" for k, v in seen.items())
