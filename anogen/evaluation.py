"""The one evaluation path: fit -> score -> threshold -> measure, with one error policy.

Used by the run job, the benchmark job and the library API. Every detector is fitted once on the
clean train part of a fold (:func:`fit_detectors`), then scores each injected test set (a
:class:`Case`) and is measured on it (:func:`score_cases`). :func:`evaluate_detectors` does both.

Scoring is incremental by default (``incremental=True``): the cases of one fold that have the same
shape and the same clean rows share a *reference*, assembled from their rows that no anomaly
touched (so essentially the clean fold); each detector scores it once, and each case is scored by
rescoring only the rows near those that differ from it (see :mod:`anogen.detectors.incremental`;
a detector that is not local, or a case of another shape, e.g. with inserted rows, is scored whole).
The scores are those of full scoring up to floating-point rounding. ``incremental=False`` scores
every case whole (the comparison path).

Percentile thresholds need the distribution of the train scores, not all of them: detectors are
fitted with ``train_scores=TRAIN_SCORES`` (20,000) evenly spaced train rows scored (in runs of
consecutive rows, see :func:`anogen.detectors.incremental.sample_cores`); ``train_scores=None``
scores every train row.

Error policy: any exception a detector raises (in ``fit``, in ``decision_function``, a wrong
shape, NaN scores, or an :class:`~anogen.types.AnogenError` about its own parameters or the data it
was given) is recorded on its :class:`DetectorRun` with the message, and the other detectors go on.
The jobs decide what "every detector failed" means (an error that lists the messages).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from anogen.metrics.suite import compute_metrics
from anogen.outputs.signals import raise_if_interrupted
from anogen.thresholds import predict
from anogen.tuning import tune_threshold
from anogen.types import Injected

log = logging.getLogger("anogen")

__all__ = ["Case", "DetectorRun", "fit_detectors", "score_cases", "evaluate_detectors", "measure",
           "event_recall_by_kind", "fresh_detectors", "all_failed_message", "scores_of", "TRAIN_SCORES"]

#: default bound on the train rows scored for ``decision_scores_`` (percentile thresholds)
TRAIN_SCORES = 20_000


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
        context: ``(m, d)`` scaled rows that directly precede ``x`` (the end of the train part), or
            ``None``. Used only for a detector that cannot score ``x`` alone (fewer rows than its
            ``min_rows_``, e.g. a period-long window on a short test part): it scores the context's
            last rows and ``x`` together, and only the scores of ``x`` are kept.
    """

    name: str
    injected: Injected
    x: np.ndarray
    validation: "Case | None" = None
    tags: Mapping[str, Any] = field(default_factory=dict)
    context: np.ndarray | None = None


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


def fit_detectors(detectors: Mapping[str, Any], x_train: np.ndarray, segments: np.ndarray | None = None, *,
                  train_scores: int | None = TRAIN_SCORES,
                  workers: int = 1) -> tuple[dict[str, Any], dict[str, str], dict[str, float]]:
    """Fit every detector on the scaled clean train rows.

    Args:
        detectors: ``{name: unfitted detector}`` (``fit(X, segments=...)``, ``decision_function``).
        x_train: ``(n_train, d)`` scaled train rows.
        segments: ``(k, 2)`` half-open ranges of contiguous train rows.
        train_scores: score about this many train rows for the threshold (anogen detectors that are
            local; see :meth:`anogen.detectors.BaseDetector.fit`); ``None`` = every row.
        workers: threads fitting detectors side by side (1 = one after the other). Ensembles are
            fitted last, after every other detector: a member configured as another candidate is that
            fitted candidate (one fit, :meth:`anogen.detectors.Ensemble.fit`'s ``shared``).

    Returns:
        ``(fitted, errors, seconds)``: the detectors that fitted, ``{name: message}`` for the others,
        and the fit time per detector (all in the order of ``detectors``).
    """
    from anogen.detectors.base import BaseDetector  # lazy: scikit-learn, imported when there is something to fit
    from anogen.detectors.ensemble import Ensemble  # lazy: pydantic, with the detectors

    fitted, errors, seconds = {}, {}, {}

    def fit_one(name: str) -> None:
        det = detectors[name]
        raise_if_interrupted()  # a safe point (an interrupt swallowed in a callback ends the run here)
        t0 = time.perf_counter()
        try:
            if isinstance(det, Ensemble):
                det.fit(x_train, segments=segments, train_scores=train_scores,
                        shared={k: d for k, d in fitted.items() if not isinstance(d, Ensemble)})
            elif isinstance(det, BaseDetector):
                det.fit(x_train, segments=segments, train_scores=train_scores)
            else:
                det.fit(x_train, segments=segments)
            if not np.isfinite(np.asarray(det.decision_scores_, dtype=np.float64)).all():
                raise RuntimeError("train scores contain NaN or inf")
            fitted[name] = det
        except Exception as e:  # noqa: BLE001 - recorded; the other detectors go on
            raise_if_interrupted(e)   # not a detector's failure: an interrupt wrapped in another exception
            errors[name] = _message(e)
            log.warning("detector %s failed to fit: %s", name, errors[name])
            log.debug("%s", traceback.format_exc())
        seconds[name] = time.perf_counter() - t0

    plain = [n for n in detectors if not isinstance(detectors[n], Ensemble)]
    side = [n for n in plain if _threads_ok(detectors[n])]
    threads = min(max(1, int(workers)), len(side))
    if threads > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads, thread_name_prefix="anogen-fit") as pool:
            for future in [pool.submit(fit_one, n) for n in side]:
                future.result()
    for name in plain:
        if threads <= 1 or name not in side:
            fit_one(name)
    for name in detectors:
        if isinstance(detectors[name], Ensemble):
            fit_one(name)
    order = list(detectors)
    return ({n: fitted[n] for n in order if n in fitted}, {n: errors[n] for n in order if n in errors},
            {n: seconds[n] for n in order if n in seconds})


