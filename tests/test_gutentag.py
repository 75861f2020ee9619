"""GutenTAG in anogen: base oscillations (data=synthetic), GutenTAG's train files, and the YAML
importer (a fixture copied from GutenTAG's documentation runs through it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anogen.data.gutentag import Oscillations
from anogen.data.synthetic import OSCILLATIONS, oscillation, oscillation_frame
from anogen.gutentag import generate, main, read_gutentag, train_frames, write
from anogen.samplers.kinds.signal import dominant_period
from anogen.types import AnogenError

FIXTURE = Path(__file__).parent / "fixtures" / "gutentag" / "docs-examples.yaml"


# ------------------------------------------------------------------ base oscillations
def _clean(kind, n=2000, **kw):
    return oscillation({"kind": kind, **kw}, n, np.random.default_rng(0))


@pytest.mark.parametrize("kind", sorted(OSCILLATIONS))
def test_every_oscillation_is_deterministic_and_finite(kind):
    a, b = _clean(kind), _clean(kind)
    assert a.shape == (2000,) and np.isfinite(a).all() and np.array_equal(a, b) and a.std() > 0


def test_oscillations_have_the_shape_they_name():
    assert dominant_period(_clean("sine", frequency=4)) == 25  # 4 periods per 100 rows
    assert dominant_period(_clean("cosine", frequency=2)) == 50
    assert set(np.round(_clean("square", amplitude=2, frequency=5)[1:], 9)) == {-2.0, 2.0}
    assert np.mean(_clean("square", frequency=1, duty=0.25) > 0) == pytest.approx(0.25, abs=0.01)
    saw = _clean("sawtooth", frequency=2)
    assert (np.diff(saw) > 0).mean() > 0.95  # width 1: rising ramps
    ecg = _clean("ecg", frequency=2, variability=0.0)
    assert abs(dominant_period(ecg) - 50) <= 1 and ecg.max() == pytest.approx(1.0, abs=0.05)  # R peaks
    rw = _clean("random_walk", amplitude=3)
    assert rw.min() == pytest.approx(-3) and rw.max() == pytest.approx(3)
    np.testing.assert_allclose(_clean("polynomial", polynomial=[1, 0, 2], n=5), [1, 3, 9, 19, 33])
    rmj = oscillation({"kind": "random_mode_jump", "frequency": 8, "channel_offset": 2}, 800, np.random.default_rng(1))
    assert set(np.abs(rmj)) == {2.0} and (np.diff(rmj) != 0).sum() <= 7  # 8 stretches of 100 rows
    cbf = _clean("cylinder_bell_funnel", avg_pattern_length=40)
    assert (cbf == 0).mean() > 0.2 and (cbf != 0).mean() > 0.3  # patterns on a zero line


def test_noise_offset_and_trend_are_added():
    rng = np.random.default_rng
    base = oscillation({"kind": "sine"}, 5000, rng(0))
    noisy = oscillation({"kind": "sine", "amplitude": 2.0, "variance": 0.1, "offset": 5.0}, 5000, rng(0))
    assert (noisy - 2 * base - 5.0).std() == pytest.approx(0.2, rel=0.05)  # variance * amplitude
    trended = oscillation({"kind": "sine", "trend": {"kind": "polynomial", "polynomial": [0, 0.01]}}, 5000, rng(0))
    np.testing.assert_allclose(trended - base, 0.01 * np.arange(5000), atol=1e-12)


def test_channels_share_the_kind_and_differ_in_their_noise():
    df = oscillation_frame(n=300, d=3, seed=4, oscillation_spec={"kind": "sine", "variance": 0.1})
    assert list(df.columns) == ["date", "x0", "x1", "x2"]
    x = df[["x0", "x1", "x2"]].to_numpy()
    assert not np.array_equal(x[:, 0], x[:, 1]) and np.corrcoef(x.T)[0, 1] > 0.9
    two = oscillation_frame(n=300, oscillation_spec=[{"kind": "ecg"}, {"kind": "random_walk"}])
    assert list(two.columns) == ["date", "x0", "x1"]


@pytest.mark.parametrize("kw,match", [
    ({"oscillation": {"kind": "wave"}}, r"^data\.oscillation\.kind: unknown oscillation 'wave'; valid: \["),
    ({"oscillation": {"kind": "sine", "freq": 2}}, r"^data\.oscillation: unknown parameter 'freq' of sine"),
    ({"oscillations": [{"kind": "ecg"}, {"kind": "ecg", "amplitude": 0}]},
     r"^data\.oscillations\.1\.amplitude: must be > 0, got 0$"),
    ({"oscillation": {"kind": "sine", "variance": -1}}, r"^data\.oscillation\.variance: must be >= 0"),
    ({"oscillation": {"kind": "sine", "trend": {"kind": "polynomial", "polynomial": []}}},
     r"^data\.oscillation\.trend\.polynomial: "),
])
def test_bad_oscillations_are_one_line_naming_the_key(kw, match):
    from anogen.config import build

    with pytest.raises(AnogenError, match=match):
        build({"_target_": "anogen.data.gutentag.Oscillations", **kw}, "data")


def test_data_synthetic_builds_from_the_packaged_config():
    from anogen.config import build
    from conftest import compose

    src = build(compose(["data=synthetic", "data.oscillation.kind=random_walk", "data.d=2", "data.n=400"]).data, "data")
    (fold,) = src.folds()
    assert fold.columns == ("x0", "x1") and fold.test.shape == (100, 2) and src.train_files == []


# ------------------------------------------------------------------ train files
def test_train_files_semi_supervised_clean_and_supervised_with_anomalies():
    from anogen.samplers.inject import Inject

    (fold,) = Oscillations(n=600, d=2, supervised=True, semi_supervised=True).folds()
    files = train_frames(fold, Inject(count=4, kinds=["level_shift"]), seed=1, supervised=True, semi_supervised=True)
    clean, dirty = files["train_no_anomaly.csv"], files["train_anomaly.csv"]
    assert len(clean) == len(dirty) == fold.train.shape[0]
    np.testing.assert_array_equal(clean[["x0", "x1"]].to_numpy(), fold.train)
    assert clean["is_anomaly"].sum() == 0
    changed = (dirty[["x0", "x1"]].to_numpy() != fold.train).any(axis=1)
    np.testing.assert_array_equal(dirty["is_anomaly"].to_numpy().astype(bool), changed)
    assert changed.sum() > 0 and set(dirty["anomaly_kind"][changed]) == {"level_shift"}
    assert list(train_frames(fold, None, seed=1, supervised=False, semi_supervised=True)) == ["train_no_anomaly.csv"]


# ------------------------------------------------------------------ the importer
def test_the_documentation_examples_run_through_the_importer(tmp_path):
    series = {s.name: s for s in read_gutentag(FIXTURE)}
    assert list(series) == ["demo", "variance", "test"]
    demo = series["demo"]
    assert len(demo.sampler["samplers"]) == 2 and len(demo.approximated) == 2 and not demo.skipped
    files, test = generate(demo)
    df = files["test.csv"]
    assert list(df.columns) == ["timestamp", "value-0", "is_anomaly"] and len(df) == 1000
    starts = {ev.kind: ev.start for ev in test.events}
    assert 333 <= starts["pattern"] < 666 and 666 <= starts["amplitude"] < 1000  # middle, end
    assert df["is_anomaly"].sum() == 60
    # the creeping-variance example: exact position 460, 540 rows, 500 of them ramping in
    files, test = generate(series["variance"])
    (ev,) = test.events
    assert (ev.start, ev.end, ev.kind, ev.params["creeping"]) == (460, 1000, "variance", 500)
    d = np.abs(test.values[460:, 0] - test.clean[460:, 0])
    assert d[:100].mean() < d[-40:].mean()  # it creeps in
    # GutenTAG's Python example: mean offset 0.5 on 5 rows of a 100-row sine
    files, test = generate(series["test"])
    (ev,) = test.events
    np.testing.assert_allclose(test.values[ev.start:ev.end, 0] - test.clean[ev.start:ev.end, 0], 0.5)
    assert ev.kind == "level_shift" and files["test.csv"]["is_anomaly"].sum() == 5
    paths = write(list(series.values()), tmp_path)
    assert {p.name for p in paths} == {"test.csv", "anomalies.json"} and (tmp_path / "demo" / "test.csv").is_file()


KINDS_DOC = {"timeseries": [{
    "name": "kinds", "length": 1200, "supervised": True, "semi-supervised": True,
    "base-oscillations": [{"kind": "sine", "frequency": 2.0, "variance": 0.01},
                          {"kind": "random-mode-jump", "frequency": 6, "channel_offset": 1.5}],
    "anomalies": [
        {"exact-position": 20, "length": 1, "kinds": [{"kind": "extremum", "min": False, "local": False}]},
        {"exact-position": 60, "length": 1, "kinds": [{"kind": "extremum", "min": True, "local": True,
                                                       "context_window": 20}]},
        {"exact-position": 100, "length": 60, "kinds": [{"kind": "frequency", "frequency_factor": 2.0}]},
        {"exact-position": 200, "length": 40, "kinds": [{"kind": "mean", "offset": -0.7}]},
        {"exact-position": 260, "length": 60, "kinds": [{"kind": "pattern-shift", "shift_by": 5,
                                                         "transition_window": 10}]},
        {"exact-position": 340, "length": 30, "kinds": [{"kind": "platform", "value": 0.25},
                                                        {"kind": "variance", "variance": 0.3}]},
        {"exact-position": 400, "length": 50, "kinds": [{"kind": "trend", "oscillation": {
            "kind": "polynomial", "polynomial": [0, 0.02]}}]},
        {"exact-position": 480, "length": 40, "kinds": [{"kind": "amplitude", "amplitude_factor": 0.5}]},
        {"exact-position": 540, "length": 30, "kinds": [{"kind": "pattern", "sinusoid_k": 5}]},
        {"exact-position": 700, "length": 100, "channel": 1, "kinds": [{"kind": "mode-correlation"}]},
        {"length": 10, "kinds": [{"kind": "variance", "variance": 0.001}]},   # lowers the noise: not mapped
        {"length": 10, "kinds": [{"kind": "sparkle"}]},                        # not a GutenTAG kind
        {"length": 10, "channel": 5, "kinds": [{"kind": "mean", "offset": 1}]},  # no such channel
        {"length": 1, "kinds": [{"kind": "platform", "value": 1}]},             # a 1-row flat line
    ]}, {"name": "formula", "length": 100, "base-oscillations": [{"kind": "formula", "formula": {"base": 0}}],
         "anomalies": []}]}


def test_every_gutentag_kind_maps_and_moves_its_statistic():
    (s,) = read_gutentag(KINDS_DOC)
    assert len(s.skipped) == 5 and "formula" in s.skipped[0] and "lowers the noise" in s.skipped[1]
    assert "'sparkle' is not one of GutenTAG's" in s.skipped[2] and "channel 5 does not exist" in s.skipped[3]
    assert "anomalies[13]: sampler.min_length must be >= 2" in s.skipped[4]
    assert any("trend" in m for m in s.approximated) and any("pattern" in m for m in s.approximated)
    files, t = generate(s)
    ev = {e.start: e for e in t.events}
    x, c = t.values, t.clean
    assert [ev[p].kind for p in (20, 60, 100, 200, 260, 340, 400, 480, 540, 700)] == [
        "spike", "local_extremum", "frequency", "level_shift", "pattern_shift", "flatline+variance", "drift",
        "amplitude", "pattern", "bias"]
    assert x[20, 0] - c[20, 0] >= 0.5 * np.ptp(c[:, 0]) - 1e-9          # global extremum: up by >= half the range
    assert x[60, 0] < c[50:71, 0].min()                                    # local minimum
    np.testing.assert_allclose(x[200:240, 0] - c[200:240, 0], -0.7)       # mean offset, absolute units
    np.testing.assert_array_equal(x[270:310, 0], c[265:305, 0])            # shifted 5 rows (after 10 transition rows)
    assert abs(x[340:370, 0].mean() - 0.25) < 0.2 and x[340:370, 0].std() > 0.1  # platform + variance
    assert x[449, 0] - c[449, 0] == pytest.approx(0.02 * 49)              # the trend polynomial at its last row
    assert x[480:520, 0].std() < 0.75 * c[480:520, 0].std()               # amplitude 0.5
    np.testing.assert_array_equal(x[700:800, 1], -c[700:800, 1])           # mode-correlation: the mode flipped
    assert set(files) == {"test.csv", "train_no_anomaly.csv", "train_anomaly.csv"}
    assert files["train_no_anomaly.csv"]["is_anomaly"].sum() == 0
    assert files["train_anomaly.csv"]["is_anomaly"].sum() > 0


def test_an_imported_series_runs_as_an_anogen_job(tmp_path):
    from anogen.jobs import run
    from conftest import TINY, compose

    (s,) = [x for x in read_gutentag(FIXTURE) if x.name == "demo"]
    res = run(s.into(compose([*TINY, "detectors=[zscore]", "logger=[local]"])), run_dir=tmp_path)
    inj = res.injected[0]
    assert len(inj.values) == 1000 and {e.kind for e in inj.events} == {"pattern", "amplitude"}
    assert np.isfinite(res.metrics["zscore/roc_auc"]) and (tmp_path / "fold0" / "anomalous.csv").is_file()


def test_main_prints_the_report_and_the_config(capsys, tmp_path):
    assert main([str(FIXTURE), "--print-config"]) == 0
    out = capsys.readouterr().out
    assert "demo: 1000 rows, 2 anomalies" in out and "approximated: demo.anomalies[0].kinds[0]: pattern" in out
    assert '"_target_": "anogen.data.gutentag.Oscillations"' in out and not (tmp_path / "demo").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("series: []\n")
    assert main([str(bad)]) == 2 and "no 'timeseries' list" in capsys.readouterr().err


# ---- the importer keeps every entry point's promises (issue 23) ---------------------------------------
ONE = "timeseries:\n  - name: s\n    length: {length}\n    base-oscillation: {{kind: sine}}\n"
BAD_CONFIGS = {  # what the file says -> what the one line must name
    "malformed YAML": ("timeseries: [\n  - name: a\n  length: : 3\n", "cannot read"),
    "length not a number": (ONE.format(length="abc"), "s.length: must be an integer, got 'abc'"),
    "length 0": (ONE.format(length=0), "s.length: must be >= 1, got 0"),
    "a series that is not a mapping": ("timeseries: [5]\n", "timeseries[0]: must be a mapping"),
    "no timeseries list": ("series: []\n", "no 'timeseries' list"),
    "anomaly length not a number": (ONE.format(length=500) + "    anomalies:\n      - {length: x, kinds: [{kind: mean, offset: 1}]}\n",
                                    "s.anomalies[0].length: must be an integer"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_the_importer_cli_reports_a_bad_config_in_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys):
    """Regressions: a malformed YAML gave exit 1 and a multi-line message on stdout; ``length: abc``
    and ``timeseries: [5]`` gave tracebacks; ``length: 0`` named ``data.n``."""
    text, expected = BAD_CONFIGS[case]
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(text)
    out = tmp_path / "out"
    rc = main([str(cfg), "--out", str(out)])
    cap = capsys.readouterr()
    err = [ln for ln in cap.err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1 and err[0].startswith("anogen.gutentag: error: ") and expected in err[0], err
    assert "data.n" not in err[0] and not out.exists()


def test_the_importer_cli_refuses_a_read_only_out_in_one_line(tmp_path, capsys):
    import subprocess

    ro = tmp_path / "ro"
    ro.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=16k", "tmpfs", str(ro)],
                             capture_output=True).returncode == 0
    if not mounted:
        ro.chmod(0o500)      # not root: the permission bits are enough
    try:
        rc = main([str(FIXTURE), "--out", str(ro / "series")])
        left = list(ro.iterdir())
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(ro)], capture_output=True)
        ro.chmod(0o700)
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1 and "--out" in err[0] and "not writable" in err[0], err
    assert left == []


@pytest.mark.parametrize("name", ["../../escaped", "a/b", "..", "/etc/x"])
def test_a_series_name_never_leaves_the_out_folder(name, tmp_path, capsys):
    """Regression: a series named ``../../escaped`` was written outside ``--out`` while the importer
    said it wrote it inside."""
    cfg = tmp_path / "deep" / "er" / "cfg.yaml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(ONE.format(length=300).replace("name: s", f"name: '{name}'"))
    out = tmp_path / "deep" / "er" / "out"
    assert main([str(cfg), "--out", str(out)]) == 0, capsys.readouterr().err
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file() and p != cfg)
    assert written and all(out in p.parents for p in written), written


@pytest.mark.parametrize("src", [{"timeseries": [5]}, 42, {"timeseries": [{"name": "a", "length": "abc",
                                                                              "base-oscillation": {"kind": "sine"}}]}])
def test_read_gutentag_raises_anogen_error_naming_the_argument(src):
    """Regression: ``read_gutentag({'timeseries': [5]})`` raised AttributeError."""
    with pytest.raises(AnogenError) as info:
        read_gutentag(src)
    assert info.value.key in ("src", "timeseries[0]", "a.length")


def test_anomalies_json_names_columns_as_test_csv(tmp_path):
    """Regression (issue 21): ``test.csv`` named its columns ``value-0`` and ``anomalies.json`` ``x0``."""
    import json

    import pandas as pd

    write(read_gutentag(FIXTURE), tmp_path)
    for folder in [p for p in tmp_path.iterdir() if p.is_dir()]:
        cols = set(pd.read_csv(folder / "test.csv").columns)
        for ev in json.loads((folder / "anomalies.json").read_text())["events"]:
            assert set(ev["columns"]) <= cols, (ev["columns"], cols)


# ---- data=gutentag: the command-line path (issue 21) -----------------------------------------------------
def test_data_gutentag_runs_a_gutentag_series_from_the_command_line_as_series_into_does(tmp_path, monkeypatch,
                                                                                         capsys):
    """Regression: running detectors on a GutenTAG YAML needed Python (``series.into(cfg)``)."""
    import json

    from anogen.__main__ import cli
    from anogen.jobs import run
    from tests.conftest import compose

    monkeypatch.chdir(tmp_path)
    rc = cli(["data=gutentag", f"data.path={FIXTURE}", "detectors=[zscore]", "logger=[local]", "plots=false",
              f"hydra.run.dir={tmp_path}/cli"])
    assert rc == 0, capsys.readouterr().err
    events = json.loads((tmp_path / "cli" / "fold0" / "anomalies.json").read_text())["events"]
    series = read_gutentag(FIXTURE)[0]
    res = run(series.into(compose(["detectors=[zscore]", "logger=[local]", "plots=false"])), run_dir=None)
    assert [(e["start"], e["end"], e["kind"]) for e in events] == \
           [(e.start, e.end, e.kind) for e in res.injected[0].events]
    assert len(events) == len(series.sampler["samplers"])


@pytest.mark.parametrize("args, words", [
    (["data.path=/no/such.yaml"], "data.path: file not found"),
    ([f"data.path={FIXTURE}", "data.series=nope"], "data.series: unknown series 'nope'"),
])
def test_data_gutentag_mistakes_are_one_line(args, words, tmp_path, monkeypatch, capsys):
    from anogen.__main__ import cli

    monkeypatch.chdir(tmp_path)
    rc = cli(["data=gutentag", *args, "detectors=[zscore]", "logger=[local]", f"hydra.run.dir={tmp_path}/run"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1 and words in err[0], err
    assert not (tmp_path / "run").exists()
