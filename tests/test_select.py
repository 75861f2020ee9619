"""The selection job: ``+experiment=select``, ``anogen.select``, ``anogen.evaluate_detectors``, labels."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import anogen
from anogen.detectors.base import BaseDetector
from anogen.types import AnogenError
from tests.conftest import TINY, compose

# a small, fast battery (3 kinds, 2 levels, 1 seed)
SMALL = ["select.kinds=[spike,level_shift,contextual]", "select.noise=false", "select.levels=[2.0,20.0]",
         "select.seeds=[0]", "select.bootstrap=20", "select.prior=off", "detectors=[zscore,knn,pca]",
         "select.period_variants=[]"]


class Broken(BaseDetector):
    """Fails to fit (the selection must go on without it)."""

    def __init__(self, *, name: str = "broken", contamination: float = 0.1) -> None:
        self.name = name
        self.contamination = contamination

    def _fit(self, X, segments):
        raise RuntimeError("boom")

    def _decision_function(self, X):  # pragma: no cover - never fitted
        return np.zeros(len(X))


def _series(n: int = 900, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    return np.stack([np.sin(t / 12) + 0.05 * rng.standard_normal(n), np.cos(t / 12) + 0.05 * rng.standard_normal(n)],
                    axis=1)


def test_select_experiment_writes_report_and_prints_the_verdict(tmp_path, caplog):
    from anogen.jobs import run

    cfg = compose(TINY + ["+experiment=select", "plots=true"] + SMALL)
    with caplog.at_level("INFO", logger="anogen"):
        res = run(cfg, run_dir=tmp_path)
    data = json.loads((tmp_path / "selection.json").read_text())
    assert data["recommendation"] in {"zscore", "knn", "pca"}
    assert [r["detector"] for r in data["ranking"]][0] == data["recommendation"]
    assert sum(r["p_best"] for r in data["ranking"]) == pytest.approx(1.0)
    assert {f["family"] for f in data["families"]} == {"point", "collective", "contextual"}
    md = (tmp_path / "selection.md").read_text()
    assert "Goswami" in md and "Kendall's W" in md and "## Per-kind strengths" in md
    for f in ("selection_rank_heatmap.png", "selection_rank_by_level.png", "selection_p_best.png"):
        assert (tmp_path / "plots" / f).stat().st_size > 1000
    lines = [r.getMessage() for r in caplog.records if r.name == "anogen"]
    assert lines[-2].startswith("recommendation: ") and lines[-1].startswith("trust: ")
    assert res.leaderboard["detector"].iloc[0] == data["recommendation"]
    assert len(pd.read_csv(tmp_path / "selection_cells.csv")) == 3 * 2 * 3     # cells x detectors


def test_select_node_is_validated_before_any_data():
    from anogen.jobs import run

    with pytest.raises(AnogenError, match="select.levels"):
        run(compose(TINY + ["+experiment=select", "select.levels=[-1]"]), run_dir=None)
    with pytest.raises(AnogenError, match="at least two candidate"):
        run(compose(TINY + ["+experiment=select", "detectors=[zscore]"]), run_dir=None)
    with pytest.raises(AnogenError, match="select.kinds: unknown kind"):
        run(compose(TINY + ["+experiment=select", "select.kinds=[nope]"] + SMALL[1:]), run_dir=None)


def test_labels_column_gives_the_real_ranking_beside(tmp_path):
    from anogen.jobs import run

    x = _series(900)
    y = np.zeros(900, int)
    x[700:720, 0] += 3.0            # a real level shift in the test part
    y[700:720] = 1
    csv = tmp_path / "labelled.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "is_anomaly": y}).to_csv(csv, index=False)
    out = tmp_path / "run"
    run(compose(TINY + ["+experiment=select", "data=csv", f"data.path={csv}", "data.labels=is_anomaly",
                        "data.test_fraction=0.33"] + SMALL), run_dir=out)
    data = json.loads((out / "selection.json").read_text())
    assert set(data["real"]["points"]) == {"zscore", "knn", "pca"}
    assert {"spearman", "kendall", "top1", "top3"} <= set(data["real"]["agreement"])
    assert "## Against your labels" in (out / "selection.md").read_text()
    cells = pd.read_csv(out / "selection_cells.csv")
    assert cells["fold"].nunique() == 1 and "is_anomaly" not in cells.columns


def test_labels_column_errors(tmp_path):
    from anogen.data.sources import CSVSource

    csv = tmp_path / "l.csv"
    pd.DataFrame({"a": np.arange(40.0), "y": [0, 1, 2, 0] * 10}).to_csv(csv, index=False)
    src = CSVSource(str(csv), labels="y")
    assert src.load().columns == ("a",)
    with pytest.raises(AnogenError, match="0/1"):
        src.labels_for(src.folds()[0])
    with pytest.raises(AnogenError, match="not a feature"):
        CSVSource(str(csv), columns=["a", "y"], labels="y")


def test_api_select_goes_on_without_a_broken_detector_and_is_reproducible():
    x = _series(700)
    kw = dict(detectors={"zscore": "zscore", "knn": "knn", "broken": Broken()}, kinds=["spike", "level_shift"],
              noise=False, levels=[3.0, 30.0], seeds=[0], bootstrap=20, prior="off")
    sel = anogen.select(x, **kw)
    assert sel.ranking["detector"].iloc[-1] == "broken"
    assert sel.rows.loc[sel.rows["detector"] == "broken", "error"].str.contains("boom").all()
    again = anogen.select(x, **kw)
    pd.testing.assert_frame_equal(sel.ranking, again.ranking)
    # a cell's anomalies do not depend on which other kinds are in the battery (seeded by its name)
    one = anogen.select(x, **{**kw, "kinds": ["level_shift"]})
    a = sel.rows[sel.rows["kind"] == "level_shift"].reset_index(drop=True)
    b = one.rows.reset_index(drop=True)
    np.testing.assert_allclose(a["vus_pr"].to_numpy(), b["vus_pr"].to_numpy())


def test_api_evaluate_detectors_and_select_with_labels():
    x = _series(900, seed=1)
    train, test = x[:600], x[600:].copy()
    test[100:110, 1] += 4.0
    y = np.zeros(300, int)
    y[100:110] = 1
    df = anogen.evaluate_detectors(train, test, y, detectors=["zscore", "knn"])
    assert list(df.columns[:3]) == ["rank", "detector", "points"] and {"vus_pr", "range_f1"} <= set(df.columns)
    assert df["rank"].iloc[0] == 1
    # knn's variant on the data's cycle joins both by default (select.period_variants: [knn, lof])
    assert set(df["detector"]) == {"zscore", "knn", "knn@period"}
    sel = anogen.select(train, test, labels=y, detectors=["zscore", "knn"], kinds=["level_shift"], noise=False,
                        levels=[5.0], seeds=[0], bootstrap=10, prior="off")
    assert sel.real["agreement"]["n"] == 3 and set(sel.ranking["detector"]) == set(df["detector"])
    assert set(anogen.evaluate_detectors(train, test, y, detectors=["zscore", "knn"], period_variants=[])["detector"]) \
        == {"zscore", "knn"}
    with pytest.raises(AnogenError, match="one 0/1 label per test row"):
        anogen.evaluate_detectors(train, test, y[:10], detectors=["zscore", "knn"])
    with pytest.raises(AnogenError, match="labels: give the labelled test data"):
        anogen.select(train, labels=y)
    # bug: all-0 labels ended in "rank_by: none of [...] among the metrics" after every detector failed
    for call in (lambda: anogen.evaluate_detectors(train, test, 0 * y, detectors=["zscore", "knn"]),
                 lambda: anogen.select(train, test, labels=0 * y, detectors=["zscore", "knn"])):
        with pytest.raises(AnogenError, match="no test row is labelled 1"):
            call()


@pytest.mark.slow
def test_learned_generator_joins_only_with_an_ok_verdict(tmp_path):
    from anogen.jobs import run

    cfg = compose(TINY + ["+experiment=select", "model=vae", "select.learned=[vae_tail]", "model.seq_len=8"] + SMALL)
    res = run(cfg, run_dir=None)
    learned_rows = res.rows[res.rows["kind"] == "learned:vae_tail"]
    reasons = [v for k, v in res.errors.items() if k.endswith("learned:vae_tail")]
    assert len(learned_rows) > 0 or (reasons and reasons[0].startswith("quality verdict "))
    assert not (len(learned_rows) > 0 and reasons)


def test_tabular_mode_rows_and_window_one():
    from anogen.selection.candidates import for_rows

    x = _series(800)
    sel = anogen.select(x, detectors=["zscore", "knn", "iforest"], mode="tabular", seeds=[0], bootstrap=20,
                        levels=[2.0, 5.0])
    assert set(sel.rows["kind"]) == {"global", "local", "dependency", "clustered"}
    assert set(sel.families["family"]) == {"global", "local", "dependency", "clustered"}
    assert {"pr_auc", "roc_auc"} <= set(sel.rows.columns) and not sel.prior["used"]
    from anogen.config import build
    from anogen.api import load_component_config

    dets = for_rows({"knn": build(load_component_config("detectors", "knn"), "detectors.knn")})
    assert dets["knn"].get_params()["window"] == 1
    with pytest.raises(AnogenError, match="not a row kind"):
        anogen.select(x, detectors=["zscore", "knn"], mode="tabular", kinds=["spike"])


def test_centrality_surrogate_votes_from_the_test_part_and_is_reported(tmp_path):
    """``select.surrogates=[centrality]``: one label-free voter per fold, scored on the test part
    (labels unused), in the report and the JSON; without it, the ranking is the battery's alone."""
    from anogen.jobs import run
    from anogen.selection.report import selection_markdown

    x = _series(900, seed=2)
    train, test = x[:600], x[600:].copy()
    test[100:130] += 3.0
    y = np.zeros(300, int)
    y[100:130] = 1
    kw = dict(detectors=["zscore", "knn", "pca"], kinds=["level_shift"], noise=False, levels=[5.0], seeds=[0],
              bootstrap=10, prior="off")
    sel = anogen.select(train, test, labels=y, surrogates=["centrality"], **kw)
    sur = sel.surrogates
    assert list(sur["voter"]) == ["fold0/surrogate:centrality"]
    assert np.isfinite(sur[["zscore", "knn", "pca"]].to_numpy()).all()
    assert "## Label-free surrogates" in selection_markdown(sel)
    # the labels are not used: other labels, the same centrality
    other = anogen.select(train, test, labels=1 - y, surrogates=["centrality"], **kw)
    pd.testing.assert_frame_equal(sur, other.surrogates)
    assert anogen.select(train, test, labels=y, **kw).surrogates is None
    cfg = compose(TINY + ["+experiment=select", "select.surrogates=[centrality]"] + SMALL)
    res = run(cfg, run_dir=str(tmp_path / "run"))
    assert res.results["surrogates"][0]["voter"] == "fold0/surrogate:centrality"
    assert res.results["data"]["columns"] and "skipped" in res.results["data"]   # every job says what it used
    assert "Label-free surrogates" in (tmp_path / "run" / "selection.md").read_text()


