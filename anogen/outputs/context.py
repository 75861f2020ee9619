"""The outputs of one run: files staged and committed all at once, loggers run at the commit.

::

    with RunOutputs(out_dir, loggers, config) as out:
        out.write_csv("fold0/anomalous.csv", df)          # staged in a hidden folder
        out.plot("fold0/Temperature", "plots/fold0_Temperature.png", plot_series, inj, 0)
        out.log_metrics({"fold0/iforest/f1": 0.8})       # held until the commit
        out.summary = {"mean/iforest/roc_auc": 0.93}
    # success: the run directory appears with every file in it; the loggers then start, receive
    #          the held metrics and images, and finish "ok"
    # failure or interruption: nothing staged survives and the run directory is not created
    # a signal during the commit: the commit finishes, then the signal's exception is raised with
    #          ``committed = True`` (the entry point keeps the complete result set and exits 130/143)

Nothing touches the disk before the first file is staged. Files are staged in a hidden folder
next to the run directory (``.{name}.staging-XXXX``) when the run directory does not exist yet:
the commit is then one ``rename``, so the run directory appears complete or not at all. When it
exists already (Hydra creates it, or a rerun), the folder is staged inside it and the files are moved
into place one by one. Either way the commit finishes before a SIGINT/SIGTERM is acted upon
(:func:`anogen.outputs.signals.deferred`). Files and folders get the user's umask.

With ``out_dir=None`` (library use) nothing is written and loggers still receive metrics.

Start-up work that writes nothing overlaps the run: when the outputs are created, a background
thread imports matplotlib (when plots will be drawn) and calls each logger's ``prepare`` (W&B:
its import and service process), while the run trains and scores (XLA runs without holding
Python's lock). Nothing it does touches the run directory, so a failed run still leaves no file.
With ``record_failures=True`` (a job of a Hydra sweep) a failed run still starts the loggers and
finishes them with ``status="failed"`` (or ``"interrupted"``), so the sweep's tracking sees it;
the job's ``metrics.json`` with that status is written by the entry point.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from anogen.outputs import plots as plots_module
from anogen.outputs.files import apply_mode, file_mode, pid_alive, write_csv, write_json, write_text
from anogen.outputs.signals import deferred, raise_if_interrupted
from anogen.types import AnogenError

__all__ = ["RunOutputs", "STAGING", "commit_all"]

log = logging.getLogger("anogen")

#: prefix of the hidden staging folders
STAGING = ".staging"


class RunOutputs:
    """Staged files and loggers of one run (a context manager).

    Args:
        out_dir: the run directory, or ``None`` to write nothing.
        loggers: started when the run's outputs are committed, finished right after.
        config: the resolved config (plain dict) handed to the loggers.
        run_name, group: for the loggers (W&B run name and sweep group).
        plots: whether :meth:`plot` draws anything.
        record_failures: also run the loggers (status ``failed``/``interrupted``) when the run fails.
    """

    def __init__(self, out_dir: str | Path | None, loggers: Sequence[Any] = (), config: Mapping[str, Any] | None = None,
                 run_name: str | None = None, group: str | None = None, plots: bool = True,
                 record_failures: bool = False) -> None:
        self.out_dir = Path(out_dir).absolute() if out_dir else None
        self.loggers = list(loggers)
        self.config = dict(config or {})
        self.run_name, self.group, self.plots = run_name, group, bool(plots)
        self.record_failures = bool(record_failures)
        self.summary: dict[str, Any] = {}
        self._images: list[tuple[str, str]] = []
        self._calls: list[tuple[str, tuple, dict]] = []
        self._staging: Path | None = None
        self._made_parents: list[Path] = []
        self._warm = _warm_up(self.loggers, self.out_dir is not None and self.plots)

    # ---- context ------------------------------------------------------------------------------
    def __enter__(self) -> "RunOutputs":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None:
            commit_all([self])
            return False
        self.discard(exc)
        return False

    def commit(self) -> None:
        """Move the staged files into place, then run the loggers (use :func:`commit_all` for signals)."""
        self._commit()
        self._run_loggers("ok", self.summary, images=True)

    def discard(self, exc: BaseException | None = None) -> None:
        """Drop the staged files (and, with ``record_failures``, tell the loggers about ``exc``)."""
        self._discard()
        if self.record_failures and exc is not None:
            status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            with deferred():
                self._run_loggers(status, {"error": f"{type(exc).__name__}: {exc}"}, images=False)

    def _staging_root(self) -> Path:
        """The hidden staging folder, made on first use (see the module docstring). Its name carries
        the process id, so the staging folders that a killed process left (SIGKILL: no clean-up ran)
        are recognised and removed by the next run into the same folder."""
        if self._staging is None:
            assert self.out_dir is not None
            pid = os.getpid()
            if self.out_dir.is_dir():
                folder, prefix = self.out_dir, STAGING
            else:
                self._make_parents(self.out_dir.parent)
                folder, prefix = self.out_dir.parent, f".{self.out_dir.name}{STAGING}"
            _remove_stale_staging(self.out_dir.parent, f".{self.out_dir.name}{STAGING}")  # either place
            if self.out_dir.is_dir():
                _remove_stale_staging(self.out_dir, STAGING)
            root = Path(tempfile.mkdtemp(prefix=f"{prefix}-{pid}-", dir=folder))
            apply_mode(root)
            self._staging = root
        return self._staging

    def _make_parents(self, folder: Path) -> None:
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for d in reversed(missing):
            d.mkdir(exist_ok=True)
            self._made_parents.insert(0, d)

    def _commit(self) -> None:
        """Move the staged files into the run directory (one rename when it does not exist yet)."""
        if self.out_dir is None:
            return
        staging = self._staging
        if staging is None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            return
        files = sorted(p for p in staging.rglob("*") if p.is_file())
        for f in files:  # whatever wrote them (mkstemp: 0600), they get the user's umask
            os.chmod(f, file_mode())
        if staging.parent != self.out_dir:
            try:
                os.rename(staging, self.out_dir)
                self._staging = None
                return
            except OSError:  # the run directory appeared meanwhile: move file by file
                pass
        for f in files:
            dest = self.out_dir / f.relative_to(staging)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(f, dest)
        shutil.rmtree(staging, ignore_errors=True)
        self._staging = None

    def _discard(self) -> None:
        """Remove the staging folder and the parent folders made for it (when empty)."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        for d in self._made_parents:
            try:
                d.rmdir()
            except OSError:
                break

    def _run_loggers(self, status: str, summary: Mapping[str, Any], images: bool) -> None:
        run_dir = str(self.out_dir) if self.out_dir is not None and self.out_dir.is_dir() else None
        for lg in self.loggers:
            lg.start(run_dir, self.config, run_name=self.run_name, group=self.group)
        for method, args, kwargs in self._calls:
            for lg in self.loggers:
                getattr(lg, method)(*args, **kwargs)
        if images and self.out_dir is not None:
            for name, rel in self._images:
                for lg in self.loggers:
                    lg.log_image(name, self.out_dir / rel)
        for lg in self.loggers:
            lg.finish(status=status, summary=summary)

    # ---- files ----------------------------------------------------------------------------------
    @property
    def writes(self) -> bool:
        return self.out_dir is not None

    def staged(self, rel: str | Path) -> Path | None:
        """Where to write ``rel`` now (inside the staging folder); ``None`` when writing nothing."""
        if self.out_dir is None:
            return None
        root = self._staging_root()
        path = root / rel
        if not os.path.normpath(path).startswith(os.path.normpath(root) + os.sep):  # a name from the data
            raise AnogenError(f"output file {str(rel)!r} would be written outside the run folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def write_json(self, rel: str, obj: Any) -> None:
        if self.out_dir is not None:
            write_json(self.staged(rel), obj)

    def write_csv(self, rel: str, df: Any) -> None:
        if self.out_dir is not None:
            write_csv(self.staged(rel), df)

    def write_text(self, rel: str, text: str) -> None:
        if self.out_dir is not None:
            write_text(self.staged(rel), text)

    def plot(self, name: str, rel: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Draw ``fn(*args, path, **kwargs)`` into ``rel`` (when plotting); logged as image ``name`` on success."""
        if self.out_dir is None or not self.plots:
            return
        fn(*args, self.staged(rel), **kwargs)
        self._images.append((name, rel))

    # ---- loggers (held until the commit) --------------------------------------------------------
    def log_metrics(self, metrics: Mapping[str, float], prefix: str = "") -> None:
        self._calls.append(("log_metrics", (dict(metrics),), {"prefix": prefix}))

    def log_table(self, name: str, df: Any) -> None:
        self._calls.append(("log_table", (name, df), {}))


def _warm_up(loggers: Sequence[Any], plots: bool) -> threading.Thread | None:
    """Start the background thread of the module docstring (``None`` when there is nothing to do)."""
    prepares = [lg.prepare for lg in loggers if callable(getattr(lg, "prepare", None))]
    if not (prepares or plots):
        return None

    def work() -> None:
        if plots:
            try:
                plots_module._plt()
            except Exception:  # noqa: BLE001 - the plot itself will report it
                pass
        for prepare in prepares:
            try:
                prepare()
            except Exception:  # noqa: BLE001 - a warm-up only; start() reports problems
                pass

    thread = threading.Thread(target=work, name="anogen-warm-up", daemon=True)
    thread.start()
    return thread


def _remove_stale_staging(folder: Path, prefix: str) -> None:
    """Remove ``{prefix}-{pid}-*`` staging folders in ``folder`` whose process no longer exists."""
    for p in folder.glob(f"{prefix}-*"):
        parts = p.name[len(prefix) + 1:].split("-", 1)
        if len(parts) == 2 and parts[0].isdigit() and p.is_dir() and not pid_alive(int(parts[0])):
            shutil.rmtree(p, ignore_errors=True)
            log.warning("removed %s: the staging folder of a run that was killed before it could clean up", p)


def commit_all(outputs: Sequence[RunOutputs]) -> None:
    """Commit several outputs as one step: a SIGINT/SIGTERM arriving meanwhile waits for the end.

    A signal that came before (recorded by :func:`~anogen.outputs.signals.handle_signals`, not
    raised yet) is raised first: every output is discarded and nothing is committed.

    Raises:
        KeyboardInterrupt: a signal held during the commit, delivered after it, with
            ``committed = True`` (the result sets are complete: the entry point keeps them).
    """
    try:
        raise_if_interrupted()  # a safe point: a signal before the commit leaves nothing
    except KeyboardInterrupt as e:
        for out in outputs:
            out.discard(e)
        raise
    try:
        with deferred():
            for out in outputs:
                out.commit()
        raise_if_interrupted()  # held during the commit and recorded by handle_signals' handler
    except KeyboardInterrupt as e:
        e.committed = True  # type: ignore[attr-defined]
        raise
