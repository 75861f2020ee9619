"""vae_tail and latent_uniform on tiny trained models."""

import numpy as np
import pytest
from flax import nnx

from anogen.config import build
from anogen.filters.bounds import Bounds
from anogen.filters.cluster import Cluster
from anogen.models import LSTMVAE, MLPVAE
from anogen.placement import check_injected
from anogen.samplers import SampleContext, generate_fold
from anogen.samplers.latent_uniform import LatentUniform
from anogen.samplers.vae_tail import VAETail, tail_normal
from anogen.data import Scaler
from anogen.train import TrainConfig, fit
from anogen.types import AnogenError

TINY = TrainConfig(epochs=3, batch_size=32, progress=False)


@pytest.fixture(scope="module")
def window_ctx_parts(request):
    from tests.conftest import tiny_fold  # noqa: F401

    rng = np.random.default_rng(0)
    t = np.arange(500, dtype=np.float64)
    x = np.stack([np.sin(t / 8) + 3, 0.5 * np.sin(t / 8 + 0.3) + 2], axis=1) + 0.02 * rng.standard_normal((500, 2))
    from anogen.types import Fold

    idx = np.arange(500)
    fold = Fold(0, ("a", "b"), x[:300], x[300:], idx[:300], idx[300:], np.array([[0, 300]]))
    scaler = Scaler("standard").fit(fold.train)
    model = LSTMVAE(2, 8, latent_dim=3, hidden=(16, 8), dense=8, rngs=nnx.Rngs(0))
    model, _ = fit(model, scaler.transform(fold.train).astype(np.float32), config=TINY, seed=0, window=8,
                   segments=fold.train_segments)
    row_model = MLPVAE(2, latent_dim=2, hidden=12, rngs=nnx.Rngs(0))
    row_model, _ = fit(row_model, scaler.transform(fold.train).astype(np.float32), config=TINY, seed=0)
    return fold, scaler, model, scaler, row_model


def test_tail_normal_respects_margin():
    e = tail_normal(np.random.default_rng(0), 2.5, 10_000)
    assert e.min() >= 2.5 and np.median(e) < 3.5


def test_vae_tail_labels_exactly_written_windows(window_ctx_parts):
    fold, scaler, model, *_ = window_ctx_parts
    ctx = SampleContext.from_fold(fold, model=model, scaler=scaler)
    inj = generate_fold(VAETail(ratio=0.1, margin=2.0), ctx, np.random.default_rng(1), min_gap=1)
    check_injected(inj)
    assert len(inj.events) == round(int(200 * 0.1) / 8) == 2   # windows of seq_len rows
    assert all(e.length == 8 for e in inj.events)              # labels exactly the rows written (not off by L-1)
    assert inj.labels.sum() == 16
    again = generate_fold(VAETail(ratio=0.1, margin=2.0), SampleContext.from_fold(fold, model=model, scaler=scaler),
                          np.random.default_rng(1), min_gap=1)
    assert np.array_equal(inj.values, again.values)
    assert ctx.extra["latent"]["accepted"].shape == (2, 3)


def test_compose_with_a_model_sampler(window_ctx_parts):
    from anogen.samplers.compose import Compose
    from anogen.samplers.noise import Noise

    fold, scaler, model, *_ = window_ctx_parts
    comp = Compose({"noise": Noise(ratio=0.02, magnitude=0.5), "tail": VAETail(ratio=0.1, margin=2.0)})
    assert comp.needs_model
    inj = generate_fold(comp, SampleContext.from_fold(fold, model=model, scaler=scaler), np.random.default_rng(3))
    check_injected(inj)
    by_source = {src: [e for e in inj.events if e.source == src] for src in ("noise", "vae_tail")}
    assert len(by_source["vae_tail"]) == 2 and all(e.length == 8 for e in by_source["vae_tail"])
    assert sum(e.length for e in by_source["noise"]) == 4


