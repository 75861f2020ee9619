"""A deterministic multivariate series generator (tests, examples, scale benchmarks)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from anogen.types import AnogenError

__all__ = ["synthetic_frame"]


def synthetic_frame(n: int = 2000, d: int = 3, seed: int = 0, period: int = 100, trend: float = 0.0,
                    noise: float = 0.1, correlation: float = 0.8, start: str = "2020-01-01",
                    freq: str = "1min") -> pd.DataFrame:
    """Periodic components + trend + noise with correlated channels.

    Channel j = a_j * sin(2*pi*t/period_j + phase_j) + trend * t/n + mixing of a shared latent
    signal (``correlation``) + Gaussian noise (``noise``). Deterministic given ``seed``; generated in
    float64 with O(n*d) memory.

    Returns:
        DataFrame with a ``date`` column and ``x0..x{d-1}``.
    """
    if int(n) < 4 or int(d) < 1:
        raise AnogenError(f"data.n must be >= 4 and data.d >= 1, got n={n}, d={d}")
    if period <= 1:
        raise AnogenError(f"data.period must be > 1, got {period}")
    if not 0.0 <= correlation <= 1.0:
        raise AnogenError(f"data.correlation must be in [0, 1], got {correlation}")
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    amp = rng.uniform(0.5, 2.0, d)
    periods = period * rng.uniform(0.5, 1.5, d)
    phase = rng.uniform(0, 2 * np.pi, d)
    offset = rng.uniform(-1, 1, d) * 5
    shared = np.sin(2 * np.pi * t / period) + 0.5 * np.sin(2 * np.pi * t / (period / 3.7))
    own = np.sin(2 * np.pi * t[:, None] / periods + phase) * amp
    x = offset + correlation * shared[:, None] * amp + (1 - correlation) * own
    x += trend * (t / n)[:, None]
    x += noise * rng.standard_normal((n, d))
    df = pd.DataFrame(x, columns=[f"x{j}" for j in range(d)])
    df.insert(0, "date", pd.date_range(start=start, periods=n, freq=freq))
    return df
