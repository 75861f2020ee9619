"""Every option of every config group composes and instantiates."""

from pathlib import Path

import pytest

from anogen.config import build, build_group
from tests.conftest import CONF_DIR, compose

MULTI = {"filters", "detectors", "metrics", "logger"}
GROUPS = sorted(p.name for p in Path(CONF_DIR).iterdir() if p.is_dir() and p.name not in ("experiment", "hydra"))
OPTIONS = [(g, p.stem) for g in GROUPS for p in sorted((Path(CONF_DIR) / g).glob("*.yaml"))]


def test_groups_present():
    assert {"data", "model", "sampler", "filters", "detectors", "metrics", "logger", "experiment"} <= set(GROUPS) | {"experiment"}


#: options whose instantiation pays a library's first compilation (stumpy's numba kernels, ~3 s warm,
#: ~60 s on a fresh machine): slow suite; tests/test_library_detectors.py covers them in the fast one
SLOW_OPTIONS = {("detectors", "mp")}


@pytest.mark.parametrize("group, option", [pytest.param(g, o, marks=pytest.mark.slow) if (g, o) in SLOW_OPTIONS
                                           else (g, o) for g, o in OPTIONS], ids=[f"{g}={o}" for g, o in OPTIONS])
def test_option_composes_and_instantiates(group, option):
    if option in ("pyod_ecod", "sr", "mp"):  # optional libraries
        pytest.importorskip("stumpy" if option == "mp" else "pyod")
    ov = [f"{group}=[{option}]" if group in MULTI else f"{group}={option}"]
    if group == "data" and option == "csv":
        ov.append(f"data.path={Path(CONF_DIR).parent / 'data' / 'embedded' / 'occupancy.csv'}")
        ov.append("data.key=date")
    if group == "data" and option == "gutentag":
        ov.append(f"data.path={Path(__file__).parent / 'fixtures' / 'gutentag' / 'docs-examples.yaml'}")
    cfg = compose(ov)
    node = cfg[group]
    if group in MULTI:
        objs = build_group(node, group)
        if group == "metrics":  # a metrics file selects several metrics
            assert objs and all(callable(o) for o in objs.values())
        else:
            assert set(objs) == {option}
    elif group == "model":
        from anogen.train.cache import build_model

        m = build_model(node, n_features=3, seed=0)
        assert hasattr(m, "encode") and hasattr(m, "decode")
    elif group == "trainer":
        from anogen.jobs.spec import check_trainer

        check_trainer(node)
    else:
        obj = build(node, group)
        if group == "data":
            assert obj.folds()  # loads and splits
        assert obj is not None


EXPERIMENTS = sorted(p.stem for p in (Path(CONF_DIR) / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_and_validates(name):
    """The job builder validates and builds every component of the experiment (no data loaded)."""
    from anogen.jobs.spec import build_job

    job = build_job(compose([f"+experiment={name}"]))
    assert job.sampler is not None and job.loggers


@pytest.mark.parametrize("sampler", ["noise", "inject", "vae_tail", "latent_uniform", "compose"])
def test_switching_the_sampler_of_an_experiment_validates(sampler):
    from anogen.jobs.spec import build_job

    extra = ["model=vae"] if sampler in ("vae_tail", "latent_uniform") else []
    build_job(compose(["+experiment=quickstart", f"sampler={sampler}", *extra]))
