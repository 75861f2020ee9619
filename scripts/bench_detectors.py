"""Benchmark experiment cost: wall time and peak memory of ``+experiment=benchmark`` on the embedded
Occupancy data and on 1e5 synthetic rows (fresh process each), plus the window-feature extraction speed.

Usage: python scripts/bench_detectors.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _runner import load, run_measured  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    a = ap.parse_args()
    root = Path(__file__).resolve().parents[1]
    common = ["-m", "anogen", "+experiment=benchmark", "plots=false", "logger=[local]"]
    with tempfile.TemporaryDirectory() as tmp:
        m = run_measured([*common, f"hydra.run.dir={tmp}/occ"], cwd=str(root))
        print(f"benchmark experiment, embedded Occupancy (509 rows, 2 folds x 3 seeds x 3 samplers x 7 detectors): "
              f"{m.wall:.1f} s wall, {m.cpu:.1f} s CPU, peak RSS {m.peak:.0f} MiB")
        m = run_measured([*common, "data=synthetic", f"data.n={a.rows}", "data.d=4", "data.dates=[]", "data.columns=[]",
                                      "benchmark.seeds=[0]", "benchmark.samplers.typed.count=50",
                                      f"hydra.run.dir={tmp}/syn"], cwd=str(root))
        print(f"benchmark experiment, synthetic {a.rows:,} rows x 4 (1 fold x 1 seed x 3 samplers x 7 detectors): "
              f"{m.wall:.1f} s wall, {m.cpu:.1f} s CPU, peak RSS {m.peak:.0f} MiB")
    import numpy as np

    from anogen.detectors.windows import aggregate_window_scores, window_features

    x = np.random.default_rng(0).normal(size=(1_000_000, 4))
    for w in (10, 50):
        t = time.perf_counter()
        f, starts = window_features(x, w)
        t1 = time.perf_counter() - t
        s = f[:, 0].copy()
        t = time.perf_counter()
        aggregate_window_scores(s, starts, w, x.shape[0], how="mean")
        t2 = time.perf_counter() - t
        print(f"window features 1e6 x 4, window {w}: {t1:.2f} s ({f.nbytes / 2**20:.0f} MiB); "
              f"per-step aggregation {t2 * 1e3:.0f} ms")
        del f
    print(f"({load()}; old vs new scoring side by side: scripts/bench_scoring.py)")


if __name__ == "__main__":
    main()