def test_window_variants_join_as_candidates_and_period_needs_a_cycle():
    from anogen.selection.candidates import data_period, window_variants

    t = np.arange(1200.0)
    x = np.sin(2 * np.pi * t / 40)[:, None] + 0.05 * np.random.default_rng(0).standard_normal((1200, 1))
    assert data_period(x) == 40
    dets = {"zscore": anogen.detectors.build_detector("zscore"), "knn": anogen.detectors.build_detector("knn")}
    out, sizes = window_variants(dets, ["period", 5, 10], x)
    assert list(out) == ["zscore", "knn", "knn@period", "knn@w5"]        # knn's own window is 10: no variant
    assert sizes == {"knn@period": 40, "knn@w5": 5}
    assert out["knn@period"].window == 40 and out["knn@period"].name == "knn@period" and dets["knn"].window == 10
    sel = anogen.select(x, detectors=["zscore", "knn"], windows=["period"], kinds=["level_shift"], noise=False,
                        levels=[3.0], seeds=[0], bootstrap=10, prior="off")
    assert set(sel.ranking["detector"]) == {"zscore", "knn", "knn@period"} and sel.windows == {"knn@period": 40}
    from anogen.selection.report import selection_markdown
    assert "`knn@period` = 40 rows" in selection_markdown(sel)
    with pytest.raises(AnogenError, match="select.windows: period: the train data have no clear cycle"):
        anogen.select(np.random.default_rng(1).standard_normal((800, 1)), detectors=["zscore", "knn"],
                      windows=["period"])
    for bad, msg in [(["period", "period"], "a window twice"), ([0], "settings.windows.0"), (["cycle"], "windows.0")]:
        with pytest.raises(AnogenError, match=msg):
            anogen.select(x, detectors=["zscore", "knn"], windows=bad)


