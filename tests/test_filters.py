"""filters=[bounds, cluster]: limits with buffer and domain, cluster rejection, chaining, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anogen.config import build
from anogen.filters import FilterReport, apply_filters
from anogen.filters.bounds import Bounds
from anogen.filters.cluster import Cluster
from anogen.types import AnogenError

COLS = ("temp", "hum", "co2")
CONF = Path(__file__).resolve().parents[1] / "anogen" / "conf" / "filters"


@pytest.fixture(scope="module")
def x_train() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.column_stack([rng.uniform(10, 30, 500), rng.uniform(20, 60, 500), rng.uniform(400, 900, 500)])


@pytest.fixture(scope="module")
def blobs() -> np.ndarray:
    """Two tight clusters of normal latent codes at (0, 0) and (3, 3)."""
    rng = np.random.default_rng(1)
    return np.concatenate([rng.normal(0, 0.1, (300, 2)), rng.normal(3, 0.1, (300, 2))])


def nothing(b: int, k: int = 2) -> np.ndarray:
    return np.zeros((b, k))


# ------------------------------------------------------------------ bounds
def test_bounds_respected_by_every_accepted_sample(x_train):
    f = Bounds(buffer=0.1).fit(z_normal=None, x_train=x_train, columns=COLS)
    mn, mx = x_train.min(0), x_train.max(0)
    lo, hi = mn - 0.1 * (mx - mn), mx + 0.1 * (mx - mn)
    np.testing.assert_allclose(f.low_, lo)
    np.testing.assert_allclose(f.high_, hi)
    rng = np.random.default_rng(2)
    cand = rng.uniform(mn - 0.3 * (mx - mn), mx + 0.3 * (mx - mn), size=(20000, 3))
    keep = f(nothing(20000), cand)
    assert keep.dtype == bool and keep.shape == (20000,)
    acc = cand[keep]
    assert ((acc >= lo) & (acc <= hi)).all()
    np.testing.assert_array_equal(keep, ((cand >= lo) & (cand <= hi)).all(1))
    assert 0.2 < keep.mean() < 0.8  # both outcomes occur
    # the buffer accepts what the strict train limits reject
    strict = Bounds(buffer=0.0).fit(z_normal=None, x_train=x_train, columns=COLS)
    assert strict(nothing(20000), cand).sum() < keep.sum()
    # per-column rejection report
    rep = f.report()
    assert set(rep) == set(COLS) and sum(rep.values()) >= (~keep).sum()


def test_bounds_edges_nan_and_windows(x_train):
    f = Bounds(buffer=0.05).fit(z_normal=None, x_train=x_train, columns=COLS)
    edge = np.stack([f.low_, f.high_, np.nextafter(f.high_, np.inf), np.full(3, np.nan)])
    np.testing.assert_array_equal(f(nothing(4), edge), [True, True, False, False])
    # windows (b, L, d): kept only if every time step is inside
    w = np.repeat(x_train[:3][:, None, :], 5, axis=1)
    w[1, 3, 2] = f.high_[2] + 1.0
    w[2, 0, 0] = np.nan
    np.testing.assert_array_equal(f(nothing(3), w), [True, False, False])


def test_bounds_domain_replaces_either_end(x_train):
    mn, mx = x_train.min(0), x_train.max(0)
    f = Bounds(buffer=0.05, domain={"hum": [0, 100], "temp": [None, 28.0], "co2": [-np.inf, None]}).fit(
        z_normal=None, x_train=x_train, columns=COLS)
    np.testing.assert_allclose(f.low_, [mn[0] - 0.05 * (mx[0] - mn[0]), 0.0, -np.inf])
    np.testing.assert_allclose(f.high_, [28.0, 100.0, mx[2] + 0.05 * (mx[2] - mn[2])])
    probe = np.array([[20.0, 99.0, 500.0],   # inside the widened humidity domain
                      [29.0, 50.0, 500.0],   # above the narrowed temperature limit
                      [20.0, 50.0, -1e9]])   # no lower limit on co2
    np.testing.assert_array_equal(f(nothing(3), probe), [True, False, True])


def _bad(target, key, kwargs, match, fit):
    """A bad parameter is one line naming the key: from a config at build time, in Python at fit."""
    with pytest.raises(AnogenError, match=match):
        build({"_target_": target, **kwargs}, key)
    with pytest.raises(AnogenError, match=match):
        fit(kwargs)


def _fit_bounds(kwargs):
    Bounds(**kwargs).fit(z_normal=None, x_train=np.ones((3, 3)), columns=COLS)


@pytest.mark.parametrize("kwargs,match", [
    ({"buffer": -0.1}, r"^filters\.bounds\.buffer: must be >= 0(\.0)?, got -0\.1$"),
    ({"buffer": "wide"}, r"^filters\.bounds\.buffer: must be a valid number.*got 'wide'$"),
    ({"buffer": float("inf")}, r"^filters\.bounds\.buffer: must be a finite number, got inf$"),
    ({"domain": {"hum": [1, 2, 3]}}, r"^filters\.bounds\.domain\.hum: tuple should have at most 2 items"),
    ({"domain": {"hum": ["a", 2]}}, r"^filters\.bounds\.domain\.hum\.0: must be a valid number"),
    ({"domain": {"hum": [float("nan"), 2]}}, r"^filters\.bounds\.domain\.hum\.0: must be a number or null, not NaN"),
    ({"domain": [["hum", 0, 1]]}, r"^filters\.bounds\.domain: must be a valid dictionary"),
])
def test_bounds_bad_arguments(kwargs, match):
    _bad("anogen.filters.bounds.Bounds", "filters.bounds", kwargs, match, _fit_bounds)


def test_bounds_low_above_high_is_a_build_error():
    for make in (lambda: Bounds(domain={"hum": [80, 10]}),
                 lambda: build({"_target_": "anogen.filters.bounds.Bounds", "domain": {"hum": [80, 10]}},
                               "filters.bounds")):
        with pytest.raises(AnogenError, match=r"^filters\.bounds\.domain\.hum: low 80\.0 is greater than high 10\.0$"):
            make()


def test_bounds_bad_fit_and_call(x_train):
    with pytest.raises(AnogenError, match=r"unknown column 'pressure'; valid columns: \['temp', 'hum', 'co2'\]"):
        Bounds(domain={"pressure": [0, 1]}).fit(z_normal=None, x_train=x_train, columns=COLS)
    with pytest.raises(AnogenError, match="interval .* is empty"):
        Bounds(domain={"temp": [1000, None]}).fit(z_normal=None, x_train=x_train, columns=COLS)
    with pytest.raises(AnogenError, match="call fit"):
        Bounds()(nothing(2), x_train[:2])
    f = Bounds().fit(z_normal=None, x_train=x_train, columns=COLS)
    with pytest.raises(AnogenError, match="2 columns, fitted on 3"):
        f(nothing(2), x_train[:2, :2])
    with pytest.raises(AnogenError, match="2 latent points but 3 decoded"):
        f(nothing(2), x_train[:3])


# ------------------------------------------------------------------ cluster
@pytest.mark.parametrize("method", ["dbscan", "kmeans", "gmm"])
def test_cluster_rejects_a_cluster_centre_and_keeps_far_points(blobs, method):
    f = Cluster(method=method, eps=0.25, n_clusters=2, n_components=2, q=0.95).fit(
        z_normal=blobs, x_train=None, columns=None)
    z = np.array([[0.0, 0.0], [3.0, 3.0], [1.5, 1.5], [-4.0, 6.0], [10.0, 10.0]])
    np.testing.assert_array_equal(f(z, nothing(5, 3)), [False, False, True, True, True])


def test_dbscan_rule_is_distance_to_core_samples(blobs):
    f = Cluster(method="dbscan", eps=0.25, min_samples=5, standardize=False).fit(z_normal=blobs, x_train=None, columns=None)
    assert f.n_clusters_ == 2 and f.core_.shape[0] > 0
    rng = np.random.default_rng(3)
    z = rng.uniform(-1, 4, size=(3000, 2))
    d = np.sqrt(((z[:, None, :] - f.core_[None, :, :]) ** 2).sum(-1)).min(1)
    np.testing.assert_array_equal(f(z, nothing(3000)), d > 0.25)
    assert 0 < f(z, nothing(3000)).sum() < 3000
    # NaN latent points are rejected
    assert not f(np.array([[np.nan, 0.0]]), nothing(1))[0]


def test_dbscan_eps_boundary_is_inside():
    f = Cluster(eps=0.25, min_samples=3).fit(z_normal=np.zeros((5, 2)), x_train=None, columns=None)
    z = np.array([[0.25, 0.0], [np.nextafter(0.25, 1.0), 0.0], [0.0, -0.25]])
    np.testing.assert_array_equal(f(z, nothing(3)), [False, True, False])  # DBSCAN's `<= eps`


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_q_is_the_fraction_of_normal_codes_inside(blobs, method):
    for q in (0.5, 0.9):
        f = Cluster(method=method, n_clusters=2, n_components=2, q=q).fit(z_normal=blobs, x_train=None, columns=None)
        inside = ~f(blobs, nothing(len(blobs)))
        assert inside.mean() == pytest.approx(q, abs=0.01)


def test_dbscan_without_core_samples_warns_and_keeps_all():
    z = np.arange(20, dtype=float).reshape(10, 2) * 10  # far apart points: all noise
    with pytest.warns(UserWarning, match="no core sample"):
        f = Cluster(eps=0.1, min_samples=3).fit(z_normal=z, x_train=None, columns=None)
    assert f(z, nothing(10)).all()


def test_cluster_fit_is_deterministic(blobs):
    a = Cluster(method="gmm", n_components=3, seed=4).fit(z_normal=blobs, x_train=None, columns=None)
    b = Cluster(method="gmm", n_components=3, seed=4).fit(z_normal=blobs, x_train=None, columns=None)
    assert a.threshold_ == b.threshold_


def test_dbscan_subsample_bounds_memory():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(5000, 2))
    f = Cluster(eps=0.3, max_fit_samples=1000).fit(z_normal=z, x_train=None, columns=None)
    assert f.n_fit_ == 1000
    assert not f(np.zeros((1, 2)), nothing(1))[0] and f(np.full((1, 2), 9.0), nothing(1))[0]


def _fit_cluster(kwargs):
    Cluster(**kwargs).fit(z_normal=np.random.default_rng(0).normal(size=(40, 2)), x_train=None, columns=None)


@pytest.mark.parametrize("kwargs,match", [
    ({"method": "hdbscan"}, r"^filters\.cluster\.method: must be 'dbscan', 'kmeans' or 'gmm', got 'hdbscan'$"),
    ({"eps": 0}, r"^filters\.cluster\.eps: must be > 0(\.0)?, got 0$"),
    ({"eps": "x"}, r"^filters\.cluster\.eps: must be a valid number"),
    ({"min_samples": 0}, r"^filters\.cluster\.min_samples: must be > 0, got 0$"),
    ({"min_samples": 2.5}, r"^filters\.cluster\.min_samples: must be a valid integer.*got 2\.5$"),
    ({"n_clusters": 0}, r"^filters\.cluster\.n_clusters: must be > 0, got 0$"),
    ({"q": 0.0}, r"^filters\.cluster\.q: must be > 0(\.0)?( and <= 1(\.0)?)?, got 0\.0$"),
    ({"q": 1.5}, r"^filters\.cluster\.q: must be (> 0(\.0)? and )?<= 1(\.0)?, got 1\.5$"),
    ({"n_components": 0}, r"^filters\.cluster\.n_components: must be > 0, got 0$"),
    ({"max_fit_samples": 0}, r"^filters\.cluster\.max_fit_samples: must be > 0, got 0$"),
    ({"seed": -1}, r"^filters\.cluster\.seed: must be >= 0, got -1$"),
])
def test_cluster_bad_arguments(kwargs, match):
    _bad("anogen.filters.cluster.Cluster", "filters.cluster", kwargs, match, _fit_cluster)


def test_cluster_bad_fit_and_call(blobs):
    with pytest.raises(AnogenError, match="n_clusters=700 exceeds the 600"):
        Cluster(method="kmeans", n_clusters=700).fit(z_normal=blobs, x_train=None, columns=None)
    with pytest.raises(AnogenError, match="NaN or inf"):
        Cluster().fit(z_normal=np.array([[np.nan, 0.0]] * 10), x_train=None, columns=None)
    with pytest.raises(AnogenError, match="call fit"):
        Cluster()(nothing(2), nothing(2))
    f = Cluster().fit(z_normal=blobs, x_train=None, columns=None)
    with pytest.raises(AnogenError, match=r"must be \(b, 2\), got shape \(4, 3\)"):
        f(nothing(4, 3), nothing(4))


# ------------------------------------------------------------------ chaining and config
def test_apply_filters_in_order_with_acceptance(x_train, blobs):
    bounds = Bounds(buffer=0.0).fit(z_normal=blobs, x_train=x_train, columns=COLS)
    clus = Cluster(eps=0.25).fit(z_normal=blobs, x_train=x_train, columns=COLS)
    rng = np.random.default_rng(6)
    z = np.concatenate([blobs[:50], rng.uniform(5, 8, (50, 2))])  # 50 inside clusters, 50 outside
    x = np.concatenate([x_train[:25], x_train[:25] + 1e4, x_train[:25], x_train[:25] + 1e4])  # half out of bounds
    keep, reps = apply_filters({"bounds": bounds, "cluster": clus}, z, x)
    expected = bounds(z, x) & clus(z, x)
    np.testing.assert_array_equal(keep, expected)
    assert keep.sum() == 25
    assert list(reps) == ["bounds", "cluster"]
    assert (reps["bounds"].seen, reps["bounds"].kept) == (100, 50)
    assert (reps["cluster"].seen, reps["cluster"].kept) == (50, 25)  # only the survivors of bounds
    assert reps["cluster"].acceptance == 0.5
    keep2, reps = apply_filters([bounds, clus], z, x, reports=reps)  # accumulates
    assert reps["bounds"].seen == 200 and reps["cluster"].kept == 50
    assert FilterReport("x").to_dict()["seen"] == 0


def test_yaml_builds():
    from omegaconf import OmegaConf

    from anogen.config import build_group

    node = OmegaConf.merge(OmegaConf.load(CONF / "bounds.yaml"), OmegaConf.load(CONF / "cluster.yaml"))
    built = build_group(node, "filters")
    assert list(built) == ["bounds", "cluster"]
    assert isinstance(built["bounds"], Bounds) and built["bounds"].buffer == 0.05
    assert isinstance(built["cluster"], Cluster) and built["cluster"].method == "dbscan" and built["cluster"].eps == "auto"
    bad = OmegaConf.merge(node, {"bounds": {"domain": {"hum": [5, 1]}}})
    with pytest.raises(AnogenError, match=r"filters.bounds.domain.hum: low 5.0 is greater than high 1.0"):
        build_group(bad, "filters")


@pytest.mark.parametrize("method", ["dbscan", "kmeans", "gmm"])
def test_cluster_is_scale_invariant_when_standardized(blobs, method):
    # bug: a VAE whose codes are squeezed to a tiny scale made a raw eps cover the whole sampling box,
    # so every candidate was rejected; standardized, the filter does not depend on the latent scale
    z = np.random.default_rng(5).uniform(-2, 5, size=(2000, 2))
    a = Cluster(method=method, eps=0.25).fit(z_normal=blobs, x_train=None, columns=None)(z, nothing(2000))
    b = Cluster(method=method, eps=0.25).fit(z_normal=blobs * 0.01, x_train=None, columns=None)(z * 0.01, nothing(2000))
    np.testing.assert_array_equal(a, b)
    assert 0 < a.sum() < 2000
    raw = Cluster(method="dbscan", eps=0.25, standardize=False).fit(z_normal=blobs * 0.01, x_train=None, columns=None)
    assert raw(z * 0.01, nothing(2000)).sum() == 0  # the old behaviour: nothing survives


# ------------------------------------------------------------------ radius from the codes, bounds reach
def test_auto_eps_makes_the_share_of_core_samples_its_quantile(blobs):
    for q in (0.5, 0.9):
        f = Cluster(eps="auto", eps_quantile=q, min_samples=5).fit(z_normal=blobs, x_train=None, columns=None)
        assert f.eps_ > 0 and len(f.core_) / len(blobs) == pytest.approx(q, abs=0.03)
    assert Cluster().eps == "auto"  # the default


def test_auto_eps_finds_clusters_where_a_fixed_eps_finds_no_core_sample():
    """Bug: with the LSTM-VAE's 8-d codes the packaged eps=0.25 found no core sample, so the cluster
    filter kept every candidate; a radius taken from the codes' own neighbour distances works for any
    latent dimension and number of codes."""
    z = np.random.default_rng(0).normal(size=(400, 8))
    with pytest.warns(UserWarning, match="no core sample"):
        fixed = Cluster(eps=0.25).fit(z_normal=z, x_train=None, columns=None)
    assert fixed(z, nothing(400, 8)).all()
    auto = Cluster().fit(z_normal=z, x_train=None, columns=None)
    assert (~auto(z, nothing(400, 8))).mean() > 0.9  # the normal codes are inside again
    far = np.full((5, 8), 6.0)
    assert auto(far, nothing(5, 8)).all()


def test_cluster_eps_must_be_positive_or_auto():
    with pytest.raises(AnogenError, match=r"^filters\.cluster\.eps: "):
        build({"_target_": "anogen.filters.cluster.Cluster", "eps": "big"}, "filters.cluster")


def test_bounds_says_what_it_covers(x_train):
    f = Bounds(buffer=0.05).fit(z_normal=None, x_train=x_train, columns=COLS)
    mn, mx = x_train.min(0), x_train.max(0)
    assert f.covers(mn, mx)  # a sigmoid decoder on min-max data can only produce these: nothing to reject
    assert not f.covers(mn - (mx - mn), mx)
    with pytest.raises(AnogenError, match="call fit"):
        Bounds().covers(mn, mx)
