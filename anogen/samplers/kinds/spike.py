"""``spike``: one row pushed ``magnitude`` train stds up or down (an extremum)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.samplers.kinds.base import AnomalyKind, Direction, PositiveSpread, Segment, draw, sign

__all__ = ["Spike"]


@dataclass(frozen=True)
class Spike(AnomalyKind):
    """``x + sign * magnitude * s`` on one row (``s`` = the column's train std).

    Args:
        magnitude: in train stds; a number or ``[low, high]`` (drawn per event).
        direction: ``up``, ``down`` or ``both`` (random per event).
    """

    name: ClassVar[str] = "spike"
    family: ClassVar[str] = "point"
    length: ClassVar[int | None] = 1
    magnitude: PositiveSpread = 5.0
    direction: Direction = "both"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        mag, sgn = draw(self.magnitude, rng), sign(self.direction, rng)
        return seg.values + sgn * mag * seg.std, {"magnitude": mag, "sign": sgn}
