"""``run(cfg)``: one experiment, as a short composition.

config -> :func:`~anogen.jobs.spec.build_job` (validated, no I/O) -> data -> per fold
:func:`run_fold` (model, sampler, placement, :func:`anogen.evaluation.evaluate_detectors`) ->
:class:`~anogen.outputs.context.RunOutputs` (staged files committed when every fold succeeded).
The benchmark job (``+experiment=benchmark``) shares the first and last steps.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from anogen.evaluation import Case, DetectorRun, all_failed_message, evaluate_detectors, fresh_detectors
from anogen.jobs.hydra import in_multirun, job_info
from anogen.jobs.spec import Job, build_job
from anogen.outputs.context import RunOutputs
from anogen.outputs.files import check_output_dir
from anogen.seeding import stage_seed
from anogen.types import AnogenError, Fold, Injected, RunResult

log = logging.getLogger("anogen")

__all__ = ["run", "run_fold", "FoldResult", "train_generator", "inject_fold"]


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
        from anogen.samplers.report import generator_metrics

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
    from anogen.train.cache import train_or_load

    return train_or_load(model_cfg or job.model_cfg, job.trainer_cfg, fold, seed=stage_seed(job.seed, fold.number, 0),
                         cache=job.cache_cfg, checkpoint_path=checkpoint_path)


def inject_fold(sampler: Any, fold: Fold, model: Any, model_scaler: Any, ctx_seed: int, rng_seed: int,
                min_gap: int) -> tuple[Injected, dict]:
    """One sampler on one fold: ``(injected, context extras)``; learned samplers' generator report
    rides on ``injected.report``."""
    from dataclasses import replace

    from anogen.samplers import SampleContext, generate_fold
    from anogen.samplers.report import generator_report

    ctx = SampleContext.from_fold(fold, model=model, scaler=model_scaler, seed=ctx_seed)
    inj = generate_fold(sampler, ctx, np.random.default_rng(rng_seed), min_gap=min_gap)
    reports = generator_report(ctx, inj, seed=ctx_seed) if ctx.extra.get("generator") else {}
    return (replace(inj, report=reports) if reports else inj), ctx.extra


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
    from anogen.data.scaling import Scaler

    i = fold.number
    model = model_scaler = None
    histories, objective, cached = {}, float("nan"), None
    if job.needs_model:
        from anogen.train.cache import heldout_objective

        model, model_scaler, info = train_generator(job, fold, out.staged(f"fold{i}/model.ckpt"))
        cached = bool(info.get("cached", False))
        if info.get("history"):
            histories["generator"] = info["history"]
        win = getattr(model, "seq_len", None) if getattr(model, "kind", "row") == "window" else None
        objective = heldout_objective(model, model_scaler.transform(fold.test), win)
    inj, extra = inject_fold(job.sampler, fold, model, model_scaler, stage_seed(job.seed, i, 1), stage_seed(job.seed, i, 2),
                             job.min_gap)
    if extra.get("filter_report"):
        log.info("fold %d filters: %s", i, extra["filter_report"])
    if inj.report:
        from anogen.samplers.report import check_verdict

        check_verdict(inj.report, job.on_degenerate, where=f"fold {i}: ")
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
    from anogen.data.gutentag import train_frames

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


def run(cfg: Any, run_dir: str | Path | None = "auto") -> RunResult:
    """Run one job (a single experiment, the benchmark when the config has ``benchmark``, the
    detector selection when it has ``select``).

    Args:
        cfg: the composed config (DictConfig or a nested dict).
        run_dir: output folder; ``"auto"`` = the Hydra run directory when running under Hydra,
            else ``cfg.run_dir`` if set, else no files. ``None`` = write nothing.

    Raises:
        AnogenError: any user mistake, before any result file is written; also when every
            detector failed (the message lists their errors). Nothing is written then: the run
            directory is created only when the complete result set is committed.
    """
    logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)  # JAX's TPU probe, every run
    t0 = time.perf_counter()
    job = build_job(cfg)
    from anogen.train.jax_cache import enable_jax_cache

    enable_jax_cache(job.cache_cfg)  # compiled programs kept on disk (cache.jax)
    from anogen.train.parallel import enable_host_devices

    enable_host_devices()  # CPU devices for data-parallel training, before JAX starts
    info = job_info()
    out_dir = (info.run_dir or job.config.get("run_dir")) if run_dir == "auto" else run_dir
    if out_dir:
        check_output_dir(out_dir, "hydra.run.dir" if info.run_dir and run_dir == "auto" else "run_dir")
    frame = job.source.load()
    folds = job.source.folds(frame)
    outputs = RunOutputs(out_dir, job.loggers, job.config, run_name=info.name, group=info.group, plots=job.plots,
                         record_failures=in_multirun())
    with outputs as out:
        if job.benchmark_seeds is not None:
            from anogen.jobs.benchmark import run_benchmark_job

            return run_benchmark_job(job, folds, out, info.overrides, t0)
        if job.select is not None:
            from anogen.jobs.select import run_select_job

            return run_select_job(job, folds, out, info.overrides, t0)
        results = [run_fold(job, fold, out) for fold in folds]
        msg = all_failed_message([r for f in results for r in f.runs])
        if msg:
            raise AnogenError(msg)
        return _finish_run(job, results, out, info.overrides, t0)


def _finish_run(job: Job, results: list[FoldResult], out: RunOutputs, overrides: list[str], t0: float) -> RunResult:
    from anogen.jobs.writers import write_config, write_fold, write_histories
    from anogen.metrics import HEADLINE

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
                      for r in results if r.generator}}
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
