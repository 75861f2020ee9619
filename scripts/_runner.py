"""Helpers for the benchmark scripts: run a command, measure wall time and peak memory (RSS)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time


def run_measured(args: list[str], env: dict | None = None, cwd: str | None = None) -> tuple[float, float, str]:
    """Run ``python ARGS`` in a fresh process.

    Returns:
        (wall seconds, peak RSS of that process in MiB (from ``wait4``), last 2000 chars of stderr).
    """
    e = {**os.environ, "WANDB_MODE": os.environ.get("WANDB_MODE", "disabled"), **(env or {})}
    with tempfile.TemporaryFile(mode="w+") as err:
        t = time.perf_counter()
        p = subprocess.Popen([sys.executable, *args], env=e, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:]
    if p.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)} failed ({p.returncode}): {tail}")
    return wall, ru.ru_maxrss / 1024.0, tail
