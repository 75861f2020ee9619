"""The ensemble detector (issue 20, item 3): the combination of its members' normalised scores, a
scikit-learn estimator (clone, set_params, typed parameters), incremental scoring equal to full
scoring, and a candidate in the benchmark and the selection."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

import anogen
from anogen.detectors import Ensemble, build_detector
from anogen.types import AnogenError
from tests.conftest import TINY, compose


def _series(n: int, d: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    return np.sin(2 * np.pi * t / 25 + np.arange(d)) + 0.1 * rng.normal(size=(n, d))


def _robust(train: np.ndarray, s: np.ndarray) -> np.ndarray:
    q1, med, q3 = np.percentile(train, [25, 50, 75])
    return (s - med) / ((q3 - q1) / 1.349)


@pytest.mark.parametrize("combine", ["mean", "max", "trimmed_mean"])
def test_scores_are_the_hand_computed_combination_of_the_members_normalised_scores(combine):
    train, test = _series(400, seed=1), _series(200, seed=2)
    test[50:55] += 3.0
    names = ["zscore", "knn", "iforest", "pca", "zscore_rolling"]
    ens = Ensemble(members=names, combine=combine, trim=0.2).fit(train)
    z = []
    for n in names:
        m = build_detector(n).fit(train)
        z.append(_robust(m.decision_scores_, m.decision_function(test)))
    z = np.array(z)
    want = {"mean": z.mean(axis=0), "max": z.max(axis=0),
            "trimmed_mean": np.sort(z, axis=0)[1:4].mean(axis=0)}[combine]   # int(0.2 * 5) = 1 cut at each end
    np.testing.assert_allclose(ens.decision_function(test), want, rtol=1e-10, atol=1e-10)
    assert list(ens.members_) == names and ens.receptive_field_ == (50, 9)
    assert ens.decision_scores_.shape == (400,) and ens.threshold_ == pytest.approx(np.percentile(ens.decision_scores_, 90))


def test_standard_normalisation_and_a_mapping_of_members():
    train, test = _series(300, seed=1), _series(120, seed=2)
    ens = Ensemble(members={"a": "zscore", "b": {"_target_": "anogen.detectors.baselines.ZScore", "mode": "rolling",
                                                   "window": 20}}, normalise="standard").fit(train)
    a = build_detector("zscore").fit(train)
    b = build_detector("zscore_rolling", window=20).fit(train)
    want = np.mean([(m.decision_function(test) - m.decision_scores_.mean()) / m.decision_scores_.std()
                    for m in (a, b)], axis=0)
    np.testing.assert_allclose(ens.decision_function(test), want, rtol=1e-10, atol=1e-10)
    assert list(ens.members_) == ["a", "b"]


def test_clone_set_params_and_typed_parameters():
    ens = build_detector("ensemble")
    assert ens.get_params()["members"] == ["zscore_rolling", "iforest", "knn", "lof", "pca"]
    c = clone(ens)
    assert c.get_params() == ens.get_params() and c is not ens
    c.set_params(combine="max", members=["zscore", "knn@period"])
    assert ens.combine == "mean" and c.combine == "max"
    c.fit(_series(300))
    assert list(c.members_) == ["zscore", "knn@period"] and c.members_["knn@period"].window_ == 25
    for bad, msg in [({"combine": "median"}, r"detectors\.ensemble\.combine"),
                     ({"trim": 0.5}, r"detectors\.ensemble\.trim"),
                     ({"members": []}, r"detectors\.ensemble\.members"),
                     ({"members": ["nope"]}, "unknown detector 'nope'"),
                     ({"members": ["knn", "knn"]}, "listed twice")]:
        with pytest.raises(AnogenError, match=msg):
            build_detector("ensemble", **bad)


def test_incremental_scoring_equals_full_scoring_and_train_samples_are_exact():
    train, ref_x = _series(300, seed=1), _series(240, seed=3)
    ens = build_detector("ensemble").fit(train)
    ref = ens.score_reference(ref_x)
    np.testing.assert_allclose(ref.scores, ens.decision_function(ref_x), atol=1e-10)
    for rows in ([0], [239], [100, 101, 102], [5, 60, 180, 238]):
        x = ref_x.copy()
        x[rows] += 2.5
        np.testing.assert_allclose(ens.decision_function(x, reference=ref), ens.decision_function(x), atol=1e-9)
    # a bounded train-score sample: the members normalise on the same sample (their train rows are
    # scored once, not twice), and the ensemble's own train scores are exact for its model
    sampled = build_detector("ensemble").fit(train, train_scores=100)
    own = sampled.decision_function(train)
    np.testing.assert_allclose(sampled.decision_scores_, own[sampled.train_score_rows_], atol=1e-9)
    assert all(len(m.decision_scores_) < len(train) for m in sampled.members_.values())
    for name in ens.centers_:   # the sample's normalisation is close to the full one's
        assert abs(sampled.centers_[name] - ens.centers_[name]) < 0.5 * ens.scales_[name]


def test_a_member_that_is_not_local_makes_the_ensemble_score_whole():
    ens = Ensemble(members=["zscore", "random"]).fit(_series(200))
    assert ens.receptive_field_ is None
    x = _series(100, seed=4)
    ref = ens.score_reference(x)
    x[10] += 3
    np.testing.assert_allclose(ens.decision_function(x, reference=ref), ens.decision_function(x), atol=1e-10)


def test_the_ensemble_runs_in_the_benchmark_experiment():
    from anogen.jobs import run

    cfg = compose(TINY + ["+experiment=benchmark", "benchmark.seeds=[0]", "detectors=[zscore,knn,ensemble]"])
    res = run(cfg, run_dir=None)
    lb = res.leaderboard.set_index("detector")
    assert set(lb.index) == {"zscore", "knn", "ensemble"} and np.isfinite(lb.loc["ensemble", "roc_auc"])


def test_the_ensemble_is_a_selection_candidate():
    t = np.arange(900, dtype=float)
    x = np.stack([np.sin(t / 12), np.cos(t / 12)], axis=1) + 0.05 * np.random.default_rng(0).standard_normal((900, 2))
    sel = anogen.select(x, detectors=["zscore", "knn", "ensemble"], kinds=["level_shift", "spike"], noise=False,
                        levels=[3.0], seeds=[0], bootstrap=10, prior="off")
    assert set(sel.ranking["detector"]) == {"zscore", "knn", "ensemble"}
    assert sel.rows.loc[sel.rows["detector"] == "ensemble", "vus_pr"].notna().all()
