"""The selection battery: local variability, the ladder, rescaling, cells, family weights; real series."""

from __future__ import annotations

import json

import numpy as np
import pytest

from anogen.selection.battery import FAMILIES, family_weights, ladder, local_scale, plan_battery, rescale
from anogen.types import Event, Injected


def test_local_scale_white_noise_and_smooth_signal():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 2.0, size=(4000, 1))
    assert local_scale(noise)[0] == pytest.approx(2.0, rel=0.08)
    t = np.arange(4000, dtype=float)
    smooth = np.sin(t / 50)[:, None] + 0.01 * rng.standard_normal((4000, 1))
    assert local_scale(smooth)[0] < 0.05 * smooth.std()
    const = np.ones((50, 2))
    assert (local_scale(const) == 1.0).all()       # no spread anywhere: falls back to 1
    # differences never cross a segment boundary: two offset segments of constant data
    two = np.r_[np.zeros(100), 10 * np.ones(100)][:, None] + 0.1 * rng.standard_normal((200, 1))
    assert local_scale(two, np.array([[0, 100], [100, 200]]))[0] < 0.2


def test_ladder_spans_local_noise_to_gross():
    lv = ladder(np.array([0.1, 0.1]), np.array([1.0, 1.0]), steps=4, gross=4.0)
    assert lv[0] == 1.0 and lv[-1] == 40.0 and len(lv) == 4
    assert all(a < b for a, b in zip(lv, lv[1:]))
    assert ladder(np.array([1.0]), np.array([1.0]), steps=3, gross=4.0) == (1.0, 2.0, 4.0)


def _injected() -> Injected:
    clean = np.zeros((20, 2))
    vals = clean.copy()
    vals[3:6, 0] = [1.0, 2.0, 3.0]
    vals[10, 1] = -5.0
    events = (Event(3, 6, "trend", ("a",), "inject"), Event(10, 11, "spike", ("b",), "inject"))
    labels = np.zeros(20, bool)
    labels[3:6] = labels[10] = True
    return Injected(vals, labels, events, ("a", "b"), np.arange(20), clean, np.where(labels, "x", "").astype(object))


def test_rescale_sets_each_events_rms_and_keeps_its_shape():
    inj = _injected()
    out = rescale(inj, np.array([2.0, 0.5]))
    dev = out.values - out.clean
    assert np.sqrt(np.mean(dev[3:6, 0] ** 2)) == pytest.approx(2.0)
    assert dev[10, 1] == pytest.approx(-0.5)
    np.testing.assert_allclose(dev[3:6, 0] / dev[5, 0], [1 / 3, 2 / 3, 1])   # shape kept
    assert (dev[~inj.labels] == 0).all() and (out.labels == inj.labels).all()
    assert out.events[0].params["rescaled"]["a"] == pytest.approx(2.0 / np.sqrt(14 / 3))


def test_plan_battery_lengths_families_and_noise():
    cells = plan_battery(["spike", "level_shift", "contextual", "pattern"], 400, (1.0, 5.0), (0, 1),
                         min_lengths={"spike": 1, "level_shift": 1, "contextual": 2, "pattern": 2})
    assert len(cells) == 6 * 2 * 2
    fams = {c.kind: c.family for c in cells}
    assert fams["spike"] == "point" and fams["noise_waves"] == "collective" and fams["pattern"] == "shape"
    ls = next(c for c in cells if c.kind == "level_shift").node
    assert ls["min_length"] >= 16 and ls["max_length"] >= 40        # long events for collective kinds
    assert next(c for c in cells if c.kind == "noise_points").node["_target_"].endswith("Noise")
    assert len({c.name for c in cells}) == len(cells)
    assert plan_battery(["spike"], 100, (1.0,), (0,), noise=False, declared={"spike": "custom"})[0].family == "custom"


def test_family_weights_equal_per_family():
    w = family_weights(["point"] * 6 + ["shape"] * 2 + ["collective"])
    assert w[:6].sum() == pytest.approx(1.0) and w[6:8].sum() == pytest.approx(1.0) and w[8] == 1.0
    assert (family_weights(["a", "b"], balance=False) == 1).all()
    assert set(FAMILIES) == {"point", "collective", "contextual", "shape"}


