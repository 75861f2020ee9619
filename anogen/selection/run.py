"""The whole selection on clean folds, objects in and a :class:`~anogen.selection.consensus.Selection`
out (no files): per fold every candidate is fitted once on clean rows
(:func:`anogen.evaluation.fit_detectors`) and scored on every battery cell
(:mod:`anogen.selection.cases`); the cells are aggregated by :func:`anogen.selection.consensus.summarize`
(a trimmed mean or trimmed Borda count, a cluster bootstrap, Kendall's W, the real-data prior). With
real labels the labelled test part is scored too, and the real ranking is compared with the
selection's; the battery then goes into a held-out tail of the clean train rows, never into the
labelled part."""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from anogen.data.scaling import Scaler
from anogen.evaluation import DetectorRun, fit_detectors, fresh_detectors, score_cases, scores_of
from anogen.selection.aggregation import borda, ranks
from anogen.selection.agreement import agreement
from anogen.selection.candidates import for_rows, window_variants, with_period_variants
from anogen.selection.cases import battery_split, labelled_case, learned_nodes, series_cases, tabular_cases
from anogen.selection.consensus import Selection, summarize
from anogen.selection.calibration import load_calibration
from anogen.selection.prior import load_prior
from anogen.selection.settings import SelectSettings
from anogen.selection.surrogates import SURROGATES
from anogen.types import AnogenError, Fold

log = logging.getLogger("anogen")

__all__ = ["run_selection", "battery_rows", "surrogate_rows", "real_comparison"]


def _rows(runs: Sequence[DetectorRun], metrics: Sequence[str]) -> pd.DataFrame:
    out = []
    for r in runs:
        row = {**r.tags, "detector": r.detector, "error": r.error}
        row.update({m: r.metrics.get(m, np.nan) for m in metrics})
        out.append(row)
    return pd.DataFrame(out)


def battery_rows(fold: Fold, detectors: Mapping[str, Any], metrics: Mapping[str, Any], threshold: Any,
                 settings: SelectSettings, *, scaling: str = "standard", min_gap: int = 1, seed: int = 0,
                 labels: np.ndarray | None = None, get_model: Callable[[Fold], tuple[Any, Any]] | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, str], pd.DataFrame]:
    """One fold: fit once, score every battery cell (and the labelled test part when ``labels``).

    Returns:
        ``(rows, real_rows, skipped, surrogates)``: one row per (cell, detector) with the metrics;
        the same for the labelled test part (``None`` without labels); ``{cell: reason}`` of cells
        that could not be made (the others go on); the label-free surrogate voters
        (``settings.surrogates``, :func:`surrogate_rows`; empty when none).
    """
    bfold = battery_split(fold, settings.battery_fraction) if labels is not None else fold
    scaler = Scaler(scaling).fit(bfold.train)
    if settings.learned and get_model is None:
        raise AnogenError("select.learned needs a generative model: add model=vae (windows) or model=vae_mlp (rows)")
    model = get_model(bfold) if settings.learned else (None, None)
    learned, skipped = learned_nodes(bfold, settings.learned, model, seed, min_gap)
    make = tabular_cases if settings.mode == "tabular" else series_cases
    cases, more = make(bfold, scaler, settings, seed, min_gap, model, learned)
    skipped.update(more)
    if not cases:
        raise AnogenError("select: no battery cell could be made on this data: " + "; ".join(
            f"{k}: {v}" for k, v in list(skipped.items())[:3]))
    dets = for_rows(detectors) if settings.mode == "tabular" else fresh_detectors(detectors)
    with threadpool_limits(1):  # many small scoring calls: threads only contend (2 shared cores)
        fitted, errors, secs = fit_detectors(dets, scaler.transform(bfold.train), bfold.train_segments,
                                             workers=settings.threads)
        runs = score_cases(fitted, cases, threshold, metrics, fit_errors=errors, fit_seconds=secs,
                           order=list(detectors), workers=settings.threads)
        real, target = None, None
        if labels is not None and labels.any():   # a test part without a labelled row cannot rank anything
            real_runs = score_cases(fitted, [labelled_case(fold, labels, scaler)], threshold, metrics,
                                    fit_errors=errors, order=list(detectors))
            real = _rows(real_runs, list(metrics))
            target = {r.detector: r.scores for r in real_runs}
        surrogates = surrogate_rows(fitted, scaler.transform(fold.test), fold.number, list(detectors),
                                    settings.surrogates, target)
    return _rows(runs, list(metrics)), real, skipped, surrogates


