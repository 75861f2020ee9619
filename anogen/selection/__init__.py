"""Detector selection from synthetic evidence: battery, rank aggregation, agreement, prior, report.

Pure numpy/pandas components (they never import the jobs, the evaluation core or the API); the
job that runs detectors on the battery is :mod:`anogen.jobs.select`.

* :mod:`~anogen.selection.battery`: kinds x difficulty ladder x seeds, rescaling to local variability.
* :mod:`~anogen.selection.aggregation`: ranks, trimmed Borda (Goswami et al., ICLR 2023), Kendall's W,
  cluster bootstrap.
* :mod:`~anogen.selection.consensus`: battery rows -> :class:`~anogen.selection.consensus.Selection`.
* :mod:`~anogen.selection.prior`: the real-data prior voter and its leave-one-series-out weight.
* :mod:`~anogen.selection.agreement`: Spearman, Kendall, top-1/top-3 between two rankings.
* :mod:`~anogen.selection.report`: ``selection.md`` / ``selection.json`` / plots.
"""

from anogen.selection.consensus import Selection
from anogen.selection.settings import SelectSettings, check_select

__all__ = ["Selection", "SelectSettings", "check_select"]
