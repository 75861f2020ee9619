"""``python -m anogen [overrides]``: the Hydra entry point. It only hands the config to the run job.

Exit codes: 0 done; 2 a user mistake (one line on stderr naming the key and what is valid, and
nothing written: the run directory, Hydra's files included, is removed); 3 no space left on the
device (one line naming what could not be written; nothing kept); 1 an internal error (a
traceback); 130/143 interrupted by SIGINT/SIGTERM (a commit in progress is finished first, a run
that had not committed leaves nothing).

Hydra's own errors (unknown key, unknown option of a group, bad override syntax) are raised to
:func:`cli` (``HYDRA_FULL_ERROR`` is set for the call) and reported as one line too. Set
``HYDRA_FULL_ERROR=1`` yourself to get Hydra's full traceback instead.

Inside a multirun, a job that raises is recorded as failed (``metrics.json`` with ``status: failed``
and the error) and the sweep goes on; an interrupted job is recorded as ``interrupted`` and the
sweep stops.
"""

from __future__ import annotations

import gc
import os
import sys

if __name__ == "__main__":
    # Python's cyclic garbage collector runs a young-generation pass every 700 net allocations:
    # while the libraries are imported and JAX traces the programs, that is thousands of passes
    # over millions of new objects, ~1 s of a quickstart's ~8 s. Every 10,000 allocations: the
    # same peak memory (measured), far fewer passes. Only for the command line, not for an
    # importing process.
    gc.set_threshold(10_000, 10, 10)
    from anogen.outputs.signals import exit_at_once_on_signals

    exit_at_once_on_signals("anogen")  # a Ctrl-C while the libraries load: exit 130, no traceback

import hydra
from omegaconf import DictConfig

from anogen.callbacks import forget_dirs
from anogen.outputs.files import DISK_FULL_EXIT, disk_full, disk_full_message
from anogen.outputs.signals import exit_code, exit_process, handle_signals, raise_if_interrupted
from anogen.paths import CONF_DIR
from anogen.quick_help import quick_help, wants_quick_help
from anogen.types import AnogenError


# an absolute folder: the same configs whether run as ``python -m anogen`` or called in process (``cli``)
@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base="1.3")
def main(cfg: DictConfig) -> float:
    """The Hydra task: one run (a sweep calls it once per job)."""
    # lazy: the jobs package imports JAX/flax, scikit-learn and pandas (seconds), not paid by --help
    from anogen.jobs import run
    from anogen.jobs.hydra import discard_run_dir, in_multirun, job_info, record_failure  # lazy: as above

    try:
        try:
            return run(cfg).objective
        except Exception as e:  # an interrupt wrapped in another exception (an import's __set_name__) is one
            raise_if_interrupted(e)
            raise
    except Exception as e:  # noqa: BLE001
        if in_multirun():
            record_failure(e)
            return float("nan")
        discard_run_dir()
        if isinstance(e, AnogenError):  # reported here: Hydra would add a line of its own
            _report(str(e))
            sys.exit(2)
        full = disk_full(e)
        if full is not None:  # the machine's problem: one line, its own exit code, nothing kept
            _report(disk_full_message(full, job_info().run_dir))
            sys.exit(DISK_FULL_EXIT)
        raise
    except KeyboardInterrupt as e:  # Interrupted (SIGTERM) included
        if getattr(e, "committed", False):  # the signal came during the commit, which finished
            raise
        if in_multirun():
            record_failure(e, status="interrupted")
        else:
            discard_run_dir()
        raise


def _report(line: str) -> None:
    print(f"anogen: error: {' '.join(line.split())}", file=sys.stderr)


def cli(argv: list[str] | None = None) -> int:
    """Run the Hydra app on ``argv`` (default: the command line) and return the exit code."""
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    if wants_quick_help(sys.argv[1:] if argv is None else list(argv)):  # no composition: fast
        print(quick_help(), end="")
        return 0
    # lazy: the jobs package imports JAX/flax, scikit-learn and pandas (seconds), not paid by --help
    from anogen.jobs.hydra import discard_created_dirs, discard_empty_sweep, hydra_error_message, output_dir_problem
    saved = _State(sys.argv)
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    forget_dirs()
    overrides = [a for a in sys.argv[1:] if not a.startswith("-")]
    user_full_error = saved.full_error
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises its errors to us instead of printing them
    try:
        with handle_signals():
            main()
    except AnogenError as e:
        _report(str(e))
        return 2
    except (HydraException, OmegaConfBaseException) as e:
        if user_full_error:
            raise
        discard_empty_sweep()
        _report(hydra_error_message(e, overrides))
        return 2
    except OSError as e:  # Hydra could not create the run/sweep folder or write its files (else: a traceback)
        full = disk_full(e)
        if full is not None:
            discard_created_dirs()
            _report(disk_full_message(full))
            return DISK_FULL_EXIT
        problem = output_dir_problem()
        if problem is None:
            raise
        _report(problem)
        return 2
    except KeyboardInterrupt as e:
        kept = "; the run's results were complete and are kept" if getattr(e, "committed", False) else ""
        print(f"anogen: {e or 'interrupted by SIGINT'}{kept}", file=sys.stderr)
        return exit_code(e)
    except SystemExit as e:  # --help, --cfg, ...
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        saved.restore()
    return 0


def _absl_to_current_stderr() -> None:
    """Point absl's log handler (imported by JAX/flax) at the current ``sys.stderr``.

    Hydra configures logging with ``dictConfig``, which closes every existing handler; absl's
    handler closes its stream unless it is the current ``sys.stderr``. Bound at import time to an
    earlier stderr (e.g. a test harness's capture), that stream would be closed under its owner.
    """
    absl = sys.modules.get("absl.logging")
    handler = getattr(absl, "get_absl_handler", lambda: None)() if absl else None
    python_handler = getattr(handler, "python_handler", None)
    if python_handler is not None and getattr(python_handler, "stream", None) is not sys.stderr:
        python_handler.stream = sys.stderr


class _State:
    """The global state a Hydra app changes, restored after :func:`cli` (for in-process use): the
    command line, ``HYDRA_FULL_ERROR``, Hydra's current job and the root logger's handlers."""

    def __init__(self, argv: list[str]) -> None:
        import logging

        self.argv = list(argv)
        self.full_error = os.environ.get("HYDRA_FULL_ERROR")
        self.handlers, self.level = list(logging.root.handlers), logging.root.level
        _absl_to_current_stderr()

    def restore(self) -> None:
        import logging

        from hydra.core.hydra_config import HydraConfig

        sys.argv = self.argv
        if self.full_error is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = self.full_error
        HydraConfig.instance().cfg = None  # type: ignore[assignment]
        for h in logging.root.handlers:
            if h not in self.handlers:
                h.close()
        logging.root.handlers = self.handlers
        logging.root.setLevel(self.level)


if __name__ == "__main__":
    exit_process(cli())