def test_vae_tail_errors(window_ctx_parts):
    fold, scaler, model, mm, row_model = window_ctx_parts
    with pytest.raises(AnogenError, match=r"^sampler\.margin: must be >= 0(\.0)?, got -1$"):
        build({"_target_": "anogen.samplers.vae_tail.VAETail", "margin": -1}, "sampler")
    with pytest.raises(AnogenError, match=r"^sampler\.margin: must be >= 0(\.0)?, got -1$"):   # in Python: at plan
        generate_fold(VAETail(margin=-1), SampleContext.from_fold(fold, model=model, scaler=scaler),
                      np.random.default_rng(0))
    with pytest.raises(AnogenError, match="window model"):
        generate_fold(VAETail(), SampleContext.from_fold(fold, model=row_model, scaler=mm), np.random.default_rng(0))
    with pytest.raises(AnogenError, match=r"^sampler\.dims: \[7\] out of range for the model's latent_dim 3$"):
        generate_fold(VAETail(dims=[7]), SampleContext.from_fold(fold, model=model, scaler=scaler), np.random.default_rng(0))


@pytest.mark.parametrize("mode", ["insert", "replace"])
def test_latent_uniform_rows(window_ctx_parts, mode):
    fold, _, _, mm, row_model = window_ctx_parts
    ctx = SampleContext.from_fold(fold, model=row_model, scaler=mm)
    bounds = Bounds(buffer=0.05)
    s = LatentUniform(count=7, margin=1.0, mode=mode, filters={"bounds": bounds, "cluster": Cluster(eps=0.3)},
                      min_deviation=0)  # 3 epochs of training: the mechanics, not the quality
    inj = generate_fold(s, ctx, np.random.default_rng(2))
    check_injected(inj)
    assert len(inj.events) == 7 and inj.labels.sum() == 7
    assert inj.values.shape[0] == 200 + (7 if mode == "insert" else 0)
    lo, hi = fold.train.min(0), fold.train.max(0)
    buf = 0.05 * (hi - lo)
    ano = inj.values[inj.labels]
    assert ((ano >= lo - buf - 1e-9) & (ano <= hi + buf + 1e-9)).all()    # every accepted sample in bounds
    rep = ctx.extra["filter_report"]
    assert rep["accepted"] >= 7 and set(rep["filters"]) == {"bounds", "cluster"}
    assert ctx.extra["latent"]["accepted"].shape == (7, 2)
    assert all(len(e.params["z"]) == 2 for e in inj.events)      # latent coordinates kept


def test_latent_uniform_windows(window_ctx_parts):
    fold, scaler, model, *_ = window_ctx_parts
    ctx = SampleContext.from_fold(fold, model=model, scaler=scaler)
    inj = generate_fold(LatentUniform(count=3, mode="replace", min_deviation=0), ctx, np.random.default_rng(0), min_gap=1)
    check_injected(inj)
    assert len(inj.events) == 3 and inj.labels.sum() == 24


def test_latent_uniform_unreachable_reports_rates(window_ctx_parts):
    fold, _, _, mm, row_model = window_ctx_parts
    ctx = SampleContext.from_fold(fold, model=row_model, scaler=mm)
    impossible = Bounds(buffer=0.0, domain={"a": [100.0, 101.0]})
    s = LatentUniform(count=5, filters={"bounds": impossible}, batch_size=256, max_batches=3, min_deviation=0)
    with pytest.raises(AnogenError, match=r"accepted 0 of 5 .*bounds: 0/768 kept \(0.00%\).*'bounds' rejected most"):
        generate_fold(s, ctx, np.random.default_rng(0))


@pytest.mark.parametrize("kw, match", [
    (dict(margin=-0.1), r"^sampler\.margin: must be >= 0(\.0)?, got -0\.1$"),
    (dict(mode="x"), r"^sampler\.mode: must be 'insert' or 'replace', got 'x'$"),
    (dict(count=0), r"^sampler\.count: must be > 0, got 0$"),
    (dict(ratio=0.7), r"^sampler\.ratio: must be .*<= 0\.5, got 0\.7$"),
    (dict(max_batches=0), r"^sampler\.max_batches: must be > 0, got 0$"),
    (dict(ratio=None, count=None), r"^sampler\.ratio: set sampler\.ratio or sampler\.count"),
])
def test_latent_uniform_bad_params(kw, match):
    with pytest.raises(AnogenError, match=match):
        build({"_target_": "anogen.samplers.latent_uniform.LatentUniform", **kw}, "sampler")