def _threads_ok(det: Any) -> bool:
    """Whether a detector may run in a thread beside others (anogen detectors say so; others may not)."""
    return bool(getattr(det, "threads_ok", False))


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


def context_rows(det: Any, n: int, context: np.ndarray | None) -> int:
    """How many rows of ``context`` a fitted detector needs before ``n`` rows it cannot score alone:
    0 when it can (``n >= min_rows_``) or there is no context; else enough for its first score and,
    for a local detector, a whole left receptive field (so every scored row sees as many rows before
    it as in a long series), at most the context's length."""
    need = int(getattr(det, "min_rows_", 1))
    if context is None or n >= need or len(context) == 0:
        return 0
    field = getattr(det, "receptive_field_", None)
    return int(min(len(context), max(need - n, int(field[0]) if field is not None else 0)))


def scores_of(det: Any, x: np.ndarray, reference: Any = None, context: np.ndarray | None = None) -> np.ndarray:
    """``(n,)`` finite float64 scores of ``x`` by a fitted detector (a wrong shape or NaN raises).

    ``context``: rows that directly precede ``x``; used (and ``reference`` ignored) only when ``x``
    is shorter than the detector can score alone (:func:`context_rows`)."""
    k = context_rows(det, x.shape[0], context)
    if k:
        log.info("%s: the scored part has %d rows, fewer than the %d it needs; scored after the %d train rows "
                 "before it", getattr(det, "name", type(det).__name__), x.shape[0], int(det.min_rows_), k)
        s = np.asarray(det.decision_function(np.concatenate([np.asarray(context)[-k:], x])), dtype=np.float64)[k:]
    elif reference is None:
        s = np.asarray(det.decision_function(x), dtype=np.float64)
    else:
        s = np.asarray(det.decision_function(x, reference=reference), dtype=np.float64)
    if s.shape != (x.shape[0],):
        raise RuntimeError(f"decision_function returned shape {s.shape}, expected ({x.shape[0]},)")
    if not np.isfinite(s).all():
        raise RuntimeError("decision_function returned NaN or inf")
    return s


def _unchanged_rows(case: Case) -> np.ndarray:
    """``(n,)`` bool: rows of the case equal to the clean fold (no anomaly written into them)."""
    inj = case.injected
    with np.errstate(invalid="ignore"):
        return np.all(np.asarray(inj.values) == np.asarray(inj.clean), axis=1)


def _group_key(case: Case) -> tuple | None:
    """Cases with the same key come from the same clean rows (same shape, same clean values)."""
    clean = getattr(case.injected, "clean", None)
    if clean is None or np.shape(clean) != np.shape(case.x) or np.ndim(case.x) != 2:
        return None
    digest = hashlib.blake2b(np.ascontiguousarray(clean, dtype=np.float64).tobytes(), digest_size=16).hexdigest()
    return (np.shape(case.x), digest)


def _reference_x(group: Sequence[Case]) -> np.ndarray:
    """``(n, d)`` read-only: each row from a case in which it is clean (the first case's otherwise)."""
    ref = np.array(group[0].x, dtype=np.float64, copy=True)
    done = _unchanged_rows(group[0])
    for case in group[1:]:
        take = _unchanged_rows(case) & ~done
        ref[take] = np.asarray(case.x, dtype=np.float64)[take]
        done |= take
    ref.flags.writeable = False
    return ref