def test_named_period_variants_are_fixed_left_out_as_copies_and_bounded_in_width(caplog):
    """``knn@period`` among the candidates: fixed at the period of the whole train part; on data
    without a clear cycle it would be a copy of ``knn`` (the fallback window) and is left out; on
    wide data whose windows hold more than ``max_window_values`` values it is left out; and
    ``evaluate_detectors`` ranks exactly the candidates ``select`` chose from."""
    import logging

    from anogen.selection.candidates import window_variants

    t = np.arange(1200.0)
    rng = np.random.default_rng(0)
    cyc = np.sin(2 * np.pi * t / 40)[:, None] + 0.05 * rng.standard_normal((1200, 1))
    noise = rng.standard_normal((1200, 1))
    names = ["zscore", "knn", "knn@period", "lof@period"]
    dets = {n: anogen.detectors.build_detector(n) for n in names}
    out, sizes = window_variants(dets, [], cyc)
    assert list(out) == names and sizes == {"knn@period": 40, "lof@period": 40}
    assert out["knn@period"].window == 40 and dets["knn@period"].window == "period"   # the input is not changed
    with caplog.at_level(logging.INFO, logger="anogen.selection.candidates"):
        out, sizes = window_variants(dets, [], noise)
        wide = np.repeat(cyc, 30, axis=1) + 0.05 * rng.standard_normal((1200, 30))    # 40 rows x 30 columns = 1,200
        assert list(window_variants(dets, [], wide, 1024)[0]) == ["zscore", "knn"]   # both over the bound
    assert list(out) == ["zscore", "knn", "lof@period"] and sizes == {"lof@period": 10}   # no lof to copy: kept
    assert "knn@period: left out: its window resolves to 10 rows, knn's own" in caplog.text
    assert "holds 1,200 values, over select.max_window_values = 1,024" in caplog.text
    assert list(window_variants(dets, [], wide, None)[0]) == names
    assert list(window_variants(dets, [], wide, 1200)[0]) == names

    kw = dict(kinds=["level_shift"], noise=False, levels=[3.0], seeds=[0], bootstrap=10, prior="off")
    train, test = cyc[:600], cyc[600:800].copy()
    test[100:120, 0] += 2.0
    y = np.zeros(200, int)
    y[100:120] = 1
    sel = anogen.select(train, test, labels=y, detectors=names, **kw)
    assert set(sel.ranking["detector"]) == set(names)
    ev = anogen.evaluate_detectors(train, test, y, detectors=names)
    assert set(ev["detector"]) == set(names)
    flat = np.random.default_rng(3).standard_normal((800, 1))
    sel = anogen.select(flat[:600], flat[600:], labels=y, detectors=names, **kw)
    ev = anogen.evaluate_detectors(flat[:600], flat[600:], y, detectors=names)
    assert set(sel.ranking["detector"]) == set(ev["detector"]) == {"zscore", "knn", "lof@period"}
    from anogen.selection.report import selection_markdown
    assert list(sel.left_out) == ["knn@period"]
    assert "Left out of the candidates: `knn@period`: its window resolves to 10 rows, knn's own" in selection_markdown(sel)
    with pytest.raises(AnogenError, match="max_window_values: must be >= 1"):
        anogen.evaluate_detectors(train, test, y, detectors=names, max_window_values=0)
    with pytest.raises(AnogenError, match="max_window_values"):
        anogen.select(train, detectors=names, max_window_values=0)
    with pytest.raises(AnogenError, match="period_variants: 'ensemble' has no window parameter, so it has no period"):
        anogen.select(train, detectors=[*names, "ensemble"], period_variants=["ensemble"])
    with pytest.raises(AnogenError, match="^period_variants: 'zscore' takes no period window"):
        anogen.evaluate_detectors(train, test, y, detectors=names, period_variants=["zscore"])
    with pytest.raises(AnogenError, match="period_variants lists a detector twice"):
        anogen.select(train, detectors=names, period_variants=["knn", "knn"])


