"""Rank aggregation, agreement, prior and consensus of the selection (pure numpy/pandas)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anogen.selection.aggregation import bootstrap, borda, kendall_distance, kendalls_w, ranks, trimmed_borda
from anogen.selection.agreement import agreement
from anogen.selection.consensus import summarize
from anogen.selection.prior import Prior, choose_weight, mix, prior_points
from anogen.selection.settings import check_select
from anogen.types import AnogenError


def test_ranks_average_ties_and_nan_last():
    r = ranks(np.array([[0.9, 0.5, 0.5, np.nan], [np.nan, np.nan, 1.0, 0.0]]))
    np.testing.assert_allclose(r[0], [1, 2.5, 2.5, 4])
    np.testing.assert_allclose(r[1], [3.5, 3.5, 1, 2])


def test_borda_points_and_weights():
    r = np.array([[1, 2, 3], [3, 2, 1]], dtype=float)
    np.testing.assert_allclose(borda(r), [0.5, 0.5, 0.5])
    np.testing.assert_allclose(borda(r, np.array([3.0, 1.0])), [0.75, 0.5, 0.25])


def test_kendall_distance_extremes():
    ref = np.array([1.0, 2.0, 3.0, 4.0])
    d = kendall_distance(np.array([[1, 2, 3, 4], [4, 3, 2, 1], [2, 1, 3, 4]], dtype=float), ref)
    np.testing.assert_allclose(d, [0.0, 1.0, 1 / 6])


def test_trimmed_borda_drops_the_outlying_voter():
    agree = np.tile([1.0, 2.0, 3.0], (5, 1))
    odd = np.array([[3.0, 2.0, 1.0]])
    r = np.vstack([agree, odd])
    plain = borda(r)
    agg = trimmed_borda(r, trim=0.2)
    assert agg.kept.tolist() == [True] * 5 + [False]
    np.testing.assert_allclose(agg.points, [1.0, 0.5, 0.0])
    assert plain[0] < agg.points[0]          # the untrimmed count was pulled by the odd voter
    assert trimmed_borda(r, trim=0.0).kept.all()


def test_kendalls_w_unanimous_and_opposed():
    assert kendalls_w(np.tile([1.0, 2.0, 3.0, 4.0], (6, 1))) == pytest.approx(1.0)
    assert kendalls_w(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])) == pytest.approx(0.0)
    assert np.isnan(kendalls_w(np.array([[1.0, 2.0]])))


def test_bootstrap_certain_and_uncertain():
    r = np.tile([1.0, 2.0, 3.0], (8, 1))
    b = bootstrap(r, np.arange(8), n=50, seed=1)
    np.testing.assert_allclose(b.p_best, [1, 0, 0])
    np.testing.assert_allclose(b.rank_lo, b.rank_hi)
    mixed = np.vstack([np.tile([1.0, 2.0, 3.0], (4, 1)), np.tile([2.0, 1.0, 3.0], (4, 1))])
    b2 = bootstrap(mixed, np.arange(8), n=200, seed=1, trim=0.0)
    assert b2.p_best.sum() == pytest.approx(1.0)
    assert 0.2 < b2.p_best[0] < 0.8 and b2.p_best[2] == 0
    assert b2.rank_lo[0] == 1 and b2.rank_hi[0] == 2


def test_agreement_spearman_top1_top3():
    real = {"a": 0.9, "b": 0.5, "c": 0.2, "d": 0.1}
    same = agreement({"a": 3, "b": 2, "c": 1, "d": 0}, real)
    assert same["spearman"] == pytest.approx(1.0) and same["kendall"] == pytest.approx(1.0)
    assert same["top1"] == 1 and same["top3"] == 1
    rev = agreement({"a": 0, "b": 1, "c": 2, "d": 3}, real)
    assert rev["spearman"] == pytest.approx(-1.0) and rev["top1"] == 0 and rev["top3"] == 0
    assert agreement({"x": 1.0}, real)["n"] == 0


def test_prior_mix_and_weight_by_leave_one_series_out():
    np.testing.assert_allclose(mix(np.array([1.0, 0.0]), np.array([0.0, np.nan]), 0.25), [0.75, 0.0])
    pts = {"s1": {"a": 1.0, "b": 0.0}, "s2": {"a": 0.0, "b": 1.0}}
    np.testing.assert_allclose(prior_points(pts, ["a", "b", "c"], exclude=["s2"]), [1.0, 0.0, np.nan])
    dets = ["a", "b", "c", "d"]
    real = {s: dict(zip(dets, [4.0, 3.0, 2.0, 1.0])) for s in ("s1", "s2", "s3")}
    wrong = {s: dict(zip(dets, [1.0, 2.0, 3.0, 4.0])) for s in real}          # synthetic reversed
    w, table = choose_weight(wrong, real, real)
    assert w == 0.6                       # the smallest weight at which the (right) prior wins: ties -> smaller
    assert table["0.6"]["median_spearman"] == pytest.approx(1.0) and table["0.4"]["median_spearman"] < 0
    w0, _ = choose_weight(real, real, wrong)                                 # prior reversed
    assert w0 == 0.0


def _rows(winner_by_cell: list[str], dets=("a", "b", "c")) -> pd.DataFrame:
    rows = []
    for i, win in enumerate(winner_by_cell):
        kind = ["spike", "level_shift", "contextual", "pattern"][i % 4]
        fam = {"spike": "point", "level_shift": "collective", "contextual": "contextual", "pattern": "shape"}[kind]
        for d in dets:
            v = 0.9 if d == win else (0.5 if d != "c" else 0.1)
            rows.append({"cell": f"c{i}", "kind": kind, "family": fam, "level": 1.0 + i % 2, "seed": 0,
                         "cluster": f"{kind}@{1 + i % 2}", "detector": d, "vus_pr": v, "range_f1": v, "error": None})
    return pd.DataFrame(rows)


def test_summarize_recommends_and_reports_trust():
    rows = _rows(["a"] * 16)
    flat = _rows(["x"] * 2)
    flat[["vus_pr", "range_f1"]] = 0.3            # a cell where nothing separates the detectors
    flat["cell"] = flat["cell"] + "flat"
    sel = summarize(pd.concat([rows, flat]), ["a", "b", "c"], ["vus_pr", "range_f1"], n_boot=30)
    assert sel.best == "a" and sel.ranking["p_best"].iloc[0] == pytest.approx(1.0)
    assert sel.trust["label"] == "high" and sel.trust["uninformative"] == 4
    assert set(sel.families["family"]) == {"point", "collective", "contextual", "shape"}
    assert sel.families["weight_share"].to_numpy() == pytest.approx([0.25] * 4)
    assert sel.strengths["a"] and not sel.strengths["c"]
    assert "recommendation: a" in sel.recommendation_line() and "trust: high" in sel.trust_line()


def test_summarize_with_prior_and_low_trust():
    rows = _rows(["a", "b"] * 8)
    prior = Prior({"s": {"a": 0.0, "b": 1.0, "c": 0.5}}, weight=0.5)
    sel = summarize(rows, ["a", "b", "c"], ["vus_pr"], n_boot=30, prior=prior, trim=0.0)
    assert sel.prior["used"] and sel.prior["weight"] == 0.5
    assert sel.best == "b"                          # the prior breaks the synthetic tie
    assert sel.ranking.set_index("detector").loc["a", "points_synthetic"] == pytest.approx(
        sel.ranking.set_index("detector").loc["b", "points_synthetic"])
    off = summarize(rows, ["a", "b", "c"], ["vus_pr"], n_boot=0, prior=prior, prior_weight=0.0)
    assert not off.prior["used"] and off.ranking["p_best"].isna().all()
    assert sel.trust["kendalls_w"] == pytest.approx(0.75)      # a and b swap places, c always last


def test_select_settings_errors():
    assert check_select({}).levels is None
    for bad, msg in [({"levels": [0]}, "select.levels"), ({"trim": 1}, "select.trim"), ({"nope": 1}, "unknown key"),
                     ({"metrics": []}, "select.metrics"), ({"prior": "sometimes"}, "select.prior"),
                     ({"metrics": ["vus_pr", "vus_pr"]}, "twice"),
                     ({"surrogates": ["agreement"]}, "select.surrogates.0: must be 'centrality'"),
                     ({"surrogates": ["centrality", "centrality"]}, "surrogate twice")]:
        with pytest.raises(AnogenError, match=msg):
            check_select(bad)


def test_centrality_ranks_the_odd_detector_last_and_skips_failed_or_constant():
    from anogen.selection.surrogates import centrality

    rng = np.random.default_rng(0)
    truth = rng.standard_normal(400)
    scores = {"a": truth + 0.1 * rng.standard_normal(400), "b": truth + 0.2 * rng.standard_normal(400),
              "c": truth + 0.3 * rng.standard_normal(400), "odd": rng.standard_normal(400),
              "failed": None, "flat": np.ones(400)}
    c = centrality(scores)
    assert max(c, key=lambda k: -np.inf if np.isnan(c[k]) else c[k]) == "a"
    assert c["odd"] < min(c["a"], c["b"], c["c"]) and abs(c["odd"]) < 0.15
    assert np.isnan(c["failed"]) and np.isnan(c["flat"])
    # k = 1: each detector's single nearest neighbour; k beyond the others is clamped
    pair = {o: centrality({"c": scores["c"], "x": scores[o]})["c"] for o in ("a", "b", "odd")}
    assert centrality(scores, k=1)["c"] == pytest.approx(max(pair.values()))     # its nearest neighbour alone
    assert centrality(scores, k=99)["a"] == pytest.approx(np.mean([v for v in (
        centrality({"a": scores["a"], "x": scores["b"]})["a"], centrality({"a": scores["a"], "x": scores["c"]})["a"],
        centrality({"a": scores["a"], "x": scores["odd"]})["a"])]))
    assert all(np.isnan(v) for v in centrality({"a": scores["a"], "failed": None}).values())


def test_summarize_surrogate_voter_moves_points_but_not_trust_or_strengths():
    rows = _rows(["a", "b"] * 8)
    sur = pd.DataFrame([{"voter": "fold0/surrogate:centrality", "kind": "centrality",
                         "cluster": "fold0/surrogate:centrality", "fold": 0, "a": 0.1, "b": 0.9, "c": 0.5}])
    base = summarize(rows, ["a", "b", "c"], ["vus_pr"], n_boot=20, trim=0.0)
    sel = summarize(rows, ["a", "b", "c"], ["vus_pr"], n_boot=20, trim=0.0, surrogates=sur)
    pts = sel.ranking.set_index("detector")["points"]
    assert pts["b"] > pts["a"] and sel.best == "b"   # the surrogate breaks the synthetic tie
    assert sel.trust["kendalls_w"] == pytest.approx(base.trust["kendalls_w"])
    assert sel.trust["voters"] == base.trust["voters"] and sel.trust["surrogates"] == ["centrality"]
    assert "centrality" not in sel.by_kind.index and sel.strengths == base.strengths
    fam = sel.families.set_index("family")["weight_share"]
    assert fam["surrogate"] == pytest.approx(0.2) and sel.surrogates is not None
    assert base.surrogates is None and base.trust["surrogates"] == []


def test_prior_groups_count_once_and_leave_together():
    """Series of one source (e.g. four UCR InternalBleeding records) are one piece of evidence:
    they count once in the prior, and leave it together when one of them is held out."""
    from anogen.selection.prior import same_group

    pts = {"ib1": {"a": 1.0, "b": 0.0}, "ib2": {"a": 1.0, "b": 0.0}, "ib3": {"a": 1.0, "b": 0.0},
           "ecg": {"a": 0.0, "b": 1.0}}
    groups = {"ib1": "IB", "ib2": "IB", "ib3": "IB", "ecg": "ECG"}
    np.testing.assert_allclose(prior_points(pts, ["a", "b"]), [0.75, 0.25])               # each series once
    np.testing.assert_allclose(prior_points(pts, ["a", "b"], groups=groups), [0.5, 0.5])  # each group once
    assert same_group("ib2", groups, list(pts)) == ["ib2", "ib1", "ib3"] and same_group("x", groups, ["x"]) == ["x"]
    dets = ["a", "b", "c"]
    real = {s: dict(zip(dets, [3.0, 2.0, 1.0])) for s in ("ib1", "ib2", "ib3", "ecg")}
    syn = {s: dict(zip(dets, [1.0, 2.0, 3.0])) for s in real}                               # synthetic reversed
    # leave-one-series-out: the held-out IB record is predicted by its siblings, the prior looks perfect
    assert choose_weight(syn, real, pts)[0] > 0
    # leave-one-group-out: an IB record's prior comes from the ECG record alone (which ranks b first)
    w, table = choose_weight(syn, real, pts, groups=groups)
    assert set(table["0.5"]["per_series"]) == set(real)
    assert table["1"]["median_spearman"] < 1.0


def test_trimmed_mean_weighs_a_cell_by_how_far_apart_it_sets_the_detectors():
    """Two near-ties (0.501 vs 0.500) outvote one clear verdict (0.9 vs 0.1) under Borda; under the
    trimmed mean of the values the clear verdict decides, and its points read like Borda's."""
    from anogen.selection.aggregation import trimmed_borda, value_points

    vals = np.array([[0.9, 0.1], [0.500, 0.501], [0.500, 0.501]])
    r = ranks(vals)
    assert trimmed_borda(r, trim=0.0).points.argmax() == 1
    agg = trimmed_borda(r, trim=0.0, values=vals)
    assert agg.points.argmax() == 0 and agg.points.tolist() == [1.0, 0.0]
    assert value_points(np.array([[0.3, 0.3]])).tolist() == [0.5, 0.5]          # a tie: no winner
    # no score (a failed detector) counts as the voter's lowest value, not as 0 or as missing
    assert value_points(np.array([[0.8, np.nan, 0.6]])).tolist() == [1.0, 0.0, 0.0]


