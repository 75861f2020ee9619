"""Multirun sweeps: launchers, failure isolation, the report, the model cache."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from anogen.report import report

SMALL = ["detectors=[zscore]", "plots=false", "logger=[local]", "trainer.progress=false"]


def _multirun(args, tmp_path, timeout=600):
    env = {**os.environ, "WANDB_MODE": "disabled", "JAX_PLATFORMS": "cpu", "ANOGEN_CACHE_DIR": str(tmp_path / "cache")}
    sweep = tmp_path / "sweep"
    r = subprocess.run([sys.executable, "-m", "anogen", "-m", *SMALL, *args, f"hydra.sweep.dir={sweep}"],
                       cwd=tmp_path, capture_output=True, text=True, env=env, timeout=timeout)
    assert r.returncode == 0, r.stderr[-3000:]
    return sweep


def _jobs(sweep):
    return [json.loads(p.read_text()) for p in sorted(sweep.rglob("metrics.json"))]


def _by(jobs, prefix):
    return {next(o for o in j["overrides"] if o.startswith(prefix)): j for j in jobs}


@pytest.mark.parametrize("launcher", ["basic", pytest.param("parallel", marks=pytest.mark.slow),
                                      pytest.param("local_processes", marks=pytest.mark.slow)])
def test_2x2_multirun_and_report(tmp_path, launcher):
    if launcher == "parallel":
        pytest.importorskip("hydra_plugins.hydra_joblib_launcher")
    if launcher == "local_processes":
        pytest.importorskip("hydra_plugins.hydra_submitit_launcher")
    extra = [] if launcher == "basic" else [f"hydra/launcher={launcher}"]
    sweep = _multirun(["sampler.magnitude=0.5,2", "sampler.ratio=0.02,0.05", *extra], tmp_path)
    jobs = _jobs(sweep)
    assert len(jobs) == 4 and all(j["status"] == "ok" for j in jobs)
    df = report([sweep], out=tmp_path / "rep")
    assert len(df) == 4
    assert set(df["sampler.magnitude"]) == {0.5, 2} and set(df["sampler.ratio"]) == {0.02, 0.05}
    md = (tmp_path / "rep" / "report.md").read_text()
    assert md.startswith("# Sweep report") and "| sampler.magnitude | sampler.ratio | jobs | anomalous rows | " \
        "zscore |" in md
    assert md.count("/sweep/") == 4                          # every job listed once, under ## Jobs
    assert (tmp_path / "rep" / "plots" / "f1_vs_sampler.magnitude.png").is_file()


@pytest.mark.slow  # a whole multirun (7 s); the fast suite keeps the 2x2 sweep
def test_failed_job_is_recorded_and_siblings_run(tmp_path):
    sweep = _multirun(["sampler.ratio=0.05,0.9"], tmp_path)
    jobs = _by(_jobs(sweep), "sampler.ratio=")
    assert jobs["sampler.ratio=0.05"]["status"] == "ok"
    bad = jobs["sampler.ratio=0.9"]
    assert bad["status"] == "failed" and "sampler.ratio: must be > 0 and <= 0.5, got 0.9" in bad["error"]
    df = report([sweep], out=tmp_path / "rep", plots=False)
    assert sorted(df["status"]) == ["failed", "ok"]
    assert df.loc[df["status"] == "failed", "error"].str.contains("ratio").all()


@pytest.mark.slow  # a real process; the report itself is checked in process (fast)
def test_report_cli(tmp_path):
    sweep = _multirun(["sampler.magnitude=0.5,1"], tmp_path)
    r = subprocess.run([sys.executable, "-m", "anogen.report", str(sweep), "--no-plots"], capture_output=True, text=True)
    assert r.returncode == 0 and "2 jobs (2 ok)" in r.stdout
    assert len(pd.read_csv(sweep / "report.csv")) == 2
    r = subprocess.run([sys.executable, "-m", "anogen.report", str(tmp_path / "nothing")], capture_output=True, text=True)
    assert r.returncode == 2 and "not found" in r.stderr


TINY_VAE = ["model=vae", "sampler=vae_tail", "trainer.epochs=2", "model.hidden=[8,4]", "model.dense=4",
            "model.latent_dim=2"]


@pytest.mark.slow
def test_model_cache_trains_once_for_a_margin_sweep(tmp_path):
    sweep = _multirun([*TINY_VAE, "sampler.margin=1,2,3", "cache.enabled=true"], tmp_path)
    jobs = _jobs(sweep)
    assert len(jobs) == 3 and all(j["status"] == "ok" for j in jobs)
    cached = sorted(j["model_cached"][0] for j in jobs)
    assert cached == [False, True, True]                       # trained once, reused twice
    assert all(np.isfinite(j["objective"]) for j in jobs)
    # a corrupt cache entry is retrained, not trusted
    entry = next((tmp_path / "cache").iterdir())
    (entry / "model.ckpt").write_bytes(b"garbage")
    sweep2 = tmp_path / "sweep"
    import shutil

    shutil.rmtree(sweep2)
    jobs = _jobs(_multirun([*TINY_VAE, "sampler.margin=1", "cache.enabled=true"], tmp_path))
    assert jobs[0]["status"] == "ok" and jobs[0]["model_cached"] == [False]


@pytest.mark.slow
def test_hpo_with_optuna(tmp_path):
    pytest.importorskip("hydra_plugins.hydra_optuna_sweeper")
    sweep = _multirun(["+experiment=hpo", "hydra.sweeper.n_trials=2", "trainer.epochs=1", "logger=[local]"], tmp_path)
    jobs = _jobs(sweep)
    assert len(jobs) == 2 and all(np.isfinite(j["objective"]) for j in jobs)
    assert (sweep / "optimization_results.yaml").is_file()


# ---- the report on jobs it cannot use, and where it writes ------------------------------------------
def _job(folder, metrics):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(metrics if isinstance(metrics, str) else json.dumps(metrics))


GOOD = {"mean": {"zscore/f1": 0.5, "zscore/roc_auc": 0.9}, "status": "ok", "overrides": ["sampler.ratio=0.05"]}


@pytest.mark.parametrize("metrics, reason", [
    ([1, 2], "not a JSON object (list)"),
    ({**GOOD, "status": 5}, "status must be one of ['ok', 'failed', 'interrupted']"),
    ({**GOOD, "mean": [0.5]}, "mean must be an object of numbers"),
    ({**GOOD, "mean": {"zscore/f1": "high"}}, "mean must be an object of numbers"),
    ({**GOOD, "overrides": "sampler.ratio=0.1"}, "overrides must be a list of strings"),
    ({**GOOD, "errors": ["x"]}, "errors must be an object"),
    ({**GOOD, "error": 5}, "error must be a string"),
    ({**GOOD, "objective": "low"}, "objective must be a number"),
    ("{not json", "Expecting property name"),
])
def test_report_lists_malformed_jobs_with_a_reason(tmp_path, metrics, reason):
    """Bug: a metrics.json of another shape crashed the report with a traceback."""
    _job(tmp_path / "sweep" / "0", GOOD)
    _job(tmp_path / "sweep" / "1", metrics)
    df = report([tmp_path / "sweep"], out=tmp_path / "rep", plots=False)
    bad = df[df["job"].str.endswith("1")].iloc[0]
    assert bad["status"] in ("malformed", "unreadable") and reason in bad["error"], bad["error"]
    good = df[df["job"].str.endswith("0")].iloc[0]
    assert good["status"] == "ok" and good["zscore/f1"] == 0.5 and good["sampler.ratio"] == 0.05
    assert len(pd.read_csv(tmp_path / "rep" / "report.csv")) == 2


def test_report_cli_counts_malformed_jobs_and_keeps_interrupted_ones(tmp_path, capsys):
    from anogen.report import main

    _job(tmp_path / "s" / "0", GOOD)
    _job(tmp_path / "s" / "1", {"mean": {}, "status": "interrupted", "error": "Interrupted: interrupted by SIGTERM"})
    _job(tmp_path / "s" / "2", [])
    assert main([str(tmp_path / "s"), "--no-plots"]) == 0
    assert "3 jobs (1 ok, 1 interrupted, 1 malformed)" in capsys.readouterr().out
    df = pd.read_csv(tmp_path / "s" / "report.csv")
    assert sorted(df["status"]) == ["interrupted", "malformed", "ok"]


@pytest.mark.parametrize("out, match", [("afile", "is a file"), ("afile/sub", "cannot be created")])
def test_report_out_must_be_a_writable_folder(tmp_path, capsys, out, match):
    """Bug: -o naming an existing file ended in a traceback."""
    from anogen.report import main

    _job(tmp_path / "s" / "0", GOOD)
    (tmp_path / "afile").write_text("x")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main([str(tmp_path / "s"), "-o", str(tmp_path / out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("anogen.report: error: -o: ") and match in err, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_report_files_appear_together(tmp_path, monkeypatch):
    """A failure while the report is drawn leaves no report.csv/report.md beside the jobs."""
    import anogen.report as rep

    _job(tmp_path / "s" / "0", {**GOOD, "overrides": ["sampler.ratio=0.05"]})
    _job(tmp_path / "s" / "1", {**GOOD, "overrides": ["sampler.ratio=0.1"]})

    def broken(*a, **k):
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(rep, "_plots", broken)
    with pytest.raises(RuntimeError):
        report([tmp_path / "s"])
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == ["0", "1"]


# ---- issue 21: a readable report, seeds, thin figures ----------------------------------------------
def _seeded_sweep(root):
    """3 ratios x 3 seeds; at ratio 0.02 a fold holds 2 anomalous rows and iforest scores below random."""
    rng = np.random.default_rng(0)
    for i, (ratio, seed) in enumerate((r, s) for r in (0.02, 0.05, 0.1) for s in (0, 1, 2)):
        low = ratio == 0.02
        mean = {"iforest/roc_auc": (0.30 if low else 0.80) + 0.01 * seed, "zscore/roc_auc": 0.70 + 0.02 * seed,
                "iforest/f1": 0.1, "zscore/f1": 0.2 + 0.01 * seed,
                **{f"iforest/m{j}": float(rng.random()) for j in range(60)}}
        _job(root / str(i), {"mean": mean, "status": "ok", "n_anomalous_rows": [2 if low else int(125 * ratio)],
                             "overrides": [f"sampler.ratio={ratio}", f"seed={seed}", "+experiment=sweep_noise"]})


def test_report_starts_with_a_readable_summary_over_seeds_and_warns_about_thin_figures(tmp_path):
    """Bug: report.md was one 130-column table, a row per job, with nothing about seeds or about
    figures resting on 2 anomalous rows."""
    _seeded_sweep(tmp_path / "s")
    df = report([tmp_path / "s"], out=tmp_path / "rep", plots=False)
    md = (tmp_path / "rep" / "report.md").read_text()
    lines = md.splitlines()
    assert lines[0] == "# Sweep report"
    assert "Swept: sampler.ratio (0.02, 0.05, 0.1)" in md and "Seeds: 0, 1, 2" in md
    i = lines.index("## roc_auc")
    head, rows = lines[i + 2], lines[i + 4:i + 7]
    assert head == "| sampler.ratio | seeds | anomalous rows | zscore | iforest |"
    assert rows[0] == "| 0.02 | 3 | 2 ⚠ few | 0.720 [0.700, 0.740] | 0.310 [0.300, 0.320] ⚠ |"
    assert rows[2] == "| 0.1 | 3 | 12 | 0.720 [0.700, 0.740] | 0.810 [0.800, 0.820] |"
    note = lines[i + 8]
    assert note.startswith("⚠ few: 2 of 3 rows rest on fewer than 10 anomalous rows") and "iforest below 0.5" in note
    assert max(len(ln.split("|")) for ln in lines[: lines.index("## Jobs")]) <= 8   # no 130-column table first
    # every job's figures are kept
    full = pd.read_csv(tmp_path / "rep" / "report.csv")
    assert len(full) == 9 and "iforest/m59" in full.columns and set(full["n_anomalous_rows"]) == {2, 6, 12}
    assert "iforest/m59" not in md and md.count(str(tmp_path / "s")) == 9
    assert len(df) == 9


def test_report_plots_do_not_sweep_the_seed(tmp_path):
    _seeded_sweep(tmp_path / "s")
    report([tmp_path / "s"], out=tmp_path / "rep")
    names = sorted(p.name for p in (tmp_path / "rep" / "plots").iterdir())
    assert "roc_auc_vs_sampler.ratio.png" in names and not any("seed" in n for n in names), names


@pytest.mark.parametrize("name", ["sweep_noise", "sweep_latent"])
def test_sweep_experiments_sweep_three_seeds(name):
    import yaml

    from anogen.paths import CONF_DIR

    conf = yaml.safe_load((CONF_DIR / "experiment" / f"{name}.yaml").read_text())
    assert str(conf["hydra"]["sweeper"]["params"]["seed"]).split(",") == ["0", "1", "2"]


@pytest.mark.slow
def test_sweep_noise_with_seeds_reports_mean_interval_and_thin_ratio(tmp_path):
    sweep = _multirun(["+experiment=sweep_noise", "logger=[local]", "detectors=[zscore,iforest]",
                       "sampler.magnitude=4", "sampler.ratio=0.02,0.1", "seed=0,1"], tmp_path)
    jobs = _jobs(sweep)
    assert len(jobs) == 4 and all(j["status"] == "ok" for j in jobs)
    report([sweep], out=tmp_path / "rep", plots=False)
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "Seeds: 0, 1" in md and "| sampler.ratio | seeds | anomalous rows |" in md
    thin = next(ln for ln in md.splitlines() if ln.startswith("| 0.02 | 2 | "))
    assert "⚠ few" in thin and " [" in thin
