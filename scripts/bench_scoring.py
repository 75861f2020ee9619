"""Scoring cost of the benchmark experiment, old path vs new path, side by side (issue 14).

The workload is ``+experiment=benchmark`` on synthetic rows (4 columns, 1 fold x 1 seed x 3 samplers
x 7 detectors; the typed sampler writes 50 events), as ``scripts/bench_detectors.py`` runs it:

- ``old``: every case scored whole, every train row scored for the thresholds, exact neighbours
  (``incremental=False, train_scores=None``: the code path before issue 14);
- ``new``: incremental scoring against a shared reference and a bounded train-score sample (the
  defaults), with the detector configs as packaged.

Each mode runs in a fresh process (``--mode`` runs one in this process). Reports wall and CPU seconds
(user + system of the process and its threads: robust to a loaded machine), per-detector seconds,
the speed-up and the largest difference between the two leaderboards (should be ~0: same scores up to
rounding; thresholds from a train sample move a little).

Usage::

    python scripts/bench_scoring.py --rows 100000 300000
    python scripts/bench_scoring.py --rows 1000000 --modes new   # the old path takes ~12 min there
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OVERRIDES = ["+experiment=benchmark", "data=synthetic", "data.d=4", "data.dates=[]", "data.columns=[]",
             "benchmark.seeds=[0]", "benchmark.samplers.typed.count=50", "plots=false", "logger=[]"]


def run_mode(mode: str, rows: int, extra: list[str]) -> dict:
    """Run the benchmark once in this process; ``{"wall", "cpu", "rows": leaderboard, "per_detector"}``."""
    import functools

    from hydra import compose, initialize_config_dir

    import anogen.benchmarking as bench
    from anogen.jobs.spec import build_job

    old = []
    if mode == "old":  # the comparison path: whole cases, every train row scored, exact neighbours
        bench.score_cases = functools.partial(bench.score_cases, incremental=False)
        bench.fit_detectors = functools.partial(bench.fit_detectors, train_scores=None)
        old = ["detectors.knn.estimator.index=exact", "detectors.lof.estimator.index=exact"]
    with initialize_config_dir(config_dir=str(ROOT / "anogen" / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=[*OVERRIDES, f"data.n={rows}", *old, *extra])
    job = build_job(cfg)
    folds = job.source.folds(job.source.load())
    t, c = time.perf_counter(), time.process_time()
    res = bench.run_benchmark(folds, job.sampler.by_name, job.detectors, job.metrics, job.threshold,
                              seeds=job.benchmark_seeds, scaling=getattr(job.source, "scaling", "standard"),
                              keep_traces=False)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    lb = bench.leaderboard(res.rows, ("detector", "sampler"))
    per = res.rows.groupby("detector")["seconds"].sum().round(2).to_dict()
    cols = [k for k in ("roc_auc", "pr_auc", "f1") if k in lb.columns]
    return {"wall": wall, "cpu": cpu, "per_detector": per, "errors": int(res.rows["error"].notna().sum()),
            "metrics": {f"{r.detector}/{r.sampler}/{k}": float(getattr(r, k)) for r in lb.itertuples() for k in cols}}


def _child(mode: str, rows: int, extra: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--mode", mode, "--rows", str(rows), "--", *extra]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "WANDB_MODE": "disabled"})
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[100_000])
    ap.add_argument("--modes", nargs="+", default=["old", "new"], choices=["old", "new"])
    ap.add_argument("--mode", choices=["old", "new"], help="run one mode in this process, print JSON")
    ap.add_argument("extra", nargs="*", help="more config overrides (after --)")
    a = ap.parse_args()
    if a.mode:
        print(json.dumps(run_mode(a.mode, a.rows[0], a.extra)))
        return
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    for rows in a.rows:
        res = {m: _child(m, rows, a.extra) for m in a.modes}
        for m, r in res.items():
            print(f"{rows:>9,} rows  {m:>3}: {r['wall']:7.1f} s wall  {r['cpu']:7.1f} s CPU  errors {r['errors']}  "
                  f"per detector (s): {r['per_detector']}")
        if {"old", "new"} <= set(res):
            o, n = res["old"], res["new"]
            diff = max(abs(o["metrics"][k] - n["metrics"][k]) for k in o["metrics"] if k in n["metrics"])
            print(f"{rows:>9,} rows  speed-up {o['wall'] / n['wall']:.1f}x wall, {o['cpu'] / n['cpu']:.1f}x CPU; "
                  f"largest leaderboard difference {diff:.4f}")
    print(f"load average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
