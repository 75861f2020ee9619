"""Where the packaged files are: the one place that derives the Hydra config folder's path.

Imports nothing but :mod:`pathlib`, so the entry points can use it without paying for anything.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CONF_DIR", "conf_file", "conf_options"]

#: the packaged Hydra config tree (``anogen/conf``), absolute: the same configs whether anogen runs
#: as ``python -m anogen``, in process, or from an installed wheel
CONF_DIR = Path(__file__).resolve().parent / "conf"


def conf_file(group: str, name: str) -> Path:
    """The packaged option ``conf/{group}/{name}.yaml`` (it may not exist)."""
    return CONF_DIR / group / f"{name}.yaml"


def conf_options(group: str) -> list[str]:
    """The packaged options of a config group (``conf/{group}/*.yaml``), sorted; ``[]`` for no such group."""
    folder = CONF_DIR / group
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
