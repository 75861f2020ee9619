"""Config-facing metrics: Metric, compute_metrics, conf/metrics/*.yaml, the seed's eval."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

import anogen.metrics as M
from anogen.metrics.seed_eval import SEED_KEYS, evaluate_pairs
from anogen.metrics.suite import Metric, compute_metrics
from anogen.types import AnogenError

CONF = Path(__file__).resolve().parents[1] / "anogen" / "conf"
GROUPS = sorted(p.stem for p in (CONF / "metrics").glob("*.yaml"))


def _data():
    rng = np.random.default_rng(3)
    t = np.zeros(400, dtype=int)
    t[50:70] = 1
    t[200:203] = 1
    t[399] = 1
    s = rng.random(400) * 0.8 + 0.5 * t
    return t, (s >= 0.75).astype(int), s


def test_every_metrics_group_exists():
    assert GROUPS == sorted(
        ["pointwise", "threshold_free", "kovacs", "range", "adjusted", "affiliation", "vus", "nab"]
    )


@pytest.mark.parametrize("group", GROUPS)
def test_group_instantiates_and_computes(group):
    cfg = OmegaConf.load(CONF / "metrics" / f"{group}.yaml")
    metrics = {k: instantiate(v) for k, v in cfg.items()}
    assert all(isinstance(m, Metric) for m in metrics.values())
    t, p, s = _data()
    out = compute_metrics(metrics, t, p, s)
    assert out and all(isinstance(v, float) and np.isfinite(v) for v in out.values())
    for key in metrics:
        assert key in out or any(o.startswith(key + "/") for o in out)


def test_hydra_multi_select_merges_groups():
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(overrides=["+metrics=[pointwise,kovacs,range,vus]"])
    metrics = {k: instantiate(v) for k, v in cfg.metrics.items()}
    assert {"f1", "tdir", "dair", "range_f1", "vus_pr"} <= set(metrics)
    t, p, s = _data()
    out = compute_metrics(metrics, t, p, s)
    assert out["tdir"] == M.tdir(t, p, k=3)
    assert out["vus_pr"] == M.vus_pr(t, s, window=100)
    assert out["kovacs/EM"] == M.detection_counts(t, p, k=3)["EM"]


def test_metric_inputs_names_and_flattening():
    t, p, s = _data()
    m = Metric("range_fbeta", input="pred", beta=2.0, cardinality="reciprocal")
    assert m(t, p, s) == {"range_fbeta": M.range_fbeta(t, p, beta=2.0, cardinality="reciprocal")}
    assert Metric("roc_auc", input="score", name="auc")(t, p, s) == {"auc": M.roc_auc(t, s)}
    conf = Metric("confusion")(t, p, s)
    assert set(conf) == {
        f"confusion/{k}" for k in ("TP", "TN", "FP", "FN", "TPR", "TNR", "PPV", "NPV", "FPR", "FNR", "FDR")
    }
    # a dotted path to any function works
    assert Metric("anogen.metrics.pointwise.f1")(t, p) == {"anogen.metrics.pointwise.f1": M.f1(t, p)}
    out = compute_metrics({"my_f1": Metric("f1"), "vus": Metric("vus", input="score", window=5)}, t, p, s)
    assert set(out) == {"my_f1", "vus/vus_roc", "vus/vus_pr"}


def test_metric_config_errors_are_early_and_clear():
    with pytest.raises(AnogenError, match="unknown metric fn 'f2'"):
        Metric("f2")
    with pytest.raises(AnogenError, match="input must be one of pred, score"):
        Metric("f1", input="scores")
    with pytest.raises(AnogenError, match=r"bad arguments \['kk'\] for tdir.*valid keyword arguments: k"):
        Metric("tdir", kk=3)
    with pytest.raises(AnogenError, match="bad arguments"):
        Metric("tdir")  # k is required
    with pytest.raises(AnogenError, match="cannot be imported"):
        Metric("anogen.nothing.here")
    t, p, s = _data()
    with pytest.raises(AnogenError, match="needs scores"):
        Metric("roc_auc", input="score")(t, p, None)
    with pytest.raises(AnogenError, match="produced twice"):
        compute_metrics({"a": Metric("f1", name="x"), "b": Metric("recall", name="x")}, t, p, s)


# ---- the seed's eval task ----

SEED_EXAMPLE = {
    "targets": [[0, 0, 0, 0, 1], [0, 1, 0, 0, 0]],
    "candidates": [[1, 0, 0, 1, 0], [0, 0, 1, 1, 0]],
    "range": 3,
}


def test_seed_example():
    out = evaluate_pairs(SEED_EXAMPLE["targets"], SEED_EXAMPLE["candidates"], SEED_EXAMPLE["range"])
    assert out["td"] == [6.0, 4.0] and out["average_td"] == 5.0
    assert out["tdir"] == [1.0, 1.0]
    assert out["dair"] == [pytest.approx(1 / 3), pytest.approx(1 / 3)]
    assert out["exact_match"] == [0, 0]
    assert out["detected_anomaly"] == [1, 1]
    assert out["missed_anomaly"] == [0, 0]
    assert out["false_anomaly"] == [2, 2]
    for key in SEED_KEYS:
        assert f"average_{key}" in out
    for key in ("precision", "f1", "range_f1", "affiliation_recall", "nab_score", "composite_f1", "wdd"):
        assert len(out[key]) == 2 and f"average_{key}" in out
    json.dumps(out)  # JSON-able


def test_seed_eval_undefined_nab_is_none():
    out = evaluate_pairs([[0, 0, 0], [0, 1, 0]], [[0, 1, 0], [0, 1, 0]], 1)
    assert out["nab_score"] == [None, 100.0]
    assert out["average_nab_score"] == 100.0
    assert out["tdir"] == [0.0, 1.0]


@pytest.mark.parametrize(
    "targets,candidates,k,match",
    [
        ([[0, 1]], [[0, 1], [1, 0]], 1, "same number of series, got 1 and 2"),
        ([[0, 1, 0]], [[0, 1]], 1, r"targets\[0\] has length 3 but candidates\[0\] has length 2"),
        ([[0, 2]], [[0, 1]], 1, r"targets\[0\] must contain only 0/1 values; found 2 at index 1"),
        ([[0, 1]], [["a", 1]], 1, r"candidates\[0\] must contain only 0/1 values"),
        ([[0, 1]], [[0, 1]], -1, "range must be a non-negative integer, got -1"),
        ([[0, 1]], [[0, 1]], 1.5, "range must be a non-negative integer"),
        ([[0, 1]], [[0, 1]], "3", "range must be a non-negative integer"),
        ([], [], 1, "targets is empty"),
        ([[]], [[]], 1, r"targets\[0\] is empty"),
        ("0101", [[0, 1]], 1, "targets must be a list of 0/1 lists"),
    ],
)
def test_seed_eval_bad_input(targets, candidates, k, match):
    with pytest.raises(AnogenError, match=match):
        evaluate_pairs(targets, candidates, k)