class _References:
    """Shared references of the cases (and validation cases) that have the same clean rows.

    Each detector scores a group's reference once (on first use); its cases are then scored
    against it. Groups of one case are scored whole (a reference would not save anything).
    """

    def __init__(self, cases: Sequence[Case], enabled: bool) -> None:
        self._key: dict[int, tuple] = {}
        self._x: dict[tuple, np.ndarray] = {}
        self._scored: dict[tuple, Any] = {}
        if not enabled:
            return
        groups: dict[tuple, list[Case]] = {}
        for case in [*cases, *[c.validation for c in cases if c.validation is not None]]:
            key = _group_key(case)
            if key is not None:
                groups.setdefault(key, []).append(case)
                self._key[id(case)] = key
        self._x = {k: _reference_x(g) for k, g in groups.items() if len(g) > 1}

    def scores(self, name: str, det: Any, case: Case) -> np.ndarray:
        """``(n,)`` scores of ``case.x`` (incrementally when the case has a reference)."""
        key = self._key.get(id(case))
        if key not in self._x or not hasattr(det, "score_reference") or context_rows(det, len(case.x), case.context):
            return scores_of(det, case.x, context=case.context)
        if (name, key) not in self._scored:
            try:
                self._scored[(name, key)] = det.score_reference(self._x[key])
            except Exception as e:  # noqa: BLE001 - the cases are then scored whole (their own errors)
                log.debug("detector %s: no reference (%s); scoring cases whole", name, _message(e))
                self._scored[(name, key)] = None
        return scores_of(det, case.x, self._scored[(name, key)])


def _threshold(det: Any, case: Case, scores: np.ndarray, threshold: Any, tuning: Mapping | None,
               score: Callable[[Case], np.ndarray]) -> float:
    if tuning and case.validation is not None:
        val = case.validation
        return float(tune_threshold(val.injected.labels, score(val), tuning.get("objective", "f1"),
                                    float(tuning.get("max_fpr", 0.05))))
    return float(threshold(np.asarray(det.decision_scores_, dtype=np.float64), scores, case.injected.labels))


def measure(name: str, det: Any, case: Case, threshold: Any, metrics: Mapping[str, Any],
            tuning: Mapping | None = None, fit_seconds: float = 0.0,
            score: Callable[[Case], np.ndarray] | None = None) -> DetectorRun:
    """Score one case with a fitted detector, threshold it, compute the metrics (errors recorded).

    ``score(case) -> (n,)`` scores a case (and a validation case); default: ``decision_function``.
    """
    score = score or (lambda c: scores_of(det, c.x, context=c.context))
    t0 = time.perf_counter()
    run = DetectorRun(detector=name, case=case.name, tags=dict(case.tags))
    try:
        scores = score(case)
        thr = _threshold(det, case, scores, threshold, tuning, score)
        pred = predict(scores, thr)
        y = case.injected.labels.astype(bool)
        run.metrics = {k: float(v) for k, v in compute_metrics(metrics, y, pred, scores).items()}
        run.scores, run.predictions, run.threshold = scores, pred, thr
        run.recall_by_kind = event_recall_by_kind(case.injected, pred)
    except Exception as e:  # noqa: BLE001 - recorded; the other detectors go on
        raise_if_interrupted(e)
        run.error = _message(e)
        log.warning("detector %s failed on %s: %s", name, case.name or "the test fold", run.error)
        log.debug("%s", traceback.format_exc())
    run.seconds = fit_seconds + time.perf_counter() - t0
    return run


