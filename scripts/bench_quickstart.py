"""Quickstart wall and CPU time with a cold and a warm JAX compilation cache (targets on 2 cores:
cold <= 15 s, warm <= 8 s), and peak memory.

Runs ``python -m anogen +experiment=quickstart`` in fresh processes, the model cache disabled so
the model is really trained each time: first with an empty JAX cache folder (``cache.jax=<tmp>``,
cold: every program compiled), then ``reps`` times with the folder it filled (warm), then once with
the JAX cache off (``cache.jax=false``) for comparison. Prints each run, the best warm run, and the
machine's load. Extra arguments are config overrides, e.g. ``logger=[local]`` (the quickstart's W&B
logger, offline, costs several seconds of start-up of its own).

Usage: python scripts/bench_quickstart.py [REPS] [override ...]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _runner import load, run_measured  # noqa: E402


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    extra = sys.argv[2:]
    root = Path(__file__).resolve().parents[1]
    env = {"WANDB_MODE": os.environ.get("WANDB_MODE", "offline"), "JAX_COMPILATION_CACHE_DIR": ""}
    print(load())
    with tempfile.TemporaryDirectory() as tmp:
        runs = [("cold", f"cache.jax={tmp}/jax")] + [("warm", f"cache.jax={tmp}/jax")] * reps + [("off", "cache.jax=false")]
        got = []
        for i, (label, jax_cache) in enumerate(runs):
            m = run_measured(["-m", "anogen", "+experiment=quickstart", "cache.enabled=false", jax_cache,
                              "trainer.progress=false", f"hydra.run.dir={tmp}/run{i}", *extra], env=env,
                             cwd=str(root))
            got.append((label, m))
            print(f"{label:>4}: {m.wall:5.1f} s wall, {m.cpu:5.1f} s CPU, peak RSS {m.peak:.0f} MiB ({load()})")
    warms = [m for label, m in got if label == "warm"]
    warm = min(warms, key=lambda m: m.wall)
    cold = got[0][1]
    print(f"quickstart: cold {cold.wall:.1f} s wall / {cold.cpu:.1f} s CPU (target <= 15 s); warm best "
          f"{warm.wall:.1f} s wall / {warm.cpu:.1f} s CPU, median {statistics.median(m.wall for m in warms):.1f} s "
          f"wall / {statistics.median(m.cpu for m in warms):.1f} s CPU (target <= 8 s); {load()}")


if __name__ == "__main__":
    main()
