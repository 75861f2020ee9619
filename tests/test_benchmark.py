"""The benchmark: leaderboard, sanity detectors, failure isolation, threshold tuning."""

import numpy as np
import pandas as pd
import pytest

import anogen
from anogen.detectors.base import BaseDetector
from anogen.evaluation import event_recall_by_kind
from anogen.benchmarking import leaderboard, run_benchmark
from anogen.metrics.suite import Metric
from anogen.samplers.inject import Inject
from anogen.thresholds import Percentile
from anogen.types import Fold
from tests.conftest import TINY, compose

METRICS = {"roc_auc": Metric("roc_auc", input="score"), "f1": Metric("f1"), "recall": Metric("recall")}


class Oracle(BaseDetector):
    """score = the labels of the injected fold, read from a shared dict (a detector that cheats)."""

    def __init__(self, *, labels: dict | None = None, name: str = "oracle", contamination: float = 0.1):
        self.labels, self.name, self.contamination = labels, name, contamination

    def _fit(self, X, segments):
        pass

    def _decision_function(self, X):
        y = (self.labels or {}).get("y")
        return y.astype(float) if y is not None and len(y) == len(X) else np.zeros(len(X))


class Broken(BaseDetector):
    def __init__(self, *, name: str = "broken", contamination: float = 0.1):
        self.name, self.contamination = name, contamination

    def _fit(self, X, segments):
        raise RuntimeError("boom")

    def _decision_function(self, X):  # pragma: no cover
        return np.zeros(len(X))


