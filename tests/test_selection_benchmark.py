"""Benchmark fixes found while building the selection (issue 11, item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import anogen
from anogen.benchmarking import run_benchmark
from anogen.metrics.suite import Metric
from anogen.samplers.inject import Inject
from anogen.samplers.noise import Noise
from anogen.thresholds import Percentile
from anogen.types import AnogenError


def _parts(seed: int = 0):
    rng = np.random.default_rng(seed)
    t = np.arange(600, dtype=float)
    x = np.stack([np.sin(t / 9), np.cos(t / 9)], axis=1) + 0.05 * rng.standard_normal((600, 2))
    return x[:400], x[400:]


def test_benchmark_accepts_a_separate_train_set():
    train, test = _parts()
    lb = anogen.benchmark(test, train=train, samplers=["noise"], detectors=["zscore", "random"], seeds=[0])
    assert set(lb["detector"]) == {"zscore", "random"} and (lb["runs"] == 1).all()
    with pytest.raises(AnogenError, match="either train or dates"):
        anogen.benchmark(test, train=train, dates=[["1", "2"]], detectors=["zscore"])


def _bench(fold, samplers):
    from anogen.detectors.baselines import ZScore

    return run_benchmark([fold], samplers, {"zscore": ZScore(name="zscore")}, {"roc_auc": Metric(fn="roc_auc")},
                         Percentile(), seeds=[0], keep_traces=False)


def test_sampler_anomalies_do_not_depend_on_list_position(tiny_fold):
    a = Noise(ratio=0.05, magnitude=0.5, kind="gaussian", direction="both")
    b = Inject(count=2, kinds=["level_shift"], min_length=5, max_length=8)
    one = _bench(tiny_fold, {"noise": a, "typed": b}).rows.set_index("sampler")
    two = _bench(tiny_fold, {"typed": b, "noise": a}).rows.set_index("sampler")
    for s in ("noise", "typed"):
        assert one.loc[s, "roc_auc"] == pytest.approx(two.loc[s, "roc_auc"])


def test_a_sampler_that_cannot_be_placed_is_recorded_and_the_others_go_on(tiny_fold):
    ok = Noise(ratio=0.05, magnitude=0.5, kind="gaussian", direction="both")
    too_long = Inject(count=1, kinds=["level_shift"], min_length=500, max_length=500)   # longer than the fold
    res = _bench(tiny_fold, {"noise": ok, "too_long": too_long})
    assert set(res.rows["sampler"]) == {"noise"}
    assert list(res.skipped) == ["fold0/too_long/seed0"] and "longer than the test fold" in res.skipped[
        "fold0/too_long/seed0"]
    with pytest.raises(AnogenError, match="no sampler could be placed"):
        _bench(tiny_fold, {"too_long": too_long})
    assert isinstance(res.rows, pd.DataFrame)


class _NeedsModel(Noise):
    """A noise sampler that claims a generative model and records the one it was given."""

    needs_model = True

    def __init__(self, **kw):
        super().__init__(**kw)
        self.seen = []

    def plan(self, ctx, rng):
        self.seen.append(ctx.model)
        return super().plan(ctx, rng)


def test_each_sampler_gets_its_own_model_trained_once_per_fold(tiny_fold):
    """Issue 11 item 5: a model choice per sampler (e.g. vae_tail with the LSTM-VAE and
    latent_uniform with the MLP-VAE in one call); one training per getter and fold."""
    from anogen.detectors.baselines import ZScore

    kw = dict(ratio=0.05, magnitude=0.5, kind="gaussian", direction="both")
    a, b, c = _NeedsModel(**kw), _NeedsModel(**kw), _NeedsModel(**kw)
    calls = []

    def getter(tag):
        def get(fold):
            calls.append(tag)
            return tag, None
        return get

    res = run_benchmark([tiny_fold], {"a": a, "b": b, "c": c}, {"zscore": ZScore(name="zscore")},
                        {"roc_auc": Metric(fn="roc_auc")}, Percentile(), seeds=[0, 1], keep_traces=False,
                        get_model=getter("shared"), models={"b": getter("mlp")})
    assert set(res.rows["sampler"]) == {"a", "b", "c"}
    assert a.seen and set(a.seen) == {"shared"} and set(b.seen) == {"mlp"} and set(c.seen) == {"shared"}
    assert sorted(calls) == ["mlp", "shared"]          # each model once for the fold, not per seed or sampler
    with pytest.raises(AnogenError, match="sampler a needs a generative model"):
        run_benchmark([tiny_fold], {"a": a}, {"zscore": ZScore(name="zscore")}, {"roc_auc": Metric(fn="roc_auc")},
                      Percentile(), keep_traces=False)


def test_benchmark_models_config_is_checked_before_any_data():
    from omegaconf import open_dict

    from anogen.jobs.spec import build_job
    from tests.conftest import TINY, compose

    samplers = {"tail": {"_target_": "anogen.samplers.vae_tail.VAETail"},
                "latent": {"_target_": "anogen.samplers.latent_uniform.LatentUniform"},
                "noise": {"_target_": "anogen.samplers.noise.Noise"}}

    def job(*extra, model=True):
        cfg = compose(TINY + ["+experiment=benchmark"] + (["model=vae"] if model else []) + list(extra))
        with open_dict(cfg):
            cfg.benchmark.samplers = samplers
        return build_job(cfg)

    j = job("benchmark.models={latent: vae_mlp}")
    assert set(j.sampler_models) == {"latent"}
    assert j.sampler_models["latent"]["_target_"].endswith("MLPVAE") and j.model_cfg["_target_"].endswith("LSTMVAE")
    for extra, msg in [("benchmark.models={nope: vae_mlp}", "benchmark.models.nope: no such sampler"),
                       ("benchmark.models={noise: vae_mlp}", "sampler noise does not use a generative model"),
                       ("benchmark.models={latent: vae_big}", "benchmark.models.latent: unknown option 'vae_big'"),
                       ("benchmark.models={latent: {_target_: anogen.models.MLPVAE, hidden: -1}}",
                        "benchmark.models.latent.hidden")]:
        with pytest.raises(AnogenError, match=msg):
            job(extra)
    # every generative sampler has its own model: the job needs no model=
    assert job("benchmark.models={tail: vae, latent: vae_mlp}", model=False).model_cfg is None
    with pytest.raises(AnogenError, match="sampler=tail needs a generative model"):
        job("benchmark.models={latent: vae_mlp}", model=False)


@pytest.mark.slow
def test_api_benchmark_vae_tail_and_latent_uniform_in_one_call():
    train, test = _parts(3)
    lb = anogen.benchmark(test, train=train, samplers=["vae_tail", "latent_uniform"], detectors=["zscore", "knn"],
                          model="vae", models={"latent_uniform": "vae_mlp"}, trainer={"epochs": 2}, cache=False,
                          by_sampler=True)
    assert set(zip(lb["detector"], lb["sampler"])) == {(d, s) for d in ("zscore", "knn")
                                                       for s in ("vae_tail", "latent_uniform")}
    with pytest.raises(AnogenError, match="models.noise: sampler noise does not use a generative model"):
        anogen.benchmark(test, train=train, samplers=["noise"], detectors=["zscore"], models={"noise": "vae"})
