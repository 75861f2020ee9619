"""The outputs of one run: files staged and committed atomically, loggers started and finished.

::

    with RunOutputs(out_dir, loggers, config) as out:
        out.write_csv("fold0/anomalous.csv", df)          # staged under out_dir/.staging
        out.plot("fold0/Temperature", "plots/fold0_Temperature.png", plot_series, inj, 0)
        out.summary = {"mean/iforest/roc_auc": 0.93}
    # success: every staged file moved into place, images logged, loggers finished "ok"
    # failure: nothing staged survives, loggers finished "failed" with the error

With ``out_dir=None`` (library use) nothing is written and loggers still receive metrics.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

__all__ = ["RunOutputs", "STAGING"]

STAGING = ".staging"


class RunOutputs:
    """Staged files and loggers of one run (a context manager).

    Args:
        out_dir: the run directory, or ``None`` to write nothing.
        loggers: started on enter, finished on exit.
        config: the resolved config (plain dict) handed to the loggers.
        run_name, group: for the loggers (W&B run name and sweep group).
        plots: whether :meth:`plot` draws anything.
    """

    def __init__(self, out_dir: str | Path | None, loggers: Sequence[Any] = (), config: Mapping[str, Any] | None = None,
                 run_name: str | None = None, group: str | None = None, plots: bool = True) -> None:
        self.out_dir = Path(out_dir) if out_dir else None
        self.loggers = list(loggers)
        self.config = dict(config or {})
        self.run_name, self.group, self.plots = run_name, group, bool(plots)
        self.summary: dict[str, Any] = {}
        self._images: list[tuple[str, str]] = []

    # ---- context ------------------------------------------------------------------------------
    def __enter__(self) -> "RunOutputs":
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(self.out_dir / STAGING, ignore_errors=True)
        for lg in self.loggers:
            lg.start(str(self.out_dir) if self.out_dir else None, self.config, run_name=self.run_name,
                     group=self.group)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            self._commit()
            for name, rel in self._images:
                for lg in self.loggers:
                    lg.log_image(name, self.out_dir / rel)
            for lg in self.loggers:
                lg.finish(status="ok", summary=self.summary)
        else:
            if self.out_dir is not None:
                shutil.rmtree(self.out_dir / STAGING, ignore_errors=True)
            for lg in self.loggers:
                lg.finish(status="failed", summary={"error": f"{exc_type.__name__}: {exc}"})
        return False

    def _commit(self) -> None:
        if self.out_dir is None:
            return
        staging = self.out_dir / STAGING
        if not staging.is_dir():
            return
        for f in sorted(p for p in staging.rglob("*") if p.is_file()):
            dest = self.out_dir / f.relative_to(staging)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, dest)
        shutil.rmtree(staging, ignore_errors=True)

    # ---- files ----------------------------------------------------------------------------------
    @property
    def writes(self) -> bool:
        return self.out_dir is not None

    def staged(self, rel: str | Path) -> Path | None:
        """Where to write ``rel`` now (inside the staging folder); ``None`` when writing nothing."""
        if self.out_dir is None:
            return None
        path = self.out_dir / STAGING / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write_json(self, rel: str, obj: Any) -> None:
        from anogen.outputs.files import write_json

        if self.out_dir is not None:
            write_json(self.staged(rel), obj)

    def write_csv(self, rel: str, df: Any) -> None:
        from anogen.outputs.files import write_csv

        if self.out_dir is not None:
            write_csv(self.staged(rel), df)

    def write_text(self, rel: str, text: str) -> None:
        from anogen.outputs.files import write_text

        if self.out_dir is not None:
            write_text(self.staged(rel), text)

    def plot(self, name: str, rel: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Draw ``fn(*args, path, **kwargs)`` into ``rel`` (when plotting); logged as image ``name`` on success."""
        if self.out_dir is None or not self.plots:
            return
        fn(*args, self.staged(rel), **kwargs)
        self._images.append((name, rel))

    # ---- loggers --------------------------------------------------------------------------------
    def log_metrics(self, metrics: Mapping[str, float], prefix: str = "") -> None:
        for lg in self.loggers:
            lg.log_metrics(metrics, prefix=prefix)

    def log_table(self, name: str, df: Any) -> None:
        for lg in self.loggers:
            lg.log_table(name, df)
