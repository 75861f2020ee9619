"""``bias``: a constant or proportional offset over the segment (MATLAB's bias)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from anogen.samplers.kinds.base import AnomalyKind, Direction, PositiveSpread, Segment, WindowScan, draw, sign

__all__ = ["Bias"]


@dataclass(frozen=True)
class Bias(AnomalyKind):
    """``constant``: ``x + sign * value * s`` (``s`` = the column's train std; the same transform
    as ``level_shift``, under MATLAB's name); ``proportional``: ``x * (1 + sign * value)``, an
    offset proportional to the value (MATLAB's ``y (1 + beta)``; ``value: 2, direction: down``
    negates the segment, GutenTAG's mode-correlation). Proportional bias only starts where no row
    of the segment is 0 (a zero would stay unchanged).

    Args:
        mode: ``constant`` or ``proportional``.
        value: train stds (constant) or a fraction of the value (proportional); a number or
            ``[low, high]`` (drawn per event).
        direction: ``up``, ``down`` or ``both`` (random per event).
    """

    name: ClassVar[str] = "bias"
    family: ClassVar[str] = "collective"
    min_length: ClassVar[int] = 1
    mode: Literal["constant", "proportional"] = "constant"
    value: PositiveSpread = 1.0
    direction: Direction = "both"

    def eligible(self, scan: WindowScan, length: int) -> np.ndarray | None:
        return scan.never_equal(0.0, length) if self.mode == "proportional" else None

    def requirement(self) -> str:
        return "has no zero (a proportional bias leaves zeros unchanged)"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        v, sgn = draw(self.value, rng), sign(self.direction, rng)
        x = seg.values
        new = x * (1.0 + sgn * v) if self.mode == "proportional" else x + sgn * v * seg.std
        return new, {"mode": self.mode, "value": v, "sign": sgn}
