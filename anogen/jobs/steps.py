"""The per-fold steps that the jobs share: train (or load) the generative model, and one fold of
the single experiment (model -> anomalies -> detectors), with what it produced (:class:`FoldResult`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from anogen.data.scaling import Scaler
from anogen.evaluation import Case, DetectorRun, evaluate_detectors, fresh_detectors
from anogen.gutentag import train_frames
from anogen.jobs.spec import Job
from anogen.outputs.context import RunOutputs
from anogen.outputs.signals import raise_if_interrupted
from anogen.samplers.folds import inject_fold
from anogen.samplers.report import check_verdict, generator_metrics
from anogen.seeding import stage_seed
from anogen.types import Fold, Injected

log = logging.getLogger("anogen")

__all__ = ["FoldResult", "train_generator", "run_fold", "mean_metrics", "data_entry"]


@dataclass
class FoldResult:
    """What one fold produced.

    Attributes:
        fold: the clean fold.
        injected: the test fold with anomalies.
        runs: one :class:`~anogen.evaluation.DetectorRun` per detector.
        detectors: the fitted detectors (for checkpoints and training curves).
        histories: training curves ``{name: {"train_loss": [...], "val_loss": [...]}}``.
        objective: held-out negative ELBO of the generative model (``nan`` without one).
        model_cached: whether the generative model came from the cache (``None`` without one).
        latent: latent codes for the latent-space plot (latent samplers), else ``None``.
        filter_report: acceptance report of the latent filters, else ``None``.
        generator: the generator report of each learned sampler (``{sampler: GeneratorReport}``,
            :mod:`anogen.samplers.report`); empty without one.
        gallery: anomalies beside their clean counterparts for ``plots/fold{i}_gallery.png``, else ``None``.
        train_files: GutenTAG's train files when the data source asks for them (``supervised``:
            ``train_anomaly.csv``, ``semi_supervised``: ``train_no_anomaly.csv``), ``{name: DataFrame}``.
    """

    fold: Fold
    injected: Injected
    runs: list[DetectorRun]
    detectors: dict[str, Any]
    histories: dict[str, dict] = field(default_factory=dict)
    objective: float = float("nan")
    model_cached: bool | None = None
    latent: Any = None
    filter_report: Any = None
    generator: dict[str, Any] = field(default_factory=dict)
    gallery: Any = None
    train_files: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, float]:
        """``{"detector/metric": value}`` plus ``detector/seconds``, and the generator report's
        ``generator/...`` figures."""
        out: dict[str, float] = {}
        for r in self.runs:
            if r.ok:
                out.update({f"{r.detector}/{k}": v for k, v in r.metrics.items()})
                out[f"{r.detector}/seconds"] = r.seconds
        out.update(generator_metrics(self.generator))
        return out

    @property
    def errors(self) -> dict[str, str]:
        return {r.detector: r.error for r in self.runs if not r.ok}

    @property
    def thresholds(self) -> dict[str, float]:
        return {r.detector: r.threshold for r in self.runs if r.ok}


def train_generator(job: Job, fold: Fold, checkpoint_path: Path | None = None,
                    model_cfg: dict | None = None) -> tuple[Any, Any, dict]:
    """Train (or load from the cache) the generative model on the fold's train rows (``model_cfg``:
    another model than the job's, e.g. a benchmark sampler's own)."""
    from anogen.train.cache import train_or_load  # lazy: anogen.train imports JAX; model-free jobs never do

    return train_or_load(model_cfg or job.model_cfg, job.trainer_cfg, fold, seed=stage_seed(job.seed, fold.number, 0),
                         cache=job.cache_cfg, checkpoint_path=checkpoint_path)


def _gallery(ctx_extra: dict, fold: Fold) -> dict | None:
    """What :func:`anogen.outputs.plots.plot_gallery` draws: each learned sampler's anomalies and clean counterparts."""
    gen = ctx_extra.get("generator")
    if not gen:
        return None
    std = fold.train.std(axis=0)
    return {"mean": fold.train.mean(axis=0), "std": np.where(std > 0, std, 1.0), "columns": list(fold.columns),
            "samplers": {name: {"anomaly": rec["anomaly"], "clean": rec["clean"]} for name, rec in gen.items()}}


