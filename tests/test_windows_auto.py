"""Windows as a choice (issue 20, item 1): ``window: auto`` resolves at fit time to the train part's
dominant period (bounds, a logged fallback), the resolved window is kept and shown, and window
variants are named ``NAME@N`` / ``NAME@period`` / ``NAME@Kperiod`` in the plain run, the benchmark,
the API and the selection (one mechanism)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sklearn.base import clone

import anogen
from anogen.data import period
from anogen.detectors import build_detector, detector_variants
from anogen.detectors.windows import resolve_window, split_variant
from anogen.types import AnogenError
from tests.conftest import TINY, compose


def _periodic(n: int = 1200, p: int = 40, d: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)[:, None]
    return np.sin(2 * np.pi * t / p + np.arange(d)) + 0.05 * rng.standard_normal((n, d))


def test_the_period_estimate_moved_below_the_detectors_and_the_samplers_use_the_same_function():
    from anogen.samplers.kinds import signal
    from anogen.selection import candidates

    assert signal.dominant_period is period.dominant_period
    assert candidates.data_period is period.data_period
    x = _periodic()
    assert period.data_period(x) == 40 and period.data_period(x[:, 0]) == 40


def test_period_window_bounds_and_the_logged_fallback(caplog):
    x = _periodic(p=40)
    assert period.period_window(x) == 40 and period.period_window(x, 2) == 80 and period.period_window(x, 0.05) == 4
    assert period.period_window(_periodic(n=200, p=90)) == 200 // 4         # at most a quarter of the train rows
    assert period.period_window(_periodic(n=8000, p=700, d=1)) == 500         # at most 500
    noise = np.random.default_rng(1).standard_normal((800, 2))
    with caplog.at_level(logging.INFO, logger="anogen.data.period"):
        assert period.period_window(noise, owner="knn") == period.DEFAULT_WINDOW == 10
    assert "knn: window: the train part has no clear period" in caplog.text
    assert period.period_window(noise, 3) == 30


def test_window_auto_resolves_at_fit_time_and_equals_the_explicit_window():
    x = _periodic()
    auto = build_detector("knn", window="auto").fit(x[:900])
    fixed = build_detector("knn", window=40).fit(x[:900])
    assert auto.window == "auto" and auto.window_ == 40 and fixed.window_ == 40
    np.testing.assert_array_equal(auto.decision_function(x[900:]), fixed.decision_function(x[900:]))
    assert repr(auto).endswith("[window_=40]") and "window_" not in repr(fixed)
    assert auto.receptive_field_ == (39, 39)
    twice = build_detector("iforest", window="2period").fit(x[:900])
    assert twice.window_ == 80
    assert not hasattr(clone(auto), "window_") and clone(auto).window == "auto"
    assert resolve_window(7, x) == 7 and resolve_window("7", x) == 7


def test_window_auto_incremental_scoring_equals_full_scoring():
    x = _periodic(n=700)
    det = build_detector("knn", window="auto").fit(x[:500])
    test = x[500:].copy()
    ref = det.score_reference(test)
    test[[3, 100, 150]] += 2.0
    np.testing.assert_allclose(det.decision_function(test, reference=ref), det.decision_function(test), atol=1e-10)


@pytest.mark.parametrize("bad", ["cycle", 0, "0period", "-2period", "period2"])
def test_a_bad_window_is_one_line_naming_the_key(bad):
    with pytest.raises(AnogenError, match=r"detectors\.knn\.window"):
        build_detector("knn", window=bad)


def test_variant_names_parse_and_build():
    assert split_variant("knn") == ("knn", None)
    assert split_variant("knn@50") == ("knn", 50) and split_variant("knn@w50") == ("knn", 50)
    assert split_variant("knn@period") == ("knn", "period") and split_variant("knn@2period") == ("knn", "2period")
    v = build_detector("knn@50")
    assert (v.window, v.name) == (50, "knn@50")
    x = _periodic()
    p2 = build_detector("knn@2period").fit(x[:900])
    assert p2.name == "knn@2period" and p2.window_ == 80
    for bad in ["knn@", "knn@fast", "@50", "nope@50"]:
        with pytest.raises(AnogenError):
            build_detector(bad)
    with pytest.raises(AnogenError, match="no window parameter"):
        build_detector("random@50")
    with pytest.raises(AnogenError, match=r"zscore_rolling@period.*window"):
        build_detector("zscore_rolling@period")


def test_detector_variants_take_the_configured_detector_with_its_overrides():
    base = {"knn": build_detector("knn").set_params(estimator__n_neighbors=3)}
    out = detector_variants(["knn@5", "iforest@period"], base)
    assert list(out) == ["knn@5", "iforest@period"]
    assert out["knn@5"].estimator.n_neighbors == 3 and out["knn@5"].window == 5 and base["knn"].window == 10
    assert out["iforest@period"].window == "period"
    for bad, msg in [(["knn"], r"detector_variants\[0\]"), (["knn@5", "knn@5"], "listed twice")]:
        with pytest.raises(AnogenError, match=msg):
            detector_variants(bad, base)


def test_the_plain_run_builds_variants_from_detector_variants():
    from anogen.jobs.spec import build_job

    job = build_job(compose(TINY + ["detectors=[zscore,knn]", "+detector_variants=[knn@50,knn@period]"]))
    assert list(job.detectors) == ["zscore", "knn", "knn@50", "knn@period"]
    assert job.detectors["knn@period"].window == "period" and job.detectors["knn@50"].name == "knn@50"
    with pytest.raises(AnogenError, match="detector_variants"):
        build_job(compose(TINY + ["+detector_variants=[knn]"]))
    default = build_job(compose(TINY))
    assert list(default.detectors) == ["zscore", "zscore_rolling", "iforest", "knn", "pca"]


def test_the_benchmark_runs_window_variants(tmp_path):
    from anogen.jobs import run

    cfg = compose(TINY + ["+experiment=benchmark", "benchmark.seeds=[0]", "detectors=[zscore,knn]",
                          "+detector_variants=[knn@5,knn@period]"])
    res = run(cfg, run_dir=None)
    assert set(res.leaderboard["detector"]) == {"zscore", "knn", "knn@5", "knn@period"}


def test_the_api_takes_variant_names_and_the_selection_reports_resolved_windows():
    x = _periodic(n=1200)
    train, test = x[:800], x[800:].copy()
    y = np.zeros(400, dtype=int)
    y[200:215] = 1
    test[200:215] += 1.5
    df = anogen.evaluate_detectors(train, test, y, detectors=["knn", "knn@period", "knn@2period"], metrics=["vus"],
                                   rank_by=["vus_pr"])
    assert set(df["detector"]) == {"knn", "knn@period", "knn@2period"} and df["error"].isna().all()
    sel = anogen.select(x, detectors={"zscore": "zscore", "knn": {**_knn_auto()}}, kinds=["level_shift"],
                        noise=False, levels=[3.0], seeds=[0], bootstrap=10, prior="off")
    assert sel.windows == {"knn": 40}                     # the candidate's auto window, resolved on the train part
    assert sel.settings_text("knn").startswith("window 40 rows")


def _knn_auto() -> dict:
    from anogen.config import packaged_option

    node = packaged_option("detectors", "knn")["knn"]
    return {**node, "window": "auto"}


def test_detector_settings_show_the_resolved_window():
    from anogen.selection.consensus import detector_settings

    x = _periodic()
    det = build_detector("knn", window="auto")
    assert detector_settings({"knn": det})["knn"]["window"] == "auto"
    det.fit(x[:900])
    assert detector_settings({"knn": det})["knn"]["window"] == 40


def test_a_reconstruction_detector_takes_its_window_from_the_period():
    x = _periodic(n=600, p=20, d=1)
    det = build_detector("lstm_ae", window="auto", epochs=1, hidden=[4], latent_dim=2, batch_size=64).fit(x[:400])
    assert det.window_ == 20 and det.model_.seq_len == 20 and det.receptive_field_ == (19, 19)
    assert det.decision_function(x[400:]).shape == (200,)
