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
``pattern_shift``         the pattern ``shift`` rows later/earlier, smooth transitions at both ends
``local_extremum``        one row beyond its ``+-context`` neighbours by ``excess`` x their range
``drift``                 ``x + sign * magnitude * s * r(u)``, ``r`` linear, quadratic or exponential
``bias``                  ``x + sign * value * s`` (constant) or ``x * (1 + sign * value)`` (proportional)
``stuck``                 the last value before, or a number, kept exactly (sparse labels)
``noise_burst``           ``x + N(mean s, (scale s)^2)`` on every row or in bursts (sparse labels)
``outlier_cluster``       ``points`` rows moved ``+-magnitude * s``, first and last included (sparse)
``combine``               several kinds applied one after the other; kind ``a+b``
========================  ======================================================================

Every kind also takes the placement controls ``position``, ``creeping`` and ``channels``
(:mod:`anogen.samplers.kinds.base`).
"""

from anogen.samplers.kinds.base import AnomalyKind, Segment, WindowScan

__all__ = ["AnomalyKind", "Segment", "WindowScan"]
