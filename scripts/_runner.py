"""Helpers for the benchmark scripts: run a command, measure wall time, CPU time and peak memory (RSS)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from typing import NamedTuple


class Measured(NamedTuple):
    """What one run cost.

    Attributes:
        wall: wall-clock seconds.
        peak: peak RSS of the process in MiB (from ``wait4``).
        tail: the last 2000 characters of its stderr.
        cpu: CPU seconds (user + system) of the process and all its threads and waited-for children:
            unlike wall time, hardly changed by other load on the machine.
    """

    wall: float
    peak: float
    tail: str
    cpu: float


def run_measured(args: list[str], env: dict | None = None, cwd: str | None = None) -> Measured:
    """Run ``python ARGS`` in a fresh process and measure it (see :class:`Measured`)."""
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
    return Measured(wall, ru.ru_maxrss / 1024.0, tail, ru.ru_utime + ru.ru_stime)


def load() -> str:
    """``load average 1.23 on 2 cores``: how busy the machine is (figures under load are slower)."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
