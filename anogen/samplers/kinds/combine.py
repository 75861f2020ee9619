"""``combine``: several kinds stacked in one event (GutenTAG's anomaly with several kinds)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Union

import numpy as np
from pydantic import Field

from anogen.samplers.base import SampleContext
from anogen.samplers.kinds.base import AnomalyKind, Segment, WindowScan
from anogen.types import AnogenError

__all__ = ["Combine"]

#: parts of a combined event: catalog labels or kind objects (at least 2)
Parts = Annotated[tuple[Union[str, AnomalyKind], ...], Field(min_length=2)]


@dataclass(frozen=True)
class Combine(AnomalyKind):
    """The kinds of ``kinds`` applied one after the other to the same segment and columns, each
    transforming what the previous one produced (e.g. ``[level_shift, variance]``: a shifted,
    noisier stretch). The event's kind is the parts' labels joined by ``+``
    (``level_shift+variance``) and its ``params.parts`` lists each part's parameters. It starts
    only where every part may start; a part's own placement controls are ignored (the combined
    event's own ``position`` / ``creeping`` / ``channels`` apply).

    Args:
        kinds: catalog labels (resolved against the sampler's catalog, with its overrides) or
            kind objects; at least 2, no ``combine`` among them.
        labels: the parts' labels in the event's kind (default: the catalog labels, or the
            kind's name for objects).
    """

    name: ClassVar[str] = "combine"
    family: ClassVar[str] = "collective"
    kinds: Parts = ("level_shift", "variance")
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.labels is not None and len(self.labels) != len(self.kinds):
            raise AnogenError(f"sampler.catalog.{self.name}.labels: {len(self.labels)} labels for "
                              f"{len(self.kinds)} kinds")
        parts = self.parts if self.resolved else ()
        fixed = {p.length for p in parts if p.length is not None}
        if len(fixed) > 1:
            raise AnogenError(f"sampler.catalog.{self.name}.kinds: parts of different fixed lengths {sorted(fixed)}")
        if parts:  # what the sampler reads from the class attributes, from the parts
            object.__setattr__(self, "length", fixed.pop() if fixed else None)
            object.__setattr__(self, "min_length", max(p.min_length for p in parts))
            object.__setattr__(self, "needs_variation", any(p.needs_variation for p in parts))

    @property
    def resolved(self) -> bool:
        return all(isinstance(k, AnomalyKind) for k in self.kinds)

    @property
    def parts(self) -> tuple[AnomalyKind, ...]:
        if not self.resolved:
            raise AnogenError(f"combine {list(self.kinds)}: catalog labels are resolved by the sampler "
                              "(sampler=inject); pass kind objects to use it on its own")
        return self.kinds  # type: ignore[return-value]

    def resolve(self, catalog: dict, key: str) -> "Combine":
        kinds, labels = [], []
        for k in self.kinds:
            if isinstance(k, str):
                if k not in catalog:
                    raise AnogenError(f"{key}.kinds: unknown kind {k!r}; valid kinds: {list(catalog)}")
                kind, label = catalog[k], k
            else:
                kind, label = k, type(k).name
            if isinstance(kind, Combine):
                raise AnogenError(f"{key}.kinds: a combine cannot contain another combine ({label!r})")
            kinds.append(kind)
            labels.append(label)
        return dataclasses.replace(self, kinds=tuple(kinds), labels=self.labels or tuple(labels))

    def event_kind(self, label: str) -> str:
        return "+".join(self.labels or ())

    def nudges(self) -> bool:
        return all(p.nudges() for p in self.parts)

    def unsupported(self, ctx: SampleContext) -> str | None:
        return next((why for p in self.parts if (why := p.unsupported(ctx))), None)

    def check_data(self, ctx: SampleContext, longest: int) -> None:
        for p in self.parts:
            p.check_data(ctx, longest)

    def eligible(self, scan: WindowScan, length: int) -> np.ndarray | None:
        out = None
        for p in self.parts:
            ok = p.eligible(scan, length)
            if ok is not None:
                out = np.asarray(ok, dtype=bool) if out is None else out & ok
        return out

    def requirement(self) -> str:
        ruled = [p for p in self.parts if p.needs_variation or type(p).eligible is not AnomalyKind.eligible]
        return " and ".join(dict.fromkeys(p.requirement() for p in ruled)) or "fits"

    def apply(self, seg: Segment, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, Any]]:
        current = np.array(seg.values, dtype=np.float64)
        details = []
        for label, part in zip(self.labels or (), self.parts):
            new, info = part.apply(dataclasses.replace(seg, current=current), rng)
            current = np.array(new, dtype=np.float64)
            details.append({"kind": label, **info})
        return current, {"parts": details}
