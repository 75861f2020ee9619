"""Several samplers on one fold with shared, non-overlapping placement.

:class:`Compose` is itself a sampler: its ``plan`` concatenates its children's plans (each request
tagged with the child's name in its ``payload``), one :func:`~anogen.placement.allocate` places
them all, and its ``fill`` hands each child exactly the slots it planned, in the order it planned
them, with the child's own payload restored. Composes nest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import numpy as np
from pydantic import Field

from anogen.samplers.base import SampleContext, Sampler, Slot, SlotRequest
from anogen.types import AnogenError, Edit

__all__ = ["Compose"]


class Compose(Sampler):
    """Run several samplers on one fold (e.g. noise + vae_tail + inject).

    Args:
        samplers: ``{name: sampler}`` (built from nested ``_target_`` configs); order = the order given.

    Attributes:
        by_name: ``{name: sampler}``.
        samplers: the samplers, in order.
    """

    name = "compose"

    def __init__(self, samplers: Annotated[Mapping[str, Any], Field(min_length=1)]) -> None:
        self.by_name = {str(k): s for k, s in samplers.items()}
        for k, s in self.by_name.items():
            if not (hasattr(s, "plan") and hasattr(s, "fill")):
                raise AnogenError(f"sampler.samplers.{k}: {type(s).__name__} is not a sampler (needs plan and fill)")
        self.samplers = list(self.by_name.values())

    @classmethod
    def of(cls, samplers: Sequence[Any]) -> "Compose":
        """A Compose of a list of samplers, named by their ``name`` (``noise``, ``noise_2``, ...)."""
        by_name: dict[str, Any] = {}
        for s in samplers:
            base = str(getattr(s, "name", type(s).__name__.lower()))
            name, i = base, 1
            while name in by_name:
                i += 1
                name = f"{base}_{i}"
            by_name[name] = s
        if not by_name:
            raise AnogenError("sampler.samplers: name at least one sampler")
        return cls(by_name)

    @property
    def needs_model(self) -> bool:
        """Whether any child needs a trained model."""
        return any(getattr(s, "needs_model", False) for s in self.samplers)

    def __repr__(self) -> str:
        return f"Compose({self.by_name!r})"

    def plan(self, ctx: SampleContext, rng: np.random.Generator) -> list[SlotRequest]:
        """Every child's requests, in child order, each tagged ``payload=(child name, child payload)``."""
        out: list[SlotRequest] = []
        for name, s in self.by_name.items():
            out.extend(dataclasses.replace(r, payload=(name, r.payload)) for r in s.plan(ctx, rng))
        return out

    def fill(self, ctx: SampleContext, slots: list[Slot], rng: np.random.Generator) -> list[Edit]:
        """Route each slot back to the child that planned it (children filled in order).

        Raises:
            AnogenError: a slot that this Compose did not plan.
        """
        routed: dict[str, list[Slot]] = {name: [] for name in self.by_name}
        for s in slots:
            tag = s.payload
            if not (isinstance(tag, tuple) and len(tag) == 2 and tag[0] in routed):
                raise AnogenError(f"sampler=compose: slot at row {s.start} was not planned by this compose "
                                  f"(payload {tag!r}); pass fill the slots allocated for its plan")
            routed[tag[0]].append(dataclasses.replace(s, payload=tag[1]))
        edits: list[Edit] = []
        for name, s in self.by_name.items():
            edits.extend(s.fill(ctx, routed[name], rng))
        return edits