def test_latent_uniform_checks_python_built_params_at_plan():
    from anogen.types import Fold

    x = np.ones((20, 1))
    fold = Fold(0, ("a",), x, x, np.arange(20), np.arange(20), np.array([[0, 20]]))
    with pytest.raises(AnogenError, match=r"^sampler\.mode: must be 'insert' or 'replace', got 'x'$"):
        LatentUniform(mode="x").plan(SampleContext.from_fold(fold), np.random.default_rng(0))


@pytest.mark.slow  # a whole run (training included); the component path is tested above
def test_run_latent_with_filters(tmp_path):
    from anogen.jobs import run
    from tests.conftest import TINY as TINY_OV, compose

    cfg = compose(TINY_OV + ["+experiment=latent", "trainer.epochs=3", "sampler.count=4", "detectors=[zscore]",
                             "plots=true"])
    res = run(cfg, run_dir=tmp_path)
    assert len(res.injected[0].events) == 4
    assert (tmp_path / "plots" / "fold0_latent.png").is_file()
    assert (tmp_path / "fold0" / "model.ckpt").exists()


def test_filters_need_latent_sampler(tmp_path):
    from anogen.jobs import run
    from tests.conftest import TINY as TINY_OV, compose

    with pytest.raises(AnogenError, match="only apply to latent samplers"):
        run(compose(TINY_OV + ["filters=[bounds]"]), run_dir=tmp_path)


# ------------------------------------------------------------------ residual decoding, anchors, defaults
def _scaled(ctx, values):
    return ctx.scaler.transform(np.asarray(values, np.float64))


@pytest.mark.parametrize("decoding", ["residual", "direct"])
def test_vae_tail_writes_the_learned_move_or_the_decoding(window_ctx_parts, decoding):
    from anogen.train import decode, encode

    fold, scaler, model, *_ = window_ctx_parts
    ctx = SampleContext.from_fold(fold, model=model, scaler=scaler)
    inj = generate_fold(VAETail(ratio=0.1, decoding=decoding), ctx, np.random.default_rng(1))
    rec = ctx.extra["generator"]["vae_tail"]
    z = ctx.extra["latent"]["accepted"]
    mu, _ = encode(model, _scaled(ctx, rec["clean"]).astype(np.float32), window=None)
    dz, dmu = (np.asarray(decode(model, np.asarray(c, np.float32)), np.float64) for c in (z, mu))
    want = _scaled(ctx, rec["clean"]) + dz - dmu if decoding == "residual" else dz
    np.testing.assert_allclose(_scaled(ctx, rec["anomaly"]), want, atol=1e-4)
    windows = np.lib.stride_tricks.sliding_window_view(inj.values, (8, 2))[:, 0]  # (n - 7, 8, 2)
    for a in rec["anomaly"]:  # each recorded anomaly is what was written into the fold
        assert np.any(np.all(np.isclose(windows, a), axis=(1, 2)))


def test_vae_tail_scale_and_draws(window_ctx_parts):
    fold, scaler, model, *_ = window_ctx_parts

    def moves(**kw):
        ctx = SampleContext.from_fold(fold, model=model, scaler=scaler)
        generate_fold(VAETail(ratio=0.1, **kw), ctx, np.random.default_rng(4))
        rec = ctx.extra["generator"]["vae_tail"]
        return np.sqrt(np.mean(np.square((rec["anomaly"] - rec["clean"]) / ctx.std), axis=(1, 2)))

    assert moves(draws=8).mean() > moves(draws=1).mean()  # the largest of 8 learned moves is written
    assert not np.allclose(moves(scale="posterior", draws=1), moves(scale="codes", draws=1))


