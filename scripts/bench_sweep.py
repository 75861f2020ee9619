"""Sweep cost: a 3 x 3 sweep (sampler.margin x sampler.ratio, 9 jobs, model=vae + sampler=vae_tail)
with and without the model cache, side by side, and the framework's per-job overhead.

Per-job overhead = (multirun wall time - sum of the jobs' own pipeline seconds) / jobs: Hydra
composition, process-level imports, launching and writing results, amortised per job.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _runner import run_measured  # noqa: E402

ARGS = ["-m", "anogen", "-m", "model=vae", "sampler=vae_tail", "detectors=[zscore,iforest]", "plots=false",
        "logger=[local]", "trainer.epochs=20", "trainer.progress=false", "model.latent_dim=4",
        "sampler.margin=0.5,1,2", "sampler.ratio=0.04,0.08,0.12"]


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in (("cache", ["cache.enabled=true"]), ("no cache", ["cache.enabled=false"])):
            sweep = Path(tmp) / label.replace(" ", "_")
            wall, peak, _, cpu = run_measured([*ARGS, *extra, f"hydra.sweep.dir={sweep}"], cwd=str(root),
                                         env={"ANOGEN_CACHE_DIR": f"{tmp}/cache"})
            jobs = [json.loads(p.read_text()) for p in sweep.rglob("metrics.json")]
            own = sum(j.get("seconds", 0.0) for j in jobs)
            trained = sum(1 for j in jobs for c in j.get("model_cached", []) if not c)
            res[label] = (wall, own, len(jobs), trained, peak)
            print(f"{label:>8}: {len(jobs)} jobs, {trained} trainings, {wall:.1f} s wall, {cpu:.1f} s CPU, "
                  f"jobs' own {own:.1f} s, "
                  f"overhead {(wall - own) / max(1, len(jobs)):.2f} s/job, peak RSS {peak:.0f} MiB")
    print(f"cache speed-up: {res['no cache'][0] / res['cache'][0]:.2f}x  ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
