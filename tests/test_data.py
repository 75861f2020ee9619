import numpy as np
import pandas as pd
import pytest

from anogen.data import CSVSource, Occupancy, Scaler, Synthetic, load_table, make_folds, segments_of
from anogen.types import AnogenError


def _csv(tmp_path, df, name="d.csv"):
    p = tmp_path / name
    df.to_csv(p, index=False)
    return p


def _df(n=50):
    return pd.DataFrame({"date": pd.date_range("2021-01-01", periods=n, freq="h"),
                         "a": np.arange(n, dtype=float), "b": np.arange(n, dtype=float) * 2, "s": ["x"] * n})


def test_occupancy_embedded():
    f = Occupancy(columns=[], dates=[["2015-02-09 00:00:00", "2015-02-10 09:19:00"]]).folds()[0]
    assert f.columns == ("Temperature", "Humidity", "Light", "CO2")
    assert f.train.shape[0] + f.test.shape[0] == 509
    # test rows strictly after start, up to and including end
    assert f.test_index[0] > np.datetime64("2015-02-09T00:00:00")
    assert f.test_index[-1] == np.datetime64("2015-02-10T09:19:00")


def test_split_rule_and_train_modes(tmp_path):
    p = _csv(tmp_path, _df())
    src = CSVSource(path=str(p), key="date", columns=["a"], dates=[["2021-01-01 10:00", "2021-01-01 20:00"]])
    f = src.folds()[0]
    assert f.test[:, 0].tolist() == list(range(11, 21))  # (10h, 20h]
    assert f.train.shape[0] == 40
    assert f.train_segments.tolist() == [[0, 11], [11, 40]]
    before = CSVSource(path=str(p), key="date", columns=["a"], train="before",
                       dates=[["2021-01-01 10:00", "2021-01-01 20:00"]]).folds()[0]
    assert before.train[:, 0].tolist() == list(range(0, 11))
    two = CSVSource(path=str(p), key="date", columns=["a"],
                    dates=[["2021-01-01 10:00", "2021-01-01 20:00"], ["2021-01-02 00:00", "2021-01-02 03:00"]]).folds()
    assert len(two) == 2 and two[1].test[:, 0].tolist() == [25, 26, 27]


def test_segments_of():
    assert segments_of(np.array([1, 1, 0, 0, 1], bool)).tolist() == [[0, 2], [2, 3]]
    assert segments_of(np.array([0, 1, 1], bool)).tolist() == [[0, 2]]


def test_scaler_uses_train_only():
    tr = np.array([[0.0], [2.0]])
    s = Scaler("standard").fit(tr)
    assert np.allclose(s.transform(np.array([[1.0]])), 0.0)
    assert np.allclose(s.inverse_transform(s.transform(np.array([[5.0]]))), 5.0)
    m = Scaler("minmax").fit(tr)
    assert np.allclose(m.transform(tr).ravel(), [0, 1])
    c = Scaler("standard").fit(np.ones((3, 1)))  # constant column: no division by zero
    assert np.isfinite(c.transform(np.ones((2, 1)))).all()


def test_all_numeric_columns_and_folder_mode(tmp_path):
    df = _df()
    p = _csv(tmp_path, df)
    fr = load_table(p, key="date")
    assert fr.columns == ("a", "b")  # the string column is not numeric: skipped
    d = tmp_path / "folder"
    d.mkdir()
    _csv(d, df[["date", "a"]], "1.csv")
    _csv(d, df[["date", "b"]], "2.csv")
    fr2 = load_table(d, key="date", csv_mode="folder")
    assert fr2.columns == ("a", "b") and fr2.n_rows == 50


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    p = tmp_path / "d.parquet"
    _df().to_parquet(p)
    assert load_table(p, key="date", columns=["b"]).values[3, 0] == 6.0


def test_input_never_modified(tmp_path):
    df = _df()
    df.loc[3, "a"] = np.nan
    p = _csv(tmp_path, df)
    before = p.read_bytes()
    fr = load_table(p, key="date", columns=["a"], nan="interpolate")
    assert fr.values[3, 0] == pytest.approx(3.0)
    assert p.read_bytes() == before
    assert load_table(p, key="date", columns=["a"], nan="drop").n_rows == 49


