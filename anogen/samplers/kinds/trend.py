"""``trend``: a ramp added to the segment, reaching ``slope`` train stds at its end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.samplers.kinds.base import AnomalyKind, Direction, PositiveSpread, Segment, draw, sign

__all__ = ["Trend"]


@dataclass(frozen=True)
class Trend(AnomalyKind):
    """``x + sign * slope * s * (1..L) / L`` (``s`` = the column's train std).

    Args:
        slope: the ramp's height at the end of the segment in train stds; a number or ``[low, high]``.
        direction: ``up``, ``down`` or ``both`` (random per event).
    """

    name: ClassVar[str] = "trend"
    family: ClassVar[str] = "collective"
    min_length: ClassVar[int] = 1
    slope: PositiveSpread = 3.0
    direction: Direction = "both"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        slope, sgn = draw(self.slope, rng), sign(self.direction, rng)
        ramp = np.arange(1, seg.length + 1, dtype=np.float64) / seg.length
        return seg.values + sgn * slope * seg.std * ramp, {"slope": slope, "sign": sgn}
