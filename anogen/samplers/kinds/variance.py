"""``variance``: Gaussian noise added to the segment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.samplers.kinds.base import AnomalyKind, PositiveSpread, Segment, draw

__all__ = ["Variance"]


@dataclass(frozen=True)
class Variance(AnomalyKind):
    """``x + N(0, (scale * s)^2)`` (``s`` = the column's train std).

    Args:
        scale: noise std in train stds; a number or ``[low, high]`` (drawn per event).
    """

    name: ClassVar[str] = "variance"
    family: ClassVar[str] = "collective"
    min_length: ClassVar[int] = 1
    scale: PositiveSpread = 1.0

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        scale = draw(self.scale, rng)
        x = seg.values
        new = x + rng.standard_normal(seg.length) * scale * seg.std
        for _ in range(8):  # an exact zero draw (or one lost to rounding): draw again
            same = new == x
            if not same.any():
                break
            new[same] = x[same] + rng.standard_normal(int(same.sum())) * scale * seg.std
        return new, {"scale": scale}
