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
                        levels=[3.0], seeds=[0], bootstrap=10, prior="off", period_variants=[])
    assert set(sel.ranking["detector"]) == {"zscore", "knn", "ensemble"}
    assert sel.rows.loc[sel.rows["detector"] == "ensemble", "vus_pr"].notna().all()


def _cases(n_cases: int = 3):
    """A few labelled cases over the same clean rows (spikes in different places)."""
    from anogen.evaluation import Case
    from anogen.types import Event, Injected

    clean = _series(300, seed=5)
    out = []
    for i in range(n_cases):
        x = clean.copy()
        y = np.zeros(300, bool)
        y[40 + 70 * i: 44 + 70 * i] = True
        x[y] += 3.0
        ev = (Event(40 + 70 * i, 44 + 70 * i, "spike", ("a", "b"), "test"),)
        inj = Injected(x, y, ev, ("a", "b"), np.arange(300), clean, np.where(y, "spike", "").astype(object))
        out.append(Case(f"c{i}", inj, x))
    return out


def _fit(pool: dict):
    from anogen.evaluation import fit_detectors

    return fit_detectors(pool, _series(600, seed=1))


def _score(fitted, errors, secs, order, workers: int = 1):
    from anogen.api import _component, _metrics_of
    from anogen.evaluation import score_cases

    return score_cases(fitted, _cases(), _component("threshold", "percentile", "threshold"), _metrics_of(["vus"]),
                       fit_errors=errors, fit_seconds=secs, order=list(order), workers=workers)


def _evaluate(pool: dict, workers: int = 1):
    fitted, errors, secs = _fit(pool)
    return fitted, _score(fitted, errors, secs, pool, workers)


def test_an_ensemble_member_configured_as_a_candidate_is_that_fitted_candidate_and_scores_alike():
    # before: the ensemble fitted and scored a second copy of every member (a third of select's time)
    pool = {"zscore": build_detector("zscore"), "knn": build_detector("knn"),
            "ensemble": Ensemble(members=["zscore", "knn", "pca"])}
    fitted, runs = _evaluate(pool)
    ens = fitted["ensemble"]
    assert ens.shared_ == {"zscore": "zscore", "knn": "knn"}       # pca is no candidate: its own fit
    assert ens.members_["knn"] is fitted["knn"] and ens.members_["pca"] is not None
    alone = Ensemble(members=["zscore", "knn", "pca"]).fit(_series(600, seed=1), train_scores=None)
    for r in runs:
        if r.detector == "ensemble":
            case = next(c for c in _cases() if c.name == r.case)
            np.testing.assert_allclose(r.scores, alone.decision_function(case.x), atol=1e-9)


def test_a_member_with_other_parameters_is_not_shared():
    pool = {"knn": build_detector("knn"), "ensemble": Ensemble(members={"knn": build_detector("knn@20")})}
    fitted, _ = _evaluate(pool)
    assert fitted["ensemble"].shared_ == {} and fitted["ensemble"].members_["knn"] is not fitted["knn"]


def test_an_ensemble_of_candidates_combines_their_scores_without_scoring_the_members_again(monkeypatch):
    pool = {"zscore": build_detector("zscore"), "knn": build_detector("knn"),
            "ensemble": Ensemble(members=["zscore", "knn"])}
    calls = {"n": 0}
    real = Ensemble._decision_function

    def counting(self, X):
        calls["n"] += 1
        return real(self, X)

    fitted, errors, secs = _fit(pool)
    monkeypatch.setattr(Ensemble, "_decision_function", counting)
    runs = _score(fitted, errors, secs, pool)
    assert calls["n"] == 0 and all(r.ok for r in runs) and len(runs) == 9


def test_threads_give_the_same_runs_in_the_same_order():
    pool = {n: build_detector(n) for n in ["zscore", "zscore_rolling", "iforest", "knn", "pca", "ensemble"]}
    _, one = _evaluate({k: clone(v) for k, v in pool.items()}, workers=1)
    _, two = _evaluate({k: clone(v) for k, v in pool.items()}, workers=2)
    assert [(r.case, r.detector) for r in one] == [(r.case, r.detector) for r in two]
    for a, b in zip(one, two):
        assert a.metrics == b.metrics
        np.testing.assert_array_equal(a.scores, b.scores)


def test_the_packaged_period_ensemble_resolves_every_members_window_to_the_period():
    x = _series(1200, d=2)                        # period 25 rows
    ens = build_detector("ensemble_period").fit(x)
    assert list(ens.members_) == ["knn@period", "lof@period", "pca@period", "kmeans@period"]
    assert {m.window_ for m in ens.members_.values()} == {25} and ens.min_rows_ == 25
    test = _series(300, d=2, seed=5)
    test[150:155] += 3.0
    s = ens.decision_function(test)
    assert s[150:155].mean() > np.percentile(s, 95)
