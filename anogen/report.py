"""Aggregate runs: ``python -m anogen.report PATH [PATH ...] [-o OUT] [--metric M ...]``.

Every folder under the given paths that holds a ``metrics.json`` is one job; a ``metrics.json``
without a job's shape is listed as ``malformed`` with the reason. Writes ``report.csv`` (one row per
job: its overrides, status, error, fewest anomalous rows in a fold and mean metrics), ``report.md``
(first a summary per metric: a row per combination of the swept parameters, a column per detector,
each cell the mean and ``[min, max]`` over the seeds (``seed`` swept) or repeated jobs, with the
fewest anomalous rows beside it and a warning when a figure rests on fewer than
:data:`FEW_ANOMALOUS_ROWS`; then the list of jobs) and, for each swept parameter but ``seed`` with
more than one value, ``plots/{metric}_vs_{param}.png`` with one line per detector (mean over the
other parameters and seeds). The files are staged and appear together;
``-o`` must be (or be creatable as) a writable folder. Exit codes: 0, 2 a mistake (one line),
130/143 interrupted (nothing written).
"""

from __future__ import annotations

if __name__ == "__main__":  # a Ctrl-C while the libraries load: exit 130, no traceback
    from anogen.outputs.signals import exit_at_once_on_signals

    exit_at_once_on_signals("anogen.report")

import argparse
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from anogen.metrics import HEADLINE
from anogen.outputs.context import RunOutputs
from anogen.outputs.entry import run_command
from anogen.outputs.files import check_output_dir
from anogen.outputs.plots import _plt, save_fig
from anogen.outputs.signals import exit_process
from anogen.types import AnogenError

__all__ = ["collect", "report", "main", "check_job", "default_out", "summary_markdown", "FEW_ANOMALOUS_ROWS"]

#: a job whose test fold holds fewer anomalous rows than this is flagged in the report: with 2
#: anomalous rows (``sampler.ratio=0.02`` on a 125-row fold) one row more or less moves recall by
#: 0.5 and ROC AUC ranks two points, so detectors land above or below random by chance
FEW_ANOMALOUS_ROWS = 10
#: columns of a job's row that are neither parameters nor metrics
_META = ("job", "status", "error", "objective", "n_anomalous_rows")


def _parse_override(o: str) -> tuple[str, str] | None:
    o = o.lstrip("+~")
    if "=" not in o:
        return None
    k, v = o.split("=", 1)
    return k, v


def _value(v: str):
    try:
        return json.loads(v)
    except (json.JSONDecodeError, ValueError):
        return v


_STATUSES = ("ok", "failed", "interrupted")


