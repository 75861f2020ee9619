"""Calibrated advice (issue 19): P(best) and rank intervals fitted on real labelled series by
leave-one-source-out, the shipped calibration, and a selection that states them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anogen.selection.calibration import (ADVICE_PATH, Calibration, best_share, calibrated_p_best,
                                          calibration_dict, conformal_halfwidth, covered, fit_temperature,
                                          load_calibration, mean_best_count, predicted_ranks, rank_errors,
                                          rank_intervals, softmax_p_best)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("points, t, expected", [
    ([0.2, 0.2, 0.2], 5.0, [1 / 3, 1 / 3, 1 / 3]),           # ties share
    ([1.0, 0.0], 0.0, [0.5, 0.5]),                           # T = 0: the points say nothing
    ([1.0, 0.0], np.log(3), [0.75, 0.25]),                   # exp(T) = 3
    ([1.0, np.nan, 0.0], np.log(3), [0.75, 0.0, 0.25]),      # no points: no chance
])
def test_p_best_is_a_softmax_of_the_points(points, t, expected):
    p = softmax_p_best(points, t)
    assert p == pytest.approx(expected) and p.sum() == pytest.approx(1.0)


def test_calibrated_p_best_is_p_of_a_real_best_when_ties_make_several():
    """A tie for best makes each tied candidate a best (the hit rate counts it so): with 1.5 bests per
    series on average, a softmax that shares one win is scaled by 1.5, capped at 1. Before, the
    softmax alone left the recommendation's P(best) 0.11 under its hit rate on the 150 real series."""
    real = [[0.9, 0.9, 0.1], [0.8, 0.2, 0.1], [0.5, 0.5, 0.5]]   # two bests, one best, all tie (no best)
    assert mean_best_count(real) == pytest.approx(1.5) and mean_best_count([[0.3, 0.3]]) == 1.0
    p = calibrated_p_best([1.0, 0.0], np.log(3), 1.5)
    assert p == pytest.approx([1.0, 0.375])                              # 1.5 x [0.75, 0.25], capped
    assert calibrated_p_best([1.0, 0.0], np.log(3)) == pytest.approx([0.75, 0.25])


def test_the_ties_factor_round_trips_through_advice_json(tmp_path):
    cal = Calibration(("a", "b"), 2.0, 1.0, ties=1.27)
    path = tmp_path / "advice.json"
    path.write_text(json.dumps(calibration_dict(cal)))
    assert load_calibration(path).ties == pytest.approx(1.27)
    old = calibration_dict(cal)
    del old["ties"]
    path.write_text(json.dumps(old))
    assert load_calibration(path).ties == 1.0            # a file from before: the plain softmax


def test_rank_intervals_are_whole_ranks_around_the_predicted_rank_within_the_pool():
    pts = [0.9, 0.5, 0.5, 0.1]
    assert list(predicted_ranks(pts)) == [1.0, 2.5, 2.5, 4.0]
    lo, hi = rank_intervals(pts, 1.0)
    assert list(lo) == [1, 2, 2, 3] and list(hi) == [2, 3, 3, 4]
    lo, hi = rank_intervals(pts, 9.0)
    assert list(lo) == [1] * 4 and list(hi) == [4] * 4


def test_rank_errors_and_coverage_count_tied_real_ranks_as_a_range():
    pts = [0.9, 0.6, 0.3]                 # predicted ranks 1, 2, 3
    real = [0.1, 0.5, 0.5]                # real ranks 3, 1-2, 1-2 (a tie)
    assert list(rank_errors(pts, real)) == [2.0, 0.0, 1.0]
    assert list(covered(pts, real, 0.0)) == [False, True, False]
    assert list(covered(pts, real, 1.0)) == [False, True, True]
    assert covered(pts, real, 2.0).all()


def test_the_conformal_half_width_is_the_finite_sample_quantile():
    errors = np.arange(10, dtype=float)   # 0..9: ceil(11 * 0.9) = 10th smallest = 9
    assert conformal_halfwidth(errors, 0.9) == 9.0
    assert conformal_halfwidth(errors, 0.5) == 5.0   # ceil(11 * 0.5) = 6th smallest
    assert np.isnan(conformal_halfwidth([], 0.9))


def test_best_share_splits_ties_and_gives_nothing_when_every_candidate_ties():
    assert list(best_share([0.2, 0.9, 0.9])) == [0.0, 0.5, 0.5]
    assert best_share([0.3, 0.3]).sum() == 0


def test_the_temperature_follows_how_well_the_points_predict_the_real_best():
    rng = np.random.default_rng(0)
    pts = [rng.random(6) for _ in range(200)]
    informative = fit_temperature(pts, pts)                                # the points are the truth
    noise = fit_temperature(pts, [rng.random(6) for _ in range(200)])      # unrelated
    assert informative > 20 and noise < 1.5


