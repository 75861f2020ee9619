"""Several samplers on one fold with shared, non-overlapping placement."""

from __future__ import annotations

from typing import Any, Mapping

from anogen.types import AnogenError

__all__ = ["Compose"]


class Compose:
    """Run several samplers on one fold (e.g. noise + vae_tail + inject).

    Args:
        samplers: ``{name: sampler}`` (built from nested ``_target_`` configs); order = the order given.
    """

    name = "compose"

    def __init__(self, samplers: Mapping[str, Any]) -> None:
        if not samplers:
            raise AnogenError("sampler.samplers must name at least one sampler")
        self.by_name = dict(samplers)
        for k, s in self.by_name.items():
            if not (hasattr(s, "plan") and hasattr(s, "fill")):
                raise AnogenError(f"sampler.samplers.{k} is not a sampler (needs plan and fill)")
        self.samplers = list(self.by_name.values())
        self.needs_model = any(getattr(s, "needs_model", False) for s in self.samplers)