def test_a_labelled_test_part_shorter_than_a_period_window_is_ranked_not_refused():
    """With labels the battery is in the train part and the labelled part is scored after the last
    train rows, so a test part shorter than ``knn@period``'s window is ranked (nasa_msl_f_5: 372
    test rows, a 500-row period); without labels the battery's part must still hold the window."""
    t = np.arange(1000.0)
    x = np.sin(2 * np.pi * t / 40)[:, None] + 0.05 * np.random.default_rng(0).standard_normal((1000, 1))
    test = x[900:930].copy()
    test[10:15, 0] += 3.0
    y = np.zeros(30, int)
    y[10:15] = 1
    kw = dict(kinds=["level_shift"], noise=False, levels=[3.0], seeds=[0], bootstrap=10, prior="off")
    sel = anogen.select(x[:900], test, labels=y, detectors=["zscore", "knn", "knn@period"], **kw)
    assert set(sel.real["scores"][i]["detector"] for i in range(3)) == {"zscore", "knn", "knn@period"}
    with pytest.raises(AnogenError, match=r"test part of fold 0 has 30 rows, fewer than the longest detector window "
                                          r"\(knn@period: 40 rows\)"):
        anogen.select(x[:900], test, detectors=["zscore", "knn", "knn@period"], **kw)