# ---- the shipped calibration -------------------------------------------------------------------------
def test_the_shipped_calibration_holds_for_the_default_pool_and_the_shipped_prior():
    import yaml

    from anogen.api import SELECT_DETECTORS
    from anogen.selection.prior import load_prior

    cal = load_calibration()
    assert cal is not None and cal.source == str(ADVICE_PATH)
    conf = yaml.safe_load((ROOT / "anogen/conf/experiment/select.yaml").read_text())
    pool = next(d["override /detectors"] for d in conf["defaults"] if isinstance(d, dict) and "override /detectors" in d)
    import inspect

    from anogen.api import evaluate_detectors
    from anogen.selection.candidates import PERIOD_VARIANTS
    from anogen.selection.settings import SelectSettings

    # the job, the API's select and evaluate_detectors, the calibration: one pool (window-10 candidates + period variants)
    assert conf["select"]["period_variants"] == list(PERIOD_VARIANTS) == SelectSettings().period_variants
    assert tuple(inspect.signature(evaluate_detectors).parameters["period_variants"].default) == PERIOD_VARIANTS
    assert list(pool) == list(SELECT_DETECTORS)
    full = [*pool, *(f"{n}@period" for n in PERIOD_VARIANTS)]
    assert sorted(full) == sorted(cal.detectors)
    assert cal.applies(full) and cal.applies(pool)   # a series without a clear cycle leaves the variants out
    assert load_prior().weight == pytest.approx(cal.prior_weight)
    assert np.isfinite(cal.temperature) and 0 <= cal.temperature and 0 <= cal.halfwidth < len(cal.detectors)
    assert cal.recommend in ("ranking", "ensemble", "global")
    ev = cal.evidence
    assert ev["series"] >= 90 and ev["families"] >= 4 and ev["default"] in ev["mean_pct_oracle"]


def test_the_shipped_calibration_is_what_the_evidence_script_fitted():
    """One script writes both: docs/advice_evidence.json's fit on every family is advice.json."""
    doc = json.loads((ROOT / "docs" / "advice_evidence.json").read_text())
    cal = load_calibration()
    shipped = doc["calibrated"]["shipped"]
    assert cal.temperature == pytest.approx(shipped["temperature"]) and cal.halfwidth == shipped["halfwidth"]
    assert cal.prior_weight == pytest.approx(shipped["prior_weight"]) and cal.recommend == doc["recommend"]
    assert cal.evidence["series"] == doc["series"] and cal.ties == pytest.approx(shipped["ties"]) and cal.ties > 1
    # what the calibration promises was checked leave-one-source-out: within 0.1 of the hit rate, 85-95% coverage
    rec = doc["calibrated"]["recommended"]
    assert abs(rec["mean_p_best"] - rec["hit_rate"]) <= 0.1
    assert 0.85 <= doc["calibrated"]["pairs"]["coverage"] <= 0.95


# ---- a selection that uses it --------------------------------------------------------------------------
def _rows(dets, winner):
    """Battery rows where ``winner`` finds every cell's anomalies best."""
    rows = []
    for c in range(8):
        for i, d in enumerate(dets):
            rows.append({"cell": f"c{c}", "kind": f"k{c % 4}", "family": ["point", "collective"][c % 2],
                         "level": float(c % 2), "seed": 0, "cluster": f"k{c % 4}|{c % 2}", "detector": d,
                         "vus_pr": 0.9 if d == winner else 0.1 + 0.05 * i + 0.01 * c})
    return pd.DataFrame(rows)


def _cal(dets, recommend="ranking", weight=0.0, trust_predicts=False):
    return Calibration(tuple(dets), 2.0, 1.0, 0.9, weight, recommend,
                       {"series": 127, "families": 5, "family_names": ["A", "B"], "default": "x",
                        "mean_pct_oracle": {"x": 0.8}, "p_best_recommended": 0.2, "hit_rate": 0.25,
                        "interval_coverage": 0.9, "trust_predicts": trust_predicts, "trust_spearman": -0.01,
                        "fixed_rule": "b"})