def test_trimmed_mean_trims_the_farthest_voters_and_bootstraps():
    from anogen.selection.aggregation import bootstrap, trimmed_borda

    rng = np.random.default_rng(0)
    vals = np.tile([0.8, 0.6, 0.4, 0.2], (9, 1)) + rng.normal(0, 0.01, (9, 4))
    vals = np.vstack([vals, [0.0, 0.0, 0.0, 1.0]])                            # one odd voter
    agg = trimmed_borda(ranks(vals), trim=0.1, values=vals)
    assert not agg.kept[-1] and agg.kept[:-1].all() and agg.points.argmax() == 0
    b = bootstrap(ranks(vals), np.arange(10), n=50, trim=0.1, values=vals)
    assert b.p_best.sum() == pytest.approx(1.0) and b.p_best[0] > 0.9


def test_select_aggregate_setting_is_checked():
    from anogen.selection.settings import check_select
    from anogen.types import AnogenError

    assert check_select({}).aggregate == "mean" and check_select({"aggregate": "borda"}).aggregate == "borda"
    with pytest.raises(AnogenError, match="aggregate"):
        check_select({"aggregate": "median"})


def test_report_names_the_aggregation_that_was_used():
    """The report and the JSON said "trimmed Borda" whatever select.aggregate combined the cells with."""
    from anogen.selection.report import selection_json, selection_markdown

    rows = _rows(["a"] * 16)
    for how, name in (("mean", "Trimmed mean"), ("borda", "Trimmed Borda")):
        sel = summarize(rows, ["a", "b", "c"], ["vus_pr", "range_f1"], n_boot=0, aggregate=how)
        assert name in selection_markdown(sel) and selection_json(sel)["method"].lower().startswith(name.lower())
        assert sel.best == "a"
    with pytest.raises(ValueError, match="aggregate"):
        summarize(rows, ["a", "b", "c"], ["vus_pr"], n_boot=0, aggregate="median")


