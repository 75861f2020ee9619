"""``stuck``: a sensor stuck at its last value or at a constant (MATLAB's stuck-at-constant)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.samplers.kinds.base import AnomalyKind, Segment, WindowScan, word_or_number

__all__ = ["Stuck"]


#: ``last`` or a number in original units
StuckValue = word_or_number("last")


@dataclass(frozen=True)
class Stuck(AnomalyKind):
    """Every row of the segment equals ``v``: the last value before the segment (``last``; the
    segment's first value at row 0) or a number in original units. Unlike ``flatline``, ``v`` is
    kept exactly, so rows that already equal it are left unchanged and unlabelled (``nudge`` is
    off): the labels are exactly the rows where the stuck reading differs from the truth. Starts
    only where the segment is not entirely ``v`` (``last``: where it is not constant).

    Args:
        value: ``last`` or a number in original units.
    """

    name: ClassVar[str] = "stuck"
    family: ClassVar[str] = "collective"
    nudge: ClassVar[bool] = False
    value: StuckValue = "last"

    def eligible(self, scan: WindowScan, length: int) -> np.ndarray | None:
        if self.value == "last":
            return scan.varying(length)
        return scan.not_all_equal(float(self.value), length)

    def requirement(self) -> str:
        return "is not constant" if self.value == "last" else f"is not entirely {self.value}"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        if self.value == "last":
            v = float(seg.series[seg.start - 1]) if seg.start > 0 else float(seg.values[0])
        else:
            v = float(self.value)
        return np.full(seg.length, v), {"value": v, "mode": "last" if self.value == "last" else "constant"}
