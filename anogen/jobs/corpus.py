"""The corpus job (``+experiment=corpus``): a detector list x a set of labelled series -> per-series
metrics and one table (mean VUS-PR, mean rank, wins, the Friedman test and a critical-difference
diagram), resumable and sharded.

- The series (:mod:`anogen.data.labelled`): every shipped real series (``corpus.series: all``), a
  list of shipped names, or ``corpus.folder=PATH`` with the user's labelled CSVs.
- Each series is measured by the one evaluation path (:mod:`anogen.evaluation`, as
  :func:`anogen.evaluate_detectors`): every detector fitted on the clean train part (scaled with its
  statistics) and scored on the labelled rest.
- The store (``corpus.dir``; default: the run folder, or the sweep folder in a multirun) holds one
  ``series/<name>.json`` per finished series, written atomically as soon as it is done. A rerun into
  the same store skips them (and says how many); a result file that cannot be read, or whose data
  file changed, is redone; results made with other detectors/metrics/threshold are refused (one line).
- Shards: ``corpus.shards=K corpus.shard=k`` takes every K-th series from position k; a Hydra multirun
  over ``corpus.shard=range(0,K)`` runs them with any launcher (joblib, submitit/SLURM) into the
  sweep folder. The shard that finds every series of the corpus finished writes the summary; running
  the command without shards on the same store (everything skipped) writes it too.
- ``corpus.backend=ray`` spreads the series of this job over a Ray cluster (``ray.init()`` on this
  machine, or ``corpus.ray_address=auto`` on a running cluster); results come back to this process,
  which writes them.

The summary (:func:`summary_tables`, :mod:`anogen.metrics.critical_difference`) goes to the store:
``corpus.md``, ``corpus.csv``, ``corpus.json``, ``per_series.csv`` and ``plots/cd.png``; the table is
logged through the run's loggers (W&B, offline by default).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from anogen.callbacks import created_dirs, forget_dirs
from anogen.config import to_plain
from anogen.data.labelled import SeriesRef, TrainRows, corpus_refs, data_digest, load_series, shard_of
from anogen.data.loaders import NanPolicy
from anogen.data.scaling import Scaler, ScalingKind
from anogen.data.split import segments_of
from anogen.evaluation import evaluate_detectors, fresh_detectors
from anogen.jobs.hydra import JobInfo, in_multirun
from anogen.jobs.spec import Job
from anogen.jobs.writers import write_config
from anogen.metrics.critical_difference import CDStats, friedman_nemenyi
from anogen.outputs.cd_plot import plot_cd
from anogen.outputs.context import RunOutputs
from anogen.outputs.files import safe_name, write_json
from anogen.params import NonNegativeInt, OpenFraction, PositiveInt, check_params
from anogen.selection.cases import labelled_case
from anogen.selection.labels import without_rows
from anogen.types import AnogenError, Fold, RunResult

log = logging.getLogger("anogen")

__all__ = ["CorpusSettings", "check_corpus", "evaluate_series", "summary_tables", "run_corpus_job", "SERIES_DIR"]

#: the store's folder of per-series results
SERIES_DIR = "series"


@dataclass(frozen=True)
class CorpusSettings:
    """The ``corpus`` config node (``+experiment=corpus``; see its YAML for each key).

    Attributes:
        series: ``all`` (every shipped real series) or a list of shipped names.
        folder: a folder of labelled CSVs instead (:mod:`anogen.data.labelled`).
        label, key, columns, train_rows, nan: how the folder's files are read.
        scaling: the detectors' inputs, scaled with the train part's statistics.
        shard, shards: this job's share of the series (``shard`` in ``0..shards-1``).
        dir: the store (``None``: the run folder, or the sweep folder in a multirun).
        backend: ``serial`` (in this process) or ``ray``.
        ray_address: ``None`` starts a local Ray cluster; ``auto`` joins a running one; or ``ray://host:port``.
        ray_cpus: CPUs of the local cluster (``None``: all).
        rank_by: the higher-is-better metric of the table and the ranks.
        alpha: the significance level of the Friedman and Nemenyi tests.
    """

    series: str | list[str] | None = "all"
    folder: str | None = None
    label: str = "label"
    key: str | None = None
    columns: list[str] = field(default_factory=list)
    train_rows: TrainRows = "auto"
    nan: NanPolicy = "error"
    scaling: ScalingKind = "standard"
    shard: NonNegativeInt = 0
    shards: PositiveInt = 1
    dir: str | None = None
    backend: Literal["serial", "ray"] = "serial"
    ray_address: str | None = None
    ray_cpus: PositiveInt | None = None
    rank_by: str = "vus_pr"
    alpha: OpenFraction = 0.05


def check_corpus(node: Mapping[str, Any] | None, metrics: Sequence[str]) -> CorpusSettings:
    """The ``corpus`` node checked (one line naming the key)."""
    node = dict(to_plain(node) or {})
    valid = [f.name for f in fields(CorpusSettings)]
    unknown = sorted(set(node) - set(valid))
    if unknown:
        raise AnogenError(f"unknown key(s) {unknown}; valid: {valid}", key="corpus")
    rows = node.get("train_rows", "auto")
    if rows != "auto" and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 1):
        raise AnogenError(f"must be 'auto' or a number of rows > 0, got {rows!r}", key="corpus.train_rows")
    s = CorpusSettings(**check_params(CorpusSettings, node, "corpus"))
    if s.shard >= s.shards:
        raise AnogenError(f"must be in 0..{s.shards - 1} (corpus.shards={s.shards}), got {s.shard}", key="corpus.shard")
    if s.rank_by not in metrics:
        raise AnogenError(f"{s.rank_by!r} is not among the metrics {list(metrics)}; add its group, e.g. "
                          "metrics=[vus,range,threshold_free]", key="corpus.rank_by")
    if s.backend == "ray":
        try:
            import ray
        except ImportError:
            ray = None
        if not callable(getattr(ray, "init", None)):   # not installed (or a folder named ray in the way)
            raise AnogenError("needs Ray: pip install 'anogen[ray]' (or use corpus.backend=serial with a Hydra "
                              "launcher for parallel shards)", key="corpus.backend=ray", sep=" ")
    return s


# ---- one series ---------------------------------------------------------------------------------
@dataclass
class Spec:
    """What measuring one series needs (sent once to the Ray workers)."""

    detectors: dict[str, Any]
    metrics: dict[str, Any]
    threshold: Any
    evaluation: dict[str, Any]
    settings: CorpusSettings


def series_fold(series: Any) -> Fold:
    """The series' one fold: the train part (its labelled rows left out) and the labelled test part."""
    t, n = series.train_rows, len(series.values)
    fold = Fold(0, tuple(series.columns), series.train, series.test, np.arange(t), np.arange(t, n),
                segments_of(np.ones(t, dtype=bool)), None)
    left = np.asarray(series.labels[:t], dtype=bool)
    return without_rows(fold, left) if left.any() else fold


