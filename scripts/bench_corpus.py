#!/usr/bin/env python
"""The corpus run's cost (issue 20's targets): ``+experiment=corpus`` with its default pool over every
shipped real series, in one process and on a local Ray cluster with 1 and 2 workers, side by side.

Targets: the whole run in under 15 minutes on 2 cores; Ray with 2 workers at least 1.6x faster than
with 1. Each configuration runs in a fresh process into a fresh folder (nothing is resumed), in the
order serial, ray x1, ray x2, ``--repeats`` times; the script prints each run and the medians.
CPU seconds count the job's process and its waited-for children: Ray's workers are not its children,
so the Ray rows' CPU figures leave them out (wall time is the comparison there).

    python scripts/bench_corpus.py                    # the three configurations once
    python scripts/bench_corpus.py --repeats 2 --only ray1 ray2
    python scripts/bench_corpus.py --series nab_artificialWithAnomaly_art_daily_jumpsup mitdb_excerpt
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _runner import run_measured  # noqa: E402

CONFIGS = {
    "serial": [],
    "ray1": ["corpus.backend=ray", "corpus.ray_cpus=1"],
    "ray2": ["corpus.backend=ray", "corpus.ray_cpus=2"],
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--only", nargs="+", choices=list(CONFIGS), default=list(CONFIGS))
    ap.add_argument("--series", nargs="+", default=None, help="shipped series names (default: all)")
    ap.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = ap.parse_args(argv)
    root = Path(__file__).resolve().parents[1]
    series = ["corpus.series=[" + ",".join(args.series) + "]"] if args.series else []
    res: dict[str, list[dict]] = {k: [] for k in args.only}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            for name in args.only:
                out = Path(tmp) / f"{name}_{rep}"
                m = run_measured(["-m", "anogen", "+experiment=corpus", "logger=[local]", f"hydra.run.dir={out}",
                                  *series, *CONFIGS[name]], cwd=str(root))
                if m.tail and "Traceback" in m.tail:
                    print(m.tail, file=sys.stderr)
                summary = json.loads((out / "corpus.json").read_text()) if (out / "corpus.json").is_file() else {}
                n = len(list((out / "series").glob("*.json")))
                res[name].append({"wall_s": m.wall, "cpu_s": m.cpu, "peak_mib": m.peak, "series": n})
                print(f"{name}: {m.wall:.1f} s wall, {m.cpu:.1f} CPU-s (job process), peak {m.peak:.0f} MiB, "
                      f"{n} series, {len(summary.get('detectors', []) or [])} detectors", flush=True)
    med = {k: sorted(r["wall_s"] for r in v)[len(v) // 2] for k, v in res.items() if v}
    print(f"\nmedian wall over {args.repeats} run(s), {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}:")
    print("| configuration | median wall s | minutes |\n|---|---|---|")
    for k, w in med.items():
        print(f"| {k} | {w:.1f} | {w / 60:.1f} |")
    if "ray1" in med and "ray2" in med:
        print(f"\nRay speed-up, 2 workers vs 1: {med['ray1'] / med['ray2']:.2f}x")
    if args.out:
        args.out.write_text(json.dumps({"runs": res, "median_wall_s": med}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
