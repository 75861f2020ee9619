"""Jobs: each a short composition of the evaluation core and the components.

- :func:`anogen.jobs.run.run`: one experiment (or the benchmark when the config has ``benchmark``).
- :mod:`anogen.jobs.benchmark`: samplers x detectors x folds x seeds -> leaderboard.
- :mod:`anogen.jobs.spec`: the whole config validated and built, with no I/O.
"""

from anogen.jobs.run import run

__all__ = ["run"]