def evaluate_series(ref: SeriesRef, spec: Spec) -> dict[str, Any]:
    """Measure every detector on one series: a JSON-able record (``status`` ``ok``, or ``failed``
    with the ``error`` when the series cannot be read; a detector's own failure is recorded under
    its name and the others go on)."""
    t0 = time.perf_counter()
    s = spec.settings
    try:
        series = load_series(ref, label=s.label, key=s.key, columns=s.columns, train_rows=s.train_rows, nan=s.nan)
        fold = series_fold(series)
        y = np.asarray(series.test_labels, dtype=bool)
        if y.all():
            raise AnogenError(f"every one of the {len(y)} test rows is labelled 1: the threshold-free metrics "
                              "need normal rows too")
        scaler = Scaler(s.scaling).fit(fold.train)
        runs = evaluate_detectors(fresh_detectors(spec.detectors), scaler.transform(fold.train),
                                  [labelled_case(fold, y, scaler)], spec.threshold, spec.metrics,
                                  segments=fold.train_segments, **spec.evaluation)
    except AnogenError as e:
        return {"series": ref.name, "status": "failed", "error": str(e)}
    events = int(np.sum(np.diff(np.r_[0, y.astype(np.int8)]) == 1))
    return {"series": ref.name, "status": "ok", "source": ref.path or "shipped",
            "rows": int(len(series.values)), "train_rows": int(fold.train.shape[0]), "test_rows": int(len(y)),
            "anomalous_rows": int(y.sum()), "events": events, "columns": list(series.columns),
            "train_rule": series.meta.get("train_rule", "shipped split"),
            "labelled_train_rows_left_out": int(np.sum(series.labels[:series.train_rows])),
            "seconds": time.perf_counter() - t0,
            "detectors": {r.detector: {"metrics": dict(r.metrics), "seconds": r.seconds, "error": r.error}
                          for r in runs}}


