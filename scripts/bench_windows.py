import time, numpy as np
from anogen.detectors.windows import window_features, aggregate_window_scores
rng=np.random.default_rng(0)
def best(f, r=3):
    ts=[]
    for _ in range(r):
        t=time.perf_counter(); out=f(); ts.append(time.perf_counter()-t)
    return min(ts)*1e3, out
for n in (10_000, 1_000_000):
    X=rng.normal(size=(n,4))
    for L in (10, 50):
        t1,(F,s)=best(lambda: window_features(X,L))
        sc=rng.normal(size=s.size)
        t2,_=best(lambda: aggregate_window_scores(sc,s,L,n,"mean"))
        t3,_=best(lambda: aggregate_window_scores(sc,s,L,n,"max"))
        del F
        print(f"n={n} d=4 L={L}: features {t1:.1f} ms, mean-agg {t2:.1f} ms, max-agg {t3:.1f} ms (best of 3)")
