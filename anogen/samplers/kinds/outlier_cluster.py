"""``outlier_cluster``: a few point outliers close together (MATLAB's point outliers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import numpy as np
from pydantic import Field

from anogen.samplers.kinds.base import AnomalyKind, Direction, PositiveSpread, Segment, draw, sign

__all__ = ["OutlierCluster"]


@dataclass(frozen=True)
class OutlierCluster(AnomalyKind):
    """``points`` rows of the segment moved ``sign * m * s`` each (``m`` drawn per point from
    ``magnitude``, a sign per point with ``both``; ``s`` = the column's train std); the first and
    the last row are always among them, the others are drawn uniformly without repetition, so the
    cluster spans the segment. Rows between the outliers keep their clean values and are not
    labelled (``nudge`` is off): each outlier or run of outliers is its own labelled run.

    Args:
        points: outliers per event (>= 2; all rows when the segment is shorter).
        magnitude: train stds; a number or ``[low, high]`` (drawn per point).
        direction: ``up``, ``down`` or ``both`` (random per point).
    """

    name: ClassVar[str] = "outlier_cluster"
    family: ClassVar[str] = "point"
    nudge: ClassVar[bool] = False
    points: Annotated[int, Field(ge=2)] = 3
    magnitude: PositiveSpread = (3.0, 6.0)
    direction: Direction = "both"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        L = seg.length
        k = min(self.points, L)
        inner = rng.choice(np.arange(1, L - 1), size=k - 2, replace=False) if k > 2 else np.zeros(0, np.int64)
        rows = np.sort(np.concatenate([[0, L - 1], inner]).astype(np.int64)) if L > 1 else np.zeros(1, np.int64)
        mags = np.array([draw(self.magnitude, rng) * sign(self.direction, rng) for _ in rows])
        new = seg.values.copy()
        new[rows] += mags * seg.std
        return new, {"rows": rows.tolist(), "magnitudes": mags.tolist()}