def check_job(m: Any) -> str | None:
    """Why a ``metrics.json`` is not a job's result (``None`` when it is one).

    A job is a JSON object; ``status`` (if present) one of ``ok``, ``failed``, ``interrupted``;
    ``mean`` an object of numbers (or null); ``overrides`` a list of strings; ``errors`` an object;
    ``error`` a string; ``objective`` a number or null.
    """
    if not isinstance(m, dict):
        return f"not a JSON object ({type(m).__name__})"
    checks = [
        ("status", lambda v: v in _STATUSES, f"one of {list(_STATUSES)}"),
        ("mean", lambda v: isinstance(v, dict) and all(_number(x) for x in v.values()), "an object of numbers"),
        ("overrides", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings"),
        ("errors", lambda v: isinstance(v, dict), "an object"),
        ("error", lambda v: isinstance(v, str), "a string"),
        ("objective", _number, "a number"),
    ]
    for key, ok, what in checks:
        if m.get(key) is not None and not ok(m[key]):
            return f"{key} must be {what}, got {json.dumps(m[key])[:60]}"
    return None


def _number(v: Any) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def _read_job(f: Path) -> dict:
    """One row: the job's folder, overrides, status, error and mean metrics (``malformed`` with a reason)."""
    try:
        m = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        return {"job": str(f.parent), "status": "unreadable", "error": " ".join(str(e).split())}
    reason = check_job(m)
    if reason is not None:
        return {"job": str(f.parent), "status": "malformed", "error": f"{f.name}: {reason}"}
    overrides = m.get("overrides")
    if not overrides:
        overrides = _hydra_overrides(f.parent / ".hydra" / "overrides.yaml")
    row = {"job": str(f.parent), "status": m.get("status") or "ok", "error": m.get("error") or
           ("; ".join(f"{k}: {v}" for k, v in (m.get("errors") or {}).items()) or None)}
    for o in overrides or []:
        kv = _parse_override(str(o))
        if kv and not kv[0].startswith("hydra.") and kv[0] not in _META:
            row[kv[0]] = _value(kv[1])
    row.update({k: v for k, v in (m.get("mean") or {}).items() if "/" in k})
    if m.get("objective") is not None:
        row["objective"] = m["objective"]
    rows = m.get("n_anomalous_rows")
    if isinstance(rows, list) and rows and all(_number(v) and v is not None for v in rows):
        row["n_anomalous_rows"] = min(rows)   # the fold with the fewest
    return row


def status_counts(df: pd.DataFrame) -> str:
    """``"3 ok, 1 failed, 1 incomplete"``: how many jobs have each status (ok first)."""
    counts = df["status"].value_counts()
    order = ["ok", *sorted(s for s in counts.index if s != "ok")]
    return ", ".join(f"{int(counts[s])} {s}" for s in order if s in counts) or "none"


def _incomplete(folder: Path) -> dict:
    """The row of a job folder without ``metrics.json`` (status ``incomplete``)."""
    row = {"job": str(folder), "status": "incomplete",
           "error": "no metrics.json: the job was killed (e.g. kill -9, out of memory) or is still running"}
    for o in _hydra_overrides(folder / ".hydra" / "overrides.yaml"):
        kv = _parse_override(str(o))
        if kv and not kv[0].startswith("hydra.") and kv[0] not in _META:
            row[kv[0]] = _value(kv[1])
    return row


def _hydra_overrides(path: Path) -> list:
    if not path.is_file():
        return []
    import yaml

    try:
        got = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    return [str(o) for o in got] if isinstance(got, list) else []


def collect(paths: Sequence[str | Path]) -> pd.DataFrame:
    """One row per job: ``job`` (folder), override columns, ``status``, ``error``, mean metrics.

    A ``metrics.json`` that cannot be read or does not have a job's shape (:func:`check_job`) is a
    row with status ``unreadable``/``malformed`` and the reason in ``error``.

    Raises:
        AnogenError: a path that does not exist, or no ``metrics.json`` at all.
    """
    rows = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise AnogenError(f"report: path not found: {p}")
        files = [p] if p.is_file() else sorted(p.rglob("metrics.json"))
        rows += [_read_job(f) for f in files]
        if p.is_dir():  # a job folder Hydra made (its .hydra/) without a result: killed, or still running
            done = {f.parent for f in files}
            rows += [_incomplete(h.parent) for h in sorted(p.rglob(".hydra")) if h.is_dir() and h.parent not in done]
    if not rows:
        raise AnogenError(f"report: no metrics.json under {', '.join(map(str, paths))}")
    return pd.DataFrame(rows)


def _param_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c not in _META and "/" not in c]


def default_out(paths: Sequence[str | Path]) -> Path:
    """The report's folder when ``-o`` is not given: the first path (its folder for a file)."""
    first = Path(paths[0])
    return first if first.is_dir() else first.parent


