"""What the entry point learns from Hydra: the run directory, the job name, sweep group, overrides."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("anogen")

__all__ = ["JobInfo", "job_info", "in_multirun", "record_failure"]


@dataclass(frozen=True)
class JobInfo:
    """The current Hydra job (all ``None``/empty outside Hydra)."""

    run_dir: str | None = None
    name: str | None = None
    group: str | None = None
    overrides: list[str] = field(default_factory=list)


def job_info() -> JobInfo:
    """Run directory, run name (the overrides), sweep group (the sweep folder) and overrides."""
    try:
        from hydra.core.hydra_config import HydraConfig

        if not HydraConfig.initialized():
            return JobInfo()
        hc = HydraConfig.get()
        overrides = list(hc.overrides.task)
        num = hc.job.get("num")
        name = ",".join(overrides) if overrides else hc.job.name
        group = Path(hc.sweep.dir).name if num is not None else None
        return JobInfo(str(hc.runtime.output_dir), name, group, overrides)
    except Exception:  # noqa: BLE001 - outside a Hydra app
        return JobInfo()


def in_multirun() -> bool:
    """True inside a Hydra multirun job."""
    try:
        from hydra.core.hydra_config import HydraConfig

        return HydraConfig.initialized() and HydraConfig.get().job.get("num") is not None \
            and str(HydraConfig.get().mode) == "RunMode.MULTIRUN"
    except Exception:  # noqa: BLE001
        return False


def record_failure(e: BaseException) -> None:
    """Write ``metrics.json`` with ``status: failed`` for the current Hydra job (the sweep goes on)."""
    from anogen.outputs.files import write_json

    info = job_info()
    log.error("job failed: %s: %s", type(e).__name__, e)
    if info.run_dir:
        write_json(Path(info.run_dir) / "metrics.json", {
            "mean": {}, "folds": {}, "status": "failed", "error": f"{type(e).__name__}: {e}",
            "overrides": info.overrides, "traceback": traceback.format_exc()})
        if info.overrides:
            write_json(Path(info.run_dir) / "overrides.json", info.overrides)