# ---- the store ------------------------------------------------------------------------------------
def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def config_parts(config: Mapping[str, Any], s: CorpusSettings) -> dict[str, str]:
    """Digests of what a series' result depends on: a stored result is reused only when they match."""
    return {"detectors": _digest([config.get("detectors"), config.get("detector_variants")]),
            "metrics": _digest(config.get("metrics")), "threshold": _digest(config.get("threshold")),
            "evaluation": _digest(config.get("evaluation")),
            "reading": _digest([s.label, s.key, s.columns, s.train_rows, s.nan, s.scaling])}


@dataclass
class Store:
    """The per-series results of a corpus (``<root>/series/<name>.json``; ``root`` ``None``: in memory)."""

    root: Path | None
    parts: dict[str, str]
    records: dict[str, dict] = field(default_factory=dict)
    on_first_write: Callable[[], None] | None = None

    def path(self, name: str) -> Path:
        assert self.root is not None
        return self.root / SERIES_DIR / f"{safe_name(name)}.json"

    def read(self, name: str) -> dict | None:
        """The stored record (``None`` when absent); ``{}`` when the file cannot be read as one."""
        if self.root is None:
            return self.records.get(name)
        p = self.path(name)
        if not p.is_file():
            return None
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return {}
        ok = isinstance(rec, dict) and rec.get("status") == "ok" and rec.get("series") == name \
            and isinstance(rec.get("detectors"), dict) and isinstance(rec.get("config"), dict)
        return rec if ok else {}

    def write(self, name: str, rec: dict) -> None:
        self.records[name] = rec
        if self.root is None:
            return
        write_json(self.path(name), rec)
        if self.on_first_write is not None:
            self.on_first_write()
            self.on_first_write = None


def _plan(store: Store, refs: Sequence[SeriesRef], mine: Sequence[SeriesRef]) -> tuple[list[SeriesRef], dict[str, str]]:
    """This job's series still to run, and ``{name: why}`` for those redone.

    Raises:
        AnogenError: naming ``corpus.dir``: the store holds results made with another configuration.
    """
    names = [safe_name(r.name) for r in refs]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise AnogenError(f"series names that give the same file name: {dup}", key="corpus.series")
    todo, redo, other = [], {}, {}
    for ref in mine:
        rec = store.read(ref.name)
        if rec is None:
            todo.append(ref)
        elif not rec:
            todo.append(ref)
            redo[ref.name] = "its result file is incomplete or unreadable"
        elif rec["config"] != store.parts:
            other[ref.name] = sorted(k for k in store.parts if rec["config"].get(k) != store.parts[k])
        elif store.root is not None and rec.get("data_sha256") != data_digest(ref):
            todo.append(ref)
            redo[ref.name] = "its data file changed"
        else:
            store.records[ref.name] = rec
    if other:
        keys = sorted({k for ks in other.values() for k in ks})
        raise AnogenError(f"{store.root} holds {len(other)} series result(s) made with other {', '.join(keys)} "
                          f"(e.g. {next(iter(other))}); give another folder (corpus.dir=..., or hydra.run.dir / "
                          "hydra.sweep.dir) or remove them", key="corpus.dir")
    return todo, redo


# ---- running the series ------------------------------------------------------------------------
def _run_serial(todo: Sequence[SeriesRef], spec: Spec, done: Callable[[SeriesRef, dict], None]) -> None:
    for ref in todo:
        done(ref, evaluate_series(ref, spec))


def _evaluate_guarded(ref: SeriesRef, spec: Spec) -> dict[str, Any]:
    """:func:`evaluate_series` on a Ray worker: an unexpected error comes back as a failed record."""
    try:
        return evaluate_series(ref, spec)
    except Exception as e:  # noqa: BLE001 - reported with the series, the other series go on
        return {"series": ref.name, "status": "failed", "error": f"{type(e).__name__}: {e}"}


