"""The selection job (``+experiment=select``): which detector for this data, and how sure.

A short composition: real labels leave the train parts (:mod:`anogen.selection.labels`), the
selection runs (:func:`anogen.selection.run.run_selection`, a generative model per fold when the
battery has learned samplers), and its report, files and two-line verdict are written
(:mod:`anogen.selection.report`)."""

from __future__ import annotations

import logging
import time
from typing import Any, Sequence

import numpy as np

from anogen.jobs.spec import Job
from anogen.jobs.steps import data_entry, train_generator
from anogen.jobs.writers import write_config
from anogen.outputs.context import RunOutputs
from anogen.selection.labels import labelled_folds
from anogen.selection.prior import load_prior, without_group
from anogen.selection.report import selection_json, write_selection
from anogen.selection.run import run_selection
from anogen.types import AnogenError, Fold, RunResult

log = logging.getLogger("anogen")

__all__ = ["run_select_job"]


def run_select_job(job: Job, folds: Sequence[Fold], out: RunOutputs, overrides: list[str], t0: float) -> RunResult:
    """``+experiment=select``: the selection, its report files and plots, the two-line verdict."""
    labels_for = None
    if getattr(job.source, "labels", None):
        folds, left = labelled_folds(folds, job.source)

        def labels_for(fold: Fold) -> np.ndarray:
            return job.source.labels_for(fold)
        labels_for.hint = f" ({left} labelled rows are in the train part)" if left else ""
    get_model = (lambda fold: train_generator(job, fold)[:2]) if job.model_cfg is not None else None
    prior: Any = "default"
    shipped = getattr(job.source, "series", None)   # data=real: a series the shipped prior was built from
    if shipped and job.select.mode == "series" and job.select.prior != "off":
        prior = without_group(load_prior(), shipped)
    sel = run_selection(folds, job.detectors, job.metrics, job.threshold, job.select,
                        scaling=getattr(job.source, "scaling", "standard"), min_gap=job.min_gap, seed=job.seed,
                        labels_for=labels_for, get_model=get_model, prior=prior)
    if not sel.ranking["points"].notna().any() or sel.rows["error"].notna().all():
        raise AnogenError("every detector failed: " + "; ".join(sorted(set(sel.rows["error"].dropna()))[:3]))
    seconds = time.perf_counter() - t0
    results = {**selection_json(sel), "status": "ok", "seconds": seconds, "overrides": overrides,
               "data": data_entry(job.source, folds[0].columns if folds else ())}
    write_selection(out, sel, results)
    write_config(out, job.config, overrides)
    flat = {f"{r.detector}/{k}": float(getattr(r, k)) for r in sel.ranking.itertuples() for k in ("points", "p_best")}
    flat["trust/kendalls_w"] = float(sel.trust["kendalls_w"])
    out.log_metrics(flat, prefix="select/")
    out.summary = {"select/best": sel.best, **{f"select/{k}": v for k, v in flat.items()}}
    log.info("selection done in %.1f s%s", seconds, f", results in {out.out_dir}" if out.writes else "")
    log.info("%s", sel.recommendation_line())
    log.info("%s", sel.trust_line())
    return RunResult(metrics=flat, injected=[], run_dir=str(out.out_dir) if out.writes else None,
                     errors={k: v for k, v in sel.skipped.items()}, results=results, leaderboard=sel.ranking,
                     rows=sel.rows)
