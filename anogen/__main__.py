"""``python -m anogen [overrides]``: the Hydra entry point. It only hands the config to ``pipeline.run``."""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from anogen.types import AnogenError


@hydra.main(config_path="conf", config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    from anogen.pipeline import run

    try:
        return run(cfg).objective
    except AnogenError as e:
        print(f"anogen: error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
