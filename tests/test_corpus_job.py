"""The corpus job (``+experiment=corpus``): detectors x labelled series -> per-series results and one
table; the three series sources, resume, shards and their merge, bad inputs (one line, exit 2, nothing
left), the folder format, the Friedman/Nemenyi statistics against Demšar's worked example, Hydra's
launchers (joblib and Ray runs are slow tests)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anogen.data import real
from anogen.data.labelled import SeriesRef, corpus_refs, load_series, shard_of
from anogen.metrics.critical_difference import cliques, friedman_nemenyi, nemenyi_q
from anogen.types import AnogenError
from tests.conftest import compose

#: small and fast: two cheap detectors, VUS with a short buffer, no plots, no W&B
FAST = ["plots=false", "logger=[local]", "detectors=[zscore,knn]", "metrics=[vus,threshold_free]",
        "metrics.vus_pr.window=10", "metrics.vus_roc.window=10", "+experiment=corpus"]
#: two short shipped series (1538 and 1624 rows)
TWO = "corpus.series=[nab_adexchange_exchange_3_cpm_results,nab_adexchange_exchange_2_cpm_results]"
FILES = ["a", "b_tr_150_1st_200", "c"]


def _series(n: int, seed: int, start: int, length: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    x = np.sin(t / 6) + 0.05 * rng.standard_normal(n)
    y = np.zeros(n, dtype=int)
    x[start:start + length] += 3.0
    y[start:start + length] = 1
    return pd.DataFrame({"value": x, "label": y})


@pytest.fixture
def folder(tmp_path) -> Path:
    """Three labelled CSVs: the train part before the first label, ``tr_N`` in the name, and gzip."""
    d = tmp_path / "mine"
    d.mkdir()
    _series(300, 0, 220).to_csv(d / "a.csv", index=False)
    df = _series(300, 1, 200)
    df.loc[[20, 21], "label"] = 1                         # labelled rows inside the tr_150 train part: left out
    df.to_csv(d / "b_tr_150_1st_200.csv", index=False)
    _series(260, 2, 200).rename(columns={"label": "Label"}).to_csv(d / "c.csv.gz", index=False)
    return d


def _run(overrides: list[str], run_dir: Path | None):
    from anogen.jobs import run

    return run(compose(FAST + overrides), run_dir=run_dir)


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "anogen"]


# ---- the three sources ----------------------------------------------------------------------------
def _all_one_shard() -> list[str]:
    names = sorted(real.names(real_only=True, mode="series"))
    return ["corpus.series=all", f"corpus.shards={len(names)}",
            f"corpus.shard={names.index('nab_adexchange_exchange_3_cpm_results')}"]


@pytest.mark.parametrize("source, overrides, series", [
    ("named", [TWO], ["nab_adexchange_exchange_3_cpm_results", "nab_adexchange_exchange_2_cpm_results"]),
    ("folder", ["corpus.folder={folder}"], FILES),
    ("all, one shard of it", _all_one_shard(), ["nab_adexchange_exchange_3_cpm_results"]),
])
def test_series_sources(source, overrides, series, folder, tmp_path):
    out = tmp_path / "run"
    res = _run([o.replace("{folder}", str(folder)) for o in overrides], out)
    assert sorted(p.stem for p in (out / "series").glob("*.json")) == sorted(series)
    rec = json.loads((out / "series" / f"{series[0]}.json").read_text())
    assert rec["status"] == "ok" and set(rec["detectors"]) == {"zscore", "knn"}
    assert all(v["error"] is None and 0 <= v["metrics"]["vus_pr"] <= 1 for v in rec["detectors"].values())
    if source == "all, one shard of it":          # the other series are not finished: no summary yet
        assert not (out / "corpus.md").exists() and res.results["corpus"]["complete"] is False
        return
    table = pd.read_csv(out / "corpus.csv")
    assert list(table.columns[:7]) == ["detector", "mean_vus_pr", "median_vus_pr", "mean_rank", "wins", "failed",
                                       "series"]
    assert sorted(table["detector"]) == ["knn", "zscore"] and (table["series"] == len(series)).all()
    assert table["mean_rank"].sum() == pytest.approx(3.0)          # ranks 1 and 2 on every series
    per = pd.read_csv(out / "per_series.csv")
    assert len(per) == 2 * len(series) and per["error"].isna().all()
    info = json.loads((out / "corpus.json").read_text())
    assert info["series"] == len(series) and {"friedman", "nemenyi"} <= set(info)
    assert "| detector | mean vus_pr |" in (out / "corpus.md").read_text()
    m = json.loads((out / "metrics.json").read_text())
    assert m["status"] == "ok" and "knn/mean_vus_pr" in m["mean"] and m["corpus"]["complete"]


def test_all_is_every_shipped_real_series_and_a_folder_excludes_series():
    refs = corpus_refs("all", None)
    assert [r.name for r in refs] == sorted(real.names(real_only=True, mode="series"))
    assert len(refs) >= 38 and all(r.shipped for r in refs) and "gutentag_ecg_diff_count_3" not in [r.name for r in refs]
    with pytest.raises(AnogenError, match="either corpus.series"):
        corpus_refs(["mitdb_excerpt"], "/tmp")


def test_the_summary_draws_the_cd_diagram(folder, tmp_path):
    _run([f"corpus.folder={folder}", "plots=true", "detectors=[zscore,knn,random]"], tmp_path / "run")
    assert (tmp_path / "run" / "plots" / "cd.png").stat().st_size > 1000
    assert "Nemenyi critical difference" in (tmp_path / "run" / "corpus.md").read_text()


# ---- the folder format ----------------------------------------------------------------------------
@pytest.mark.parametrize("file, train_rows, expect_train, rule", [
    ("a.csv", "auto", 220, "the rows before the first labelled row"),
    ("b_tr_150_1st_200.csv", "auto", 150, "tr_N in the file name"),
    ("c.csv.gz", "auto", 200, "the rows before the first labelled row"),
    ("a.csv", 100, 100, "corpus.train_rows"),
])
def test_folder_format_train_part(folder, file, train_rows, expect_train, rule):
    name = file.removesuffix(".gz").removesuffix(".csv")
    s = load_series(SeriesRef(name, str(folder / file)), train_rows=train_rows)
    assert s.train_rows == expect_train and s.meta["train_rule"] == rule and s.columns == ("value",)
    assert s.test_labels.any()


def test_labelled_train_rows_leave_the_train_part(folder):
    from anogen.jobs.corpus import series_fold

    s = load_series(SeriesRef("b_tr_150_1st_200", str(folder / "b_tr_150_1st_200.csv")))
    fold = series_fold(s)
    assert fold.train.shape[0] == 148 and fold.train_segments.tolist() == [[0, 20], [20, 148]]


@pytest.mark.parametrize("frame, train_rows, match", [
    (pd.DataFrame({"v": np.arange(50.0), "label": [0] * 48 + [2, 0]}), "auto", "must hold 0/1"),
    (pd.DataFrame({"v": np.arange(50.0), "label": [0] * 50}), "auto", "no row is labelled 1"),
    (pd.DataFrame({"v": np.arange(50.0), "label": [1] + [0] * 49}), "auto", "set corpus.train_rows=N"),
    (pd.DataFrame({"v": np.arange(50.0), "label": [0] * 10 + [1] + [0] * 39}), 20, "nothing to find"),
    (pd.DataFrame({"label": [0] * 10 + [1] + [0] * 39}), "auto", "no numeric"),
])
def test_folder_format_errors_name_the_file(tmp_path, frame, train_rows, match):
    frame.to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(AnogenError, match=match) as e:
        load_series(SeriesRef("s", str(tmp_path / "s.csv")), train_rows=train_rows)
    assert str(e.value).startswith("s.csv: ") and "\n" not in str(e.value)


def test_a_series_that_cannot_be_read_is_listed_and_the_others_go_on(folder, tmp_path):
    pd.DataFrame({"value": np.arange(50.0), "label": [0] * 50}).to_csv(folder / "d.csv", index=False)
    pd.DataFrame({"value": np.sin(np.arange(50.0)), "label": [0] * 40 + [1] * 10}).to_csv(folder / "e.csv", index=False)
    res = _run([f"corpus.folder={folder}"], tmp_path / "run")
    assert res.errors == {"d": "d.csv: no row is labelled 1 in column 'label': nothing to find",
                          "e": "every one of the 10 test rows is labelled 1: the threshold-free metrics need normal "
                               "rows too"}
    assert not (tmp_path / "run" / "series" / "d.json").exists()           # redone on a rerun
    assert "**2 series could not be evaluated**" in (tmp_path / "run" / "corpus.md").read_text()
    assert pd.read_csv(tmp_path / "run" / "corpus.csv")["series"].iloc[0] == 3


# ---- resume ---------------------------------------------------------------------------------------
def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_resume_skips_finished_redoes_half_written_and_changed(folder, tmp_path, caplog):
    out = tmp_path / "run"
    args = [f"corpus.folder={folder}"]
    _run(args, out)
    a, b, c = (out / "series" / f"{n}.json" for n in FILES)
    before = {p: _sha(p) for p in (a, b, c)}
    with caplog.at_level("INFO", logger="anogen"):
        res = _run(args, out)
    assert any("3 finished already (skipped), 0 to run" in m for m in _messages(caplog))
    assert {p: _sha(p) for p in (a, b, c)} == before and res.results["corpus"]["skipped"] == 3
    b.write_text(b.read_text()[:100])                          # a half-written result
    c.unlink()                                                   # a missing one
    _series(300, 5, 230).to_csv(folder / "a.csv", index=False)   # the data of a changed
    caplog.clear()
    with caplog.at_level("INFO", logger="anogen"):
        res = _run(args, out)
    msgs = _messages(caplog)
    assert any("0 finished already (skipped), 3 to run" in m for m in msgs), msgs
    assert any("b_tr_150_1st_200 is redone: its result file is incomplete" in m for m in msgs)
    assert any("a is redone: its data file changed" in m for m in msgs)
    assert json.loads(b.read_text())["status"] == "ok" and c.is_file()
    assert pd.read_csv(out / "corpus.csv")["series"].iloc[0] == 3


def test_an_interrupted_run_keeps_its_finished_series_and_the_rerun_resumes(folder, tmp_path, monkeypatch, caplog):
    import anogen.jobs.corpus as corpus

    real_eval, calls = corpus.evaluate_series, []

    def interrupted(ref, spec):
        calls.append(ref.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_eval(ref, spec)

    monkeypatch.setattr(corpus, "evaluate_series", interrupted)
    out = tmp_path / "run"
    with caplog.at_level("INFO", logger="anogen"), pytest.raises(KeyboardInterrupt):
        _run([f"corpus.folder={folder}"], out)
    assert [p.stem for p in (out / "series").glob("*.json")] == ["a"] and not (out / "corpus.md").exists()
    assert any("interrupted; 1 finished series are kept" in m for m in _messages(caplog))
    assert not [p for p in out.rglob(".*")]                      # no staging folder or temporary file left
    monkeypatch.setattr(corpus, "evaluate_series", real_eval)
    res = _run([f"corpus.folder={folder}"], out)
    assert res.results["corpus"]["skipped"] == 1 and (out / "corpus.md").is_file()


def test_ctrl_c_in_a_hydra_run_keeps_the_run_folder_with_its_finished_series(folder, tmp_path, monkeypatch, capsys):
    """A failed single run removes the run folder Hydra made for it; once a series is finished it stays."""
    import anogen.jobs.corpus as corpus
    from anogen.__main__ import cli

    real_eval, calls = corpus.evaluate_series, []

    def interrupted(ref, spec):
        calls.append(ref.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_eval(ref, spec)

    monkeypatch.setattr(corpus, "evaluate_series", interrupted)
    run_dir = tmp_path / "outputs" / "run"
    rc = cli([*FAST, f"corpus.folder={folder}", f"hydra.run.dir={run_dir}"])
    assert rc == 130, capsys.readouterr().err
    assert [p.stem for p in (run_dir / "series").glob("*.json")] == ["a"]
    monkeypatch.setattr(corpus, "evaluate_series", real_eval)
    assert cli([*FAST, f"corpus.folder={folder}", f"hydra.run.dir={run_dir}"]) == 0
    assert (run_dir / "corpus.md").is_file()


# ---- shards ---------------------------------------------------------------------------------------
def test_shards_merge_into_the_same_table_as_one_run(folder, tmp_path):
    store, whole = tmp_path / "store", tmp_path / "whole"
    base = [f"corpus.folder={folder}", f"corpus.dir={store}", "corpus.shards=2"]
    r0 = _run(base + ["corpus.shard=0"], tmp_path / "job0")
    assert sorted(p.stem for p in (store / "series").glob("*.json")) == ["a", "c"]          # every 2nd from 0
    assert not (store / "corpus.md").exists() and r0.results["corpus"]["complete"] is False
    assert (tmp_path / "job0" / "metrics.json").is_file()
    r1 = _run(base + ["corpus.shard=1"], tmp_path / "job1")
    assert r1.results["corpus"]["complete"] and (store / "corpus.md").is_file()
    _run([f"corpus.folder={folder}"], whole)
    cols = ["detector", "mean_vus_pr", "mean_rank", "wins"]
    pd.testing.assert_frame_equal(pd.read_csv(store / "corpus.csv")[cols], pd.read_csv(whole / "corpus.csv")[cols])
    # the merge step: the unsharded command on the store skips everything and writes the summary again
    (store / "corpus.md").unlink()
    merged = _run([f"corpus.folder={folder}", f"corpus.dir={store}"], tmp_path / "merge")
    assert merged.results["corpus"]["skipped"] == 3 and (store / "corpus.md").is_file()


@pytest.mark.slow  # a real Hydra multirun (2.5 s); the in-process shard merge above stays in the fast suite
def test_a_hydra_multirun_over_the_shard_index_writes_the_summary_in_the_sweep_folder(folder, tmp_path, capsys):
    from anogen.__main__ import cli

    sweep = tmp_path / "sweep"
    rc = cli(["-m", *FAST, f"corpus.folder={folder}", "corpus.shards=2", "corpus.shard=range(0,2)",
              f"hydra.sweep.dir={sweep}"])
    assert rc == 0, capsys.readouterr().err
    assert sorted(p.stem for p in (sweep / "series").glob("*.json")) == FILES
    assert (sweep / "corpus.md").is_file() and (sweep / "corpus.csv").is_file()
    jobs = [json.loads((sweep / str(i) / "metrics.json").read_text()) for i in (0, 1)]
    assert [j["corpus"]["this_job"] for j in jobs] == [2, 1] and jobs[1]["corpus"]["complete"]


@pytest.mark.parametrize("launcher, target", [("slurm", "SlurmLauncher"), ("parallel", "JoblibLauncher"),
                                              ("local_processes", "LocalLauncher")])
def test_launcher_configs_compose_with_the_corpus_shards(launcher, target):
    from hydra import compose as hcompose
    from hydra import initialize_config_dir
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from tests.conftest import CONF_DIR

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = hcompose(config_name="config", overrides=["+experiment=corpus", f"hydra/launcher={launcher}",
                                                        "corpus.shards=4", "corpus.shard=3"], return_hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith(target) and cfg.corpus.shard == 3
    sweep = OverridesParser.create().parse_override("corpus.shard=range(0,4)")
    assert list(sweep.sweep_iterator()) == [0, 1, 2, 3]
    assert [len(shard_of(list(range(10)), k, 4)) for k in range(4)] == [3, 3, 2, 2]


# ---- bad inputs: one line, exit 2, nothing left ---------------------------------------------------
def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): "dir" if p.is_dir() else _sha(p) for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("overrides, named", [
    (["corpus.series=[nope]"], "corpus.series: unknown series ['nope']; shipped: "),
    (["corpus.folder={root}/empty"], "corpus.folder: no *.csv or *.csv.gz files in "),
    (["corpus.folder={root}/nolabels"], "corpus.label: no column 'label' in "),
    (["corpus.folder={root}/mine", "corpus.shards=2", "corpus.shard=2"], "corpus.shard: must be in 0..1"),
    (["corpus.rank_by=nab_score"], "corpus.rank_by: 'nab_score' is not among the metrics"),
    (["corpus.train_rows=0"], "corpus.train_rows: must be 'auto' or a number of rows > 0, got 0"),
    pytest.param(["corpus.nope=1"], "corpus.nope: unknown key", marks=pytest.mark.slow),
    (["corpus.folder={root}/mine", "corpus.dir={root}/store", "detectors=[zscore]"],
     "corpus.dir: {root}/store holds 3 series result(s) made with other detectors"),
    (["corpus.folder={root}/mine", "corpus.shards=2"], "corpus.shards: 2 shards merge only in a folder they share"),
], ids=["unknown-series", "empty-folder", "csv-without-labels", "shard-out-of-range", "rank-by", "train-rows", "unknown-key",
        "store-of-other-detectors", "shards-without-a-shared-folder"])
def test_bad_input_is_one_line_exit_2_and_leaves_nothing(overrides, named, folder, tmp_path, monkeypatch, capsys):
    from anogen.__main__ import cli

    root = folder.parent
    (root / "empty").mkdir()
    (root / "nolabels").mkdir()
    pd.DataFrame({"value": np.arange(10.0)}).to_csv(root / "nolabels" / "x.csv", index=False)
    if "store" in str(overrides):
        _run([f"corpus.folder={folder}", f"corpus.dir={root}/store"], root / "first")
    monkeypatch.chdir(root)
    before = _snapshot(root)
    rc = cli([*FAST, *(o.replace("{root}", str(root)) for o in overrides), f"hydra.run.dir={root}/outputs/run"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("anogen: error: " + named.replace("{root}", str(root))), err
    assert _snapshot(root) == before


# ---- the statistics -------------------------------------------------------------------------------
#: Demšar (2006), Table 6: the ranks of four C4.5 variants (AUC) on 14 data sets
DEMSAR_RANKS = np.array([
    [4, 3, 2, 1], [1, 2, 3, 4], [4, 1, 2, 3], [4, 1, 3, 2], [4, 2, 3, 1], [1, 2.5, 4, 2.5], [3, 2, 4, 1],
    [2.5, 2.5, 4, 1], [4, 3, 2, 1], [2.5, 2.5, 2.5, 2.5], [4, 2, 1, 3], [3, 2, 4, 1], [4, 1, 2, 3], [3, 1, 4, 2]])


def test_friedman_and_nemenyi_match_demsars_worked_example():
    """Demšar's section 3.2.4: mean ranks 3.143, 2.000, 2.893, 1.964; chi2_F = 9.28, F_F = 3.69;
    CD = 1.25 at alpha 0.05 (q = 2.569) and 1.12 at 0.10 (q = 2.291)."""
    s = friedman_nemenyi(-DEMSAR_RANKS)                          # higher is better: values = -rank
    np.testing.assert_allclose(s.ranks, DEMSAR_RANKS)
    assert sorted(np.round(s.mean_ranks, 3)) == [1.964, 2.0, 2.893, 3.143]
    assert round(s.chi2, 2) == 9.28 and round(s.f, 2) == 3.69
    assert round(s.q, 3) == 2.569 and round(s.cd, 2) == 1.25
    assert round(friedman_nemenyi(-DEMSAR_RANKS, alpha=0.10).cd, 2) == 1.12
    assert s.p_f == pytest.approx(0.0200, abs=5e-4) and s.significant     # F(3, 39) = 3.69
    # the best and the worst differ by 3.143 - 1.964 = 1.18 < CD 1.25: one group joins all four
    assert len(s.groups) == 1 and sorted(s.groups[0]) == [0, 1, 2, 3]


@pytest.mark.parametrize("k, q", [(2, 1.960), (3, 2.343), (4, 2.569), (5, 2.728), (10, 3.164)])
def test_nemenyi_q_is_demsars_table(k, q):
    assert nemenyi_q(k) == pytest.approx(q, abs=1e-3)      # the table's three decimals


def test_a_small_example_by_hand_and_against_scipy():
    from scipy.stats import friedmanchisquare

    t = np.array([[0.9, 0.5, 0.1], [0.8, 0.6, 0.2], [0.7, 0.9, 0.3], [0.6, 0.5, 0.4]])
    s = friedman_nemenyi(t)
    # ranks 1,2,3 / 1,2,3 / 2,1,3 / 1,2,3 -> means 1.25, 1.75, 3
    assert s.mean_ranks.tolist() == [1.25, 1.75, 3.0]
    # chi2 = 12*4/(3*4) * (1.25^2 + 1.75^2 + 3^2 - 3*4^2/4) = 4 * 1.625 = 6.5; F = 3*6.5/(4*2 - 6.5) = 13
    assert s.chi2 == pytest.approx(6.5) and s.f == pytest.approx(13.0)
    assert s.chi2 == pytest.approx(friedmanchisquare(*t.T).statistic)          # no ties: the same statistic
    # CD = 2.343 * sqrt(3*4 / (6*4)) = 1.657; 3 - 1.25 >= CD, 1.75 - 1.25 < CD, 3 - 1.75 < CD
    assert s.cd == pytest.approx(2.3437 * np.sqrt(0.5), abs=1e-3)
    assert s.groups == [[0, 1], [1, 2]]


@pytest.mark.parametrize("ranks, cd, groups", [
    ([1.0, 1.5, 3.0, 3.2], 1.0, [[0, 1], [2, 3]]),
    ([1.0, 1.8, 2.6], 1.0, [[0, 1], [1, 2]]),
    ([1.0, 2.0, 3.0], 0.5, []),
    ([2.0, 1.0, 1.2], 5.0, [[1, 2, 0]]),
])
def test_cliques(ranks, cd, groups):
    assert cliques(np.array(ranks), cd) == groups


def test_a_failed_detector_ranks_last_on_its_series():
    s = friedman_nemenyi(np.array([[0.5, np.nan, 0.1], [np.nan, np.nan, 0.2]]))
    assert s.ranks.tolist() == [[1, 3, 2], [2.5, 2.5, 1]]


# ---- slow: real processes, a local Ray cluster ----------------------------------------------------
def _env() -> dict:
    env = {**os.environ, "WANDB_MODE": "disabled", "JAX_PLATFORMS": "cpu"}
    env.pop("HYDRA_FULL_ERROR", None)
    return env


@pytest.mark.slow
def test_joblib_launcher_runs_the_shards_in_parallel_processes(folder, tmp_path):
    sweep = tmp_path / "sweep"
    r = subprocess.run([sys.executable, "-m", "anogen", "-m", *FAST, f"corpus.folder={folder}", "corpus.shards=3",
                        "corpus.shard=range(0,3)", "hydra/launcher=parallel", f"hydra.sweep.dir={sweep}"],
                       cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(list((sweep / "series").glob("*.json"))) == 3 and (sweep / "corpus.md").is_file()


@pytest.mark.slow
def test_ray_backend_on_a_local_cluster_gives_the_serial_results(folder, tmp_path, caplog):
    pytest.importorskip("ray")
    with caplog.at_level("INFO", logger="anogen"):
        ray_res = _run([f"corpus.folder={folder}", "corpus.backend=ray", "corpus.ray_cpus=2"], tmp_path / "ray")
    assert any("3 series sent to Ray (a local cluster)" in m for m in _messages(caplog))
    serial = _run([f"corpus.folder={folder}"], tmp_path / "serial")
    cols = ["detector", "mean_vus_pr", "mean_rank", "wins"]
    pd.testing.assert_frame_equal(ray_res.leaderboard[cols], serial.leaderboard[cols])
    assert sorted(p.stem for p in (tmp_path / "ray" / "series").glob("*.json")) == FILES
