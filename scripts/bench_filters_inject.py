"""Benchmark: Bounds on 1e6 x 10, Cluster (dbscan/kmeans/gmm) on 1e6 candidates, Inject on a 1e6-row fold."""
import time
import numpy as np
from anogen.filters.bounds import Bounds
from anogen.filters.cluster import Cluster
from anogen.samplers.inject import Inject
from anogen.samplers.base import SampleContext
from anogen.placement import allocate, apply_edits
from anogen.types import Fold

def best(fn, r=5):
    ts = []
    for _ in range(r):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return min(ts), float(np.median(ts))

rng = np.random.default_rng(0)
xt = rng.normal(size=(10000, 10)); cols = tuple(f"c{i}" for i in range(10))
b = Bounds(buffer=0.05).fit(z_normal=None, x_train=xt, columns=cols)
x = rng.normal(size=(1_000_000, 10)) * 1.3; z0 = np.zeros((1_000_000, 2))
print("bounds 1e6x10 rows     best %.4f s median %.4f s" % best(lambda: b(z0, x)), "kept", b(z0, x).mean())
xw = rng.normal(size=(100_000, 10, 10))
print("bounds 1e5x10x10 win   best %.4f s median %.4f s" % best(lambda: b(z0[:100_000], xw)))
for k in (2, 8):
    zn = rng.normal(size=(8000, k))
    zc = rng.uniform(-4, 4, size=(1_000_000, k)); xd = np.zeros((1_000_000, 1))
    for method, kw in (("dbscan", {"eps": 0.25 if k == 2 else 1.0}), ("kmeans", {}), ("gmm", {})):
        t = time.perf_counter(); f = Cluster(method=method, **kw).fit(z_normal=zn, x_train=None, columns=None); tf = time.perf_counter() - t
        bt, med = best(lambda: f(zc, xd), 3)
        extra = f" cores={f.core_.shape[0]}" if method == "dbscan" else ""
        print(f"cluster {method:6s} k={k} fit(8000) {tf:.3f} s  call 1e6 best {bt:.3f} s median {med:.3f} s kept {f(zc, xd).mean():.3f}{extra}")

n = 1_000_000
t_ = np.arange(2 * n, dtype=float)
data = np.stack([np.sin(2 * np.pi * t_ / 50), np.cos(2 * np.pi * t_ / 80)], 1) + 0.05 * rng.normal(size=(2 * n, 2))
fold = Fold(0, ("a", "b"), data[:n], data[n:], np.arange(n), np.arange(n, 2 * n), np.array([[0, n]]))
ctx = SampleContext.from_fold(fold)
for ratio in (0.01, 0.05):
    s = Inject(ratio=ratio)
    def go():
        r = np.random.default_rng(1)
        req = s.plan(ctx, r); sl = allocate(req, n, r, min_gap=1); ed = s.fill(ctx, sl, r); return apply_edits(fold, ed), ed
    t = time.perf_counter(); inj, ed = go(); tt = time.perf_counter() - t
    print(f"inject ratio={ratio} on 1e6x2: {len(ed)} events, {int(inj.labels.sum())} rows, plan+allocate+fill+apply {tt:.2f} s")
