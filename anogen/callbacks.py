"""Hydra callbacks.

:class:`OutputDirs` remembers, before Hydra creates them, which folders of a run or sweep did not
exist yet, so that a run that fails leaves nothing behind (:func:`anogen.jobs.hydra.discard_run_dir`
removes only folders this process created).

:class:`ThreadLimits` keeps parallel sweep jobs from oversubscribing the cores: before a multirun
with a parallel launcher (joblib with ``n_jobs != 1``, submitit local), it gives each job
``cores // parallel_jobs`` threads for XLA and the BLAS/OpenMP libraries, through environment
variables that the worker processes inherit (they are read when the libraries load, so they must be
set before the workers start: a Hydra callback in the parent process is the place). Variables the
user already set win. XLA:CPU sizes its thread pool from ``PJRT_NPROC`` (XLA has no flag for it);
OpenBLAS, MKL, OpenMP (scikit-learn, faiss, PyTorch) and Apple Accelerate from their own variables.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

log = logging.getLogger("anogen")

__all__ = ["ThreadLimits", "thread_env", "usable_cores", "parallel_jobs", "OutputDirs", "created_dirs",
           "recorded_sweeps", "recorded_dirs", "forget_dirs"]

#: folder -> the folders made for it by this process (the folder first, then its new parents)
_NEW_DIRS: dict[Path, list[Path]] = {}
#: (config key, folder) of the runs and sweeps started in this process
_RECORDED: list[tuple[str, Path]] = []


def _remember(folder: Any, key: str) -> Path:
    path = Path(str(folder)).expanduser().absolute()
    missing, p = [], path
    while not p.exists() and p.parent != p:
        missing.append(p)
        p = p.parent
    _NEW_DIRS[path] = missing
    _RECORDED.append((key, path))
    return path


def forget_dirs() -> None:
    """Start a new record (an entry point calls it before each Hydra app run in the process)."""
    _NEW_DIRS.clear()
    _RECORDED.clear()


def created_dirs(folder: str | Path) -> list[Path] | None:
    """The folders made for ``folder`` by this run (itself first, then its new parents); ``None`` if unknown."""
    return _NEW_DIRS.get(Path(folder).absolute())


def recorded_sweeps() -> list[Path]:
    """The sweep folders of the multiruns started in this process."""
    return [p for k, p in _RECORDED if k == "hydra.sweep.dir"]


def recorded_dirs() -> list[tuple[str, Path]]:
    """``(key, folder)`` of every run (``hydra.run.dir``) and sweep (``hydra.sweep.dir``) started here."""
    return list(_RECORDED)


class OutputDirs(Callback):
    """Record the run/sweep folder and its missing parents before Hydra creates them."""

    def on_run_start(self, config: Any, **kwargs: Any) -> None:
        try:
            _remember(config.hydra.run.dir, "hydra.run.dir")
        except Exception:  # noqa: BLE001 - e.g. a bad interpolation: Hydra reports it next (no warning here)
            pass

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        try:
            _remember(config.hydra.sweep.dir, "hydra.sweep.dir")
        except Exception:  # noqa: BLE001
            pass


def thread_env(threads: int) -> dict[str, str]:
    """Environment variables limiting XLA:CPU, BLAS and OpenMP to ``threads`` threads each."""
    t = str(max(1, int(threads)))
    names = ("PJRT_NPROC", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
             "NUMEXPR_NUM_THREADS")
    return {name: t for name in names}


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def parallel_jobs(launcher: Any, cores: int) -> int:
    """Jobs a launcher runs at once (1 for a sequential or unknown launcher)."""
    target = str(launcher.get("_target_", "")).lower()
    if "joblib" in target:
        n_jobs = int(launcher.get("n_jobs", -1) or -1)
        return max(1, cores + 1 + n_jobs if n_jobs < 0 else n_jobs)  # joblib: -1 = all, -2 = all but one
    if "submitit" in target and "local" in target:
        return max(1, min(int(launcher.get("array_parallelism", cores) or cores), cores))
    return 1


class ThreadLimits(Callback):
    """Set per-job thread limits for parallel launchers (see module docstring)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        if not self.enabled:
            return
        cores = usable_cores()
        parallel = parallel_jobs(config.hydra.launcher, cores)
        if parallel <= 1:
            return
        threads = max(1, cores // parallel)
        for k, v in thread_env(threads).items():
            os.environ.setdefault(k, v)
        log.info("parallel launcher: %d jobs at once, %d thread(s) each", parallel, threads)
