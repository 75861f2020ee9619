"""A metric plug-in: one Python function + one YAML (docs/extending.md, "A metric")."""

from __future__ import annotations

import numpy as np

from anogen.metrics import metric


@metric(input="score")
def top_decile_hit_rate(y_true, y_score) -> float:
    """Fraction of the anomalous rows whose score is in the top 10% of all scores."""
    y = np.asarray(y_true, dtype=bool)
    if not y.any():
        return float("nan")
    cut = np.quantile(np.asarray(y_score, dtype=np.float64), 0.9)
    return float((np.asarray(y_score)[y] >= cut).mean())
