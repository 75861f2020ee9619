"""The reports say what their figures are and never contradict themselves (issue 21, items 6, 7, 9).

Generator report: each AUC names its detector, rows are judged by row detectors only (no
time-order detector), no ``nan`` in the summary line, over-fitting in the training history is
flagged. Selection report: a low trust never sits beside a headline that claims certainty; the
headline shows absolute quality, the window, and the rank on the subtlest level. ``print(sel)`` and
``print(res)`` are one line. ``evaluate_detectors`` never ties a much worse detector with a much
better one. A ``_target_`` in a module that is not installed is one line with the install hint.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest

from anogen.samplers.report import GeneratorReport, detector_aucs, verdict
from anogen.types import AnogenError, RunResult
from tests.test_selection_aggregation import _rows  # the same battery rows: one helper

# ---------------------------------------------------------------------------- generator report


def _row_fold(seed: int = 0):
    """Normal rows (no time structure) and a test part whose anomalous rows are inside the normal
    range but far from their neighbours in time (what a rolling z-score "finds", a row detector not)."""
    rng = np.random.default_rng(seed)
    train = rng.normal(size=(400, 3))
    test = np.repeat(rng.normal(size=(20, 3)) * 0.1, 10, axis=0)   # slowly varying blocks
    labels = np.zeros(len(test), bool)
    labels[5::20] = True
    test[labels] = rng.normal(size=(labels.sum(), 3)) * 0.8          # ordinary rows, out of context in time
    return test, labels, train


def test_rows_are_judged_by_row_detectors_only():
    test, labels, train = _row_fold()
    rows = detector_aucs(test, labels, train, np.array([[0, len(train)]]), L=1)
    assert math.isnan(rows["auc_rolling"])                     # no time-order detector for rows
    assert rows["auc_best"] == max(rows["auc_zscore"], rows["auc_knn"])
    windows = detector_aucs(test, labels, train, np.array([[0, len(train)]]), L=5)
    assert math.isfinite(windows["auc_rolling"])               # windows keep it


def _latent_like(**kw) -> GeneratorReport:
    """The figures of ``+experiment=latent`` on the embedded data (before this change)."""
    base = dict(sampler="latent_uniform", n=20, length=1, decoding="residual", deviation=0.43, recon_error=0.126,
                deviation_ratio=3.4, diversity=1.17, active_dims=2, latent_dim=2, auc_zscore=0.37, auc_knn=0.33,
                auc_best=0.37, auc_best_by="zscore", acceptance={"bounds": 0.44, "total": 0.15})
    return GeneratorReport(**{**base, **kw})


def test_summary_names_each_detector_and_prints_no_nan():
    r = _latent_like()
    r.verdict, r.reasons = verdict(r)
    line = r.summary()
    assert "nan" not in line.lower(), line
    assert "roughness n/a (rows have no time axis)" in line
    assert "zscore 0.37" in line and "knn 0.33" in line and "zscore_rolling" not in line
    assert r.verdict == "weak" and "row detector" in line and "(zscore) 0.37" in line
    empty = GeneratorReport(sampler="s", n=2, length=8, decoding="direct")  # nothing measured
    assert "nan" not in empty.summary().lower(), empty.summary()


# the losses of +experiment=vae_tail (train 28 -> 4.7, validation ~18) and +experiment=latent
VAE_TAIL = {"train_loss": list(np.linspace(27.6, 4.7, 103)),
            "val_loss": list(np.r_[np.linspace(28.6, 19.6, 51), np.linspace(19.0, 17.0, 52)])}
LATENT = {"train_loss": list(np.r_[210.3, 63.2, np.linspace(27.8, 5.5, 67)]),
          "val_loss": list(np.r_[120.7, 14.9, np.linspace(14.4, 3.5, 67)])}


def test_overfitting_is_flagged_from_the_training_history():
    from anogen.samplers.report import THRESHOLDS, overfitting

    share, over = overfitting(VAE_TAIL)
    assert over and share < THRESHOLDS["overfit_val_share"]
    assert overfitting(LATENT)[1] is False
    assert overfitting({"train_loss": [1.0] * 5, "val_loss": [1.0] * 5}) == (pytest.approx(math.nan, nan_ok=True),
                                                                            False)
    negative = {k: [x - 40.0 for x in v] for k, v in VAE_TAIL.items()}  # a Gaussian NLL can be negative
    assert overfitting(negative)[1]
    r = _latent_like(auc_best=0.9, auc_zscore=0.9, length=10, roughness=1.0)
    r.val_share, r.overfit = overfitting(VAE_TAIL)
    v, reasons = verdict(r)
    assert v == "weak" and any("over-fits" in why for why in reasons)
    assert "over-fitting" in r.summary() and r.metrics()["generator/overfit"] == 1.0


def test_inject_fold_passes_the_history_to_the_report():
    import inspect

    from anogen.samplers.folds import inject_fold
    from anogen.samplers.report import generator_report

    assert "history" in inspect.signature(inject_fold).parameters
    assert "history" in inspect.signature(generator_report).parameters


def test_generator_docs_print_the_thresholds():
    from pathlib import Path

    from anogen.samplers.report import THRESHOLDS

    doc = (Path(__file__).parents[1] / "docs" / "generators.md").read_text()
    for key in ("overfit_train_drop", "overfit_val_share", "overfit_min_epochs"):
        assert key in doc and f"{THRESHOLDS[key]:g}" in doc


# ---------------------------------------------------------------------------- selection report


def _low_trust():
    from anogen.selection.consensus import summarize

    # each detector wins a third of the cells: the cells disagree (low trust), yet one is recommended
    return summarize(_rows(["a", "b", "c"] * 6), ["a", "b", "c"], ["vus_pr", "range_f1"], n_boot=30, trim=0.0)


def test_low_trust_headline_does_not_claim_certainty():
    sel = _low_trust()
    assert not sel.trust["label"].startswith(("high", "moderate")), sel.trust
    line = sel.recommendation_line()
    assert "within this battery" in line and "disagree" in line and "Kendall's W" in line
    assert "not a certain choice" in line
    assert f"mean VUS-PR {sel.quality()['vus_pr']:.2f}" in line            # absolute quality
    sub = sel.subtlest()
    assert sub["level"] == 1.0 and f"subtlest level (1.00) its mean rank is {sub['rank']:.2f} of 3" in line


def test_high_trust_headline_and_report_show_quality_window_and_subtle_rank():
    from anogen.selection.consensus import detector_settings, summarize
    from anogen.selection.report import selection_json, selection_markdown

    sel = summarize(_rows(["a"] * 16), ["a", "b", "c"], ["vus_pr", "range_f1"], n_boot=30)
    assert sel.trust["label"] == "high"
    sel.params = detector_settings({"a": {"_target_": "x.A", "name": "a", "window": 10, "stride": 1},
                                    "b": {"_target_": "x.B", "mode": "global"}})
    line = sel.recommendation_line()
    assert "P(best) = 1.00 within this battery" in line and "window 10 rows" in line
    assert sel.quality()["vus_pr"] == pytest.approx(0.9) and "mean VUS-PR 0.90, range-F1 0.90 on the battery" in line
    assert "no window" in sel.settings_text("b")
    md = selection_markdown(sel)
    assert "## The recommended detector" in md and "window 10 rows; stride=1" in md
    data = selection_json(sel)
    assert data["quality"]["vus_pr"] == pytest.approx(0.9) and data["settings"]["window"] == 10
    assert data["subtlest"]["rank"] == pytest.approx(1.0)


def test_write_selection_takes_the_settings_from_the_run_config(tmp_path):
    from anogen.outputs.context import RunOutputs
    from anogen.selection.report import selection_json, write_selection

    sel = _low_trust()
    results = selection_json(sel)
    cfg = {"detectors": {"a": {"_target_": "x.A", "window": 25, "stride": 1}, "b": {"_target_": "x.B"}}}
    with RunOutputs(tmp_path, config=cfg, plots=False) as out:
        write_selection(out, sel, results)
    assert "window 25 rows" in results["recommendation_line"] and "window 25 rows" in sel.recommendation_line()
    assert "window 25 rows" in (tmp_path / "selection.md").read_text()


def test_print_selection_and_run_result_is_one_short_line():
    sel = _low_trust()
    for text in (str(sel), repr(sel)):
        assert "\n" not in text and len(text) < 200, text
        assert f"best: {sel.best}" in text and "P(best)" in text and "trust: " in text
    res = RunResult(metrics={"zscore/f1": 0.1, "lstm_ae/f1": 0.3}, injected=[], run_dir="/tmp/run")
    assert repr(res) == "RunResult(0 fold(s), 2 detector(s), best f1: lstm_ae 0.300, run_dir=/tmp/run)"
    sel_res = RunResult(metrics={}, injected=[], results={"summary": sel.summary_line()})
    assert str(sel_res) == sel.summary_line()


# ---------------------------------------------------------------------------- evaluate_detectors


def test_evaluate_detectors_never_ties_a_much_worse_detector(monkeypatch):
    import anogen
    import anogen.evaluation as evaluation
    from anogen.evaluation import DetectorRun

    given = {"zscore": {"vus_pr": 0.031, "range_f1": 0.40}, "iforest": {"vus_pr": 0.678, "range_f1": 0.35},
             "knn": {"vus_pr": 0.5, "range_f1": 0.0}}

    def fake(detectors, *a, **k):  # the metrics of the issue, without fitting anything
        return [DetectorRun(name, "real", metrics=dict(given[name])) for name in detectors]

    monkeypatch.setattr(evaluation, "evaluate_detectors", fake)
    x = np.random.default_rng(0).normal(size=(300, 2))
    y = np.zeros(100, int)
    y[10:20] = 1
    df = anogen.evaluate_detectors(x[:200], x[200:], y, detectors=list(given)).set_index("detector")
    assert df.loc["iforest", "rank"] == 1 and df.loc["zscore", "rank"] == 3, df
    assert df.loc["iforest", "points"] - df.loc["zscore", "points"] > 0.25
    assert df["rank"].is_unique


# ---------------------------------------------------------------------------- missing optional module


@pytest.mark.parametrize("target, hint", [
    ("pyod.models.ecod.ECOD", "pip install 'anogen[pyod]'"),
    ("faiss.IndexHNSWFlat", "pip install 'anogen[fast]'"),
    ("anogen_no_such_module_xyz.Detector", "check the spelling"),
])
def test_missing_module_is_one_line_with_the_install_hint(monkeypatch, caplog, target, hint):
    from anogen.config import resolve_target

    monkeypatch.setitem(__import__("sys").modules, target.split(".")[0], None)  # not installed, whatever is
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(AnogenError) as err:
            resolve_target(target, "detectors.x.estimator")
    msg = str(err.value)
    assert "\n" not in msg and "is not installed" in msg and hint in msg, msg
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]     # no Hydra ERROR block


def test_install_hints_name_extras_of_pyproject():
    import tomllib
    from pathlib import Path

    from anogen.config import OPTIONAL_MODULES

    extras = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    for module, (package, extra) in OPTIONAL_MODULES.items():
        if extra is not None:
            assert any(req.startswith(package) for req in extras[extra]), (module, extra)
