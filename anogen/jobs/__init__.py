"""Jobs: each a short composition of the evaluation core, the studies and the components.

- :func:`anogen.jobs.run` (:mod:`anogen.jobs.dispatch`): the one door; builds the job and runs it.
- :mod:`anogen.jobs.experiment`: one experiment (model -> anomalies -> detectors per fold).
- :mod:`anogen.jobs.benchmark`: samplers x detectors x folds x seeds -> leaderboard (:mod:`anogen.benchmarking`).
- :mod:`anogen.jobs.select`: which detector for this data (:mod:`anogen.selection`).
- :mod:`anogen.jobs.steps`: the per-fold steps they share; :mod:`anogen.jobs.writers`: fold files.
- :mod:`anogen.jobs.spec`: the whole config validated and built, with no I/O; :mod:`anogen.jobs.hydra`: Hydra glue.
"""

from anogen.jobs.dispatch import run

__all__ = ["run"]
