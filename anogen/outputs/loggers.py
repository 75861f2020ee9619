"""Loggers: local JSONL (always) and Weights & Biases (offline by default).

A logger never makes a run fail: a W&B problem (not installed, no login, full disk) becomes a
warning and the local files are written regardless.

W&B runs are grouped ``{experiment}-{date}_{time}`` (the sweep's or run's output folder, so a
sweep's runs share a group and groups of different days never collide), carry a job type
(``run``, ``sweep`` or ``benchmark``), plot training curves against their epoch (``define_metric``)
and print nothing themselves (``wandb.Settings(silent=True)``): the console keeps anogen's own
summary plus one line pointing at the W&B run; W&B's history and summary stay in the run's folder
(uploaded by ``wandb sync``) and its own log in the folder's ``logs/``.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import time
import warnings
from pathlib import Path
from typing import Any, Mapping

from anogen.outputs.files import to_jsonable

__all__ = ["Logger", "LocalLogger", "WandbLogger", "hydra_job", "run_group", "job_type"]

log = logging.getLogger("anogen")


def hydra_job() -> tuple[str | None, str | None, bool]:
    """``(experiment, output folder, multirun)`` of the current Hydra job; ``(None, None, False)``
    outside Hydra. The folder is the sweep's (multirun) or the run's."""
    try:
        from hydra.core.hydra_config import HydraConfig

        if not HydraConfig.initialized():
            return None, None, False
        hc = HydraConfig.get()
        multirun = hc.job.get("num") is not None
        folder = hc.sweep.dir if multirun else hc.run.dir
        return hc.runtime.choices.get("experiment"), str(folder), multirun
    except Exception:  # noqa: BLE001 - outside a Hydra app
        return None, None, False


def run_group(experiment: str | None, folder: str | None, now: _dt.datetime | None = None,
              multirun: bool = False) -> str:
    """``{experiment}-{date}_{time}``: the date and time of the output folder
    (``multirun/2024-05-01/12-30-00`` -> ``2024-05-01_12-30-00``); a folder of another shape names
    a sweep's group itself (its jobs must share it), and a single run gets the time of ``now``."""
    stamp = None
    if folder:
        p = Path(folder)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.parent.name):
            stamp = f"{p.parent.name}_{p.name}"
        elif multirun:
            stamp = p.name
    if not stamp:
        stamp = (now or _dt.datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    return f"{experiment or 'anogen'}-{stamp}"


def job_type(config: Mapping[str, Any], multirun: bool) -> str:
    """``benchmark`` (the benchmark job), ``sweep`` (a job of a multirun) or ``run``."""
    if config.get("benchmark"):
        return "benchmark"
    return "sweep" if multirun else "run"


class Logger:
    """Interface (all methods optional to override).

    :meth:`prepare` is called once, early, in a background thread (see
    :class:`anogen.outputs.context.RunOutputs`): slow set-up that writes no file (imports, a helper
    service), so that it overlaps the run's work instead of following it.
    """

    name = "logger"

    def prepare(self) -> None: ...

    def start(self, run_dir: str | None, config: Mapping[str, Any], run_name: str | None = None,
              group: str | None = None) -> None: ...

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None, prefix: str = "") -> None: ...

    def log_image(self, name: str, path: str | Path) -> None: ...

    def log_table(self, name: str, df) -> None: ...

    def finish(self, status: str = "ok", summary: Mapping[str, Any] | None = None) -> None: ...


class LocalLogger(Logger):
    """Appends one JSON object per call to ``log.jsonl`` in the run directory."""

    name = "local"

    def __init__(self, filename: str = "log.jsonl") -> None:
        self.filename = filename
        self._path: Path | None = None

    def _write(self, rec: dict) -> None:
        if self._path is None:
            return
        rec = {"time": round(time.time(), 3), **rec}
        with open(self._path, "a", encoding="utf-8") as f:
            f.write(json.dumps(to_jsonable(rec)) + "\n")

    def start(self, run_dir, config, run_name=None, group=None):
        if run_dir is not None:
            self._path = Path(run_dir) / self.filename
            self._path.parent.mkdir(parents=True, exist_ok=True)
        self._write({"event": "start", "run_name": run_name, "group": group})

    def log_metrics(self, metrics, step=None, prefix=""):
        self._write({"event": "metrics", "step": step, "metrics": {f"{prefix}{k}": v for k, v in metrics.items()}})

    def log_image(self, name, path):
        self._write({"event": "image", "name": name, "path": str(path)})

    def log_table(self, name, df):
        self._write({"event": "table", "name": name, "rows": int(len(df))})

    def finish(self, status="ok", summary=None):
        self._write({"event": "finish", "status": status, "summary": dict(summary or {})})


