"""Loggers: local JSONL (always) and Weights & Biases (offline by default).

A logger never makes a run fail: a W&B problem (not installed, no login, full disk) becomes a
warning and the local files are written regardless.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import Any, Mapping

from anogen.outputs.files import to_jsonable

__all__ = ["Logger", "LocalLogger", "WandbLogger"]


class Logger:
    """Interface (all methods optional to override)."""

    name = "logger"

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
        group: run group (a sweep sets it to the sweep directory name); ``None`` = automatic.
        tags: run tags.
        log_images: upload plots.
    """

    name = "wandb"

    def __init__(self, project: str = "anogen", entity: str | None = None, mode: str = "offline",
                 group: str | None = None, tags: list[str] | None = None, log_images: bool = True) -> None:
        self.project, self.entity, self.mode = project, entity, mode
        self.group, self.tags, self.log_images = group, list(tags or []), log_images
        self.run = None

    def _warn(self, what: str, e: BaseException) -> None:
        warnings.warn(f"wandb: {what} failed ({type(e).__name__}: {e}); local results are unaffected",
                      RuntimeWarning, stacklevel=3)

    def start(self, run_dir, config, run_name=None, group=None):
        env_mode = os.environ.get("WANDB_MODE", "").strip()
        mode = env_mode or self.mode
        if mode == "disabled":
            return
        try:
            import wandb

            self.run = wandb.init(project=self.project, entity=self.entity, mode=mode, dir=run_dir,
                                  name=run_name, group=self.group or group, tags=self.tags,
                                  config=to_jsonable(dict(config)), reinit="create_new")
        except BaseException as e:  # noqa: BLE001 - never fail the run because of W&B
            if isinstance(e, KeyboardInterrupt):
                raise
            self.run = None
            self._warn("init", e)

    def log_metrics(self, metrics, step=None, prefix=""):
        if self.run is None:
            return
        try:
            data = {f"{prefix}{k}": v for k, v in to_jsonable(dict(metrics)).items() if v is not None}
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
            self.run.finish(exit_code=0 if status == "ok" else 1)
        except Exception as e:  # noqa: BLE001
            self._warn("finish", e)
        finally:
            self.run = None
