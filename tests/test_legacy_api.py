"""The seed's command line and the library API."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import anogen
from anogen.legacy import main as legacy_main
from anogen.types import AnogenError

SEED_EVAL = {"targets": [[0, 0, 0, 0, 1], [0, 1, 0, 0, 0]], "candidates": [[1, 0, 0, 1, 0], [0, 0, 1, 1, 0]], "range": 3}


def _write(tmp_path, obj, name="in.json"):
    p = tmp_path / name
    p.write_text(json.dumps(obj))
    return p


def test_legacy_eval_worked_example(tmp_path):
    p = _write(tmp_path, SEED_EVAL)
    assert legacy_main(["-t", "eval", "-f", str(p), "-d", str(tmp_path / "out")]) == 0
    r = json.loads((tmp_path / "out" / "evalresults.json").read_text())
    assert r["td"] == [6, 4] and r["tdir"] == [1.0, 1.0]
    assert r["dair"] == pytest.approx([1 / 3, 1 / 3])
    assert r["exact_match"] == [0, 0] and r["detected_anomaly"] == [1, 1]
    assert r["missed_anomaly"] == [0, 0] and r["false_anomaly"] == [2, 2]
    assert r["average_td"] == 5.0


@pytest.mark.parametrize("spec, match", [
    ({"targets": [[0, 1]], "candidates": [[0, 1, 0]], "range": 1}, "length"),
    ({"targets": [[0, 2]], "candidates": [[0, 1]], "range": 1}, "binary|0/1"),
    ({"targets": [[0, 1]], "candidates": [[0, 1]], "range": -1}, "range"),
])
def test_legacy_eval_bad_input(tmp_path, capsys, spec, match):
    p = _write(tmp_path, spec)
    assert legacy_main(["-t", "eval", "-f", str(p), "-d", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and pytest.importorskip("re").search(match, err)
    assert not (tmp_path / "out" / "evalresults.json").exists()


def _occupancy_copy(tmp_path):
    from anogen.data.loaders import EMBEDDED

    p = tmp_path / "occ.csv"
    p.write_bytes((EMBEDDED / "occupancy.csv").read_bytes())
    return p


def test_legacy_ano_noise(tmp_path):
    data = _occupancy_copy(tmp_path)
    spec = {"noise_params": {"anomally_normal_ratio": 0.05, "noise": 0.1, "wave": True, "wave_length": 3,
                             "columns": ["Temperature", "Humidity"], "noise_direction": "p", "path": str(data),
                             "csv_mode": "single", "key": "date",
                             "dates": [["2015-02-08 05:09:00", "2015-02-10 09:33:00"],
                                       ["2015-02-05 00:00:00", "2015-02-06 00:00:00"]], "nrows": 8144},
            "imdir": str(tmp_path / "img")}
    p = _write(tmp_path, spec)
    out = tmp_path / "out"  # no trailing slash needed
    assert legacy_main(["-t", "ano", "-f", str(p), "-d", str(out)]) == 0
    for i in (0, 1):
        df = pd.read_csv(out / f"{i}randomNoise.csv")
        idx = json.loads((out / f"{i}randomNoiseIndex.json").read_text())["anoindex"]
        assert idx == np.flatnonzero(df["is_anomaly"]).tolist()
        assert len(idx) == int(len(df) * 0.05)
        assert (out / f"{i}train.csv").is_file()
    assert (tmp_path / "img" / "0randomNoise_Temperature.png").is_file()
    assert (tmp_path / "img" / "0randomNoiseClean_Humidity.png").is_file()
    # seeded: same input, same output
    out2 = tmp_path / "out2"
    legacy_main(["-t", "ano", "-f", str(p), "-d", str(out2)])
    assert (out / "0randomNoise.csv").read_bytes() == (out2 / "0randomNoise.csv").read_bytes()


def test_legacy_ano_both_ratio_spellings_and_bad_direction(tmp_path, capsys):
    data = _occupancy_copy(tmp_path)
    base = {"noise": 0.1, "path": str(data), "key": "date", "columns": ["Temperature"],
            "dates": [["2015-02-09 00:00:00", "2015-02-10 09:19:00"]]}
    p = _write(tmp_path, {"noise_params": {**base, "anomaly_normal_ratio": 0.02}})
    assert legacy_main(["-t", "ano", "-f", str(p), "-d", str(tmp_path / "o1")]) == 0
    p = _write(tmp_path, {"noise_params": {**base, "anomally_normal_ratio": 0.02, "noise_direction": "x"}})
    assert legacy_main(["-t", "ano", "-f", str(p), "-d", str(tmp_path / "o2")]) == 2
    assert "direction" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists()


def test_legacy_cli_missing_file(tmp_path):
    r = subprocess.run([sys.executable, "-m", "anogen.legacy", "-t", "ano", "-f", str(tmp_path / "x.json"), "-d",
                        str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "input file not found" in r.stderr


def test_api_evaluate():
    r = anogen.evaluate([0, 0, 1, 1, 0, 0, 0, 1, 0, 0], [0, 1, 1, 0, 0, 0, 0, 0, 1, 0], k=1)
    assert r["exact_match"] == [1] and r["detected_anomaly"] == [2] and r["false_anomaly"] == [2]
    assert r["tdir"] == [1.0] and r["dair"] == [pytest.approx(0.6)] and r["td"] == [4]


def test_api_generate_dataframe_no_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    df = pd.DataFrame({"t": pd.date_range("2022-01-01", periods=400, freq="min"),
                       "a": np.sin(np.arange(400) / 9) + 5, "b": np.cos(np.arange(400) / 7) + 5})
    inj = anogen.generate(df, key="t", sampler="inject", count=4, kinds=["spike", "level_shift"], seed=3)
    assert len(inj.events) == 4 and {e.kind for e in inj.events} <= {"spike", "level_shift"}
    assert list(tmp_path.iterdir()) == []
    folds = anogen.generate(df, key="t", dates=[["2022-01-01 01:00", "2022-01-01 03:00"],
                                                 ["2022-01-01 04:00", "2022-01-01 06:00"]], ratio=0.05)
    assert isinstance(folds, list) and len(folds) == 2 and folds[0].values.shape[0] == 120
    with pytest.raises(AnogenError, match="unknown option 'nope'"):
        anogen.generate(df, key="t", sampler="nope")


def test_legacy_ano_vae_path(tmp_path):
    data = _occupancy_copy(tmp_path)
    spec = {"train_params": {"columns": ["Temperature", "Humidity"], "sequence_length": 6, "latent_space_dim": 2,
                             "learning_rate": 0.001, "batch_size": 32, "epochs": 1, "path": str(data), "key": "date",
                             "dates": [["2015-02-09 00:00:00", "2015-02-10 09:19:00"]], "progress": False}}
    p = _write(tmp_path, spec)
    assert legacy_main(["-t", "ano", "-f", str(p), "-d", str(tmp_path / "out")]) == 0
    df = pd.read_csv(tmp_path / "out" / "0anocsv.csv")
    idx = json.loads((tmp_path / "out" / "0anoindex.json").read_text())
    assert idx["anoindex"] == np.flatnonzero(df["is_anomaly"]).tolist()
    assert all(e["end"] - e["start"] == 6 and e["kind"] == "vae_tail" for e in idx["events"])


def test_api_generate_compose():
    """Regression: generate(sampler="compose") raised AttributeError ('Compose' has no 'plan')."""
    from anogen.placement import check_injected

    x = np.sin(np.linspace(0, 60, 2000))[:, None] + 2
    inj = anogen.generate(x, sampler="compose", seed=1)
    assert {e.source for e in inj.events} >= {"noise", "inject"}
    check_injected(inj)


def test_api_benchmark_needs_a_detector_and_int_seeds():
    x = np.sin(np.linspace(0, 60, 800))[:, None] + 2
    with pytest.raises(AnogenError, match="^detectors: give at least one"):
        anogen.benchmark(x, detectors=[])
    with pytest.raises(AnogenError, match="^seeds"):
        anogen.benchmark(x, seeds=["a"])


def test_api_generate_uses_the_model_cache(tmp_path, monkeypatch):
    """generate() with a generative sampler reuses a cached model like the CLI; cache=False retrains."""
    import anogen.train.loop as loop_mod

    monkeypatch.setenv("ANOGEN_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    x = np.sin(np.arange(600) / 5)[:, None] + 0.05 * rng.standard_normal((600, 1)) + 2
    kw = dict(sampler="latent_uniform", model={"_target_": "anogen.models.MLPVAE", "latent_dim": 2, "hidden": 8, "likelihood": "gaussian"},
              trainer={"epochs": 2}, count=3, seed=0, filters={})
    trained = []
    real_fit = loop_mod.fit
    monkeypatch.setattr(loop_mod, "fit", lambda *a, **k: trained.append(1) or real_fit(*a, **k))
    a = anogen.generate(x, **kw)
    b = anogen.generate(x, **kw)
    assert len(trained) == 1 and np.array_equal(a.values, b.values)
    anogen.generate(x, cache=False, **kw)
    assert len(trained) == 2


def test_legacy_seed_json_as_written_in_the_seed_readme(tmp_path):
    """The seed's example (train_params and noise_params, an empty imdir) is accepted as is; noise wins."""
    data = _occupancy_copy(tmp_path)
    spec = {"train_params": {"columns": ["Temperature", "Humidity"], "sequence_length": 10, "latent_space_dim": 8,
                             "learning_rate": 0.001, "batch_size": 32, "epochs": 150, "path": str(data), "key": "date",
                             "dates": [["2015-02-10 00:00:00", "2015-02-10 09:33:00"]], "nrows": 8144},
            "noise_params": {"anomally_normal_ratio": 0.005, "noise": 0.1, "wave": False, "wave_length": 10,
                             "columns": ["Temperature", "Humidity"], "noise_direction": "p", "path": str(data),
                             "csv_mode": "single", "key": "date",
                             "dates": [["2015-02-08 05:09:00", "2015-02-10 09:33:00"]], "nrows": 8144},
            "imdir": ""}
    p = _write(tmp_path, spec)
    out = tmp_path / "a" / "b"  # created (with its parent) only when the files are committed
    assert legacy_main(["-t", "ano", "-f", str(p), "-d", str(out)]) == 0
    assert sorted(f.name for f in out.iterdir()) == ["0randomNoise.csv", "0randomNoiseIndex.json", "0train.csv"]


