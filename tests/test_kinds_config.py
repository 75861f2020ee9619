"""Kinds and samplers from the configs: every experiment composes and builds with every sampler
option (experiments keep sampler parameters in sampler options), and the new kinds and placement
controls are set from the command line."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from conftest import CONF_DIR, compose

EXPERIMENTS = sorted(p.stem for p in (Path(CONF_DIR) / "experiment").glob("*.yaml"))
SAMPLERS = sorted(p.stem for p in (Path(CONF_DIR) / "sampler").glob("*.yaml"))
#: sampler options that decode from a generative model: an experiment without one adds model=vae
#: (the job's own error says so: "sampler=vae_tail needs a generative model: add model=vae")
NEEDS_MODEL = {"vae_tail", "vae_tail_8pct", "vae_tail_25pct", "latent_uniform", "latent_filtered"}


@lru_cache(maxsize=None)
def _experiment(name: str) -> dict:
    return yaml.safe_load((Path(CONF_DIR) / "experiment" / f"{name}.yaml").read_text())


@lru_cache(maxsize=None)
def _sampler_target(name: str) -> str:
    return compose([f"sampler={name}"]).sampler._target_


def _pairs() -> list:
    """Every experiment x every sampler; the fast suite runs a covering subset (each experiment with
    one sampler, each sampler in one experiment), the slow run the whole cross product."""
    fast = {(e, SAMPLERS[i % len(SAMPLERS)]) for i, e in enumerate(EXPERIMENTS)}
    fast |= {(EXPERIMENTS[i % len(EXPERIMENTS)], smp) for i, smp in enumerate(SAMPLERS)}
    return [pytest.param(e, smp, marks=() if (e, smp) in fast else pytest.mark.slow) for e in EXPERIMENTS
            for smp in SAMPLERS]


@pytest.mark.parametrize("experiment, sampler", _pairs())
def test_every_experiment_takes_every_sampler(experiment, sampler):
    from anogen.jobs.spec import build_job

    has_model = any("/model" in str(d) for d in _experiment(experiment).get("defaults", []))
    extra = ["model=vae"] if sampler in NEEDS_MODEL and not has_model else []
    cfg = compose([f"+experiment={experiment}", f"sampler={sampler}", *extra])
    job = build_job(cfg)
    assert job.sampler is not None
    if "benchmark" not in cfg:  # the benchmark runs its own samplers
        assert cfg.sampler._target_ == _sampler_target(sampler)


def test_experiments_set_no_sampler_parameter_of_their_own():
    """The cause of `+experiment=quickstart sampler=vae_tail` failing: keys under sampler: in an experiment."""
    for name in EXPERIMENTS:
        doc = _experiment(name)
        assert "sampler" not in doc and "filters" not in str(doc.get("defaults")), name


def test_kinds_and_controls_from_the_command_line():
    from anogen.config import build

    cfg = compose(["sampler=inject", "sampler.kinds=[drift,combine,outlier_cluster]", "sampler.catalog.drift.shape=quadratic",
                   "sampler.position=end", "sampler.creeping=0.25", "sampler.channels=2",
                   "+sampler.catalog.drift.position=[10,50]", "sampler.catalog.combine.kinds=[drift,noise_burst]"])
    s = build(cfg.sampler, "sampler")
    assert (s.position, s.creeping, s.channels) == ("end", 0.25, 2)
    assert s.catalog["drift"].shape == "quadratic" and s.catalog["drift"].position == (10, 50)
    assert s.catalog["combine"].event_kind("combine") == "drift+noise_burst"
    assert s.catalog["combine"].kinds[0] is s.catalog["drift"]  # parts resolved against the overridden catalog


@pytest.mark.parametrize("override,match", [
    ("sampler.position=top", r"^sampler\.position: must be 'random', 'beginning', 'middle', 'end' or a list"),
    ("+sampler.catalog.spike.channels=0", r"^sampler\.catalog\.spike\.channels: must be a whole number"),
    ("sampler.catalog.drift.shape=cubic", r"^sampler\.catalog\.drift\.shape: must be 'linear', 'quadratic' or"),
    ("sampler.catalog.outlier_cluster.points=1", r"^sampler\.catalog\.outlier_cluster\.points: must be >= 2"),
    ("sampler.catalog.pattern_shift.transition=0.5", r"^sampler\.catalog\.pattern_shift\.transition: must be > 0"),
    ("sampler.catalog.stuck.value=frozen", r"^sampler\.catalog\.stuck\.value: must be 'last' or a finite number"),
    ("sampler.catalog.noise_burst.mode=pink", r"^sampler\.catalog\.noise_burst\.mode: must be 'white' or 'burst'"),
])
def test_kind_errors_name_the_key(override, match):
    from anogen.config import build
    from anogen.types import AnogenError

    with pytest.raises(AnogenError, match=match):
        build(compose(["sampler=inject", override]).sampler, "sampler")