def _run_ray(todo: Sequence[SeriesRef], spec: Spec, done: Callable[[SeriesRef, dict], None]) -> None:
    """One Ray task per series; each result is handed to ``done`` (written here) as it arrives."""
    import ray

    s = spec.settings
    started = not ray.is_initialized()
    if started:
        kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if s.ray_address:
            kw["address"] = s.ray_address
        elif s.ray_cpus:
            kw["num_cpus"] = s.ray_cpus
        ray.init(**kw)
    pending: dict[Any, SeriesRef] = {}
    try:
        task = ray.remote(num_cpus=1)(_evaluate_guarded)
        shared = ray.put(spec)
        pending = {task.remote(ref, shared): ref for ref in todo}
        log.info("corpus: %d series sent to Ray (%s)", len(pending), s.ray_address or "a local cluster")
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for obj in ready:
                done(pending.pop(obj), ray.get(obj))
    finally:
        for obj in pending:
            ray.cancel(obj, force=True)
        if started:
            ray.shutdown()


# ---- the summary --------------------------------------------------------------------------------
def per_series_frame(records: Sequence[dict], order: Sequence[str]) -> pd.DataFrame:
    """One row per (series, detector): every metric, ``seconds`` and ``error``."""
    rows = []
    for rec in records:
        for det in order:
            d = rec["detectors"].get(det) or {"metrics": {}, "error": "not run", "seconds": None}
            rows.append({"series": rec["series"], "detector": det, **d.get("metrics", {}),
                         "seconds": d.get("seconds"), "error": d.get("error")})
    return pd.DataFrame(rows)


def summary_tables(records: Sequence[dict], order: Sequence[str], rank_by: str,
                   alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame, CDStats | None]:
    """The corpus table, the per-series rows and the Friedman/Nemenyi statistics.

    Args:
        records: the finished series (every one with at least one detector that ran).
        order: the detectors.
        rank_by: a higher-is-better metric.
        alpha: the tests' level.

    Returns:
        ``(table, per_series, stats)``: ``table`` has one row per detector, best mean rank first:
        ``mean_{rank_by}`` and ``median_{rank_by}`` (over the series it ran on), ``mean_rank``
        (a failure ranks last on its series), ``wins`` (series where it ranks first, ties
        included), ``failed`` (series where it failed), ``series``, then ``mean_{metric}`` of
        every other metric; ``stats`` is ``None`` with fewer than two detectors.
    """
    per = per_series_frame(records, order)
    if per.empty:
        return pd.DataFrame(columns=["detector"]), per, None
    metrics = [c for c in per.columns if c not in ("series", "detector", "seconds", "error")
               and pd.api.types.is_numeric_dtype(per[c])]
    series = [r["series"] for r in records]
    wide = per.pivot(index="series", columns="detector", values=rank_by if rank_by in per.columns else "seconds")
    wide = wide.reindex(index=series, columns=list(order))
    if rank_by not in per.columns:
        wide[:] = np.nan
    matrix = wide.to_numpy(np.float64)
    stats = friedman_nemenyi(matrix, alpha) if len(order) >= 2 else None
    ranks = stats.ranks if stats is not None else np.ones_like(matrix)
    g = per.groupby("detector", sort=False)
    table = pd.DataFrame({"detector": list(order)})
    vals = pd.DataFrame(matrix, columns=list(order))
    table[f"mean_{rank_by}"] = [float(vals[d].mean()) if vals[d].notna().any() else np.nan for d in order]
    table[f"median_{rank_by}"] = [float(vals[d].median()) if vals[d].notna().any() else np.nan for d in order]
    table["mean_rank"] = ranks.mean(axis=0)
    table["wins"] = (ranks == ranks.min(axis=1, keepdims=True)).sum(axis=0).astype(int)
    table["failed"] = [int(g.get_group(d)["error"].notna().sum()) if d in g.groups else len(series) for d in order]
    table["series"] = len(series)
    for m in metrics:
        if m != rank_by:
            table[f"mean_{m}"] = [float(g.get_group(d)[m].mean()) if d in g.groups else np.nan for d in order]
    table["mean_seconds"] = [float(g.get_group(d)["seconds"].mean()) if d in g.groups else np.nan for d in order]
    table = table.sort_values(["mean_rank", f"mean_{rank_by}"], ascending=[True, False], kind="stable")
    return table.reset_index(drop=True), per, stats


