"""The benchmark job (``+experiment=benchmark``): :func:`anogen.benchmarking.run_benchmark` over the
job's samplers and detectors, each generative model trained once per fold, the leaderboard written."""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Sequence

from anogen.benchmarking import (flat_mean, fpr_limit, fpr_warnings, leaderboard, leaderboard_line, run_benchmark,
                                 write_benchmark)
from anogen.evaluation import DetectorRun, all_failed_message
from anogen.jobs.spec import Job
from anogen.jobs.steps import data_entry, train_generator
from anogen.jobs.writers import write_config
from anogen.outputs.context import RunOutputs
from anogen.types import AnogenError, Fold, RunResult

log = logging.getLogger("anogen")

__all__ = ["run_benchmark_job"]


def run_benchmark_job(job: Job, folds: Sequence[Fold], out: RunOutputs, overrides: list[str], t0: float) -> RunResult:
    """``+experiment=benchmark``: the benchmark of the job's samplers and detectors, written to ``out``."""
    def getter(model_cfg: dict, ckpt: str) -> Callable[[Fold], tuple[Any, Any]]:
        def get(fold: Fold) -> tuple[Any, Any]:
            model, scaler, _ = train_generator(job, fold, out.staged(f"fold{fold.number}/{ckpt}"), model_cfg)
            return model, scaler
        return get

    models = {name: getter(cfg, f"model_{name}.ckpt") for name, cfg in job.sampler_models.items()}
    res = run_benchmark(folds, job.sampler.by_name, job.detectors, job.metrics, job.threshold,
                        seeds=job.benchmark_seeds, tuning=vars(job.tuning), scaling=getattr(job.source, "scaling",
                                                                                            "standard"),
                        get_model=getter(job.model_cfg, "model.ckpt") if job.model_cfg is not None else None,
                        min_gap=job.min_gap, models=models, **vars(job.evaluation))
    msg = all_failed_message([DetectorRun(r.detector, "", error=r.error if isinstance(r.error, str) else None)
                              for r in res.rows.itertuples()])
    if msg:
        raise AnogenError(msg)
    lb = write_benchmark(out, res) if out.writes else leaderboard(res.rows)
    warnings = fpr_warnings(lb, res.expected_fpr)
    for message in warnings.values():
        log.warning("%s", message)
    mean = flat_mean(lb)
    errors = {f"fold{r.fold}/{r.sampler}/{r.detector}": r.error for r in res.rows.itertuples() if isinstance(r.error, str)}
    errors.update(res.skipped)
    results = {"mean": mean, "status": "ok", "errors": errors, "seconds": time.perf_counter() - t0,
               "threshold_oracle": res.oracle, "objective": float("nan"), "overrides": overrides,
               "warnings": list(warnings.values()),
               "fpr_warnings": {"expected_fpr": res.expected_fpr, "limit": fpr_limit(res.expected_fpr),
                                "detectors": {d: mean.get(f"{d}/fpr") for d in warnings}},
               "data": data_entry(job.source, folds[0].columns if folds else ())}
    out.write_json("metrics.json", results)
    write_config(out, job.config, overrides)
    out.log_metrics(mean, prefix="mean/")
    out.summary = {f"mean/{k}": v for k, v in mean.items()}
    log.info("benchmark done in %.1f s%s", results["seconds"], f", results in {out.out_dir}" if out.writes else "")
    log.info("%s", leaderboard_line(lb))
    return RunResult(metrics=mean, injected=[], run_dir=str(out.out_dir) if out.writes else None, errors=errors,
                     results=results, leaderboard=lb, rows=res.rows)
