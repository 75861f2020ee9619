"""A sampler plug-in: one Python file + one YAML (docs/extending.md, "A sampler").

``Stuck``: a sensor that freezes: ``count`` segments of ``length`` rows hold the value of the row
before them in every chosen column.
"""

from __future__ import annotations

import numpy as np

from anogen.params import PositiveInt
from anogen.samplers.base import SampleContext, Slot, SlotRequest, resolve_columns
from anogen.types import AnogenError, Edit


class Stuck:
    """Segments where the signal freezes at its last value."""

    name = "stuck"

    def __init__(self, count: PositiveInt = 3, length: PositiveInt = 8, columns: list[str] | None = None) -> None:
        self.count = count
        self.length = length
        self.columns = list(columns or [])

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        cols, _ = resolve_columns(self.columns, ctx.fold.columns)
        test = ctx.fold.test[:, cols]
        n, L = ctx.n_test, self.length
        if L + 1 > n:
            raise AnogenError(f"sampler.length ({L}) does not fit in the test fold ({n} rows)")
        # a start is eligible when it has a previous row and freezing changes at least one row
        eligible = np.zeros(n, dtype=bool)
        for s in range(1, n - L + 1):
            eligible[s] = bool((test[s:s + L] != test[s - 1]).any())
        return [SlotRequest(L, "replace", eligible, payload=cols) for _ in range(self.count)]

    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        edits = []
        for s in slots:
            cols = s.payload
            seg = ctx.fold.test[s.start:s.start + s.length].copy()
            seg[:, cols] = ctx.fold.test[s.start - 1, cols]
            names = tuple(ctx.fold.columns[c] for c in cols)
            edits.append(Edit(s.start, seg, "replace", "stuck", names, self.name, {"length": s.length}))
        return edits