def test_shipped_labelled_series_match_their_provenance():
    import hashlib

    from anogen.data import real

    assert len(real.names()) >= 6 and len(real.names(real_only=True)) >= 5
    assert real.names(mode="tabular") == ["odds_shuttle_sample", "odds_wbc_sklearn", "odds_wine_sklearn",
                                          "odds_optdigits_sklearn"]
    for name in real.names(mode=None):
        meta = real.provenance(name)
        path = real.DIR / meta["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == meta["csv_sha256"]
        assert path.stat().st_size < 300_000
        s = real.load(name)
        assert s.train.shape[0] == meta["train_rows"] and not s.labels[: s.train_rows].any()
        assert int(s.test_labels.sum()) == meta["anomalous_rows"]
        for key in ("package", "version", "package_licence", "data_licence", "labels", "source"):
            assert meta[key]
        if "repository" in meta:   # not in a wheel: a public repository at a fixed commit, each blob's hash
            assert len(meta["commit"]) == 40 and set(meta["blob_sha256"]) == set(meta["paths_in_repository"])
        else:
            assert meta["wheel_sha256"] and meta["paths_in_wheel"]
    assert json.loads((real.DIR / "provenance.json").read_text())["gutentag_ecg_diff_count_3"]["real"] is False


def test_shipped_nab_series_are_grouped_by_category_with_a_clean_prefix():
    """NAB's real series: one group per category (a source counted once by the prior), the train
    part ends where NAB's first anomaly window starts, and it is at least NAB's probationary 15%."""
    from anogen.data import real

    nab = [n for n in real.names(real_only=True) if n.startswith("nab_")]
    groups = {real.provenance(n)["group"] for n in nab}
    assert len(nab) >= 30 and groups == {"NAB realAWSCloudwatch", "NAB realAdExchange", "NAB realKnownCause",
                                         "NAB realTraffic", "NAB realTweets"}
    for name in nab:
        s = real.load(name)
        meta = s.meta
        assert meta["commit"] == "ea702d75cc2258d9d7dd35ca8e5e2539d71f3140" and meta["file"].endswith(".csv.gz")
        assert s.labels[s.train_rows] and s.train_rows >= max(400, 0.15 * len(s.values))
        assert np.isfinite(s.values).all() and s.values.shape[1] == 1


def test_row_kinds_adbench_types_and_strength():
    from anogen.selection.rows import ROW_KINDS, RowModel, inject_rows

    rng = np.random.default_rng(0)
    z = rng.standard_normal((1500, 1))
    train = np.hstack([z, 2 * z + 0.1 * rng.standard_normal((1500, 1))])     # two dependent columns
    model = RowModel(train)
    far = {}
    for kind in ROW_KINDS:
        weak = model.sample(kind, 400, 1.1, np.random.default_rng(1))
        strong = model.sample(kind, 400, 5.0, np.random.default_rng(1))
        assert weak.shape == (400, 2) and np.isfinite(strong).all()
        far[kind] = (np.abs((weak - train.mean(0)) / train.std(0)).mean(),
                     np.abs((strong - train.mean(0)) / train.std(0)).mean())
    assert far["global"][1] > 2 * far["global"][0] and far["local"][1] > far["local"][0]
    dep = model.sample("dependency", 2000, 100.0, np.random.default_rng(2))
    assert abs(np.corrcoef(dep.T)[0, 1]) < 0.2 < np.corrcoef(train.T)[0, 1]         # dependence broken
    inj = inject_rows(train[:200], ("a", "b"), np.arange(200), model, "local", 5.0, 0.05, seed=3)
    assert inj.labels.sum() == 10 and len(inj.events) == 10
    assert (inj.values[~inj.labels] == train[:200][~inj.labels]).all()
    with pytest.raises(ValueError, match="unknown row kind"):
        model.sample("nope", 1, 1.0, rng)


def test_report_quotes_the_stored_evidence():
    """The figures the report's caveat quotes are those of docs/selection_evidence.json (made by
    scripts/selection_evidence.py): re-running the evidence without updating the text fails here."""
    from pathlib import Path

    from anogen.selection import report

    doc = Path(__file__).resolve().parents[1] / "docs" / "selection_evidence.json"
    ev = json.loads(doc.read_text())
    real = [n for n, r in ev["results"].items() if r["real"]]
    per = ev["evaluation"]["per_series"]

    def stat(method, key):
        vals = [per[n][method][key] for n in real if per[n][method][key] is not None]
        return len(vals), (np.median(vals) if key == "spearman" else np.mean(vals))

    n, sel = stat("selection (prior off)", "spearman")
    groups = {ev["evaluation"]["groups"][name] for name in real}
    text = report.CAVEAT
    assert f"on {n} real labelled series from {len(groups)} " in text
    assert f"median Spearman with the real ranking was {sel:.2f}" in text
    assert f"top three on {stat('selection (prior off)', 'top3')[1]:.0%}" in text
    assert f"{stat('fixed ranking', 'spearman')[1]:.2f} and {stat('fixed ranking', 'top3')[1]:.0%}" in text
    assert f"{stat('leaderboard', 'spearman')[1]:.2f} and {stat('leaderboard', 'top3')[1]:.0%}" in text


def _script(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_evidence_rereads_nan_that_json_stored_as_null():
    """``selection_evidence.py --from-json`` crashed (TypeError in agreement) on a NaN that the JSON
    file holds as null, e.g. the centrality of a detector with constant scores."""
    from anogen.selection.agreement import agreement

    ev = _script("selection_evidence")
    saved = json.loads(json.dumps({"s": {"centrality": {"a": None, "b": 0.2, "c": 0.1, "d": 0.3}}}))
    real_pts = {"a": 1.0, "b": 0.5, "c": 0.0, "d": 0.7}
    with pytest.raises(TypeError):
        agreement(saved["s"]["centrality"], real_pts)
    back = ev._unclean(saved)
    assert np.isnan(back["s"]["centrality"]["a"]) and agreement(back["s"]["centrality"], real_pts)["n"] == 3


def test_reliability_split_keeps_whole_events_on_each_side():
    rel = _script("real_ranking_reliability")
    y = np.zeros(100, int)
    y[10:15] = y[40:45] = y[80:90] = 1
    ev = rel.events(y)
    assert ev == [(10, 15), (40, 45), (80, 90)]
    cut = rel.split_point(ev)
    assert cut == (45 + 80) // 2 and y[:cut].sum() == 10 and y[cut:].sum() == 10
    assert rel.split_point([(0, 2), (10, 12)]) == 6


def test_cell_nodes_name_the_sampler_classes_themselves():
    """The battery's nodes come from the classes (config_node), so a renamed sampler fails here."""
    from anogen.config import build, resolve_target
    from anogen.samplers.inject import Inject
    from anogen.samplers.noise import Noise

    cells = plan_battery(["spike", "level_shift"], 400, (1.0,), (0,))
    targets = {c.kind: resolve_target(c.node["_target_"], c.kind) for c in cells}
    assert targets == {"spike": Inject, "level_shift": Inject, "noise_points": Noise, "noise_waves": Noise}
    waves = build(dict(next(c for c in cells if c.kind == "noise_waves").node), "sampler")
    assert waves.wave and waves.family == "collective"
