"""A new user's own sensor CSV (issue 21): every experiment runs on ``data=csv`` given only the path and
the key; columns that are not used are reported, not silently dropped; the plain run makes anomalies
of each column's own scale and scores them with several detectors; loader mistakes are one line."""

from __future__ import annotations

import hashlib
import itertools
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anogen.data import CSVSource, load_table
from anogen.data.loaders import read_table
from anogen.types import AnogenError
from tests.conftest import CONF_DIR, compose

EXPERIMENTS = sorted(p.stem for p in (Path(CONF_DIR) / "experiment").glob("*.yaml"))
FAST = ["plots=false", "cache.enabled=false", "trainer.progress=false", "logger=[local]"]


def sensor_frame(n: int = 1500, seed: int = 0) -> pd.DataFrame:
    """A plant's sensor log: a timestamp column and 4 numeric columns of very different scales."""
    rng = np.random.default_rng(seed)
    day = np.arange(n) / 144.0  # 10-minute rows
    return pd.DataFrame({
        "timestamp": pd.date_range("2024-01-01", periods=n, freq="10min").strftime("%Y-%m-%d %H:%M:%S"),
        "temperature": 21 + 2 * np.sin(2 * np.pi * day) + rng.normal(0, 0.2, n),
        "humidity": 45 + 5 * np.cos(2 * np.pi * day) + rng.normal(0, 0.5, n),
        "pressure": 1020 + np.cumsum(rng.normal(0, 0.05, n)) + rng.normal(0, 0.3, n),
        "power_kw": 3 + 1.5 * (np.sin(2 * np.pi * day) > 0) + rng.normal(0, 0.1, n)})


@pytest.fixture
def plant(tmp_path) -> Path:
    p = tmp_path / "plant.csv"
    sensor_frame().to_csv(p, index=False)
    return p


def own(path: Path) -> list[str]:
    """The "use it on your data" overrides: only the path and the key."""
    return ["data=csv", f"data.path={path}", "data.key=timestamp"]


_FOUR, _ONE = ["Temperature", "Humidity", "Light", "CO2"], [["2015-02-09 00:00:00", "2015-02-10 09:19:00"]]
#: each experiment's embedded data (columns, dates): unchanged by moving them into data options
EMBEDDED = {"quickstart": (_FOUR, _ONE), "latent": (_FOUR, _ONE), "sweep_noise": (_FOUR, _ONE),
            "sweep_latent": (_FOUR, _ONE), "benchmark": (_FOUR, [["2015-02-06 00:00:00", "2015-02-07 12:00:00"], *_ONE]),
            "vae_tail": (_FOUR[:2], _ONE), "select": (_FOUR[:2], _ONE), "hpo": (_FOUR[:2], _ONE),
            "corpus": (_FOUR[:2], _ONE)}   # the corpus job reads its own labelled series, not data


def _sweep_jobs(cfg) -> list[list[str]]:
    """The overrides of every job of a basic-sweeper experiment (``hydra.sweeper.params``: ``a,b,c`` lists)."""
    params = (cfg.hydra.get("sweeper") or {}).get("params") or {}
    if any("(" in str(v) for v in params.values()):  # Optuna's choice()/interval(): the base config is a job
        return [[]]
    axes = [[f"{k}={v.strip()}" for v in str(values).split(",")] for k, values in params.items()]
    return [list(job) for job in itertools.product(*axes)] or [[]]


# ---- item 1: every experiment on the user's CSV ------------------------------------------------------
def _check_jobs(name: str, plant: Path, every_job: bool) -> int:
    """Compose the experiment's jobs on the user's CSV (a sweep's first job, or all); build and split the first."""
    from hydra import compose as hcompose
    from hydra import initialize_config_dir

    from anogen.jobs.spec import build_job

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        base = hcompose(config_name="config", overrides=[f"+experiment={name}", *own(plant)], return_hydra_config=True)
        jobs = _sweep_jobs(base) if every_job else _sweep_jobs(base)[:1]
        cfgs = [hcompose(config_name="config", overrides=[f"+experiment={name}", *own(plant), *o]) for o in jobs]
    for i, (job_overrides, cfg) in enumerate(zip(jobs, cfgs)):
        assert list(cfg.data.columns) == [] and list(cfg.data.dates) == [], (name, job_overrides)
        if i:
            continue
        folds = build_job(cfg).source.folds()
        assert [f.columns for f in folds] == [("temperature", "humidity", "pressure", "power_kw")]
        assert folds[0].test.shape[0] == 375 and folds[0].train.shape[0] == 1125
    return len(jobs)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_builds_and_splits_a_user_csv(name, plant):
    """The experiments set the embedded data's columns and dates in data options of their own
    (``occupancy_all``, ``occupancy_folds``), so ``data=csv`` replaces them whole."""
    _check_jobs(name, plant, every_job=False)
    # on the embedded data (no data= given) the experiment keeps its columns and test ranges
    d = compose([f"+experiment={name}"]).data
    assert (list(d.columns), [list(p) for p in d.dates], d._target_) == (*EMBEDDED[name], "anogen.data.Occupancy")


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in EXPERIMENTS if n.startswith("sweep")])
def test_every_sweep_job_composes_on_a_user_csv(name, plant):
    assert _check_jobs(name, plant, every_job=True) > 1


