"""Outputs a user can trust: per-column plots shade only that column's events, CSV values
round-trip, W&B runs are grouped {experiment}-{date}_{time} with a job type, training curves are on
an epoch axis, and W&B prints nothing but anogen's one-line pointer."""

from __future__ import annotations

import logging
import sys
import types

import numpy as np
import pandas as pd
import pytest

from anogen.placement import apply_edits
from anogen.types import Edit, Fold


# ------------------------------------------------------------------ plots
def _two_column_injected():
    x = np.column_stack([np.sin(np.arange(200) / 5.0), np.cos(np.arange(200) / 7.0)])
    fold = Fold(0, ("a", "b"), x, x.copy(), np.arange(200), np.arange(200), np.array([[0, 200]]))
    ea = x[20:30].copy()
    ea[:, 0] += 3.0  # changes a only
    eb = x[100:110].copy()
    eb[:, 1] -= 3.0  # changes b only
    ab = x[150:155].copy()
    ab += 1.0  # both
    return apply_edits(fold, [Edit(20, ea, "replace", "level_shift", ("a",), "s"),
                              Edit(100, eb, "replace", "flatline", ("b",), "s"),
                              Edit(150, ab, "replace", "combine", ("a", "b"), "s")])


def test_per_column_plot_shades_only_the_events_that_changed_that_column(tmp_path, monkeypatch):
    from matplotlib.axes import Axes

    from anogen.outputs.plots import plot_series

    inj = _two_column_injected()
    spans: list[tuple] = []
    real = Axes.axvspan

    def spy(self, lo, hi, **kw):
        spans.append((lo, hi))
        return real(self, lo, hi, **kw)

    monkeypatch.setattr(Axes, "axvspan", spy)
    plot_series(inj, 0, tmp_path / "a.png")
    assert spans == [(20, 30), (150, 155)]  # not the event at 100, which changed only b
    spans.clear()
    plot_series(inj, 1, tmp_path / "b.png")
    assert spans == [(100, 110), (150, 155)]
    assert (tmp_path / "a.png").stat().st_size > 0


# ------------------------------------------------------------------ CSV
def test_csv_values_round_trip(tmp_path):
    from anogen.outputs.files import write_csv

    vals = np.array([24.8566666666667, 0.1 + 0.2, 1 / 3, 1e-300, 123456789.123456789, -0.0, 5e20, 2.5])
    df = pd.DataFrame({"date": pd.date_range("2015-02-04", periods=8, freq="min"), "x": vals,
                       "is_anomaly": [0, 1] * 4})
    write_csv(tmp_path / "a.csv", df)
    back = pd.read_csv(tmp_path / "a.csv")
    np.testing.assert_array_equal(back["x"].to_numpy(), vals)  # bit for bit
    text = (tmp_path / "a.csv").read_text()
    assert "24.8566666666667," in text  # the input's own digits, not 24.85666667
    write_csv(tmp_path / "b.csv", df)
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()


def test_clean_rows_of_the_embedded_data_read_back_equal(tmp_path):
    from anogen.data.loaders import EMBEDDED
    from anogen.outputs.files import write_csv

    src = pd.read_csv(EMBEDDED / "occupancy.csv")
    write_csv(tmp_path / "o.csv", src)
    back = pd.read_csv(tmp_path / "o.csv")
    num = src.select_dtypes("number").columns
    np.testing.assert_array_equal(back[num].to_numpy(), src[num].to_numpy())


# ------------------------------------------------------------------ W&B (a fake wandb module)
class FakeRun:
    def __init__(self, **kw):
        self.kw, self.defined, self.logged, self.summary = kw, [], [], {}
        self.group, self.offline, self.sync_dir, self.finished = kw.get("group"), True, "/tmp/wandb/offline-run-x", None

    def define_metric(self, name, **kw):
        self.defined.append((name, kw))

    def log(self, data, step=None):
        self.logged.append(dict(data))

    def finish(self, exit_code=0):
        self.finished = exit_code


@pytest.fixture
def fake_wandb(monkeypatch):
    mod = types.ModuleType("wandb")
    mod.runs = []

    def init(**kw):
        mod.runs.append(FakeRun(**kw))
        return mod.runs[-1]

    mod.init = init
    mod.Settings = lambda **kw: ("Settings", kw)
    monkeypatch.setitem(sys.modules, "wandb", mod)
    monkeypatch.setenv("WANDB_MODE", "offline")
    return mod


