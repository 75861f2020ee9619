"""``contextual``: normal values out of place (a train segment far from the test segment)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.params import PositiveInt
from anogen.samplers.base import SampleContext
from anogen.samplers.kinds.base import AnomalyKind, Segment
from anogen.samplers.kinds.signal import source_windows, train_windows
from anogen.types import AnogenError

__all__ = ["Contextual"]


@dataclass(frozen=True)
class Contextual(AnomalyKind):
    """The train segment (among ``candidates`` random ones) farthest from the segment (mean
    absolute difference): values that are normal elsewhere but out of place here, e.g. the
    opposite phase of a cycle.

    Args:
        candidates: train segments tried per event.
    """

    name: ClassVar[str] = "contextual"
    family: ClassVar[str] = "contextual"
    candidates: PositiveInt = 32

    def check_data(self, ctx: SampleContext, longest: int) -> None:
        train_windows(ctx.fold.train, ctx.fold.train_segments, longest, 1, np.random.default_rng(0))

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        starts, win = source_windows(seg.ctx.fold, seg.column, seg.length, self.candidates, rng)
        dist = np.abs(win - seg.values[None, :]).mean(axis=1)
        j = int(np.argmax(dist))
        if dist[j] <= 0:
            raise AnogenError(
                f"sampler inject: 'contextual' at row {seg.start}: no train segment of column "
                f"{seg.column_name!r} differs from the test segment; raise sampler.catalog.{self.name}.candidates")
        return win[j].copy(), {"source_start": int(starts[j]), "distance": float(dist[j] / seg.std)}