def _short(name: str) -> list[str]:
    """Overrides that keep a run short (fewer epochs, seeds, cells) without changing what it does."""
    return {"quickstart": ["detectors.lstm_ae.epochs=2"],
            "benchmark": ["benchmark.seeds=[0]"],
            "select": ["select.seeds=[0]", "select.bootstrap=20", "select.steps=2"],
            "vae_tail": ["trainer.epochs=3", "detectors.lstm_ae.epochs=2", "trainer.kl_warmup_epochs=1"],
            "latent": ["trainer.epochs=5", "trainer.kl_warmup_epochs=1"],
            "sweep_latent": ["trainer.epochs=3"],
            "corpus": ["corpus.series=[nab_adexchange_exchange_3_cpm_results]", "detectors=[zscore,knn]"]}.get(name, [])


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in EXPERIMENTS if n != "hpo"])
def test_every_experiment_runs_on_a_user_csv(name, plant, tmp_path):
    """A short run of each experiment (a sweep: its first job) on the user's CSV, only path and key given."""
    from anogen.jobs import run

    res = run(compose([f"+experiment={name}", *own(plant), *FAST, *_short(name)]), run_dir=tmp_path / "run")
    assert (tmp_path / "run").is_dir() and not res.errors, res.errors


# ---- item 2: which columns were used, which skipped -------------------------------------------------
def test_a_mostly_numeric_column_with_a_text_cell_is_refused_naming_row_and_value(tmp_path):
    df = sensor_frame(50)
    df["power_kw"] = df["power_kw"].astype(object)
    df.loc[17, "power_kw"] = "error"
    p = tmp_path / "plant.csv"
    df.to_csv(p, index=False)
    with pytest.raises(AnogenError, match=r"^data.columns: column 'power_kw' is numeric but 1 of its cells are not: "
                                          r"the first at data row 18 holds 'error'"):
        load_table(p, key="timestamp")
    with pytest.raises(AnogenError, match=r"data row 18 holds 'error'"):  # asked for by name: the same message
        load_table(p, key="timestamp", columns=["power_kw"])


def test_used_and_skipped_columns_are_reported_in_the_log_and_metrics_json(tmp_path, caplog):
    from anogen.jobs import run

    df = sensor_frame(300)
    df["status"] = ["ok", "warn", "ok"] * 100
    df["door_open"] = [True, False] * 150
    p = tmp_path / "plant.csv"
    df.to_csv(p, index=False)
    with caplog.at_level(logging.INFO, logger="anogen"):
        res = run(compose(["data=csv", f"data.path={p}", *FAST]), run_dir=None)  # data.key left out
    entry = res.results["data"]
    assert entry["columns"] == ["temperature", "humidity", "pressure", "power_kw"] and entry["key"] is None
    assert set(entry["skipped"]) == {"timestamp", "status", "door_open"}
    assert "data.key=timestamp" in entry["skipped"]["timestamp"]
    assert entry["skipped"]["status"].startswith("text") and entry["skipped"]["door_open"].startswith("boolean")
    log = caplog.text
    assert "column 'timestamp' skipped: dates (data.key is unset, so rows are numbered): set data.key=timestamp" in log
    assert "4 columns used: ['temperature', 'humidity', 'pressure', 'power_kw']" in log


def test_date_format_parses_a_day_first_key_and_a_bad_stamp_names_row_and_value(tmp_path):
    df = sensor_frame(40)
    # 10/01/2024 reads as October 1st (month first, pandas' guess from the first row) until 13/01/2024
    df["timestamp"] = pd.date_range("2024-01-10", periods=40, freq="6h").strftime("%d/%m/%Y %H:%M")
    p = tmp_path / "plant.csv"
    df.to_csv(p, index=False)
    fr = CSVSource(path=str(p), key="timestamp", date_format="%d/%m/%Y %H:%M").load()
    assert fr.index[0] == np.datetime64("2024-01-10T00:00")
    with pytest.raises(AnogenError, match=r"^data.key: column 'timestamp' cannot be parsed as dates: data row 13 "
                                          r"holds '13/01/2024 00:00'; give its format, e.g. data.date_format="):
        CSVSource(path=str(p), key="timestamp").load()
    df.loc[5, "timestamp"] = "2024-01-13 00:50"
    df.to_csv(p, index=False)
    with pytest.raises(AnogenError, match=r"^data.key: column 'timestamp' does not match data.date_format="
                                          r"'%d/%m/%Y %H:%M': data row 6 holds '2024-01-13 00:50'$"):
        CSVSource(path=str(p), key="timestamp", date_format="%d/%m/%Y %H:%M").load()