def test_wandb_group_job_type_and_silence(fake_wandb, monkeypatch):
    from anogen.outputs import loggers

    monkeypatch.setattr(loggers, "hydra_job", lambda: ("sweep_noise", "multirun/2024-05-01/12-30-00", True))
    lg = loggers.WandbLogger()
    lg.start("/tmp/x", {"seed": 0}, run_name="sampler.ratio=0.1", group="12-30-00")
    kw = fake_wandb.runs[0].kw
    assert kw["group"] == "sweep_noise-2024-05-01_12-30-00"  # not the bare time of day
    assert kw["job_type"] == "sweep" and kw["mode"] == "offline"
    assert kw["settings"] == ("Settings", {"silent": True})  # W&B prints nothing itself
    monkeypatch.setattr(loggers, "hydra_job", lambda: ("benchmark", "outputs/2024-05-02/08-00-00", False))
    loggers.WandbLogger().start(None, {"benchmark": {"seeds": [0]}})
    assert fake_wandb.runs[1].kw["group"] == "benchmark-2024-05-02_08-00-00"
    assert fake_wandb.runs[1].kw["job_type"] == "benchmark"
    assert loggers.WandbLogger(group="mine").start(None, {}) is None and fake_wandb.runs[2].kw["group"] == "mine"


def test_run_group_and_job_type():
    import datetime as dt

    from anogen.outputs.loggers import job_type, run_group

    assert run_group("quickstart", "outputs/2024-01-31/23-59-59") == "quickstart-2024-01-31_23-59-59"
    assert run_group(None, None, dt.datetime(2024, 2, 3, 4, 5, 6)) == "anogen-2024-02-03_04-05-06"
    assert run_group("x", "my_sweeps/trial", multirun=True) == "x-trial"  # the sweep's jobs share it
    assert run_group("x", "out", dt.datetime(2024, 2, 3, 4, 5, 6)) == "x-2024-02-03_04-05-06"
    assert (job_type({}, False), job_type({}, True), job_type({"benchmark": {"seeds": [0]}}, True)) == \
        ("run", "sweep", "benchmark")


def test_training_curves_are_plotted_against_their_epoch(fake_wandb, monkeypatch):
    from anogen.outputs import loggers

    monkeypatch.setattr(loggers, "hydra_job", lambda: (None, None, False))
    lg = loggers.WandbLogger()
    lg.start(None, {})
    for ep in (1, 2):  # what anogen.jobs.writers.write_histories logs, one row per epoch
        lg.log_metrics({"fold0/lstm_ae/train_loss": 1.0 / ep, "fold0/lstm_ae/epoch": ep, "fold0/lstm_ae/val_loss": 2.0})
    lg.log_metrics({"lstm_ae/roc_auc": 0.9}, prefix="fold0/")
    run = fake_wandb.runs[0]
    assert run.defined == [("fold0/lstm_ae/epoch", {"hidden": True}),
                           ("fold0/lstm_ae/train_loss", {"step_metric": "fold0/lstm_ae/epoch"}),
                           ("fold0/lstm_ae/val_loss", {"step_metric": "fold0/lstm_ae/epoch"})]  # once, not per epoch
    assert run.logged[-1] == {"fold0/lstm_ae/roc_auc": 0.9}


def test_console_gets_one_line_pointing_at_the_wandb_run(fake_wandb, monkeypatch, caplog):
    from anogen.outputs import loggers

    monkeypatch.setattr(loggers, "hydra_job", lambda: ("quickstart", "outputs/2024-05-01/12-30-00", False))
    lg = loggers.WandbLogger()
    lg.start(None, {})
    with caplog.at_level(logging.INFO, logger="anogen"):
        lg.finish("ok", {"mean/zscore/f1": 0.5})
    lines = [r.getMessage() for r in caplog.records if r.name == "anogen"]
    assert lines == ["W&B: group quickstart-2024-05-01_12-30-00, offline run in /tmp/wandb/offline-run-x "
                     "(upload: wandb sync /tmp/wandb/offline-run-x)"]
    run = fake_wandb.runs[0]
    assert run.summary == {"mean/zscore/f1": 0.5, "status": "ok"} and run.finished == 0


def test_an_empty_wandb_mode_means_the_configured_mode(fake_wandb, monkeypatch):
    """Regression: ``WANDB_MODE=`` (set but empty) reached W&B, whose settings refused it, so the run
    had no W&B record."""
    import os

    from anogen.outputs import loggers

    def strict_init(**kw):  # W&B reads WANDB_MODE itself and rejects an empty value
        if os.environ.get("WANDB_MODE", None) == "":
            raise ValueError("mode: Input should be 'online', 'offline', ... input_value=''")
        fake_wandb.runs.append(FakeRun(**kw))
        return fake_wandb.runs[-1]

    monkeypatch.setattr(fake_wandb, "init", strict_init)
    monkeypatch.setenv("WANDB_MODE", "")
    lg = loggers.WandbLogger()
    lg.start(None, {})
    assert lg.run is not None and fake_wandb.runs[0].kw["mode"] == "offline"