def surrogate_rows(fitted: Mapping[str, Any], x_target: np.ndarray, fold: int, detectors: Sequence[str],
                   names: Sequence[str], scores: Mapping[str, np.ndarray | None] | None = None) -> pd.DataFrame:
    """The label-free surrogate voters of one fold (:mod:`anogen.selection.surrogates`), computed on
    the fold's test part (its labels, if any, unused): one row per surrogate with a column per detector.

    ``scores``: the detectors' scores of the test part when already computed (``None`` = score it here;
    a detector that fails gets NaN).
    """
    if not names:
        return pd.DataFrame()
    if scores is None:
        scores = {}
        for name, det in fitted.items():
            try:
                scores[name] = scores_of(det, x_target)
            except Exception as e:  # noqa: BLE001 - the detector gets no vote from the surrogate
                log.warning("detector %s failed to score the test part for select.surrogates: %s", name, e)
                scores[name] = None
    out = []
    for name in names:
        c = SURROGATES[name]({d: scores.get(d) for d in detectors})
        out.append({"voter": f"fold{fold}/surrogate:{name}", "kind": name, "cluster": f"fold{fold}/surrogate:{name}",
                    "fold": fold, **c})
    return pd.DataFrame(out)


def real_comparison(sel: Selection, real_rows: pd.DataFrame, metrics: Sequence[str]) -> dict[str, Any]:
    """The real ranking (Borda over folds x metrics of the labelled test parts) and its agreement
    with the selection, with and without the prior."""
    dets = list(sel.ranking["detector"])
    table = [real_rows[real_rows["fold"] == f].set_index("detector").reindex(dets)[m].to_numpy(np.float64)
             for f in sorted(real_rows["fold"].unique()) for m in metrics]
    real_pts = dict(zip(dets, borda(ranks(np.array(table)))))
    means = real_rows.groupby("detector")[list(metrics)].mean().reindex(dets)
    pred = dict(zip(dets, sel.ranking["points"]))
    syn = dict(zip(dets, sel.ranking["points_synthetic"]))
    per_metric = {m: agreement(syn, means[m].to_dict()) for m in metrics}
    return {"points": real_pts, "scores": means.reset_index().to_dict(orient="records"),
            "agreement": agreement(pred, real_pts), "agreement_without_prior": agreement(syn, real_pts),
            "agreement_by_metric": per_metric}


