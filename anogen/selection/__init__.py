"""Detector selection from synthetic evidence: battery, rank aggregation, agreement, prior, report.

A study above the evaluation core (it never imports the jobs or the API); the job
:mod:`anogen.jobs.select` composes it with the data, the model and the run's outputs.

* :mod:`~anogen.selection.run`: :func:`~anogen.selection.run.run_selection`, the whole selection on clean folds.
* :mod:`~anogen.selection.cases`: the battery's cells on a fold as evaluation cases (and the labelled test part).
* :mod:`~anogen.selection.candidates`: window variants; single rows in tabular mode.
* :mod:`~anogen.selection.labels`: labelled rows leave the train parts.
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