def test_family_weights_silence_a_family():
    """``family_weights={point: 0}``: the point cells (spike, where b wins) stop voting; the other
    families (a wins) decide, the family table shows a zero share and trust counts the voters left."""
    rows = _rows(["b", "a", "a", "a"] * 2)
    both = summarize(rows, ["a", "b", "c"], ["vus_pr", "range_f1"], n_boot=0, trim=0.0)
    quiet = summarize(rows, ["a", "b", "c"], ["vus_pr", "range_f1"], n_boot=20, trim=0.0,
                      family_weights={"point": 0.0})
    pts = both.ranking.set_index("detector")["points"]
    assert pts["b"] > 0 and quiet.ranking.set_index("detector").loc["b", "points"] < pts["b"]
    assert quiet.best == "a" and quiet.ranking["p_best"].iloc[0] == pytest.approx(1.0)
    fam = quiet.families.set_index("family")
    assert fam.loc["point", "weight_share"] == 0 and fam.loc["point", "cells"] == 2
    assert quiet.trust["voters"] == 12 and both.trust["voters"] == 16      # 6 cells x 2 metrics left
    with pytest.raises(ValueError, match="leave no family"):
        summarize(rows, ["a", "b", "c"], ["vus_pr"], n_boot=0,
                  family_weights={f: 0.0 for f in ("point", "collective", "contextual", "shape")})
    for bad, msg in [({"points": 0}, "unknown family \\['points'\\]"),
                     ({"point": 0, "collective": 0, "contextual": 0, "shape": 0}, "every anomaly family is at 0"),
                     ({"point": -1}, "select.family_weights.point")]:
        with pytest.raises(AnogenError, match=msg):
            check_select({"family_weights": bad})
    assert check_select({"mode": "tabular", "family_weights": {"global": 0}}).family_weights == {"global": 0.0}