def report(paths: Sequence[str | Path], out: str | Path | None = None, metrics: Sequence[str] | None = None,
           plots: bool = True) -> pd.DataFrame:
    """Collect the jobs and write ``report.csv``, ``report.md`` and plots into ``out`` (all or nothing).

    Raises:
        AnogenError: ``paths`` empty or missing, no job found, or ``out`` not a writable folder.
    """
    if isinstance(paths, (str, Path)) or not paths:
        raise AnogenError("report: give a list of one or more run or sweep folders")
    out = check_output_dir(out if out is not None else default_out(paths), "-o")
    df = collect(paths)
    params = _param_columns(df)
    metric_cols = [c for c in df.columns if "/" in c]
    df = df[["job", *params, "status", "error", *(c for c in ["objective", "n_anomalous_rows"] if c in df.columns),
             *metric_cols]]
    chosen = list(metrics) if metrics else [m for m in HEADLINE if any(c.endswith("/" + m) for c in metric_cols)][:3]
    with RunOutputs(out) as staged:
        staged.write_csv("report.csv", df)
        staged.write_text("report.md", summary_markdown(df, chosen) + "\n" + _jobs_markdown(df))
        if plots:
            _plots(df, [p for p in params if p != "seed"], chosen, staged)
    return df


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if np.isnan(v) else f"{v:.4g}"
    return "" if v is None else str(v).replace("|", "\\|")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]


