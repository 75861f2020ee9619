"""Samplers: propose anomalies (see :mod:`anogen.samplers.base` for the protocol)."""

from anogen.samplers.base import SampleContext, Sampler, Slot, SlotRequest

__all__ = ["SampleContext", "Sampler", "Slot", "SlotRequest", "generate_fold"]


def generate_fold(samplers, ctx, rng, min_gap: int = 0):
    """Plan, allocate, fill and apply one or several samplers on one fold.

    Args:
        samplers: a sampler or a list of them (they share the fold without overlapping).
        ctx: the :class:`SampleContext` of the fold.
        rng: ``np.random.Generator``.
        min_gap: minimum clean rows between anomalies.

    Returns:
        :class:`anogen.types.Injected`.
    """
    from anogen.placement import allocate, apply_edits

    if not isinstance(samplers, (list, tuple)):
        samplers = [samplers]
    plans = [list(s.plan(ctx, rng)) for s in samplers]
    flat = [r for p in plans for r in p]
    slots = allocate(flat, ctx.n_test, rng, min_gap=min_gap)
    edits, i = [], 0
    for s, p in zip(samplers, plans):
        edits.extend(s.fill(ctx, slots[i:i + len(p)], rng))
        i += len(p)
    return apply_edits(ctx.fold, edits)
