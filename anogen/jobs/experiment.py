"""The single experiment (every config without ``benchmark`` or ``select``): per fold
:func:`~anogen.jobs.steps.run_fold` (model, sampler, placement, detectors), then the mean over folds,
the result files and the closing lines of the run log."""

from __future__ import annotations

import logging
import time
from typing import Sequence

import numpy as np

from anogen.evaluation import all_failed_message
from anogen.jobs.spec import Job
from anogen.jobs.steps import FoldResult, data_entry, mean_metrics, run_fold
from anogen.jobs.writers import write_config, write_fold, write_histories
from anogen.metrics import HEADLINE
from anogen.outputs.context import RunOutputs
from anogen.types import AnogenError, Fold, RunResult

log = logging.getLogger("anogen")

__all__ = ["run_experiment_job"]


def run_experiment_job(job: Job, folds: Sequence[Fold], out: RunOutputs, overrides: list[str], t0: float) -> RunResult:
    """One experiment over the folds, written to ``out``.

    Raises:
        AnogenError: every detector failed (the message lists their errors); nothing is written.
    """
    results = [run_fold(job, fold, out) for fold in folds]
    msg = all_failed_message([r for f in results for r in f.runs])
    if msg:
        raise AnogenError(msg)
    return _finish(job, results, out, overrides, t0)


def _finish(job: Job, results: list[FoldResult], out: RunOutputs, overrides: list[str], t0: float) -> RunResult:
    per_fold = [r.metrics for r in results]
    for r, m in zip(results, per_fold):
        out.log_metrics(m, prefix=f"fold{r.fold.number}/")
    mean = mean_metrics(per_fold)
    finite = [r.objective for r in results if np.isfinite(r.objective)]
    objective = float(np.mean(finite)) if finite else float("nan")
    errors = {f"fold{r.fold.number}/{k}": v for r in results for k, v in r.errors.items()}
    histories = {f"fold{r.fold.number}/{k}": h for r in results for k, h in r.histories.items()}
    for r in results:
        write_fold(out, r)
    write_histories(out, histories)
    results_json = {
        "mean": mean, "folds": {str(i): m for i, m in enumerate(per_fold)},
        "thresholds": {str(r.fold.number): r.thresholds for r in results},
        "threshold_oracle": bool(getattr(job.threshold, "oracle", False)), "errors": errors,
        "objective": objective, "status": "ok", "seconds": time.perf_counter() - t0,
        "n_anomalies": [len(r.injected.events) for r in results],
        "n_anomalous_rows": [int(r.injected.labels.sum()) for r in results], "overrides": overrides,
        "model_cached": [r.model_cached for r in results if r.model_cached is not None],
        "generator": {f"fold{r.fold.number}": {k: g.to_dict() for k, g in r.generator.items()}
                      for r in results if r.generator},
        "data": data_entry(job.source, results[0].fold.columns if results else ())}
    out.write_json("metrics.json", results_json)
    write_config(out, job.config, overrides)
    out.log_metrics(mean, prefix="mean/")
    out.summary = {**{f"mean/{k}": v for k, v in mean.items()}, "objective": objective}
    head = {k: round(v, 4) for k, v in mean.items() if k.rsplit("/", 1)[-1] in HEADLINE[:3]}
    log.info("done in %.1f s%s: %s", results_json["seconds"], f", results in {out.out_dir}" if out.writes else "",
             head or "no detectors")
    for r in results:  # the generator report closes the run log
        for g in r.generator.values():
            log.info("fold %d %s", r.fold.number, g.summary())
    return RunResult(metrics=mean, injected=[r.injected for r in results], objective=objective,
                     run_dir=str(out.out_dir) if out.writes else None, folds=results, errors=errors,
                     histories=histories, results=results_json)
