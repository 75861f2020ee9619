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


@pytest.mark.parametrize("group, option", OPTIONS, ids=[f"{g}={o}" for g, o in OPTIONS])
def test_option_composes_and_instantiates(group, option):
    if option == "pyod_ecod":
        pytest.importorskip("pyod")
    ov = [f"{group}=[{option}]" if group in MULTI else f"{group}={option}"]
    if group == "data" and option == "csv":
        ov.append(f"data.path={Path(CONF_DIR).parent / 'data' / 'embedded' / 'occupancy.csv'}")
        ov.append("data.key=date")
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
        from anogen.train.cache import _trainer_config

        _trainer_config(dict(node))
    else:
        obj = build(node, group)
        if group == "data":
            assert obj.folds()  # loads and splits
        assert obj is not None


EXPERIMENTS = sorted(p.stem for p in (Path(CONF_DIR) / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes(name):
    cfg = compose([f"+experiment={name}"])
    build(cfg.sampler, "sampler")
    build_group(cfg.get("detectors") or {}, "detectors")
    build_group(cfg.get("metrics") or {}, "metrics")
