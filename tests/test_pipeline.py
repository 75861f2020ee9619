"""End to end: the real configs, shrunk by overrides."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from anogen.types import AnogenError
from tests.conftest import TINY, compose

ROOT = Path(__file__).resolve().parents[1]


def _run(overrides, tmp_path):
    from anogen.jobs import run

    cfg = compose(TINY + overrides)
    return run(cfg, run_dir=tmp_path)


def test_default_run_writes_everything(tmp_path):
    res = _run(["detectors=[zscore]", "plots=true"], tmp_path)
    assert (tmp_path / "fold0" / "anomalous.csv").is_file()
    ano = json.loads((tmp_path / "fold0" / "anomalies.json").read_text())
    import pandas as pd

    df = pd.read_csv(tmp_path / "fold0" / "anomalous.csv")
    assert list(df.columns) == ["date", "Temperature", "Humidity", "is_anomaly", "anomaly_kind"]
    assert np.flatnonzero(df["is_anomaly"].to_numpy()).tolist() == ano["anoindex"]
    assert len(ano["anoindex"]) == int(125 * 0.02)
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert "zscore/f1" in m["mean"] and "zscore/roc_auc" in m["mean"]
    assert m["folds"]["0"]["zscore/f1"] == pytest.approx(res.metrics["zscore/f1"])
    assert (tmp_path / "plots" / "fold0_Temperature.png").stat().st_size > 1000
    assert (tmp_path / "config.yaml").is_file()


def test_same_seed_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ov = ["detectors=[zscore]", "sampler.wave=true", "sampler.wave_length=4", "sampler.ratio=0.1",
          "sampler.direction=both", "sampler.kind=gaussian"]
    _run(ov, a)
    _run(ov, b)
    for f in ["fold0/anomalous.csv", "fold0/anomalies.json"]:
        assert (a / f).read_bytes() == (b / f).read_bytes()
    _run(ov + ["seed=1"], tmp_path / "c")
    assert (a / "fold0/anomalies.json").read_bytes() != (tmp_path / "c/fold0/anomalies.json").read_bytes()


def test_quickstart_end_to_end(tmp_path):
    res = _run(["+experiment=quickstart", "logger=[local]", "detectors.lstm_ae.epochs=2"], tmp_path)
    assert set(k.split("/")[0] for k in res.metrics) == {"lstm_ae", "zscore"}
    assert 0.0 <= res.metrics["lstm_ae/roc_auc"] <= 1.0
    assert "lstm_ae/tdir" in res.metrics
    assert (tmp_path / "fold0" / "lstm_ae.ckpt").exists()
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    losses = [r for r in log if r["event"] == "metrics" and "fold0/lstm_ae/train_loss" in r["metrics"]]
    assert len(losses) == 2  # one row per epoch (the loggers, W&B included, get the training curve)
    assert log[-1]["event"] == "finish" and log[-1]["status"] == "ok"


def test_multiple_folds(tmp_path):
    res = _run(["detectors=[zscore]",
                'data.dates=[["2015-02-05 00:00:00","2015-02-06 00:00:00"],["2015-02-08 00:00:00","2015-02-09 00:00:00"]]'],
               tmp_path)
    assert len(res.injected) == 2
    assert (tmp_path / "fold1" / "anomalies.json").is_file()


@pytest.mark.parametrize("override, match", [
    ("sampler.ratio=0.9", r"^sampler\.ratio: must be > 0 and <= 0\.5, got 0\.9$"),
    ("data.columns=[Nope]", "unknown column 'Nope'"),
    ('data.dates=[["2030-01-01","2030-02-01"]]', "outside the data"),
    ("sampler.wave=true", None),  # valid: sanity of the harness
    ("+sampler.magnitud=0.3", "unknown parameter 'magnitud'"),
])
def test_bad_config_values(tmp_path, override, match):
    if match is None:
        _run(["detectors=[zscore]", override], tmp_path)
        return
    with pytest.raises(AnogenError, match=match):
        _run(["detectors=[zscore]", override], tmp_path)
    assert not (tmp_path / "metrics.json").exists() and not (tmp_path / "fold0").exists()


def _cli(args, cwd):
    env = {"WANDB_MODE": "disabled", "PATH": "/usr/bin:/bin", "JAX_PLATFORMS": "cpu", "HOME": str(cwd)}
    return subprocess.run([sys.executable, "-m", "anogen", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


@pytest.mark.slow  # a real process; the same errors are checked in process by test_bad_inputs.py (fast)
def test_cli_user_error_is_one_line(tmp_path):
    r = _cli(["data=csv", f"data.path={tmp_path}/missing.csv", "hydra.run.dir=" + str(tmp_path / "run")], tmp_path)
    assert r.returncode == 2
    assert "data.path: file not found" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "run" / "metrics.json").exists()


@pytest.mark.slow  # a real process; the same errors are checked in process by test_bad_inputs.py (fast)
def test_cli_missing_mandatory_value(tmp_path):
    # bug: data=csv without data.path ended in an omegaconf traceback
    r = _cli(["data=csv", "hydra.run.dir=" + str(tmp_path / "run")], tmp_path)
    assert r.returncode == 2 and "missing required value(s) ['data.path']" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow  # a real process; the same errors are checked in process by test_bad_inputs.py (fast)
def test_cli_unknown_key(tmp_path):
    r = _cli(["nosuchkey=1"], tmp_path)
    assert r.returncode != 0 and "nosuchkey" in r.stderr


@pytest.mark.slow  # a child process (5 s); test_quickstart_end_to_end runs the job in process
def test_cli_runs(tmp_path):
    r = _cli(["detectors=[zscore]", "plots=false", "hydra.run.dir=" + str(tmp_path / "run")], tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["mean"]


def test_failure_in_a_later_fold_leaves_no_partial_results(tmp_path):
    # bug: fold 0's files (and the config) were written before fold 1 failed
    two = ('data.dates=[["2015-02-05 00:00:00","2015-02-06 00:00:00"],'
           '["2015-02-08 00:00:00","2015-02-08 02:00:00"]]')
    with pytest.raises(AnogenError, match="longer than the test fold"):
        _run(["detectors=[zscore]", two, "sampler.wave=true", "sampler.wave_length=20", "sampler.ratio=0.2"], tmp_path)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert "fold0" not in left and "metrics.json" not in left and "config.yaml" not in left, left


@pytest.mark.slow  # a child process or a whole training: CI runs it (make test-all)
def test_generator_checkpoint_lands_in_fold_dir(tmp_path):
    _run(["model=vae", "sampler=vae_tail", "model.hidden=[8,4]", "model.dense=4", "model.latent_dim=2",
          "detectors=[zscore]"], tmp_path)
    assert (tmp_path / "fold0" / "model.ckpt").exists() and not (tmp_path / ".staging").exists()
    from anogen.train import load_checkpoint

    model, meta = load_checkpoint(tmp_path / "fold0" / "model.ckpt")
    assert model.latent_dim == 2


@pytest.mark.parametrize("override, match", [
    ("trainer.epochs=0", r"^trainer\.epochs: must be > 0, got 0$"),
    ("detectors=[zscore,iforest] detectors.iforest.estimator.n_estimators=0",
     r"^detectors\.iforest\.estimator\.n_estimators: must be an int in the range \[1, inf\), got 0$"),
    ("++detectors.zscore.window=-3", r"^detectors\.zscore\.window: must be >= 2, got -3$"),
    ("seed=abc", r"^seed: must be a valid integer"),
    ("placement.min_gap=-1", r"^placement\.min_gap: must be >= 0, got -1$"),
])
def test_config_errors_name_the_key_before_any_data_is_loaded(tmp_path, monkeypatch, override, match):
    """Every component (trainer and detectors included) is validated before data are loaded."""
    from anogen.data import sources

    def no_load(*a, **k):  # pragma: no cover - reaching it is the failure
        raise AssertionError("data were loaded before the config was validated")

    monkeypatch.setattr(sources.Occupancy, "load", no_load)
    with pytest.raises(AnogenError, match=match):
        _run(["detectors=[zscore]", *override.split()], tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_failing_detector_is_recorded_and_the_others_still_write_results(tmp_path):
    res = _run(["detectors=[zscore]", "+detectors.bad._target_=tests.plugins.FailingDetector"], tmp_path)
    assert "zscore/roc_auc" in res.metrics and not any(k.startswith("bad/") for k in res.metrics)
    assert "cannot fit this data" in res.errors["fold0/bad"]
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert "cannot fit this data" in saved["errors"]["fold0/bad"]
    import pandas as pd

    assert list(pd.read_csv(tmp_path / "fold0" / "scores.csv").columns) == ["is_anomaly", "zscore"]


def test_every_detector_failing_is_an_error_listing_them(tmp_path):
    with pytest.raises(AnogenError, match=r"every detector failed: bad: AnogenError: .*cannot fit this data"):
        _run(["detectors=[]", "+detectors.bad._target_=tests.plugins.FailingDetector"], tmp_path)
    assert not (tmp_path / "metrics.json").exists() and not (tmp_path / "fold0").exists()


def test_in_process_cli_leaves_an_earlier_stderr_open(tmp_path, monkeypatch):
    """Regression: Hydra's dictConfig closed absl's handler stream (an earlier sys.stderr, e.g. a
    test harness's capture), so a later in-process run lost stderr ("I/O operation on closed file")."""
    import io

    absl_logging = pytest.importorskip("absl.logging")
    from anogen.__main__ import cli

    earlier = io.StringIO()
    handler = absl_logging.get_absl_handler().python_handler
    monkeypatch.setattr(handler, "stream", earlier)
    monkeypatch.chdir(tmp_path)
    assert cli(["-m", "sampler=nope,noise"]) == 2
    assert not earlier.closed


def test_gutentag_train_files_are_written_when_asked(tmp_path):
    import pandas as pd

    _run(["data=synthetic", "data.supervised=true", "data.semi_supervised=true", "detectors=[zscore]"], tmp_path)
    clean = pd.read_csv(tmp_path / "fold0" / "train_no_anomaly.csv")
    dirty = pd.read_csv(tmp_path / "fold0" / "train_anomaly.csv")
    assert clean["is_anomaly"].sum() == 0 and dirty["is_anomaly"].sum() > 0 and len(clean) == len(dirty)
    feats = [c for c in clean.columns if c not in ("is_anomaly", "anomaly_kind", "date")]
    changed = (clean[feats].to_numpy() != dirty[feats].to_numpy()).any(axis=1)
    assert np.array_equal(changed, dirty["is_anomaly"].to_numpy().astype(bool))
