"""Generation speed: latent candidates through decode + both filters, and LSTM-VAE decoding.

1. ``model=vae_mlp`` (d = 10): 1e6 uniform latent candidates decoded in batches and passed through
   the bounds and cluster (DBSCAN) filters; target < 10 s on 2 CPU cores.
2. LSTM-VAE (L = 10, d = 4): decoded windows per second, batched and jitted vs one window at a time
   (the original code decoded windows one by one).

Each side by side in one run, printed as ratios.  Usage: python scripts/bench_generate.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--single", type=int, default=300, help="samples decoded one at a time")
    a = ap.parse_args()

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