class WandbLogger(Logger):
    """Weights & Biases, one run per job.

    Args:
        project: W&B project.
        entity: W&B entity (team/user) or ``None``.
        mode: ``offline`` (default), ``online`` or ``disabled``. The ``WANDB_MODE`` environment
            variable wins when set and non-empty (so ``WANDB_MODE=disabled`` in tests and
            ``WANDB_MODE=online`` after ``wandb login``).
        group: run group; ``None`` = ``{experiment}-{date}_{time}`` of the run's or sweep's folder.
        tags: run tags.
        log_images: upload plots.
    """

    name = "wandb"

    def __init__(self, project: str = "anogen", entity: str | None = None, mode: str = "offline",
                 group: str | None = None, tags: list[str] | None = None, log_images: bool = True) -> None:
        self.project, self.entity, self.mode = project, entity, mode
        self.group, self.tags, self.log_images = group, list(tags or []), log_images
        self.run = None
        self._steps: set[str] = set()

    def _warn(self, what: str, e: BaseException) -> None:
        warnings.warn(f"wandb: {what} failed ({type(e).__name__}: {e}); local results are unaffected",
                      RuntimeWarning, stacklevel=3)

    def _mode(self) -> str:
        """The mode in effect: ``WANDB_MODE`` when set and non-empty, else the configured one."""
        return os.environ.get("WANDB_MODE", "").strip() or self.mode

    def prepare(self) -> None:
        """Import W&B (with the modules ``wandb.init`` imports on first use) and start its service
        process: ~1-2 s that otherwise come after the run's work. Writes no file; any problem is
        left for :meth:`start` to report."""
        if self._mode() == "disabled" or not os.environ.get("WANDB_MODE", "x").strip():
            return
        try:
            import wandb

            try:
                import wandb.sdk.launch  # noqa: F401 - imported by wandb.init (job inputs), 0.5 s
            except Exception:  # noqa: BLE001 - an optional warm-up
                pass
            wandb.setup()
        except Exception:  # noqa: BLE001 - start() reports W&B problems
            pass

    def start(self, run_dir, config, run_name=None, group=None):
        env_mode = os.environ.get("WANDB_MODE", "").strip()
        if "WANDB_MODE" in os.environ and not env_mode:  # set but empty: W&B itself refuses it
            del os.environ["WANDB_MODE"]
        mode = env_mode or self.mode
        if mode == "disabled":
            return
        experiment, folder, multirun = hydra_job()
        if folder is None and group:  # a group given by the caller, outside Hydra
            folder, multirun = group, True
        try:
            import wandb

            self.run = wandb.init(project=self.project, entity=self.entity, mode=mode, dir=run_dir,
                                  name=run_name, group=self.group or run_group(experiment, folder, multirun=multirun),
                                  job_type=job_type(config, multirun), tags=self.tags,
                                  config=to_jsonable(dict(config)), reinit="create_new",
                                  settings=wandb.Settings(silent=True))
            self._steps = set()
        except BaseException as e:  # noqa: BLE001 - never fail the run because of W&B
            if isinstance(e, KeyboardInterrupt):
                raise
            self.run = None
            self._warn("init", e)

    def _define_epochs(self, data: Mapping[str, Any]) -> None:
        """Training curves (``{name}/train_loss`` logged with ``{name}/epoch``) plotted against
        their epoch, not W&B's global step."""
        for key in data:
            if not key.endswith("/epoch") or key in self._steps:
                continue
            self._steps.add(key)
            prefix = key[: -len("epoch")]
            self.run.define_metric(key, hidden=True)
            for other in data:
                if other != key and other.startswith(prefix) and "/" not in other[len(prefix):]:
                    self.run.define_metric(other, step_metric=key)

    def log_metrics(self, metrics, step=None, prefix=""):
        if self.run is None:
            return
        try:
            data = {f"{prefix}{k}": v for k, v in to_jsonable(dict(metrics)).items() if v is not None}
            self._define_epochs(data)
            self.run.log(data, step=step)
        except Exception as e:  # noqa: BLE001
            self._warn("log", e)

    def log_image(self, name, path):
        if self.run is None or not self.log_images:
            return
        try:
            import wandb

            self.run.log({name: wandb.Image(str(path))})
        except Exception as e:  # noqa: BLE001
            self._warn("log_image", e)

    def log_table(self, name, df):
        if self.run is None:
            return
        try:
            import wandb

            self.run.log({name: wandb.Table(dataframe=df)})
        except Exception as e:  # noqa: BLE001
            self._warn("log_table", e)

    def finish(self, status="ok", summary=None):
        if self.run is None:
            return
        try:
            for k, v in to_jsonable(dict(summary or {})).items():
                if v is not None:
                    self.run.summary[k] = v
            self.run.summary["status"] = status
            pointer = self.pointer()
            self.run.finish(exit_code=0 if status == "ok" else 1)
            log.info("%s", pointer)
        except Exception as e:  # noqa: BLE001
            self._warn("finish", e)
        finally:
            self.run = None

    def pointer(self) -> str:
        """One line: where the W&B run is (its URL, or its offline folder and how to sync it)."""
        group = getattr(self.run, "group", None)
        where = f"group {group}, " if group else ""
        if not getattr(self.run, "offline", True):
            return f"W&B: {where}{self.run.url}"
        sync_dir = getattr(self.run, "sync_dir", None)
        return f"W&B: {where}offline run in {sync_dir} (upload: wandb sync {sync_dir})"
