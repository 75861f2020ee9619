"""Generation speed and quality.

1. ``model=vae_mlp`` (d = 10): 1e6 uniform latent candidates decoded in batches and passed through
   the bounds and cluster (DBSCAN) filters; target < 10 s on 2 CPU cores.
2. LSTM-VAE (L = 10, d = 4): decoded windows per second, batched and jitted vs one window at a time
   (the original code decoded windows one by one).
3. ``--quality``: the generator report's figures (diversity, roughness, deviation / reconstruction
   error, best simple-detector ROC-AUC, verdict) and the wall time (training included) of each learned
   generator, with anogen's defaults and with the seeds' settings, on the embedded data and on the
   normal (train) part of two real series shipped from PyPI wheels (``anogen/data/real``, provenance
   in its ``provenance.json``: ``ucr_internal_bleeding16`` from aeon 1.6.0, ``mitdb_excerpt`` from
   sktime 1.2.0), averaged over ``--seeds``.

Usage: python scripts/bench_generate.py [--n 1000000] | --quality [--data occupancy ucr_internal_bleeding16]
[--seeds 0 1 2] [--settings defaults seed] [--generators latent vae_tail]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def timed(fn, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


#: the seeds' settings (before issue 10), as options of today's code
SEED_SETTINGS = {
    "latent": ["model=vae_mlp_seed001", "sampler.decoding=direct", "sampler.min_deviation=0",
               "trainer.kl_warmup_epochs=10", "filters.cluster.eps=0.25"],
    "vae_tail": ["model.likelihood=mse", "sampler.decoding=direct", "sampler.scale=posterior", "sampler.draws=1",
                 "sampler.margin=2.0", "trainer.kl_warmup_epochs=0", "trainer.patience=10"],
}
FIGURES = ("diversity", "roughness", "deviation", "deviation_ratio", "auc_best", "active_dims")


def _fold(data: str):
    """The embedded data's packaged fold, or a real series' normal train part split 75/25 in time."""
    from anogen.data.split import segments_of
    from anogen.types import Fold

    if data == "occupancy":
        return None
    from anogen.data import real

    x = real.load(data).train
    m = int(len(x) * 0.75)
    idx = np.arange(len(x))
    return Fold(0, tuple(f"x{j}" for j in range(x.shape[1])), x[:m], x[m:], idx[:m], idx[m:],
                segments_of(np.ones(m, bool)))


def _quality_one(experiment: str, data: str, setting: str, seed: int) -> tuple[dict, str, float]:
    """One training + generation: ``(figures, verdict, seconds)``."""
    from anogen.jobs.steps import train_generator
    from anogen.samplers.folds import inject_fold
    from anogen.jobs.spec import build_job
    from anogen.seeding import stage_seed
    from tests.conftest import compose

    over = [f"+experiment={experiment}", "trainer.progress=false", "cache.enabled=false", f"seed={seed}"]
    if experiment == "latent" and setting == "seed":
        over.append("filters=[bounds,cluster]")
    over += SEED_SETTINGS[experiment] if setting == "seed" else []
    if data != "occupancy":
        over.append("data.columns=null")
    job = build_job(compose(over))
    fold = _fold(data) or job.source.folds(job.source.load())[0]
    t = time.perf_counter()
    model, scaler, _ = train_generator(job, fold)
    try:
        inj, _ = inject_fold(job.sampler, fold, model, scaler, stage_seed(seed, 0, 1), stage_seed(seed, 0, 2), 1)
    except Exception as e:  # noqa: BLE001 - e.g. no candidate accepted: reported as such
        return {}, f"error: {str(e)[:80]}", time.perf_counter() - t
    rep = next(iter(inj.report.values()))
    return {f: float(getattr(rep, f)) for f in FIGURES}, rep.verdict, time.perf_counter() - t


def quality(data: list[str], seeds: list[int], settings: list[str], generators: list[str]) -> None:
    """Print one markdown row per (data, generator, setting): mean figures over the seeds."""
    print("| data | generator | setting | diversity | roughness | deviation (std) | deviation / recon | "
          "best detector AUC | active dims | verdicts | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for d in data:
        for exp in generators:
            for setting in settings:
                runs = [_quality_one(exp, d, setting, s) for s in seeds]
                figs = [r[0] for r in runs if r[0]]
                with warnings.catch_warnings():  # rows have no roughness: an all-nan mean is n/a
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean = {f: np.nanmean([x[f] for x in figs]) if figs else float("nan") for f in FIGURES}
                cells = " | ".join("n/a" if not np.isfinite(mean[f]) else f"{mean[f]:.2f}" for f in FIGURES)
                print(f"| {d} | {exp} | {setting} | {cells} | {', '.join(r[1] for r in runs)} | "
                      f"{np.mean([r[2] for r in runs]):.1f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--single", type=int, default=300, help="samples decoded one at a time")
    ap.add_argument("--quality", action="store_true", help="generator report figures instead of speed")
    ap.add_argument("--data", nargs="+", default=["occupancy", "ucr_internal_bleeding16", "mitdb_excerpt"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--settings", nargs="+", default=["defaults", "seed"], choices=["defaults", "seed"])
    ap.add_argument("--generators", nargs="+", default=["latent", "vae_tail"], choices=["latent", "vae_tail"],
                    help="experiments: latent (latent_uniform, MLP-VAE rows), vae_tail (LSTM-VAE windows)")
    a = ap.parse_args()
    if a.quality:
        logging.disable(logging.WARNING)  # the verdicts are in the table
        quality(a.data, a.seeds, a.settings, a.generators)
        return

    import jax

    from anogen.data.split import segments_of
    from anogen.filters.bounds import Bounds
    from anogen.filters.cluster import Cluster
    from anogen.models import LSTMVAE, MLPVAE
    from anogen.samplers.base import SampleContext
    from anogen.samplers.latent_uniform import LatentUniform
    from anogen.train import TrainConfig, decode, fit
    from anogen.data import Scaler, Synthetic
    from anogen.types import Fold
    from flax import nnx

    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, {os.cpu_count()} cores")
    fr = Synthetic(n=6000, d=10, seed=0).load()
    fold = Fold(0, fr.columns, fr.values[:5000], fr.values[5000:], fr.index[:5000], fr.index[5000:],
                segments_of(np.ones(5000, bool)))
    scaler = Scaler("minmax").fit(fold.train)
    model = MLPVAE(10, latent_dim=2, hidden=12, rngs=nnx.Rngs(0))
    model, _ = fit(model, scaler.transform(fold.train).astype(np.float32),
                   config=TrainConfig(epochs=5, batch_size=256, progress=False), seed=0)
    ctx = SampleContext.from_fold(fold, model=model, scaler=scaler)
    sampler = LatentUniform(count=a.n, margin=0.5, filters={"bounds": Bounds(buffer=0.05), "cluster": Cluster(eps=0.1)},
                            batch_size=a.n, max_batches=1)
    # warm-up (compiles the decoder for this batch size), then the measured run
    z = np.random.default_rng(0).uniform(-3, 3, (a.n, 2)).astype(np.float32)
    decode(model, z)
    rng = np.random.default_rng(1)
    t0 = time.perf_counter()
    try:
        sampler.sample(ctx, a.n, rng)
    except Exception:  # noqa: BLE001 - fewer than n accepted is expected: we time the pass, not the count
        pass
    total = time.perf_counter() - t0
    rep = ctx.extra.get("filter_report") or {}
    t_dec, _ = timed(lambda: np.asarray(decode(model, z)))
    one = jax.jit(lambda zz: model.decode(zz))
    one(z[:1]).block_until_ready()
    t_one, _ = timed(lambda: [np.asarray(one(z[i:i + 1])) for i in range(a.single)])
    per_one = t_one / a.single
    print(f"\n[1] MLP-VAE, {a.n:,} latent candidates -> decode -> bounds -> cluster: {total:.2f} s "
          f"(target < 10 s); decode alone {t_dec:.2f} s")
    if rep:
        print("    acceptance:", {k: f"{v['rate']:.3f}" for k, v in rep.get("filters", {}).items()})
    print(f"    one at a time: {per_one * 1e6:.0f} us/sample -> {per_one * a.n:.0f} s for {a.n:,} "
          f"(batched is {per_one * a.n / t_dec:.0f}x faster)")

    # ---- LSTM-VAE windows
    L, d = 10, 4
    lstm = LSTMVAE(d, L, latent_dim=8, rngs=nnx.Rngs(0))
    nwin = 20_000
    zz = np.random.default_rng(2).normal(size=(nwin, 8)).astype(np.float32)
    decode(lstm, zz)
    t_b, _ = timed(lambda: np.asarray(decode(lstm, zz)), repeat=3)
    one_l = jax.jit(lambda q: lstm.decode(q))
    one_l(zz[:1]).block_until_ready()
    k = min(a.single, 300)
    t_s, _ = timed(lambda: [np.asarray(one_l(zz[i:i + 1])) for i in range(k)])
    rate_b, rate_s = nwin / t_b, k / t_s
    print(f"\n[2] LSTM-VAE decode (L={L}, d={d}, latent 8): batched {rate_b:,.0f} windows/s, "
          f"one at a time (jitted) {rate_s:,.0f} windows/s -> ratio {rate_b / rate_s:.0f}x")


if __name__ == "__main__":
    main()
