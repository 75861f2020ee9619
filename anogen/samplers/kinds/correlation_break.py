"""``correlation_break``: one channel decoupled from the others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from anogen.params import PositiveInt
from anogen.samplers.base import SampleContext
from anogen.samplers.kinds.base import AnomalyKind, Segment
from anogen.samplers.kinds.signal import source_windows, train_windows

__all__ = ["CorrelationBreak"]


@dataclass(frozen=True)
class CorrelationBreak(AnomalyKind):
    """The column's deviations replaced by those of the train segment (among ``candidates``
    random ones) least correlated with them, rescaled to the segment's std and mean: the channel
    decouples from the others (needs ``d >= 2`` data columns).

    Args:
        candidates: train segments tried per event.
    """

    name: ClassVar[str] = "correlation_break"
    family: ClassVar[str] = "contextual"
    needs_variation: ClassVar[bool] = True
    candidates: PositiveInt = 16

    def unsupported(self, ctx: SampleContext) -> str | None:
        d = ctx.fold.n_features
        if d < 2:
            return f"decouples one channel from the others and needs at least 2 data columns, the data has {d}"
        return None

    def check_data(self, ctx: SampleContext, longest: int) -> None:
        train_windows(ctx.fold.train, ctx.fold.train_segments, longest, 1, np.random.default_rng(0))

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        x, L = seg.values, seg.length
        starts, win = source_windows(seg.ctx.fold, seg.column, L, self.candidates, rng)
        dev = win - win.mean(axis=1, keepdims=True)
        sd = dev.std(axis=1)
        xd = x - x.mean()
        xs = xd.std()
        usable = sd > 0
        if not usable.any():  # flat train windows: invert the segment's own deviations instead
            return x.mean() - xd, {"source": "inverted", "corr": -1.0}
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = (dev @ xd) / (L * sd * xs)
        corr = np.where(usable, corr, np.inf)
        j = int(np.argmin(np.abs(corr)))
        new = x.mean() + dev[j] * (xs / sd[j])
        return new, {"source_start": int(starts[j]), "corr": float(corr[j])}
