"""Quickstart wall time and peak memory (target: < 60 s on 2 CPU cores including compilation, < 1.5 GB).

Runs ``python -m anogen +experiment=quickstart`` in a fresh process (cold JAX caches, model cache
disabled so the model is really trained), three times; prints each and the best.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _runner import run_measured  # noqa: E402


def main() -> None:
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    root = Path(__file__).resolve().parents[1]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(reps):
            wall, peak, _ = run_measured(["-m", "anogen", "+experiment=quickstart", "cache.enabled=false",
                                          "trainer.progress=false", f"hydra.run.dir={tmp}/run{i}"],
                                         env={"WANDB_MODE": os.environ.get("WANDB_MODE", "offline")}, cwd=str(root))
            rows.append((wall, peak))
            print(f"run {i}: {wall:.1f} s wall, peak RSS {peak:.0f} MiB")
    print(f"quickstart: best {min(r[0] for r in rows):.1f} s, peak RSS max {max(r[1] for r in rows):.0f} MiB "
          f"(targets: < 60 s, < 1536 MiB) on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
