"""The entry point's side of Hydra: the job's folder, name and overrides; failures; Hydra's errors.

- :func:`job_info`, :func:`in_multirun`: what the current Hydra job is.
- :func:`record_failure`: a failed or interrupted sweep job is recorded (``metrics.json`` with its
  status); :func:`discard_run_dir`: a failed single run leaves nothing (Hydra's files removed too).
- :func:`hydra_error_message`: Hydra's composition errors (unknown key, unknown option of a group,
  bad override syntax, a value that cannot be merged) as one line naming the key and what is valid.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from anogen.callbacks import created_dirs, recorded_dirs, recorded_sweeps
from anogen.outputs.files import check_output_dir, write_json
from anogen.paths import CONF_DIR
from anogen.types import AnogenError

log = logging.getLogger("anogen")

__all__ = ["JobInfo", "job_info", "in_multirun", "record_failure", "discard_run_dir", "discard_empty_sweep",
           "hydra_error_message", "output_dir_problem"]


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
        from omegaconf import OmegaConf

        hc = HydraConfig.get()
        overrides = [str(o) for o in OmegaConf.to_container(hc.overrides.task, resolve=False)]  # "seed=${x}" as typed
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


def record_failure(e: BaseException, status: str = "failed") -> None:
    """Write ``metrics.json`` with ``status`` (``failed``/``interrupted``) for the current Hydra job.

    In a sweep a failed job is a complete, marked result: its ``metrics.json`` says what happened
    (and its overrides), the report lists it, and the sweep goes on.
    """
    info = job_info()
    log.error("job %s: %s: %s", status, type(e).__name__, e)
    if info.run_dir:
        rec = {"mean": {}, "folds": {}, "status": status, "error": f"{type(e).__name__}: {e}",
               "overrides": info.overrides}
        if not isinstance(e, (AnogenError, KeyboardInterrupt)):
            rec["traceback"] = traceback.format_exc()
        try:
            write_json(Path(info.run_dir) / "metrics.json", rec)
            if info.overrides:
                write_json(Path(info.run_dir) / "overrides.json", info.overrides)
        except OSError as w:  # a full disk: the job stays without metrics.json (the report lists it as incomplete)
            log.error("could not record the job's status in %s: %s", info.run_dir, w)


# ---- a failed single run leaves nothing ----------------------------------------------------------
def discard_run_dir() -> None:
    """After a failed or interrupted single run: remove what Hydra wrote for it.

    The run directory goes entirely when this process created it (known from
    :class:`anogen.callbacks.OutputDirs`), with the parent folders created for it when they are
    empty; in a directory that existed before, only Hydra's own files (``.hydra/`` and the job log)
    are removed. The run's own files were never committed (:class:`~anogen.outputs.context.RunOutputs`).
    """
    import shutil

    from hydra.core.hydra_config import HydraConfig

    info = job_info()
    if not info.run_dir:
        return
    run_dir = Path(info.run_dir)
    hc = HydraConfig.get()
    _close_log_files(run_dir)
    made = created_dirs(run_dir)
    if made:
        shutil.rmtree(run_dir, ignore_errors=True)
        _remove_empty(made[1:])
        return
    sub = run_dir / str(hc.output_subdir) if hc.output_subdir else None
    for f in ([sub / n for n in ("config.yaml", "hydra.yaml", "overrides.yaml")] if sub else []) + \
            [run_dir / f"{hc.job.name}.log"]:
        f.unlink(missing_ok=True)
    _remove_empty([p for p in (sub, run_dir) if p is not None])


def discard_empty_sweep() -> None:
    """After a sweep that failed before its first job: remove the sweep folder (only ``multirun.yaml``)."""
    import shutil

    for sweep in recorded_sweeps():
        made = created_dirs(sweep)
        if made and sweep.is_dir() and {p.name for p in sweep.iterdir()} <= {"multirun.yaml"}:
            shutil.rmtree(sweep, ignore_errors=True)
            _remove_empty(made[1:])


def discard_created_dirs() -> None:
    """After a failure outside the job (Hydra could not write its own files, e.g. on a full disk):
    remove every run or sweep folder this process created, with the parents made for it."""
    import shutil

    for _, folder in recorded_dirs():
        made = created_dirs(folder)
        if made and folder.exists():
            _close_log_files(folder)
            shutil.rmtree(folder, ignore_errors=True)
            _remove_empty(made[1:])


def output_dir_problem() -> str | None:
    """Why Hydra could not create the run or sweep folder (one line naming the key), else ``None``."""
    for key, folder in recorded_dirs():
        try:
            check_output_dir(folder, key)
        except AnogenError as e:
            return str(e)
    return None


def _remove_empty(folders: list[Path]) -> None:
    for d in folders:
        try:
            d.rmdir()
        except OSError:
            return


def _close_log_files(folder: Path) -> None:
    """Close the logging file handlers writing into ``folder`` (Hydra's job log)."""
    for lg in [logging.getLogger(), *(v for v in logging.Logger.manager.loggerDict.values()
                                      if isinstance(v, logging.Logger))]:
        for h in list(lg.handlers):
            if isinstance(h, logging.FileHandler) and Path(h.baseFilename).is_relative_to(folder):
                lg.removeHandler(h)
                h.close()


# ---- Hydra's composition errors as one line -------------------------------------------------------
_SYNTAX = "see https://hydra.cc/docs/advanced/override_grammar/basic/"


def hydra_error_message(e: BaseException, overrides: list[str]) -> str:
    """One line for an error Hydra raised while composing the config: the key and what is valid.

    Args:
        e: the exception (``hydra.errors.*`` or an OmegaConf error).
        overrides: the command line's overrides (to find the offending one and compose the rest).
    """
    import re

    from hydra.errors import MissingConfigException, OverrideParseException

    msg = str(e)
    first = msg.strip().splitlines()[0] if msg.strip() else type(e).__name__
    if isinstance(e, MissingConfigException):
        m = re.fullmatch(r"(.+)/([^/]+)", str(e.missing_cfg_file or "")) or \
            re.search(r"Could not (?:find|load) '([^']+)/([^'/]+)'", msg)
        if m:
            group, name = m.group(1), m.group(2)
            options = list(e.options or []) or _group_options(group, overrides)
            return f"{group}: unknown option {name!r}; valid: {options}"
    if isinstance(e, OverrideParseException):
        why = " ".join(l.strip() for l in msg.splitlines() if l.strip() and not l.startswith("See https"))
        return f"{e.override}: cannot parse this override ({why}); {_SYNTAX}"
    for pattern, make in _PATTERNS:
        m = re.search(pattern, msg)
        if m:
            return make(m.group(1), overrides, e)
    cause = e.__cause__
    extra = f": {' '.join(str(cause).split())}" if cause is not None and str(cause) not in msg else ""
    key = getattr(e, "full_key", None)
    return f"{f'{key}: ' if key else ''}{' '.join(first.split())}{extra}"


def _unknown_key(key: str, overrides: list[str], e: BaseException) -> str:
    parent, _, leaf = key.rpartition(".")
    valid = _valid_keys(parent, [o for o in overrides if not o.lstrip("+~").startswith(f"{key}=")
                                 and o.lstrip("~") != key])
    where = f" of {parent}" if parent else ""
    tail = f"; valid keys{where}: {valid}" if valid is not None else ""
    return f"{key}: unknown key{tail}"


def _merge_error(override: str, overrides: list[str], e: BaseException) -> str:
    cause = " ".join(str(e.__cause__ or "").split()).split(" full_key:")[0]
    return f"{override}: {cause or 'cannot be merged'}"


_PATTERNS = [
    (r"Could not override '([^']+)'", _unknown_key),
    (r"Could not delete from config\. '([^']+)' does not exist", _unknown_key),
    (r"Ambiguous value for argument '([^']+)'",
     lambda a, o, e: f"{a}: ambiguous value: write key=[a,b] for a list, quote it for a string, or add -m to sweep"),
    (r"Could not append to config\. An item is already at '([^']+)'",
     lambda k, o, e: f"+{k}: {k} is already set; override it without '+' ({k}=...)"),
    (r"Error merging override (\S+)", _merge_error),
    (r"Could not delete from config\. The value of '([^']+)' is",
     lambda k, o, e: f"~{k}: {' '.join(str(e).split())}"),
]


def _first_values(overrides: list[str]) -> list[str]:
    """The overrides with every sweep replaced by its first value (unparsable ones dropped)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser, out = OverridesParser.create(), []
    for o in overrides:
        try:
            ov = parser.parse_override(o)
            out.append(f"{ov.get_key_element()}={next(iter(ov.sweep_string_iterator()))}"
                       if ov.is_sweep_override() else o)
        except Exception:  # noqa: BLE001 - a bad override is reported on its own
            continue
    return out


def _with_hydra(fn, overrides: list[str]):
    """``fn(config_loader, overrides)`` in a fresh Hydra context (``None`` if anything fails)."""
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return fn(GlobalHydra.instance().config_loader(), _first_values(overrides))
    except Exception:  # noqa: BLE001 - only used to enrich an error message
        return None
    finally:
        GlobalHydra.instance().clear()


def _group_options(group: str, overrides: list[str]) -> list[str] | None:
    searchpath = [o for o in overrides if o.lstrip("+").startswith("hydra.searchpath")]
    return _with_hydra(lambda loader, ov: sorted(loader.get_group_options(group, config_name="config",
                                                                          overrides=ov)), searchpath)


def _valid_keys(parent: str, overrides: list[str]) -> list[str] | None:
    from hydra import compose
    from omegaconf import DictConfig, OmegaConf

    def keys(loader, ov):
        cfg = compose(config_name="config", overrides=ov)
        node = OmegaConf.select(cfg, parent) if parent else cfg
        return sorted(k for k in node.keys() if k != "hydra") if isinstance(node, DictConfig) else None
    return _with_hydra(keys, overrides)