@pytest.mark.parametrize("recommend, best", [("ranking", "c"), ("ensemble", "ensemble")])
def test_a_calibrated_selection_reports_calibrated_figures_and_its_default(recommend, best):
    from anogen.selection.consensus import summarize
    from anogen.selection.report import selection_markdown

    dets = ["a", "b", "c", "ensemble"]
    sel = summarize(_rows(dets, "c"), dets, ["vus_pr"], n_boot=50, calibration=_cal(dets, recommend))
    rk = sel.ranking.set_index("detector")
    assert sel.calibrated and sel.best == best
    assert rk["p_best"].to_numpy() == pytest.approx(softmax_p_best(rk["points"].to_numpy(), 2.0))
    assert rk.loc["c", "p_best_battery"] > 0.9 > rk.loc["c", "p_best"]     # the bootstrap's is kept beside it
    line = sel.recommendation_line()
    assert f"recommendation: {best}" in line and "calibrated on 127 real series from 5 source families" in line
    assert "the fixed rule (best on the real series) says b" in line
    md = selection_markdown(sel)
    assert "trust: no label" in md and "trust: high" not in md and "evaluate_detectors(" in md
    assert "following this advice (x) gave 80%" in md
    assert "a tie for best makes each tied candidate one" in md
    section = md.split("## The recommended detector")[1].split("## Ranking")[0]
    first_row = [line for line in section.splitlines() if line.startswith("| ") and "detector" not in line][0]
    assert first_row.startswith(f"| {best} |")   # the recommendation's row, beside its runner-up


def test_an_uncalibrated_pool_keeps_the_bootstrap_and_says_why():
    from anogen.selection.consensus import summarize
    from anogen.selection.report import selection_markdown

    dets = ["a", "b", "c"]
    sel = summarize(_rows(dets, "c"), dets, ["vus_pr"], n_boot=50, calibration=_cal(["a", "b", "c", "d"]))
    assert not sel.calibrated and sel.best == "c"
    assert sel.ranking.set_index("detector").loc["c", "p_best"] > 0.9    # within the battery, as before
    assert "calibrated for the candidates" in selection_markdown(sel)


def test_a_prior_weight_other_than_the_calibrated_one_is_not_calibrated():
    from anogen.selection.consensus import summarize

    dets = ["a", "b", "c"]
    sel = summarize(_rows(dets, "c"), dets, ["vus_pr"], n_boot=0, calibration=_cal(dets, weight=0.5))
    assert not sel.calibrated and "weight 0.5" in sel.calibration["why"]


def test_the_ensembles_settings_name_its_members_not_no_window():
    """Regression: the recommended ensemble read 'no window: scores each row on its own' although its
    members (knn, lof, pca, ...) score windows of their own."""
    from omegaconf import OmegaConf

    from anogen.selection.consensus import detector_settings

    node = OmegaConf.create({"_target_": "anogen.detectors.ensemble.Ensemble", "members": ["knn", "pca"],
                             "combine": "mean"})
    params = detector_settings({"ensemble": node})
    assert params["ensemble"]["members"] == "knn, pca"
    dets = ["a", "ensemble"]
    from anogen.selection.consensus import summarize
    sel = summarize(_rows(dets, "a"), dets, ["vus_pr"], n_boot=0)
    sel.params = params
    assert sel.settings_text("ensemble") == "members knn, pca, each with its own window"


def test_the_evidence_line_names_the_methods_in_words():
    from anogen.selection.consensus import summarize

    dets = ["a", "b", "c", "ensemble"]
    cal = _cal(dets, "ranking")
    cal.evidence.update({"default": "selection (prior on, nested)",
                         "mean_pct_oracle": {"selection (prior on, nested)": 0.82, "OE (always ensemble)": 0.80,
                                             "global best": 0.80, "selection (prior off)": 0.75,
                                             "random (expected)": 0.67}})
    line = summarize(_rows(dets, "c"), dets, ["vus_pr"], n_boot=50, calibration=cal).evidence_line()
    assert "following this advice (the battery mixed with the real-data prior) gave 82%" in line
    assert "always the ensemble 80%, the detector best on the other sources 80%, the battery alone 75%, " \
           "a random candidate 67%" in line and "prior on, nested" not in line


def test_a_calibration_holds_for_its_pool_less_the_variants_a_series_left_out():
    """A pool with ``knn@period`` is fitted on series where the variant was left out (no clear cycle,
    or too wide): those series' candidates are the pool less the variant, and still calibrated."""
    cal = Calibration(("zscore", "knn", "lof", "knn@period", "lof@period"), 2.0, 1.0)
    assert cal.applies(["knn", "zscore", "lof", "lof@period", "knn@period"])
    assert cal.applies(["zscore", "knn", "lof"]) and cal.applies(["zscore", "knn", "lof", "lof@period"])
    assert not cal.applies(["zscore", "knn"])                          # a candidate missing: another pool
    assert not cal.applies(["zscore", "knn", "lof", "iforest"])        # one more
    assert not cal.applies(["knn@period", "lof@period"])
    assert not Calibration(("zscore", "knn"), 2.0, 1.0).applies(["zscore", "knn", "knn@period"])
