"""A deterministic multivariate series generator (tests, examples, scale benchmarks)."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import Field

from anogen.params import FiniteFloat, NonNegativeFloat, NonNegativeInt, PositiveInt, Probability, check_params

__all__ = ["synthetic_frame", "MinRows", "Period"]

#: ``data.n``: rows of a synthetic series (>= 4)
MinRows = Annotated[int, Field(ge=4)]
#: ``data.period``: rows per cycle (> 1)
Period = Annotated[float, Field(gt=1)]


def synthetic_frame(n: MinRows = 2000, d: PositiveInt = 3, seed: NonNegativeInt = 0, period: Period = 100,
                    trend: FiniteFloat = 0.0, noise: NonNegativeFloat = 0.1, correlation: Probability = 0.8,
                    start: str = "2020-01-01", freq: str = "1min") -> pd.DataFrame:
    """Periodic components + trend + noise with correlated channels.

    Channel j = a_j * sin(2*pi*t/period_j + phase_j) + trend * t/n + mixing of a shared latent
    signal (``correlation``) + Gaussian noise (``noise``). Deterministic given ``seed``; generated in
    float64 with O(n*d) memory.

    Returns:
        DataFrame with a ``date`` column and ``x0..x{d-1}``.

    Raises:
        AnogenError: a parameter outside its range (``data.n: must be >= 4, got 2``).
    """
    check_params(synthetic_frame, locals(), "data")  # locals() here = the arguments
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