def _fold(n=20_000, d=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    idx = np.arange(n)
    h = n // 2
    return Fold(0, tuple(f"c{j}" for j in range(d)), x[:h], x[h:], idx[:h], idx[h:], np.array([[0, h]]))


def test_sanity_random_oracle_zscore():
    from anogen.detectors.baselines import RandomScore, ZScore

    fold = _fold()
    spikes = Inject(count=200, kinds=["spike"], catalog={"spike": {"magnitude": 8.0}})
    labels = {}
    # the oracle needs the labels of the injected fold: inject once the way the benchmark does
    from anogen.samplers.folds import inject_fold
    from anogen.seeding import stage_seed

    from anogen.seeding import name_seed

    s = stage_seed(0, 0, 10, name_seed("spikes"))   # the benchmark seeds a sampler from its name
    labels["y"] = inject_fold(spikes, fold, None, None, s, s, 1)[0].labels
    res = run_benchmark([fold], {"spikes": spikes},
                        {"random": RandomScore(seed=0), "zscore": ZScore(), "oracle": Oracle(labels=labels),
                         "broken": Broken()}, METRICS, Percentile(99.0), seeds=[0])
    rows = res.rows
    lb = leaderboard(rows).set_index("detector")
    assert abs(lb.loc["random", "roc_auc"] - 0.5) < 0.05
    assert lb.loc["oracle", "roc_auc"] == 1.0
    assert lb.loc["zscore", "roc_auc"] > 0.9 and lb.loc["zscore", "recall[spike]"] > 0.9
    assert lb.loc["broken", "failed"] == 1 and np.isnan(lb.loc["broken", "roc_auc"])
    assert "boom" in rows.set_index("detector").loc["broken", "error"]


def test_event_recall_by_kind():
    from anogen.types import Event, Injected

    ev = (Event(2, 4, "spike", ("a",), "t"), Event(6, 9, "trend", ("a",), "t"), Event(12, 13, "spike", ("a",), "t"))
    inj = Injected(np.zeros((15, 1)), np.zeros(15, bool), ev, ("a",), np.arange(15), np.zeros((15, 1)),
                   np.full(15, "", object))
    pred = np.zeros(15, bool)
    pred[[3, 10]] = True
    assert event_recall_by_kind(inj, pred) == {"spike": 0.5, "trend": 0.0}


def test_benchmark_experiment_writes_leaderboard(tmp_path):
    from anogen.jobs import run

    cfg = compose(TINY + ["+experiment=benchmark", "benchmark.seeds=[0,1]", "detectors=[zscore,iforest,random]",
                          "plots=true"])
    res = run(cfg, run_dir=tmp_path)
    lb = pd.read_csv(tmp_path / "leaderboard.csv")
    assert set(lb["detector"]) == {"zscore", "iforest", "random"}
    assert (lb["runs"] == 2 * 2 * 3).all()          # folds x seeds x samplers
    assert {"roc_auc", "roc_auc_std", "f1"} <= set(lb.columns)
    assert any(c.startswith("recall[") for c in lb.columns)
    md = (tmp_path / "leaderboard.md").read_text()
    assert "±" in md and "## Per sampler" in md
    for f in ["detector_kind_recall.png", "curves_typed.png", "scores_noise_points.png"]:
        assert (tmp_path / "plots" / f).stat().st_size > 1000
    assert res.metrics["zscore/roc_auc"] == pytest.approx(lb.set_index("detector").loc["zscore", "roc_auc"])


def test_benchmark_experiment_ends_with_where_and_what(tmp_path, caplog):
    """Regression (issue 21): the benchmark printed nothing when it succeeded; now, like the other
    jobs, it ends with where the results are and the headline figures."""
    import logging

    from anogen.jobs import run

    cfg = compose(TINY + ["+experiment=benchmark", "benchmark.seeds=[0]", "detectors=[zscore,random]"])
    with caplog.at_level(logging.INFO, logger="anogen"):
        res = run(cfg, run_dir=tmp_path / "run")
    lines = [r.getMessage() for r in caplog.records if r.name == "anogen"]
    assert any(ln.startswith("benchmark done in ") and str(tmp_path / "run") in ln for ln in lines), lines
    head = lines[-1]
    lb = res.leaderboard
    assert head.startswith("leaderboard by roc_auc (mean of ") and f"{lb.loc[0, 'detector']} " in head, head
    assert f"{lb.loc[0, 'roc_auc']:.3f}" in head and "random" in head
    assert res.results["data"]["columns"] and "skipped" in res.results["data"]   # every job says what it used


def test_leaderboard_line_names_the_metric_the_runs_and_cuts_long_boards():
    from anogen.benchmarking import leaderboard_line

    lb = pd.DataFrame({"detector": list("abcdefg"), "runs": [4] * 7, "failed": [0] * 7,
                       "roc_auc": [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, np.nan]})
    line = leaderboard_line(lb)
    assert line == "leaderboard by roc_auc (mean of 4 runs each): a 0.900, b 0.800, c 0.700, d 0.600, e 0.500, " \
                   "... (2 more in leaderboard.md)"
    assert leaderboard_line(lb.tail(1)) == "leaderboard by roc_auc (mean of 4 runs each): g failed"
    assert leaderboard_line(lb[["detector", "runs"]]) == "leaderboard: no metric to rank by"


def test_threshold_tuning_on_validation_half(tmp_path):
    from anogen.jobs import run

    cfg = compose(TINY + ["+experiment=benchmark", "benchmark.seeds=[0]", "detectors=[zscore]",
                          "benchmark.tuning.enabled=true", "benchmark.tuning.objective=recall_at_fpr",
                          "benchmark.tuning.max_fpr=0.1"])
    res = run(cfg, run_dir=tmp_path)
    rows = res.rows
    assert rows["threshold"].notna().all()
    assert "zscore/recall" in res.metrics


def test_api_benchmark_returns_dataframe(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x = np.sin(np.arange(3000) / 20.0)[:, None] + np.random.default_rng(0).normal(0, 0.05, (3000, 1))
    lb = anogen.benchmark(x, samplers=["noise", "inject"], detectors=["zscore", "random"], seeds=[0, 1])
    assert isinstance(lb, pd.DataFrame) and set(lb["detector"]) == {"zscore", "random"}
    assert list(tmp_path.iterdir()) == []
    by = anogen.benchmark(x, samplers={"big": {"_target_": "anogen.samplers.noise.Noise", "ratio": 0.02,
                                               "magnitude": 5.0, "kind": "gaussian"}},
                          detectors=["zscore"], by_sampler=True)
    assert by.loc[0, "sampler"] == "big" and by.loc[0, "roc_auc"] > 0.8


def test_evaluation_settings_reach_the_benchmark_and_give_the_same_leaderboard(tmp_path):
    """evaluation.incremental=false / train_scores=null keep the old scoring path reachable from the config."""
    from anogen.jobs import run

    base = TINY + ["+experiment=benchmark", "benchmark.seeds=[0]", "plots=false", "logger=[local]",
                   "detectors=[zscore,pca]"]
    fast = run(compose(base), run_dir=None).leaderboard.set_index("detector")
    old = run(compose(base + ["evaluation.incremental=false", "evaluation.train_scores=null"]),
              run_dir=None).leaderboard.set_index("detector")
    np.testing.assert_allclose(fast.loc[["zscore", "pca"], "roc_auc"], old.loc[["zscore", "pca"], "roc_auc"], atol=1e-9)
    from anogen.types import AnogenError

    with pytest.raises(AnogenError, match=r"^evaluation\.train_scores: must be > 0"):
        run(compose(base + ["evaluation.train_scores=0"]), run_dir=None)


# ---- issue 21: thresholds on drifting data, what a figure rests on ---------------------------------
def test_thresholds_name_the_false_positive_rate_they_aim_at():
    from anogen.benchmarking import expected_fpr, fpr_limit
    from anogen.thresholds import BestF1, Contamination, Fixed

    assert expected_fpr(Percentile(99.0)) == pytest.approx(0.01)
    assert expected_fpr(Contamination(ratio=0.05)) == pytest.approx(0.05)
    assert expected_fpr(Fixed(3.0)) is None and expected_fpr(BestF1()) is None
    assert expected_fpr(Percentile(99.0), {"objective": "recall_at_fpr", "max_fpr": 0.02}) == pytest.approx(0.02)
    assert expected_fpr(Percentile(99.0), {"objective": "f1"}) is None
    # warned above 3x the aim and above 0.1
    assert fpr_limit(0.01) == pytest.approx(0.1) and fpr_limit(0.05) == pytest.approx(0.15)
    assert fpr_limit(None) == pytest.approx(0.1)


def test_fpr_warnings_name_the_detector_and_its_fpr():
    from anogen.benchmarking import fpr_warnings

    lb = pd.DataFrame({"detector": ["knn", "lof", "random"], "fpr": [0.71, 0.12, 0.011]})
    warned = fpr_warnings(lb, 0.01)
    assert list(warned) == ["knn", "lof"]
    assert "knn" in warned["knn"] and "0.71" in warned["knn"]
    assert list(fpr_warnings(lb, 0.05)) == ["knn"]          # 0.12 is below 3 x 0.05


def test_leaderboard_says_how_many_events_a_kind_recall_rests_on():
    """Bug: a single event's recall printed as ``1.000 ± 0.000``; and precision/FPR were missing
    from the leaderboard when the metrics did not include them."""
    from anogen.benchmarking import leaderboard_markdown
    from anogen.detectors.baselines import ZScore

    fold = _fold(n=4000)
    one = Inject(count=1, kinds=["spike"], catalog={"spike": {"magnitude": 8.0}})
    res = run_benchmark([fold], {"one": one}, {"zscore": ZScore()}, METRICS, Percentile(99.0), seeds=[0])
    lb = leaderboard(res.rows)
    assert lb.loc[0, "events[spike]"] == 1
    assert {"precision", "fpr"} <= set(lb.columns)          # not among METRICS, recorded anyway
    md = leaderboard_markdown(lb)
    head, _, row = md.splitlines()
    cells = dict(zip(head.strip("| ").split(" | "), row.strip("| ").split(" | ")))
    assert cells["recall[spike]"] == f"{lb.loc[0, 'recall[spike]']:.3f} (1 event)"
    assert "fpr" in cells and "precision" in cells
    two = leaderboard(pd.concat([res.rows, res.rows.assign(seed=1)]))
    assert "(2 events)" in leaderboard_markdown(two)


def _drifting_csv(path, n=1200):
    t = np.arange(n)
    a = np.sin(t / 8.0) + 0.1 * np.random.default_rng(0).normal(size=n) + 4.0 * t / n   # a slow drift
    pd.DataFrame({"a": a, "b": np.cos(t / 11.0) + 3.0 * t / n}).to_csv(path, index=False)
    return path


def test_benchmark_on_drifting_data_warns_about_false_positives(tmp_path, caplog):
    """Bug: on drifting data the train-percentile threshold flagged half the normal test rows, recall
    read 1.00 almost everywhere, and nothing said so."""
    import json
    import logging

    from anogen.jobs import run

    csv = _drifting_csv(tmp_path / "drift.csv")
    cfg = compose(TINY + ["+experiment=benchmark", "data=csv", f"data.path={csv}", "data.columns=[a,b]",
                          "data.dates=[]", "benchmark.seeds=[0]", "detectors=[zscore,random]", "plots=false",
                          "logger=[local]"])
    with caplog.at_level(logging.WARNING, logger="anogen"):
        res = run(cfg, run_dir=tmp_path / "run")
    fpr = res.leaderboard.set_index("detector")["fpr"]
    assert fpr["zscore"] > 0.3 and fpr["random"] < 0.1
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("zscore" in m and f"{fpr['zscore']:.2f}" in m for m in warned), warned
    assert not any("detector random" in m for m in warned)
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert len(m["warnings"]) == 1 and "zscore" in m["warnings"][0]
    assert m["fpr_warnings"]["detectors"]["zscore"] == pytest.approx(fpr["zscore"])
    assert m["fpr_warnings"]["expected_fpr"] == pytest.approx(0.01)
    md = (tmp_path / "run" / "leaderboard.md").read_text()
    assert "Warning" in md and f"zscore FPR {fpr['zscore']:.2f}" in md
    lb = pd.read_csv(tmp_path / "run" / "leaderboard.csv").set_index("detector")
    assert "zscore" in lb.loc["zscore", "warning"] and pd.isna(lb.loc["random", "warning"])
