"""``run(cfg)``: the one door into the jobs. It validates and builds the whole config
(:func:`~anogen.jobs.spec.build_job`, no I/O), loads the data, opens the staged outputs and hands
the folds to the job the config asks for: the benchmark (``benchmark``), the detector selection
(``select``) or the single experiment; the corpus job (``corpus``) reads its own labelled series.
The result files are committed when the job succeeded."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from anogen.data.sources import CSVSource
from anogen.jobs.benchmark import run_benchmark_job
from anogen.jobs.corpus import run_corpus_job
from anogen.jobs.experiment import run_experiment_job
from anogen.jobs.hydra import in_multirun, job_info
from anogen.jobs.select import run_select_job
from anogen.jobs.spec import build_job
from anogen.outputs.context import RunOutputs
from anogen.outputs.files import check_output_dir
from anogen.types import RunResult

__all__ = ["run"]

log = logging.getLogger("anogen")


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
    # lazy: anogen.train's package imports JAX; both must run before JAX starts (and a run without a model never starts it)
    from anogen.train.jax_cache import enable_jax_cache
    from anogen.train.parallel import enable_host_devices  # lazy: as above

    enable_jax_cache(job.cache_cfg)  # compiled programs kept on disk (cache.jax)
    enable_host_devices()  # CPU devices for data-parallel training, before JAX starts
    info = job_info()
    out_dir = (info.run_dir or job.config.get("run_dir")) if run_dir == "auto" else run_dir
    if out_dir:
        check_output_dir(out_dir, "hydra.run.dir" if info.run_dir and run_dir == "auto" else "run_dir")
    if job.config.get("corpus") is not None:   # many labelled series, not `data`: its own sources
        with RunOutputs(out_dir, job.loggers, job.config, run_name=info.name, group=info.group, plots=job.plots,
                        record_failures=in_multirun()) as out:
            return run_corpus_job(job, out, info, t0)
    frame = job.source.load()
    folds = job.source.folds(frame)
    labels = getattr(job.source, "labels", None)
    if labels and job.select is None and isinstance(job.source, CSVSource):   # the user's own label column
        log.warning("data.labels=%s: this job generates its own anomalies and does not use real labels (they "
                    "rank the detectors in +experiment=select)", labels)
    outputs = RunOutputs(out_dir, job.loggers, job.config, run_name=info.name, group=info.group, plots=job.plots,
                         record_failures=in_multirun())
    with outputs as out:
        if job.benchmark_seeds is not None:
            return run_benchmark_job(job, folds, out, info.overrides, t0)
        if job.select is not None:
            return run_select_job(job, folds, out, info.overrides, t0)
        return run_experiment_job(job, folds, out, info.overrides, t0)
