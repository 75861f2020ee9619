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
from anogen.metrics import metric
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
    m = Metric("range_fbeta", beta=2.0, cardinality="reciprocal")
    assert m.input == "pred"
    assert m(t, p, s) == {"range_fbeta": M.range_fbeta(t, p, beta=2.0, cardinality="reciprocal")}
    assert Metric("roc_auc", name="auc")(t, p, s) == {"auc": M.roc_auc(t, s)}  # scores: declared by roc_auc
    assert Metric("roc_auc", input="score").input == "score"  # agreeing with the declaration is allowed
    conf = Metric("confusion")(t, p, s)
    assert set(conf) == {
        f"confusion/{k}" for k in ("TP", "TN", "FP", "FN", "TPR", "TNR", "PPV", "NPV", "FPR", "FNR", "FDR")
    }
    # a dotted path to any function works
    assert Metric("anogen.metrics.pointwise.f1")(t, p) == {"anogen.metrics.pointwise.f1": M.f1(t, p)}
    out = compute_metrics({"my_f1": Metric("f1"), "vus": Metric("vus", window=5)}, t, p, s)
    assert set(out) == {"my_f1", "vus/vus_roc", "vus/vus_pr"}
    # declared functions can be passed as they are
    out = compute_metrics({"auc": M.roc_auc, "f1": M.f1}, t, p, s)
    assert out == {"auc": M.roc_auc(t, s), "f1": M.f1(t, p)}


def test_metric_config_errors_are_early_and_clear():
    with pytest.raises(AnogenError, match="unknown metric fn 'f2'"):
        Metric("f2")
    with pytest.raises(AnogenError, match="input must be one of pred, score"):
        Metric("f1", input="scores")
    with pytest.raises(AnogenError, match=r"declared with @metric\(input='pred'\); input='score' contradicts it"):
        Metric("f1", input="score")
    with pytest.raises(AnogenError, match=r"bad arguments \['kk'\] for tdir.*valid keyword arguments: k"):
        Metric("tdir", kk=3)
    with pytest.raises(AnogenError, match="bad arguments"):
        Metric("tdir")  # k is required
    with pytest.raises(AnogenError, match="cannot be imported"):
        Metric("anogen.nothing.here")
    with pytest.raises(AnogenError, match="does not say what it takes"):
        Metric(f"{__name__}.undeclared")
    with pytest.raises(AnogenError, match="metric input must be one of pred, score"):
        metric(input="scores")
    t, p, s = _data()
    with pytest.raises(AnogenError, match="needs scores"):
        Metric("roc_auc")(t, p, None)
    with pytest.raises(AnogenError, match="produced twice"):
        compute_metrics({"a": Metric("f1", name="x"), "b": Metric("recall", name="x")}, t, p, s)
    with pytest.raises(AnogenError, match="metrics.u must be an anogen.metrics.suite.Metric or a function declared"):
        compute_metrics({"u": undeclared}, t, p, s)


# ---- plug-ins: a metric is one decorated function (+ a YAML entry) ----

@metric(input="score")
def top_k_hit(y_true, y_score, k: int = 5) -> float:
    """A test plug-in outside the package: 1.0 when one of the k highest scores is an anomaly."""
    top = np.argsort(-np.asarray(y_score, dtype=float), kind="stable")[:k]
    return float(np.asarray(y_true)[top].any())


def undeclared(y_true, y_pred) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def test_a_metric_defined_outside_the_package_plugs_in_through_the_config():
    from anogen.config import build_group

    cfg = OmegaConf.merge(OmegaConf.load(CONF / "metrics" / "pointwise.yaml"),
                          {"top3": {"_target_": "anogen.metrics.suite.Metric", "fn": f"{__name__}.top_k_hit", "k": 3}})
    metrics = build_group(cfg, "metrics")
    assert metrics["top3"].input == "score"  # from the decorator, not from the config
    t, p, s = _data()
    out = compute_metrics(metrics, t, p, s)
    assert out["top3"] == top_k_hit(t, s, k=3) and out["f1"] == M.f1(t, p)
    s2 = s.copy()
    s2[t == 1] = -1.0  # the anomalies score lowest: no hit in the top 3, whatever the prediction says
    assert compute_metrics(metrics, t, t, s2)["top3"] == 0.0
    # an undeclared function still works when the entry says what it takes
    assert Metric(f"{__name__}.undeclared", input="pred")(t, p) == {f"{__name__}.undeclared": undeclared(t, p)}


def test_declarations_replace_the_hard_coded_lists():
    # every package metric is collected from its decorator, with the inputs it always had
    assert M.SCORE_METRICS == {"roc_auc", "pr_auc", "best_f1", "vus", "vus_roc", "vus_pr"}
    assert set(M.METRICS) == {
        "accuracy", "affiliation_pr", "affiliation_precision", "affiliation_recall", "balanced_accuracy",
        "best_f1", "composite_f1", "confusion", "dair", "detection_counts", "event_recall", "f1", "fbeta",
        "fpr", "nab_score", "pak_auc", "pak_f1", "point_adjusted_f1", "pr_auc", "precision", "range_fbeta",
        "range_precision", "range_recall", "recall", "roc_auc", "specificity", "tdir", "temporal_distance",
        "vus", "vus_pr", "vus_roc", "wdd",
    }
    assert all(getattr(M, n) is f and n in M.__all__ for n, f in M.METRICS.items())
    assert callable(M.point_adjust) and callable(M.best_f1_threshold) and "standard" in M.NAB_PROFILES
    # no config entry states the input: the function's declaration is the only source
    for group in GROUPS:
        for key, node in OmegaConf.load(CONF / "metrics" / f"{group}.yaml").items():
            assert "input" not in node, f"{group}.{key}"
            assert M.metric_input(M.METRICS[node.fn]) in ("pred", "score")


def test_the_package_exports_every_metric_explicitly():
    """``anogen.metrics`` imports its metrics by name (no ``globals()`` update): every decorated
    function of every module of the package is in METRICS under its name and exported, and
    ``__all__`` is exactly the metrics plus the helpers."""
    import ast
    import importlib
    import pkgutil

    declared = {}
    for info in pkgutil.iter_modules(M.__path__):
        module = importlib.import_module(f"{M.__name__}.{info.name}")
        declared |= {name: fn for name, fn in vars(module).items()
                     if M.metric_input(fn) is not None and fn.__module__ == module.__name__}
    assert len(declared) >= 32 and M.METRICS == declared
    assert all(getattr(M, name) is fn for name, fn in M.METRICS.items())
    helpers = ["HEADLINE", "METRICS", "NAB_PROFILES", "SCORE_METRICS", "best_f1_threshold", "metric",
               "metric_input", "point_adjust"]
    assert len(M.__all__) == len(set(M.__all__)) and set(M.__all__) == set(helpers) | set(M.METRICS)
    assert all(hasattr(M, name) for name in M.__all__)
    source = Path(M.__file__).read_text(encoding="utf-8")
    assert not any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "globals" for n in ast.walk(ast.parse(source)))


def test_headline_metrics_are_listed_once_and_are_real_entry_names():
    assert isinstance(M.HEADLINE, tuple) and M.HEADLINE[:3] == ("roc_auc", "pr_auc", "f1")
    assert len(set(M.HEADLINE)) == len(M.HEADLINE)
    entries = {k for g in GROUPS for k in OmegaConf.load(CONF / "metrics" / f"{g}.yaml")}
    assert set(M.HEADLINE) <= entries, sorted(set(M.HEADLINE) - entries)


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