def score_cases(fitted: Mapping[str, Any], cases: Sequence[Case], threshold: Any, metrics: Mapping[str, Any], *,
                tuning: Mapping | None = None, fit_errors: Mapping[str, str] | None = None,
                fit_seconds: Mapping[str, float] | None = None, order: Sequence[str] | None = None,
                incremental: bool = True, workers: int = 1) -> list[DetectorRun]:
    """Every (case, detector) pair; detectors that failed to fit get a run carrying their fit error.

    ``incremental``: score cases that share clean rows against a shared reference (see the module
    docstring; the first case of a group also pays for scoring the reference); ``False`` scores
    every case whole.

    An ensemble whose members are other candidates (``shared_``, :func:`fit_detectors`) combines
    their scores of each case instead of scoring its members again (the same scores).

    ``workers``: threads that score the detectors side by side (each detector stays in one thread;
    1 = none). The heavy parts (BLAS, libsvm, faiss, the trees, the metrics' sorts) release the GIL.
    The runs are the same, in the same order, whatever ``workers``.
    """
    fit_errors, fit_seconds = dict(fit_errors or {}), dict(fit_seconds or {})
    names = list(order) if order is not None else [*fitted, *[n for n in fit_errors if n not in fitted]]
    refs = _References(cases, incremental)
    combined = {n: d for n, d in fitted.items() if _combines(d, fitted)}
    wanted = {m for d in combined.values() for m in d.shared_.values()}
    memo: dict[tuple[str, int], np.ndarray] = {}

    def scorer(name: str, det: Any) -> Callable[[Case], np.ndarray]:
        if name in combined:
            def from_members(c: Case) -> np.ndarray:
                got = {m: memo.get((k, id(c))) for m, k in det.shared_.items()}
                if any(v is None for v in got.values()):   # a member failed on this case: its own error
                    return refs.scores(name, det, c)
                return det.combine_members(got)
            return from_members

        def scored(c: Case) -> np.ndarray:
            out = refs.scores(name, det, c)
            if name in wanted:
                memo[(name, id(c))] = out
            return out
        return scored

    def run(name: str, case: Case) -> DetectorRun:
        if name not in fitted:
            return DetectorRun(detector=name, case=case.name, error=fit_errors.get(name, "not fitted"),
                               tags=dict(case.tags))
        det = fitted[name]
        return measure(name, det, case, threshold, metrics, tuning, fit_seconds.get(name, 0.0),
                       score=scorer(name, det))

    first = [n for n in names if n not in combined]      # the ensembles need their members' scores first
    side = [n for n in first if n in fitted and _threads_ok(fitted[n])]
    done: dict[tuple[int, str], DetectorRun] = {}
    threads = min(max(1, int(workers)), len(side))
    if threads > 1:
        import queue
        from concurrent.futures import ThreadPoolExecutor

        # each detector stays in one thread (its reference, its objects); the costliest to fit go first
        todo: queue.SimpleQueue[str] = queue.SimpleQueue()
        for name in sorted(side, key=lambda n: -float(fit_seconds.get(n, 0.0))):
            todo.put(name)

        def work() -> None:
            while True:
                try:
                    name = todo.get_nowait()
                except queue.Empty:
                    return
                for i, case in enumerate(cases):
                    raise_if_interrupted()  # a safe point
                    done[(i, name)] = run(name, case)

        with ThreadPoolExecutor(threads, thread_name_prefix="anogen-score") as pool:
            for future in [pool.submit(work) for _ in range(threads)]:
                future.result()
    rest = [n for n in first if threads <= 1 or n not in side]
    for i, case in enumerate(cases):
        raise_if_interrupted()  # a safe point
        for name in rest:
            done[(i, name)] = run(name, case)
    for i, case in enumerate(cases):
        raise_if_interrupted()
        for name in combined:
            done[(i, name)] = run(name, case)
    return [done[(i, name)] for i in range(len(cases)) for name in names]


def _combines(det: Any, fitted: Mapping[str, Any]) -> bool:
    """An ensemble whose every member is another fitted candidate (it can combine their scores)."""
    shared = getattr(det, "shared_", None)
    members = getattr(det, "members_", None)
    return (hasattr(det, "combine_members") and bool(shared) and members is not None
            and set(shared) == set(members) and all(k in fitted and fitted[k] is members[m] for m, k in shared.items()))


def evaluate_detectors(detectors: Mapping[str, Any], x_train: np.ndarray, cases: Sequence[Case], threshold: Any,
                       metrics: Mapping[str, Any], *, segments: np.ndarray | None = None,
                       tuning: Mapping | None = None, incremental: bool = True,
                       train_scores: int | None = TRAIN_SCORES) -> list[DetectorRun]:
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
        incremental: score cases that share clean rows incrementally (:func:`score_cases`).
        train_scores: train rows scored for the thresholds (:func:`fit_detectors`); ``None`` = all.

    Returns:
        One :class:`DetectorRun` per (case, detector), cases outermost, detectors in the given order.
    """
    fitted, errors, secs = fit_detectors(detectors, x_train, segments, train_scores=train_scores)
    return score_cases(fitted, cases, threshold, metrics, tuning=tuning, fit_errors=errors, fit_seconds=secs,
                       order=list(detectors), incremental=incremental)


def all_failed_message(runs: Sequence[DetectorRun]) -> str | None:
    """``None`` if any detector produced results, else one line with every detector's error."""
    if not runs or any(r.ok for r in runs):
        return None
    seen: dict[str, str] = {}
    for r in runs:
        seen.setdefault(r.detector, r.error or "")
    return "every detector failed: " + "; ".join(f"{k}: {v}" for k, v in seen.items())