def _histories(detectors: dict[str, Any]) -> dict[str, dict]:
    out = {}
    for name, det in detectors.items():
        h = getattr(det, "history_", None)
        if h is not None:
            out[name] = h if isinstance(h, dict) else dict(getattr(h, "__dict__", {}))
    return out


def run_fold(job: Job, fold: Fold, out: RunOutputs) -> FoldResult:
    """Model (if the sampler needs one), anomalies, detectors for one fold."""
    i = fold.number
    model = model_scaler = None
    histories, objective, cached = {}, float("nan"), None
    raise_if_interrupted()  # safe points between the fold's steps (a Ctrl-C is raised at the next one)
    if job.needs_model:
        from anogen.train.cache import heldout_objective  # lazy: anogen.train imports JAX

        model, model_scaler, info = train_generator(job, fold, out.staged(f"fold{i}/model.ckpt"))
        cached = bool(info.get("cached", False))
        if info.get("history"):
            histories["generator"] = info["history"]
        win = getattr(model, "seq_len", None) if getattr(model, "kind", "row") == "window" else None
        objective = heldout_objective(model, model_scaler.transform(fold.test), win)
    raise_if_interrupted()
    inj, extra = inject_fold(job.sampler, fold, model, model_scaler, stage_seed(job.seed, i, 1), stage_seed(job.seed, i, 2),
                             job.min_gap, history=histories.get("generator"))
    if extra.get("filter_report"):
        log.info("fold %d filters: %s", i, extra["filter_report"])
    if inj.report:
        check_verdict(inj.report, job.on_degenerate, where=f"fold {i}: ")
    raise_if_interrupted()
    scaler = Scaler(getattr(job.source, "scaling", "standard")).fit(fold.train)
    detectors = fresh_detectors(job.detectors)
    runs = evaluate_detectors(detectors, scaler.transform(fold.train), [Case("", inj, scaler.transform(inj.values))],
                              job.threshold, job.metrics, segments=fold.train_segments,
                              **vars(job.evaluation)) if detectors else []
    histories.update(_histories(detectors))
    return FoldResult(fold, inj, runs, detectors, histories, objective, cached, extra.get("latent"),
                      extra.get("filter_report"), dict(inj.report or {}), _gallery(extra, fold),
                      _train_files(job, fold, model, model_scaler))


def _train_files(job: Job, fold: Fold, model: Any, model_scaler: Any) -> dict[str, Any]:
    """GutenTAG's train files, when the data source asks for them (``data=synthetic``)."""
    supervised = bool(getattr(job.source, "supervised", False))
    semi = bool(getattr(job.source, "semi_supervised", False))
    if not (supervised or semi):
        return {}
    return train_frames(fold, job.sampler, seed=stage_seed(job.seed, fold.number, 4), supervised=supervised,
                        semi_supervised=semi, min_gap=job.min_gap, model=model, scaler=model_scaler)


def mean_metrics(per_fold: list[dict]) -> dict[str, float]:
    """Mean over folds of every finite value, key by key."""
    keys = sorted({k for m in per_fold for k in m})
    out = {}
    for k in keys:
        vals = [m[k] for m in per_fold if k in m and m[k] is not None and np.isfinite(m[k])]
        if vals:
            out[k] = float(np.mean(vals))
    return out


def data_entry(source: object, columns: Sequence[str]) -> dict:
    """``metrics.json``'s ``data`` entry: the columns used, the columns skipped and why (the loader's
    report, :class:`anogen.data.loaders.TableReport`; a source without one: the columns only)."""
    report = getattr(source, "report", None)
    if report is not None:
        return report.to_dict()
    return {"source": getattr(source, "name", "data"), "columns": list(columns), "skipped": {}, "notes": []}
