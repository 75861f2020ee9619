"""Hydra callbacks.

:class:`ThreadLimits` keeps parallel sweep jobs from oversubscribing the cores: before a multirun
with a parallel launcher (joblib with ``n_jobs != 1``, submitit local), it gives each job
``cores // parallel_jobs`` threads for XLA and the BLAS libraries, through environment variables
that the worker processes inherit (JAX reads them at import, so they must be set before the workers
start: a Hydra callback in the parent process is the place). Variables the user already set win.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from hydra.experimental.callback import Callback

log = logging.getLogger("anogen")

__all__ = ["ThreadLimits", "thread_env"]


def thread_env(threads: int) -> dict[str, str]:
    """Environment variables limiting XLA:CPU and BLAS to ``threads`` threads."""
    t = str(max(1, int(threads)))
    return {
        "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={t}",
        "OMP_NUM_THREADS": t, "OPENBLAS_NUM_THREADS": t, "MKL_NUM_THREADS": t,
        "TF_NUM_INTRAOP_THREADS": t,
    }


class ThreadLimits(Callback):
    """Set per-job thread limits for parallel launchers (see module docstring)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        if not self.enabled:
            return
        launcher = config.hydra.launcher
        target = str(launcher.get("_target_", ""))
        cores = os.cpu_count() or 1
        if "joblib" in target.lower():
            n_jobs = int(launcher.get("n_jobs", -1) or -1)
            parallel = cores if n_jobs < 0 else n_jobs
        elif "submitit" in target.lower() and "Local" in target:
            parallel = int(launcher.get("array_parallelism", cores) or cores) if "array_parallelism" in launcher else cores
            parallel = min(parallel, cores)
        else:
            return
        if parallel <= 1:
            return
        threads = max(1, cores // parallel)
        for k, v in thread_env(threads).items():
            os.environ.setdefault(k, v)
        log.info("parallel launcher: %d jobs at once, %d thread(s) each", parallel, threads)