def test_legacy_same_ratio_under_both_spellings_is_fine(tmp_path):
    data = _occupancy_copy(tmp_path)
    p = _write(tmp_path, {"noise_params": {"anomally_normal_ratio": 0.02, "anomaly_normal_ratio": 0.02, "noise": 0.1,
                                           "path": str(data), "key": "date", "columns": ["Temperature"]}})
    assert legacy_main(["-t", "ano", "-f", str(p), "-d", str(tmp_path / "o")]) == 0


def test_legacy_errors_found_late_name_the_seed_keys(tmp_path, capsys):
    """Bug: errors of the seed CLI named Hydra keys (sampler.ratio) instead of the JSON keys. They are
    re-keyed by the error's key and refs (the raise sites found late give them), never by their text."""
    import anogen.legacy as legacy
    from anogen.legacy import TrainParams, _seed_errors, _TRAIN_NAMES

    assert not hasattr(legacy, "_in_seed_keys") and not hasattr(legacy, "re")
    fields = tuple(TrainParams.model_fields)
    late = [(AnogenError("(9) is longer than the test fold (5 rows)", key="model.seq_len", sep=" "),
             "train_params.sequence_length (9) is longer than the test fold (5 rows)"),
            (AnogenError("training diverged: the loss is nan in the first epoch", refs=("trainer.learning_rate",),
                         hint="lower trainer.learning_rate (now 0.1) or check the data scaling"),
             "training diverged: the loss is nan in the first epoch; lower train_params.learning_rate (now 0.1) "
             "or check the data scaling"),
            (AnogenError("model.x and trainer.y are words here"), "model.x and trainer.y are words here")]
    for raised, seen in late:
        with pytest.raises(AnogenError) as info, _seed_errors("train_params", _TRAIN_NAMES, fields):
            raise raised
        assert str(info.value) == seen
    from anogen.metrics.seed_eval import evaluate_pairs
    from anogen.samplers.base import resolve_columns

    with pytest.raises(AnogenError) as info:
        resolve_columns(["model.x"], ("a",))
    assert (info.value.key, str(info.value)) == (
        "sampler.columns", "sampler.columns: unknown column 'model.x'; valid columns: ['a']")
    with pytest.raises(AnogenError) as info:
        evaluate_pairs([[0, 1]], [[0, 1]], -1)
    assert (info.value.key, str(info.value)) == ("range", "range must be a non-negative integer, got -1")
    with pytest.raises(AnogenError, match=r"^k must be a non-negative integer, got -1$"):
        anogen.evaluate([0, 1], [0, 1], k=-1)
    data = _occupancy_copy(tmp_path)
    p = _write(tmp_path, {"noise_params": {"anomaly_normal_ratio": 0.5, "noise": 0.1, "wave": True, "wave_length": 300,
                                           "path": str(data), "key": "date"}})
    assert legacy_main(["-t", "ano", "-f", str(p), "-d", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "noise_params.wave_length" in err and "sampler" not in err, err


def test_legacy_re_keys_errors_by_their_key():
    """Config keys become the seed's keys by the error's key (and the keys its text declares), not by a
    rewrite of every key-like word."""
    from anogen.legacy import NoiseParams, TrainParams, _noise_names, _seed_key, _seed_errors, _TRAIN_NAMES

    fields = tuple(NoiseParams.model_fields)
    names = _noise_names(NoiseParams(anomaly_normal_ratio=0.1, noise=0.1, path="x"))
    assert _seed_key("sampler.ratio", "noise_params", names, fields) == "noise_params.anomaly_normal_ratio"
    assert _seed_key("data.dates[2]", "noise_params", names, fields) == "noise_params.dates[2]"
    assert _seed_key("sampler.dims", "noise_params", names, fields) == "noise_params"  # the seed has no such key
    assert _seed_key("model.seq_len", "train_params", _TRAIN_NAMES, tuple(TrainParams.model_fields)) == (
        "train_params.sequence_length")
    for not_a_key in ("data.csv", "/tmp/data.csv", "Temperature", "-d"):  # files, columns, arguments
        assert _seed_key(not_a_key, "noise_params", names, fields) is None
    with pytest.raises(AnogenError) as info, _seed_errors("noise_params", names, fields):
        raise AnogenError("without data.key the dates are row numbers, got ['data.x', 1]", key="data.dates[0]",
                          refs=("data.key",))
    assert info.value.key == "noise_params.dates[0]"
    assert str(info.value) == ("noise_params.dates[0]: without noise_params.key the dates are row numbers, "
                               "got ['data.x', 1]")  # the declared ref is renamed, the value is not


@pytest.mark.parametrize("change, expected", [
    ({"path": "{d}/sub/data.csv"}, "noise_params.path: file not found: {d}/sub/data.csv"),
    ({"columns": ["data.tmp"]}, "noise_params.columns: unknown column 'data.tmp'; available: ['data.temp', "),
    ({"dates": [["2030-01-01", "2030-02-01"]]},
     "noise_params.dates[0] = ['2030-01-01', '2030-02-01'] lies outside the data (2015"),
], ids=["path", "column", "outside-the-data"])
def test_legacy_errors_keep_paths_columns_and_words_as_written(tmp_path, capsys, change, expected):
    """Bug: the seed CLI rewrote every key-like word of a message: a file ``data.csv`` became
    ``noise_params.csv``, a column ``data.temp`` became ``noise_params.temp``, and dates outside
    "the data" lay outside "the noise_params"."""
    data = tmp_path / "occ.csv"
    pd.read_csv(_occupancy_copy(tmp_path)).rename(columns={"Temperature": "data.temp"}).to_csv(data, index=False)
    change = json.loads(json.dumps(change).replace("{d}", str(tmp_path)))
    p = _write(tmp_path, {"noise_params": {"anomally_normal_ratio": 0.05, "noise": 0.1, "path": str(data),
                                           "key": "date", **change}})
    assert legacy_main(["-t", "ano", "-f", str(p), "-d", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("anogen.legacy: error: " + expected.replace("{d}", str(tmp_path))), err
    assert not (tmp_path / "out").exists()


def test_api_errors_keep_column_names_as_written():
    """Bug: the API renamed ``data.key`` to ``key`` anywhere in a message, column names included."""
    df = pd.DataFrame({"data.keyx": np.arange(50.0)})
    with pytest.raises(AnogenError, match=r"^columns: unknown column 'data\.key2'; available: \['data\.keyx'\]$"):
        anogen.generate(df, columns=["data.key2"])


def test_api_errors_name_the_arguments():
    """The data errors' keys become generate's arguments; data.nan has no argument: "set clean data"."""
    with pytest.raises(AnogenError, match=r"^dates\[0\] = \['700', '800'\] lies outside the data \(0 \.\. 599\)$"):
        anogen.generate(np.ones((600, 1)), dates=[[700, 800]])
    with pytest.raises(AnogenError, match=r"^data: NaN/inf values in \{'x0': 50\}; set clean data$"):
        anogen.generate(np.full((50, 1), np.nan))
    with pytest.raises(AnogenError, match=r"^k must be a non-negative integer, got -1$"):
        anogen.evaluate([0, 1], [0, 1], k=-1)


def test_legacy_sigterm_while_writing_leaves_nothing(tmp_path, monkeypatch, capsys):
    import os
    import signal

    import anogen.outputs.context as context
    import anogen.outputs.files as files

    data = _occupancy_copy(tmp_path)
    p = _write(tmp_path, {"noise_params": {"anomally_normal_ratio": 0.02, "noise": 0.1, "path": str(data),
                                           "key": "date"}, "imdir": str(tmp_path / "img")})
    real = files.write_csv

    def write_csv(path, df):
        real(path, df)
        if "train" in str(path):
            os.kill(os.getpid(), signal.SIGTERM)

    for mod in (files, context):  # wherever the name is bound (context imports it at its top)
        if getattr(mod, "write_csv", None) is real:
            monkeypatch.setattr(mod, "write_csv", write_csv)
    assert legacy_main(["-t", "ano", "-f", str(p), "-d", str(tmp_path / "out")]) == 143
    assert "nothing was written" in capsys.readouterr().err
    assert sorted(f.name for f in tmp_path.iterdir()) == ["in.json", "occ.csv"]


def test_api_errors_are_value_errors_naming_the_argument():
    """Existing ``except ValueError`` code keeps working; the message names the argument."""
    with pytest.raises(ValueError, match=r"^seed: must be an integer, got 'abc'$"):
        anogen.generate(np.ones((50, 1)), seed="abc")
    with pytest.raises(ValueError, match=r"^targets: must be a 0/1 sequence or a list of them, got NoneType$"):
        anogen.evaluate(None, [0, 1])
