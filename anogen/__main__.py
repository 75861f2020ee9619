"""``python -m anogen [overrides]``: the Hydra entry point. It only hands the config to the run job.

A single run that hits a user mistake prints one line and exits with code 2. Inside a multirun,
a job that raises is recorded as failed (``metrics.json`` with ``status: failed`` and the error)
and the sweep goes on.
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from anogen.types import AnogenError


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    from anogen.jobs.hydra import in_multirun, record_failure
    from anogen.jobs.run import run

    try:
        return run(cfg).objective
    except Exception as e:  # noqa: BLE001
        if in_multirun():
            record_failure(e)
            return float("nan")
        if isinstance(e, AnogenError):
            print(f"anogen: error: {e}", file=sys.stderr)
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
