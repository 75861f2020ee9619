"""Anomaly kinds of ``sampler=inject``: one frozen dataclass per kind, one module per kind.

A kind is configured by ``_target_`` in the sampler's ``catalog`` (``conf/sampler/inject.yaml``)
and selected by ``sampler.kinds``; see :mod:`anogen.samplers.kinds.base` for the interface and the
recipe for a new kind (one Python file + one YAML entry, nothing to register).

========================  ======================================================================
kind (module)             what happens to the segment ``x`` (length ``L``) of one column
========================  ======================================================================
``spike``                 one row: ``x + sign * magnitude * s`` (``s`` = the column's train std)
``level_shift``           ``x + sign * offset * s``
``amplitude``             ``m + f * (x - m)`` around a local baseline ``m``
``trend``                 ``x + sign * slope * s * (1..L) / L``
``variance``              ``x + N(0, (scale * s)^2)``
``frequency``             the column resampled ``factor`` times faster or slower
``pattern``               time warp, reversal or flip of the segment
``flatline``              a constant: the last value before, the mean, or a number
``correlation_break``     deviations replaced by a least-correlated train segment's (``d >= 2``)
``contextual``            the train segment farthest from the segment (normal, but out of place)
========================  ======================================================================
"""

from anogen.samplers.kinds.base import AnomalyKind, Segment, WindowScan

__all__ = ["AnomalyKind", "Segment", "WindowScan"]