def _p(v: float) -> str:
    """A p-value: three decimals, or two significant digits below 0.001 (``n/a`` when undefined)."""
    return "n/a" if not np.isfinite(v) else (f"{v:.2g}" if v < 1e-3 else f"{v:.3f}")


def _fmt(v: Any, nd: int = 3) -> str:
    return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else (
        f"{v:.{nd}f}" if isinstance(v, (float, np.floating)) else str(v))


def summary_markdown(table: pd.DataFrame, stats: CDStats | None, rank_by: str, n_series: int,
                     failed: Mapping[str, str], order: Sequence[str], wide: pd.DataFrame | None = None) -> str:
    """``corpus.md``: the table, the tests in words, the failed series and (up to 60 series) the per-series values."""
    head = ["detector", f"mean {rank_by}", f"median {rank_by}", "mean rank", "wins", "failed"]
    lines = [f"# Corpus: {len(table)} detectors on {n_series} labelled series, ranked by {rank_by}", "",
             "Each detector is fitted on a series' clean train part and scored on its labelled test part; "
             f"`mean rank` ranks the detectors on each series by {rank_by} (1 = best, a failure ranks last), "
             "`wins` counts the series where a detector ranks first (ties included).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table.itertuples(index=False):
        d = r._asdict()
        lines.append("| " + " | ".join([str(d["detector"]), _fmt(d[f"mean_{rank_by}"]), _fmt(d[f"median_{rank_by}"]),
                                        _fmt(d["mean_rank"], 2), str(d["wins"]), str(d["failed"])]) + " |")
    lines.append("")
    if stats is not None:
        verdict = (f"the detectors differ (p < {stats.alpha:g})" if stats.significant else
                   f"no significant difference at {stats.alpha:g}")
        lines += [f"**Friedman test** (Demšar 2006) over {stats.n} series and {stats.k} detectors: chi² = "
                  f"{stats.chi2:.3f} (p = {_p(stats.p_chi2)}), Iman-Davenport F = {_fmt(stats.f)} "
                  f"(p = {_p(stats.p_f)}): {verdict}.", "",
                  f"**Nemenyi critical difference** CD = {stats.cd:.3f} (q = {stats.q:.3f}): two detectors whose mean "
                  "ranks differ by less than CD are not significantly different; `plots/cd.png` joins them with a bar."]
        groups = [", ".join(order[c] for c in g) for g in stats.groups]
        lines += ["", "Groups not significantly different: " + ("; ".join(f"[{g}]" for g in groups) if groups
                                                                   else "none (every pair differs)"), ""]
    if failed:
        lines += [f"**{len(failed)} series could not be evaluated** (not in the table):", ""]
        lines += [f"- {k}: {v}" for k, v in list(failed.items())[:50]] + [""]
    if wide is not None and 0 < len(wide) <= 60:
        cols = list(wide.columns)
        lines += [f"## {rank_by} per series", "", "| series | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
        for s, row in wide.iterrows():
            lines.append(f"| {s} | " + " | ".join(_fmt(v) for v in row.to_numpy()) + " |")
        lines.append("")
    elif wide is not None:
        lines += [f"The {len(wide)} series' values are in `per_series.csv`.", ""]
    return "\n".join(lines)


def write_summary(out: RunOutputs, records: Sequence[dict], order: Sequence[str], s: CorpusSettings,
                  failed: Mapping[str, str]) -> tuple[pd.DataFrame, pd.DataFrame, CDStats | None]:
    """``corpus.md/.csv/.json``, ``per_series.csv`` and ``plots/cd.png`` into ``out``."""
    table, per, stats = summary_tables(records, order, s.rank_by, s.alpha)
    wide = per.pivot(index="series", columns="detector", values=s.rank_by) if s.rank_by in per.columns else None
    if wide is not None:
        wide = wide.reindex(index=[r["series"] for r in records], columns=list(order))
    out.write_csv("corpus.csv", table)
    out.write_csv("per_series.csv", per)
    out.write_text("corpus.md", summary_markdown(table, stats, s.rank_by, len(records), failed, order, wide))
    info: dict[str, Any] = {"rank_by": s.rank_by, "series": len(records), "detectors": list(order),
                            "table": table.to_dict(orient="records"), "failed_series": dict(failed)}
    if stats is not None:
        info["friedman"] = {"chi2": stats.chi2, "p_chi2": stats.p_chi2, "iman_davenport_f": stats.f, "p_f": stats.p_f,
                            "significant": stats.significant, "alpha": stats.alpha}
        info["nemenyi"] = {"q": stats.q, "cd": stats.cd, "mean_ranks": dict(zip(order, stats.mean_ranks.tolist())),
                           "groups": [[order[c] for c in g] for g in stats.groups]}
        out.plot("corpus/cd", "plots/cd.png", plot_cd, list(order), stats.mean_ranks, stats.cd, stats.groups,
                 title=f"{s.rank_by}: {stats.n} series, Friedman p = {_p(stats.p_f)}")
    out.write_json("corpus.json", info)
    return table, per, stats


# ---- the job ------------------------------------------------------------------------------------
def _sweep_dir() -> Path | None:
    """The sweep folder of the current multirun job (shared by its shards), else ``None``."""
    if not in_multirun():
        return None
    from hydra.core.hydra_config import HydraConfig

    return Path(str(HydraConfig.get().sweep.dir)).absolute()


def run_corpus_job(job: Job, out: RunOutputs, info: JobInfo, t0: float) -> RunResult:
    """``+experiment=corpus``: the corpus's series of this shard measured, stored, and the summary
    written when every series is finished.

    Raises:
        AnogenError: a mistake in the ``corpus`` node or the series (before anything is written), or
            every series of this job failed (their errors listed).
    """
    s = check_corpus(job.config.get("corpus"), list(job.metrics))
    if len(job.detectors) < 1:
        raise AnogenError("give at least one detector, e.g. detectors=[zscore,knn]", key="detectors")
    refs = corpus_refs(s.series, s.folder, s.label)
    mine = shard_of(refs, s.shard, s.shards)
    sweep = _sweep_dir()
    root = Path(s.dir).expanduser().absolute() if s.dir else (sweep or out.out_dir)
    if s.shards > 1 and not s.dir and sweep is None and info.run_dir:
        raise AnogenError(f"{s.shards} shards merge only in a folder they share: run them as a multirun "
                          f"(python -m anogen -m +experiment=corpus corpus.shards={s.shards} "
                          f"corpus.shard='range(0,{s.shards})') or give corpus.dir=PATH", key="corpus.shards")
    store = Store(root, config_parts(job.config, s))
    if root is not None and root == out.out_dir and not in_multirun() and created_dirs(root):
        # the run folder now holds finished series: a later failure or interrupt must not remove it
        store.on_first_write = forget_dirs
    todo, redo = _plan(store, refs, mine)
    skipped = len(mine) - len(todo)
    where = f" in {root}" if root is not None else ""
    log.info("corpus: %d series, %d detector(s); this job%s: %d series, %d finished already (skipped), %d to run%s",
             len(refs), len(job.detectors), f" (shard {s.shard} of {s.shards})" if s.shards > 1 else "", len(mine),
             skipped, len(todo), where)
    for name, why in redo.items():
        log.warning("corpus: %s is redone: %s", name, why)
    spec = Spec(dict(job.detectors), dict(job.metrics), job.threshold, dict(vars(job.evaluation)), s)
    failed: dict[str, str] = {}
    count = [0]

    def done(ref: SeriesRef, rec: dict) -> None:
        count[0] += 1
        if rec.get("status") != "ok":
            failed[ref.name] = rec.get("error", "failed")
            log.warning("corpus: [%d/%d] %s failed: %s", count[0], len(todo), ref.name, failed[ref.name])
            return
        rec = {**rec, "config": store.parts, "data_sha256": data_digest(ref) if root is not None else None}
        store.write(ref.name, rec)
        figs = ", ".join(f"{d} {_fmt(v['metrics'].get(s.rank_by))}" if v.get("error") is None else f"{d} failed"
                         for d, v in rec["detectors"].items())
        log.info("corpus: [%d/%d] %s: %s %s (%.1f s)", count[0], len(todo), ref.name, s.rank_by, figs, rec["seconds"])

    try:
        (_run_ray if s.backend == "ray" else _run_serial)(todo, spec, done)
    except KeyboardInterrupt:
        if root is not None and store.records:
            log.warning("corpus: interrupted; %d finished series are kept in %s: run the same command with "
                        "corpus.dir=%s to resume", len(store.records), root / SERIES_DIR, root)
        raise
    if mine and not any(r.name in store.records for r in mine):
        raise AnogenError("every series of this job failed: " + "; ".join(f"{k}: {v}" for k, v in
                                                                         list(failed.items())[:3]))
    ran = sum(r.name in store.records for r in todo)
    return _finish(job, out, s, refs, mine, store, failed, root, skipped, ran, info, t0)


def _finish(job: Job, out: RunOutputs, s: CorpusSettings, refs: Sequence[SeriesRef], mine: Sequence[SeriesRef],
            store: Store, failed: dict[str, str], root: Path | None, skipped: int, ran: int, info: JobInfo,
            t0: float) -> RunResult:
    order = list(job.detectors)
    others = [r for r in refs if r.name not in store.records and r.name not in failed]
    for ref in others:                   # the other shards' results (their data were checked by their shard)
        rec = store.read(ref.name)
        if rec and rec.get("config") == store.parts:
            store.records[ref.name] = rec
    finished = [store.records[r.name] for r in refs if r.name in store.records]
    complete = len(finished) + len(failed) == len(refs)
    for rec in finished:                 # stored, but no detector ran on it: listed, not in the table
        if not any(d.get("error") is None for d in rec["detectors"].values()):
            failed[rec["series"]] = "every detector failed: " + next(iter(rec["detectors"].values()))["error"]
    finished = [r for r in finished if r["series"] not in failed]
    mine_recs = [store.records[r.name] for r in mine if r.name in store.records and r.name not in failed]
    seconds = time.perf_counter() - t0
    table, per, stats = summary_tables(mine_recs if not complete else finished, order, s.rank_by, s.alpha)
    if complete and root is not None:
        if root == out.out_dir:
            table, per, stats = write_summary(out, finished, order, s, failed)
        else:
            with RunOutputs(root, plots=job.plots) as summary_out:
                table, per, stats = write_summary(summary_out, finished, order, s, failed)
    mean = {f"{r['detector']}/{c}": float(r[c]) for r in table.to_dict(orient="records")
            for c in table.columns if c not in ("detector", "series") and pd.notna(r[c])}
    results = {"mean": mean, "status": "ok", "seconds": seconds, "overrides": info.overrides, "objective": None,
               "errors": {k: v for k, v in failed.items()},
               "corpus": {"series": len(refs), "shard": s.shard, "shards": s.shards, "this_job": len(mine),
                          "skipped": skipped, "ran": ran, "failed": len(failed),
                          "finished": len(finished), "complete": complete, "store": str(root) if root else None}}
    out.write_json("metrics.json", results)
    write_config(out, job.config, info.overrides)
    out.log_metrics(mean, prefix="corpus/")
    if complete:
        out.log_table("corpus", table)
        out.log_table("corpus_per_series", per)
    out.summary = {f"corpus/{k}": v for k, v in mean.items()}
    if complete:
        best = table.iloc[0] if len(table) else None
        log.info("corpus done in %.1f s: %d series (%d skipped as finished), summary in %s", seconds, len(finished),
                 skipped, (root / "corpus.md") if root is not None else "memory")
        if best is not None:
            log.info("corpus: best mean rank %s (%.2f, mean %s %s)%s", best["detector"], best["mean_rank"], s.rank_by,
                     _fmt(best[f"mean_{s.rank_by}"]),
                     f"; Nemenyi CD {stats.cd:.2f}, Friedman p {_p(stats.p_f)}" if stats else "")
    else:
        log.info("corpus: shard %d of %d done in %.1f s; %d of %d series finished in %s: the last shard writes the "
                 "summary (or run without corpus.shard on corpus.dir=%s to merge)", s.shard, s.shards, seconds,
                 len(finished), len(refs), root, root)
    return RunResult(metrics=mean, injected=[], run_dir=str(out.out_dir) if out.writes else None, errors=dict(failed),
                     results=results, leaderboard=table, rows=per)