# ---- item 3: the plain run --------------------------------------------------------------------------
def test_the_plain_run_makes_anomalies_of_each_columns_scale_and_scores_several_detectors(plant):
    from anogen.jobs import run

    cfg = compose(own(plant))
    assert cfg.sampler.kind == "gaussian" and len(cfg.detectors) >= 4
    res = run(compose([*own(plant), *FAST]), run_dir=None)
    fold, inj = res.folds[0].fold, res.injected[0]
    dev = np.abs(inj.values - fold.test)[inj.labels]
    train_std = fold.train.std(axis=0)
    pressure = fold.columns.index("pressure")
    # relative noise of 10% moved a pressure of ~1020 hPa by ~100 hPa (> 100 train std); now a few std
    assert dev[:, pressure].max() < 15 * train_std[pressure] and dev[:, pressure].max() < 10.0
    assert np.median(dev / train_std) > 0.5
    detectors = {k.split("/")[0] for k in res.metrics}
    assert {"zscore", "iforest", "pca"} <= detectors


# ---- issue 23: loaders ------------------------------------------------------------------------------
def test_utc_offsets_that_change_at_a_dst_switch_are_converted_to_utc(tmp_path):
    local = pd.date_range("2021-03-28 00:00", periods=8, freq="30min", tz="Europe/Berlin")  # 02:00 -> 03:00
    df = pd.DataFrame({"ts": local.strftime("%Y-%m-%d %H:%M:%S%z").str.replace(r"(\d\d)(\d\d)$", r"\1:\2", regex=True),
                       "x": np.arange(8.0)})
    assert df["ts"].str[-6:].nunique() == 2
    p = tmp_path / "dst.csv"
    df.to_csv(p, index=False)
    fr, report = read_table(p, key="ts")
    assert fr.index[0] == np.datetime64("2021-03-27T23:00") and np.all(np.diff(fr.index) == np.timedelta64(30, "m"))
    assert any("converted to UTC" in n for n in report.notes)


def test_empty_unnamed_columns_of_a_spreadsheet_export_are_dropped(tmp_path):
    rows = "\n".join(f"2021-01-01 00:{i:02d},{i},{2 * i},{3 * i},," for i in range(30))
    p = tmp_path / "excel.csv"
    p.write_text("date,a,b,c,,\n" + rows + "\n")
    fr, report = read_table(p, key="date")
    assert fr.columns == ("a", "b", "c")
    assert any("Unnamed: 4" in n and "dropped" in n for n in report.notes)


def test_a_file_too_short_to_split_names_what_to_change(tmp_path):
    p = tmp_path / "short.csv"
    sensor_frame(2).to_csv(p, index=False)
    with pytest.raises(AnogenError, match=r"^data.path: the data has 2 rows.*too short: at least 6 rows are needed"):
        CSVSource(path=str(p), key="timestamp").folds()
    p5 = tmp_path / "five.csv"
    sensor_frame(5).to_csv(p5, index=False)
    with pytest.raises(AnogenError, match=r"at least 6 rows are needed with data.test_fraction=0.25; give a longer "
                                          r"file or change data.test_fraction"):
        CSVSource(path=str(p5), key="timestamp").folds()


# ---- the command line: one line, exit 2, nothing left ----------------------------------------------
def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))}


def _bad_files(d: Path) -> dict[str, str]:
    text = sensor_frame(50)
    text["power_kw"] = text["power_kw"].astype(object)
    text.loc[17, "power_kw"] = "error"
    text.to_csv(d / "error_cell.csv", index=False)
    dayfirst = sensor_frame(50)
    dayfirst["timestamp"] = pd.date_range("2024-01-10", periods=50, freq="6h").strftime("%d/%m/%Y %H:%M")
    dayfirst.to_csv(d / "dayfirst.csv", index=False)
    sensor_frame(2).to_csv(d / "short.csv", index=False)
    return {}


@pytest.mark.parametrize("args, named", [
    (["data.path={d}/error_cell.csv", "data.key=timestamp"], ["data.columns", "'power_kw'", "row 18", "'error'"]),
    (["data.path={d}/dayfirst.csv", "data.key=timestamp"], ["data.key", "row 13", "13/01/2024 00:00", "data.date_format"]),
    (["data.path={d}/dayfirst.csv", "data.key=timestamp", "data.date_format=%Y-%m-%d"],
     ["data.key", "data.date_format='%Y-%m-%d'", "row 1", "10/01/2024 00:00"]),
    (["data.path={d}/short.csv", "data.key=timestamp"], ["data.path", "2 rows", "at least 6 rows"]),
], ids=["text-cell", "day-first-key", "date-format-mismatch", "two-rows"])
def test_cli_loader_mistakes_are_one_line_exit_2_and_leave_nothing(args, named, tmp_path, monkeypatch, capsys):
    from anogen.__main__ import cli

    d = tmp_path / "input"
    d.mkdir()
    _bad_files(d)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    code = cli([*FAST, "data=csv", *(a.replace("{d}", str(d)) for a in args), f"hydra.run.dir={tmp_path}/outputs/run"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    for n in named:
        assert n in err, (n, err)
    assert _snapshot(tmp_path) == before