def test_latent_uniform_anchors_on_the_nearest_normal_code(window_ctx_parts):
    from scipy.spatial import cKDTree

    from anogen.samplers.latent_uniform import normal_samples
    from anogen.train import decode

    fold, scaler, _, _, row_model = window_ctx_parts
    ctx = SampleContext.from_fold(fold, model=row_model, scaler=scaler)
    generate_fold(LatentUniform(count=6, min_deviation=0), ctx, np.random.default_rng(2))
    rec = ctx.extra["generator"]["latent_uniform"]
    x_n, z_n = normal_samples(ctx)
    sd = z_n.std(axis=0)
    idx = cKDTree(z_n / sd).query(rec["z"] / sd)[1]
    np.testing.assert_allclose(rec["clean"][:, 0], scaler.inverse_transform(x_n[idx]), atol=1e-5)
    move = np.asarray(decode(row_model, rec["z"].astype(np.float32)), np.float64) - \
        np.asarray(decode(row_model, z_n[idx].astype(np.float32)), np.float64)
    np.testing.assert_allclose(_scaled(ctx, rec["anomaly"][:, 0]), x_n[idx] + move, atol=1e-4)


def test_latent_uniform_filters_by_default_and_on_request(window_ctx_parts):
    fold, scaler, _, _, row_model = window_ctx_parts

    def report(**kw):
        ctx = SampleContext.from_fold(fold, model=row_model, scaler=scaler)
        generate_fold(LatentUniform(count=4, min_deviation=0, **kw), ctx, np.random.default_rng(0))
        return ctx.extra["filter_report"]

    assert list(report()["filters"]) == ["bounds", "cluster"]    # seed 001's method, by default
    assert report(filters={})["filters"] == {}                   # none on request
    assert list(report(filters={"b": Bounds()})["filters"]) == ["b"]


def test_latent_uniform_deviation_floor(window_ctx_parts):
    fold, scaler, _, _, row_model = window_ctx_parts
    ctx = SampleContext.from_fold(fold, model=row_model, scaler=scaler)
    generate_fold(LatentUniform(count=4, min_deviation=0.5, filters={}), ctx, np.random.default_rng(0))
    rep = ctx.extra["filter_report"]
    assert list(rep["filters"]) == ["deviation"] and rep["filters"]["deviation"]["kept"] >= 4
    assert not any("below the deviation floor" in note for note in rep["notes"])
    from anogen.samplers.report import generator_report

    r = generator_report(ctx)["latent_uniform"]
    assert r.deviation >= 0.5 * r.recon_error  # each anomaly clears 0.5 x its anchor's error


def test_bounds_note_for_a_sigmoid_decoder_on_min_max_data(window_ctx_parts):
    fold, *_ = window_ctx_parts
    mm = Scaler("minmax").fit(fold.train)
    model = MLPVAE(2, likelihood="bernoulli", rngs=nnx.Rngs(0))
    model, _ = fit(model, mm.transform(fold.train).astype(np.float32), config=TINY, seed=0)
    ctx = SampleContext.from_fold(fold, model=model, scaler=mm)
    generate_fold(LatentUniform(count=3, decoding="direct", min_deviation=0), ctx, np.random.default_rng(0))
    notes = ctx.extra["filter_report"]["notes"]
    assert any("'bounds' can reject nothing" in n for n in notes) and any("kept all" in n for n in notes)


def test_cli_and_api_latent_uniform_use_both_filters(tiny_fold):
    import anogen
    from anogen.jobs.spec import build_job
    from tests.conftest import compose

    job = build_job(compose(["sampler=latent_uniform", "model=vae_mlp"]))
    assert list(job.sampler.active_filters()) == ["bounds", "cluster"]
    inj = anogen.generate(tiny_fold.train, sampler="latent_uniform", model="vae_mlp", count=3, min_deviation=0,
                          trainer={"epochs": 2}, cache=False)
    r = inj.report["latent_uniform"]
    assert {"bounds", "cluster"} <= set(r.acceptance) and r.verdict in ("ok", "weak", "degenerate")
    with pytest.raises(AnogenError, match=r"^on_degenerate: "):
        anogen.generate(tiny_fold.train, sampler="noise", on_degenerate="ignore")