def run_selection(folds: Sequence[Fold], detectors: Mapping[str, Any], metrics: Mapping[str, Any], threshold: Any,
                  settings: SelectSettings, *, scaling: str = "standard", min_gap: int = 1, seed: int = 0,
                  labels_for: Callable[[Fold], np.ndarray] | None = None, prior: Any = "default",
                  get_model: Callable[[Fold], tuple[Any, Any]] | None = None, calibrate: bool = True) -> Selection:
    """The whole selection on clean folds (objects in, a :class:`Selection` out, no files).

    Args:
        folds: folds whose train part is clean (and whose test part is too, without labels).
        detectors: ``{name: unfitted detector}`` candidates (cloned per fold).
        metrics: ``{name: Metric}``; the voting metrics (``settings.voters``) must be among them.
        threshold: the threshold strategy (for range-F1 and the other label metrics).
        settings: the ``select`` node.
        scaling, min_gap, seed: as for the other jobs.
        labels_for: ``fold -> (n_test,)`` real labels of its test part, to compare with.
        prior: ``"default"`` (the shipped prior, per ``settings.prior``) or a
            :class:`~anogen.selection.prior.Prior` / ``None``.
        get_model: ``fold -> (model, scaler)`` for ``settings.learned`` (learned generators join
            the battery only when their generator report's verdict is ``ok``).
        calibrate: use the shipped real-data calibration (``anogen/data/real/advice.json``) where it
            holds (the same candidates and prior weight, series data).
    """
    missing = [m for m in settings.voters if m not in metrics]
    if missing:
        raise AnogenError(f"select.metrics: {missing} not among the configured metrics {list(metrics)}; add the "
                          "metric group (e.g. metrics=[vus,range])")
    mets = {m: metrics[m] for m in settings.voters}
    labels = [np.asarray(labels_for(f), dtype=bool) for f in folds] if labels_for is not None else [None] * len(folds)
    if labels_for is not None and not any(y.any() for y in labels):
        sizes = ", ".join(f"{f.test.shape[0]} rows in fold {f.number}" for f in folds)
        raise AnogenError(f"labels: the labelled test part ({sizes}) holds no row labelled 1, so there is no real "
                          "ranking to compare with; move the split (data.test_fraction or data.dates) so that the "
                          f"test part covers the labelled anomalies{getattr(labels_for, 'hint', '')}")
    left_out: dict[str, str] = {}
    if settings.mode == "series":   # knn@period, lof@period: the default pool (select.period_variants)
        detectors = with_period_variants(detectors, settings.period_variants)
    detectors, windows = window_variants(detectors, settings.windows, folds[0].train, settings.max_window_values,
                                         left_out)
    if windows:
        log.info("windows: %s", ", ".join(f"{k} = {v} rows" for k, v in windows.items()))
    _check_lengths(folds, detectors, settings, labelled=labels_for is not None)
    parts = [battery_rows(f, detectors, mets, threshold, settings, scaling=scaling, min_gap=min_gap, seed=seed,
                          labels=y, get_model=get_model) for f, y in zip(folds, labels)]
    rows = pd.concat([p[0] for p in parts], ignore_index=True)
    skipped = {k: v for p in parts for k, v in p[2].items()}
    surrogates = pd.concat([p[3] for p in parts], ignore_index=True) if settings.surrogates else None
    use_prior = settings.prior != "off" and (settings.mode == "series" or prior != "default")  # series prior
    pr = (load_prior() if prior == "default" else prior) if use_prior else None
    weight = settings.prior if isinstance(settings.prior, float) else None
    # the real-data calibration holds for the shipped prior on series data (advice.json says for which pool)
    cal = load_calibration() if prior == "default" and settings.mode == "series" and calibrate else None
    sel = summarize(rows, list(detectors), settings.voters, trim=settings.trim, n_boot=settings.bootstrap,
                    balance=settings.balance, min_spread=settings.min_spread, prior=pr, prior_weight=weight,
                    seed=seed, skipped=skipped, surrogates=surrogates, aggregate=settings.aggregate,
                    family_weights=settings.family_weights, calibration=cal)
    sel.windows, sel.left_out = windows, left_out
    if labels_for is not None:
        sel.real = real_comparison(sel, pd.concat([p[1] for p in parts if p[1] is not None], ignore_index=True),
                                   settings.voters)
    return sel


def _check_lengths(folds: Sequence[Fold], detectors: Mapping[str, Any], settings: SelectSettings,
                   labelled: bool = False) -> None:
    """Every part the detectors score must hold their longest window (else every cell would fail,
    and the selection would end in a tie of failures). A labelled test part is exempt: the battery
    is then in the train part, and the labelled part is scored after the last train rows
    (:func:`anogen.selection.cases.labelled_case`), so a part shorter than a window is scored too."""
    def window(det: Any) -> int:
        params = det.get_params(deep=False) if hasattr(det, "get_params") else {}
        if settings.mode != "series" or params.get("mode", "rolling") == "global":  # a global z-score: any length
            return 1
        w = params.get("window", 1)
        return int(w) if isinstance(w, (int, np.integer)) else 1
    longest = max((window(d) for d in detectors.values()), default=1)
    for f in folds:
        for part, rows in (("train", f.train.shape[0]), *((("test", f.test.shape[0]),) if not labelled else ())):
            if rows < max(longest, 2):
                name = max(detectors, key=lambda n: window(detectors[n]))
                raise AnogenError(f"the {part} part of fold {f.number} has {rows} rows, fewer than the longest "
                                  f"detector window ({name}: {longest} rows); give more {part} data", key=part)