def test_selection_quality_random_last_and_the_real_winner_recommended():
    """Quality, not bookkeeping: on a clean periodic series the battery ranks a random scorer last
    (P(best) 0), and recommends the detector that really finds a labelled shape anomaly."""
    t = np.arange(3000.0)
    rng = np.random.default_rng(5)
    x = (np.sin(2 * np.pi * t / 50) + 0.05 * rng.standard_normal(3000))[:, None]
    train, test = x[:2000], x[2000:].copy()
    test[400:450, 0] = np.sin(2 * np.pi * t[400:450] / 25)          # one cycle at twice the frequency
    y = np.zeros(1000, int)
    y[400:450] = 1
    sel = anogen.select(train, test, labels=y, detectors=["random", "zscore", "knn"], seeds=[0], bootstrap=50,
                        prior="off")
    rk = sel.ranking.set_index("detector")
    assert sel.ranking["detector"].iloc[-1] == "random" and rk.loc["random", "p_best"] == 0.0
    assert sel.best == "knn" and rk.loc["knn", "p_best"] >= 0.9
    real = sel.real["points"]
    assert max(real, key=real.get) == "knn"                           # the real winner is the recommended one
    assert sel.real["agreement"]["top1"] == 1.0    # (zscore and random are both blind to it: their order is noise)


