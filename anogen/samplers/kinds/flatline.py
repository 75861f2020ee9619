"""``flatline``: a stuck sensor (the segment held at one value)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.samplers.kinds.base import NUDGE, AnomalyKind, Segment, WindowScan, nudge_off, word_or_number

__all__ = ["Flatline", "FlatValue"]


#: ``hold``, ``mean`` or a number in original units
FlatValue = word_or_number("hold", "mean")


@dataclass(frozen=True)
class Flatline(AnomalyKind):
    """The segment replaced by one constant value.

    Args:
        value: ``hold`` (the last value before the segment), ``mean`` (the segment mean) or a
            number in original units. ``hold``/``mean`` only start where the segment is not
            constant and move a value that coincides with one of the segment slightly; a number
            only starts where no row of the segment equals it.
    """

    name: ClassVar[str] = "flatline"
    family: ClassVar[str] = "collective"
    value: FlatValue = "hold"

    def eligible(self, scan: WindowScan, length: int) -> np.ndarray | None:
        if isinstance(self.value, str):
            return scan.varying(length)
        return scan.never_equal(self.value, length)

    def requirement(self) -> str:
        return "is not constant" if isinstance(self.value, str) else f"never equals the flat-line value {self.value}"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        x = seg.values
        if self.value == "hold":
            v = float(seg.series[seg.start - 1]) if seg.start > 0 else float(x[0])
        elif self.value == "mean":
            v = float(x.mean())
        else:
            v = float(self.value)
        if isinstance(self.value, str):
            v = nudge_off(v, x, NUDGE * seg.std)
        return np.full(seg.length, v), {"value": v, "mode": self.value if isinstance(self.value, str) else "fixed"}
