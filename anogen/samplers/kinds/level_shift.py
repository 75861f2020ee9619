"""``level_shift``: the segment moved ``offset`` train stds up or down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.samplers.kinds.base import AnomalyKind, Direction, PositiveSpread, Segment, draw, sign

__all__ = ["LevelShift"]


@dataclass(frozen=True)
class LevelShift(AnomalyKind):
    """``x + sign * offset * s`` (``s`` = the column's train std).

    Args:
        offset: in train stds; a number or ``[low, high]`` (drawn per event).
        direction: ``up``, ``down`` or ``both`` (random per event).
    """

    name: ClassVar[str] = "level_shift"
    family: ClassVar[str] = "collective"
    min_length: ClassVar[int] = 1
    offset: PositiveSpread = 2.0
    direction: Direction = "both"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        off, sgn = draw(self.offset, rng), sign(self.direction, rng)
        return seg.values + sgn * off * seg.std, {"offset": off, "sign": sgn}