def _sort_key(v: Any) -> tuple:
    return (0, float(v), "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0.0, str(v))


def summary_markdown(df: pd.DataFrame, metrics: Sequence[str]) -> str:
    """The readable head of ``report.md``: what was swept, then per metric a table with a row per
    combination of the swept parameters (``seed`` excepted) and a column per detector, each cell
    ``mean [min, max]`` over the row's jobs (its seeds); the fewest anomalous rows in a test fold of
    those jobs beside the figures, ``⚠`` and a note under the table when below
    :data:`FEW_ANOMALOUS_ROWS`.

    Args:
        df: :func:`collect`'s rows.
        metrics: metric names (``roc_auc``); each gets a table when some job has it.
    """
    ok = df[df["status"] == "ok"]
    params = _param_columns(df)
    seeds = "seed" in params
    swept = [p for p in params if p != "seed" and ok[p].map(str).nunique() > 1]
    fixed = [p for p in params if p != "seed" and p not in swept]
    n_bad = len(df) - len(ok)
    lines = ["# Sweep report", "",
             f"{len(df)} jobs ({status_counts(df)}{': see Jobs below' if n_bad else ''}). "
             + ("Swept: " + "; ".join(f"{p} ({', '.join(_fmt(v) for v in sorted(ok[p].dropna().unique(), key=_sort_key))})"
                                      for p in swept) + ". " if swept else "Nothing swept but the seed. ")
             + (f"Seeds: {', '.join(_fmt(v) for v in sorted(ok['seed'].dropna().unique(), key=_sort_key))}. "
                if seeds and len(ok) else "")
             + ("Fixed: " + ", ".join(f"{p}={_fmt(ok[p].iloc[0])}" for p in fixed if len(ok)) + "." if fixed else ""),
             "",
             "Each cell: the mean of a detector's figure over the row's jobs (its seeds), and [min, max] over them "
             "when there are several; `anomalous rows`: the fewest anomalous rows in a test fold among those jobs. "
             "Every job's figures: report.csv.", ""]
    if ok.empty:
        return "\n".join(lines + ["No job finished: nothing to summarise.", ""])
    groups = list(ok.groupby([ok[p].map(str) for p in swept], sort=False)) if swept else [((), ok)]
    groups.sort(key=lambda kg: tuple(_sort_key(kg[1][p].iloc[0]) for p in swept))
    rows_col = "n_anomalous_rows" in ok.columns
    order: list[str] = []     # the detectors, best first by the first metric (the same order in every table)
    for metric in metrics:
        cols = [c for c in ok.columns if c.endswith("/" + metric) and ok[c].notna().any()]
        if not cols:
            continue
        if not order:
            order = [c.split("/")[0] for c in sorted(cols, key=lambda c: -float(ok[c].mean()))]
        cols.sort(key=lambda c: order.index(c.split("/")[0]) if c.split("/")[0] in order else len(order))
        body, few, below = [], [], set()
        for _, g in groups:
            n_rows = g["n_anomalous_rows"].min() if rows_col else np.nan
            thin = pd.notna(n_rows) and n_rows < FEW_ANOMALOUS_ROWS
            cells = [_fmt(g[p].iloc[0]) for p in swept] + [str(len(g))]
            if rows_col:
                cells.append("" if pd.isna(n_rows) else f"{int(n_rows)}{' ⚠ few' if thin else ''}")
            for c in cols:
                v = pd.to_numeric(g[c], errors="coerce").dropna()
                if v.empty:
                    cells.append("")
                    continue
                cell = f"{v.mean():.3f}" + (f" [{v.min():.3f}, {v.max():.3f}]" if len(v) > 1 else "")
                if thin and metric in ("roc_auc", "vus_roc") and v.mean() < 0.5:
                    cell += " ⚠"
                    below.add(c.split("/")[0])
                cells.append(cell)
            if thin:
                few.append(int(n_rows))
            body.append(cells)
        head = [*swept, "seeds" if seeds else "jobs", *(["anomalous rows"] if rows_col else []),
                *(c.split("/")[0] for c in cols)]
        lines += [f"## {metric}", "", *_table(head, body), ""]
        if few:
            lines += [f"⚠ few: {len(few)} of {len(body)} rows rest on fewer than {FEW_ANOMALOUS_ROWS} anomalous rows "
                      f"in a test fold (as few as {min(few)}): one row detected more or less moves their figures a "
                      "lot, and a detector can land below random by chance"
                      + (f" (here {', '.join(sorted(below))} below 0.5, marked ⚠)" if below else "")
                      + ". Read them as noise, or raise the anomaly ratio or the fold length.", ""]
    return "\n".join(lines)


def _jobs_markdown(df: pd.DataFrame) -> str:
    """Every job in one line: its parameters, status, error and fewest anomalous rows (figures: report.csv)."""
    params = _param_columns(df)
    varying = [p for p in params if df[p].map(str).nunique() > 1]
    cols = ["job", *varying, "status", "error", *(["n_anomalous_rows"] if "n_anomalous_rows" in df.columns else [])]
    return "\n".join(["## Jobs", "", *_table(cols, [[_fmt(r[c]) for c in cols] for _, r in df.iterrows()]), ""])


def _plots(df: pd.DataFrame, params: list[str], metrics: list[str], out: Any) -> None:
    """``plots/{metric}_vs_{param}.png`` staged in ``out`` (a :class:`~anogen.outputs.context.RunOutputs`)."""
    ok = df[df["status"] == "ok"]
    for param in params:
        vals = ok[param].dropna()
        if vals.nunique() < 2:
            continue
        try:
            xs = pd.to_numeric(ok[param])
        except (ValueError, TypeError):
            xs = ok[param].astype(str)
        for metric in metrics:
            cols = [c for c in ok.columns if c.endswith("/" + metric)]
            if not cols:
                continue
            plt = _plt()
            fig, ax = plt.subplots(figsize=(6, 4))
            for c in cols:
                g = pd.DataFrame({"x": xs, "y": ok[c]}).dropna().groupby("x")["y"].agg(["mean", "std"]).reset_index()
                ax.errorbar(g["x"], g["mean"], yerr=g["std"].fillna(0), marker="o", capsize=3, label=c.split("/")[0])
            ax.set_xlabel(param)
            ax.set_ylabel(metric)
            ax.legend(fontsize=8)
            save_fig(fig, out.staged(f"plots/{metric}_vs_{param.replace('/', '_')}.png"))


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code (0, 2 a mistake, 130/143 interrupted)."""
    ap = _Parser(prog="python -m anogen.report", description="Aggregate anogen runs into one table")
    ap.add_argument("paths", nargs="+", help="multirun directories, run directories or metrics.json files")
    ap.add_argument("-o", "--out", default=None, help="output folder (default: the first path)")
    ap.add_argument("--metric", action="append", default=None, help="metric to plot (repeatable), e.g. f1")
    ap.add_argument("--no-plots", action="store_true")
    a = ap.parse_args(argv)
    rc, df = run_command("anogen.report", lambda: report(a.paths, a.out, a.metric, plots=not a.no_plots), out=a.out,
                         kept="the report was complete and is kept")
    if rc:
        return rc
    print(f"{len(df)} jobs ({status_counts(df)}) -> {Path(a.out) if a.out else default_out(a.paths)}/report.csv")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


if __name__ == "__main__":
    exit_process(main())