@pytest.mark.slow  # two select jobs (6 s)
def test_labelled_train_rows_leave_the_train_part_and_a_test_part_without_labels_is_one_line(tmp_path):
    """Bugs: with data.labels, rows labelled 1 in the train part were fitted as normal data; and a
    test part without any labelled row gave a report of empty real scores with 'top-1 = 1.000'."""
    import subprocess
    import sys

    from anogen.jobs import run

    x = _series(900)
    y = np.zeros(900, int)
    x[100:130, 0] += 6.0            # an anomaly in the train part
    y[100:130] = 1
    x[700:720, 0] += 3.0            # and one in the test part
    y[700:720] = 1
    csv = tmp_path / "labelled.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "is_anomaly": y}).to_csv(csv, index=False)
    cfg = TINY + ["+experiment=select", "data=csv", f"data.path={csv}", "data.labels=is_anomaly",
                  "data.test_fraction=0.33"] + SMALL
    seen = {}
    import anogen.selection.run as job_select   # where run_selection calls battery_rows
    real_battery = job_select.battery_rows

    def spy(fold, *a, **k):
        seen["train"], seen["segments"] = fold.train.copy(), fold.train_segments.copy()
        return real_battery(fold, *a, **k)

    job_select.battery_rows = spy
    try:
        run(compose(cfg), run_dir=tmp_path / "run")
    finally:
        job_select.battery_rows = real_battery
    assert seen["train"].shape[0] == 603 - 30 and seen["train"][:, 0].max() < 3.0
    assert seen["segments"].tolist() == [[0, 100], [100, 573]]      # the windows never span the gap
    # a split whose test part holds no labelled row: one line, exit 2, no files
    out = tmp_path / "none"
    p = subprocess.run([sys.executable, "-m", "anogen", *cfg[:-len(SMALL)], "data.test_fraction=0.1", *SMALL,
                        f"hydra.run.dir={out}"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and not out.exists()
    err = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and "holds no row labelled 1" in err[0] and "50 labelled rows are in the train part" in err[0]


def test_without_rows_splits_segments_and_agreement_with_a_tied_real_ranking_is_nan():
    from anogen.selection.labels import without_rows
    from anogen.selection.agreement import agreement
    from anogen.types import Fold

    idx = np.arange(10)
    fold = Fold(0, ("a",), np.arange(10.0)[:, None], np.zeros((4, 1)), idx, np.arange(10, 14),
                np.array([[0, 6], [6, 10]]))
    drop = np.zeros(10, bool)
    drop[[2, 3, 9]] = True
    f = without_rows(fold, drop)
    assert f.train[:, 0].tolist() == [0, 1, 4, 5, 6, 7, 8] and f.train_index.tolist() == [0, 1, 4, 5, 6, 7, 8]
    assert f.train_segments.tolist() == [[0, 2], [2, 4], [4, 7]]
    a = agreement({"x": 0.9, "y": 0.5, "z": 0.1}, {"x": 0.5, "y": 0.5, "z": 0.5})
    assert all(np.isnan(a[k]) for k in ("spearman", "kendall", "top1", "top3"))


def test_data_real_selects_on_a_shipped_series_with_its_real_ranking_and_without_its_own_prior(tmp_path):
    """``data=real data.series=NAME``: the series' own split (clean prefix / labelled rest), the real
    ranking and the agreement in the report, and a prior that leaves out the series' own source
    (its real ranking must not vote for itself)."""
    from anogen.data import RealSource, real
    from anogen.jobs import run
    from anogen.selection.prior import load_prior, prior_points, same_group

    name = "nab_adexchange_exchange_3_cpm_results"
    src = RealSource(name)
    (fold,) = src.folds()
    s = real.load(name)
    assert len(fold.train) == s.train_rows and len(fold.test) == len(s.values) - s.train_rows
    assert src.labels_for(fold).sum() == s.test_labels.sum() and not src.labels_for(fold, "train").any()

    small = [a for a in SMALL if a != "select.prior=off"] + ["select.prior=0.5"]
    run(compose(TINY + ["+experiment=select", "data=real", f"data.series={name}"] + small), run_dir=tmp_path)
    data = json.loads((tmp_path / "selection.json").read_text())
    assert set(data["real"]["agreement"]) >= {"spearman", "top1", "top3"}
    assert "Real ranking" in (tmp_path / "selection.md").read_text()
    dets = ["zscore", "knn", "pca"]
    pr = load_prior()
    own = prior_points(pr.points, dets, exclude=same_group(name, pr.groups, list(pr.points)), groups=pr.groups)
    got = {r["detector"]: r["points_prior"] for r in data["ranking"]}
    assert [got[d] for d in dets] == pytest.approx(own.tolist())
    assert not np.allclose(own, prior_points(pr.points, dets, groups=pr.groups))   # the test can tell


def test_data_real_unknown_series_is_one_line():
    from anogen.data import RealSource

    with pytest.raises(AnogenError, match="data.series: unknown labelled series 'nope'; shipped: ucr_"):
        RealSource("nope")


def test_family_weights_override_from_the_command_line(tmp_path):
    """``select.family_weights={point:0}`` composes (the default is null, so Hydra takes a dict) and the
    report's family table shows the point family's zero share of the vote."""
    from anogen.jobs import run

    run(compose(TINY + ["+experiment=select", "select.family_weights={point:0}"] + SMALL), run_dir=tmp_path)
    fams = {f["family"]: f for f in json.loads((tmp_path / "selection.json").read_text())["families"]}
    assert fams["point"]["weight_share"] == 0 and fams["collective"]["weight_share"] == pytest.approx(0.5)
