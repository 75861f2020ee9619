"""Aggregate runs: ``python -m anogen.report PATH [PATH ...] [-o OUT] [--metric M ...]``.

Every folder under the given paths that holds a ``metrics.json`` is one job. Writes
``report.csv`` and ``report.md`` (one row per job: its overrides, status, error and mean metrics)
and, for each swept parameter with more than one value, ``plots/{metric}_vs_{param}.png`` with one
line per detector (mean over the other parameters).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from anogen.types import AnogenError

__all__ = ["collect", "report", "main"]


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


def collect(paths: Sequence[str | Path]) -> pd.DataFrame:
    """One row per job: ``job`` (folder), override columns, ``status``, ``error``, mean metrics."""
    rows = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise AnogenError(f"report: path not found: {p}")
        files = [p] if p.is_file() else sorted(p.rglob("metrics.json"))
        for f in files:
            try:
                m = json.loads(f.read_text())
            except (OSError, json.JSONDecodeError) as e:
                rows.append({"job": str(f.parent), "status": "unreadable", "error": str(e)})
                continue
            overrides = m.get("overrides")
            if not overrides:
                ov_file = f.parent / ".hydra" / "overrides.yaml"
                if ov_file.is_file():
                    import yaml

                    overrides = yaml.safe_load(ov_file.read_text()) or []
            row = {"job": str(f.parent), "status": m.get("status", "ok"), "error": m.get("error") or
                   ("; ".join(f"{k}: {v}" for k, v in (m.get("errors") or {}).items()) or None)}
            for o in overrides or []:
                kv = _parse_override(str(o))
                if kv and not kv[0].startswith("hydra."):
                    row[kv[0]] = _value(kv[1])
            row.update(m.get("mean") or {})
            if m.get("objective") is not None:
                row["objective"] = m["objective"]
            rows.append(row)
    if not rows:
        raise AnogenError(f"report: no metrics.json under {', '.join(map(str, paths))}")
    df = pd.DataFrame(rows)
    return df


def _param_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c not in ("job", "status", "error", "objective") and "/" not in c]


def report(paths: Sequence[str | Path], out: str | Path | None = None, metrics: Sequence[str] | None = None,
           plots: bool = True) -> pd.DataFrame:
    """Collect the jobs and write ``report.csv``, ``report.md`` and plots into ``out``."""
    from anogen.outputs.files import write_csv, write_text

    df = collect(paths)
    params = _param_columns(df)
    metric_cols = [c for c in df.columns if "/" in c]
    df = df[["job", *params, "status", "error", *(c for c in ["objective"] if c in df.columns), *metric_cols]]
    out = Path(out) if out is not None else (Path(paths[0]) if Path(paths[0]).is_dir() else Path(paths[0]).parent)
    write_csv(out / "report.csv", df)
    write_text(out / "report.md", _markdown(df))
    if plots:
        from anogen.metrics import HEADLINE

        chosen = list(metrics) if metrics else [m for m in HEADLINE
                                                 if any(c.endswith("/" + m) for c in metric_cols)][:3]
        _plots(df, params, chosen, out / "plots")
    return df


def _markdown(df: pd.DataFrame) -> str:
    def fmt(v):
        if isinstance(v, float):
            return "" if np.isnan(v) else f"{v:.4g}"
        return "" if v is None else str(v).replace("|", "\\|")

    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def _plots(df: pd.DataFrame, params: list[str], metrics: list[str], out: Path) -> None:
    from anogen.outputs.plots import _plt, save_fig

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
            save_fig(fig, out / f"{metric}_vs_{param.replace('/', '_')}.png")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m anogen.report", description="Aggregate anogen runs into one table")
    ap.add_argument("paths", nargs="+", help="multirun directories, run directories or metrics.json files")
    ap.add_argument("-o", "--out", default=None, help="output folder (default: the first path)")
    ap.add_argument("--metric", action="append", default=None, help="metric to plot (repeatable), e.g. f1")
    ap.add_argument("--no-plots", action="store_true")
    a = ap.parse_args(argv)
    try:
        df = report(a.paths, a.out, a.metric, plots=not a.no_plots)
    except AnogenError as e:
        print(f"anogen.report: error: {e}", file=sys.stderr)
        return 2
    print(f"{len(df)} jobs ({int((df['status'] == 'ok').sum())} ok) -> "
          f"{Path(a.out or (a.paths[0] if Path(a.paths[0]).is_dir() else Path(a.paths[0]).parent)) / 'report.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
