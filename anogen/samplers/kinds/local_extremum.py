"""``local_extremum``: one row made the extremum of its neighbourhood (GutenTAG's local extremum)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.params import PositiveInt
from anogen.samplers.kinds.base import AnomalyKind, Direction, PositiveSpread, Segment, draw, sign

__all__ = ["LocalExtremum"]


@dataclass(frozen=True)
class LocalExtremum(AnomalyKind):
    """One row set to ``max(w) + excess * r`` (up) or ``min(w) - excess * r`` (down), where ``w``
    is the column on ``context`` rows either side of the row (the row included) and ``r`` the
    range of ``w`` (at least ``0.1 s``): a peak or dip that stands out locally but may stay
    inside the column's global range, unlike ``spike`` (which moves the row ``magnitude`` train
    stds whatever its neighbours do).

    Args:
        context: rows on each side that the row must exceed.
        excess: how far beyond the local extreme, as a fraction of the local range; a number or
            ``[low, high]`` (drawn per event).
        direction: ``up`` (a local maximum), ``down`` (a local minimum) or ``both``.
    """

    name: ClassVar[str] = "local_extremum"
    family: ClassVar[str] = "point"
    length: ClassVar[int | None] = 1
    context: PositiveInt = 10
    excess: PositiveSpread = 0.25
    direction: Direction = "both"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        col = seg.series
        lo, hi = max(0, seg.start - self.context), min(col.shape[0], seg.start + 1 + self.context)
        w = col[lo:hi]
        r = max(float(np.ptp(w)), 0.1 * seg.std)
        e, sgn = draw(self.excess, rng), sign(self.direction, rng)
        v = float(w.max()) + e * r if sgn > 0 else float(w.min()) - e * r
        return np.array([v]), {"excess": e, "sign": sgn, "local_range": r, "context": int(self.context)}