@pytest.mark.parametrize("kwargs, match", [
    (dict(path="missing.csv"), "file not found"),
    (dict(columns=["zzz"]), "unknown column 'zzz'"),
    (dict(columns=["s"]), "not numeric"),
    (dict(key="nokey"), "data.key"),
])
def test_bad_input(tmp_path, kwargs, match):
    p = _csv(tmp_path, _df())
    kw = dict(path=str(p), key="date")
    kw.update(kwargs)
    with pytest.raises(AnogenError, match=match):
        CSVSource(**kw).load()


def test_nan_policy_error(tmp_path):
    df = _df()
    df.loc[5, "b"] = np.nan
    with pytest.raises(AnogenError, match=r"NaN/inf values in \{'b': 1\}"):
        load_table(_csv(tmp_path, df), key="date")


@pytest.mark.parametrize("dates, match", [
    ([["2030-01-01", "2030-02-01"]], "outside the data"),
    ([["2021-01-01 10:00", "2021-01-01 10:30"]], "test fold has 0 rows"),
    ([["2021-01-02", "2021-01-01"]], "must be before"),
    ([["2021-01-01 10:00"]], "pair"),
])
def test_bad_dates(tmp_path, dates, match):
    p = _csv(tmp_path, _df())
    with pytest.raises(AnogenError, match=match):
        CSVSource(path=str(p), key="date", dates=dates).folds()


def test_synthetic_deterministic():
    a = Synthetic(n=300, d=4, seed=3).load()
    b = Synthetic(n=300, d=4, seed=3).load()
    assert np.array_equal(a.values, b.values) and a.values.shape == (300, 4)
    c = np.corrcoef(a.values.T)
    assert np.abs(c[np.triu_indices(4, 1)]).mean() > 0.5  # correlated channels


@pytest.mark.parametrize("target, kw, match", [
    ("Synthetic", dict(scaling="robust"), r"^data\.scaling: must be 'standard', 'minmax' or 'none', got 'robust'$"),
    ("Synthetic", dict(nan="fill"), r"^data\.nan: must be 'error', 'interpolate' or 'drop', got 'fill'$"),
    ("Synthetic", dict(train="after"), r"^data\.train: must be 'rest' or 'before', got 'after'$"),
    ("Synthetic", dict(test_fraction=1.0), r"^data\.test_fraction: must be .*< 1(\.0)?, got 1\.0$"),
    ("Synthetic", dict(n=3), r"^data\.n: must be >= 4, got 3$"),
    ("Synthetic", dict(period=1), r"^data\.period: must be > 1(\.0)?, got 1$"),
    ("Synthetic", dict(correlation=1.5), r"^data\.correlation: must be .*<= 1(\.0)?, got 1\.5$"),
    ("Synthetic", dict(dates=[["2021-01-01"]]), r"^data\.dates\.0: must be a \[start, end\] pair, got \['2021-01-01'\]$"),
    ("CSVSource", dict(path="x.csv", nrows=0), r"^data\.nrows: must be > 0, got 0$"),
    ("CSVSource", dict(path="x.csv", csv_mode="zip"), r"^data\.csv_mode: must be 'single' or 'folder', got 'zip'$"),
    ("Occupancy", dict(path="x.csv"), r"^data: unknown parameter 'path'"),
])
def test_bad_config_is_one_line_naming_the_key(target, kw, match):
    # checked when the config is built: nothing is read
    from anogen.config import build

    with pytest.raises(AnogenError, match=match):
        build({"_target_": f"anogen.data.{target}", **kw}, "data")


def test_functions_check_their_options_too(tmp_path):
    from anogen.data import synthetic_frame

    p = _csv(tmp_path, _df())
    fr = load_table(p, key="date")
    with pytest.raises(AnogenError, match=r"^data\.train: must be 'rest' or 'before', got 'after'$"):
        make_folds(fr, train="after")
    with pytest.raises(AnogenError, match=r"^data\.test_fraction: must be > 0"):
        make_folds(fr, test_fraction=0)
    with pytest.raises(AnogenError, match=r"^data\.nan: must be 'error', 'interpolate' or 'drop'"):
        load_table(p, key="date", nan="zero")
    with pytest.raises(AnogenError, match=r"^data\.nrows: must be > 0, got -5$"):
        load_table(p, nrows=-5)
    with pytest.raises(AnogenError, match=r"^data\.scaling: must be 'standard', 'minmax' or 'none', got 'z'$"):
        Scaler("z").fit(np.ones((3, 1)))
    with pytest.raises(AnogenError, match=r"^data\.n: must be >= 4, got 2$"):
        synthetic_frame(n=2)
    assert len(make_folds(fr, test_fraction=0.2)[0].test) == 10
