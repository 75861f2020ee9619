"""Shared fixtures: the real configs, shrunk by overrides (Hydra compose), W&B disabled."""

from __future__ import annotations

import os

os.environ["WANDB_MODE"] = "disabled"
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
# a persistent JAX compilation cache shared by the tests (and the subprocesses they start):
# the tiny models compile once per machine instead of once per process
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR",
                      os.path.join(os.path.expanduser("~"), ".cache", "anogen", "jax-tests"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.2")

import contextlib  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

CONF_DIR = str(Path(__file__).resolve().parents[1] / "anogen" / "conf")

# tiny settings used by every end-to-end test
TINY = [
    "trainer.epochs=2",
    "trainer.progress=false",
    "plots=false",
    "cache.enabled=false",
]


def compose(overrides: list[str] | None = None, name: str = "config"):
    """Compose the packaged config with overrides (no Hydra run directory, no chdir)."""
    from hydra import compose as hcompose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return hcompose(config_name=name, overrides=list(overrides or []))


@pytest.fixture
def tiny_fold():
    """A small clean fold: two correlated sines + noise, 300 train / 200 test rows."""
    from anogen.types import Fold

    rng = np.random.default_rng(0)
    t = np.arange(500, dtype=np.float64)
    x = np.stack([np.sin(t / 8) + 3, 0.5 * np.sin(t / 8 + 0.3) + 2 + 0.1 * np.cos(t / 3)], axis=1)
    x += 0.02 * rng.standard_normal(x.shape)
    idx = np.datetime64("2020-01-01T00:00:00", "ns") + np.arange(500) * np.timedelta64(60, "s")
    return Fold(0, ("a", "b"), x[:300].copy(), x[300:].copy(), idx[:300], idx[300:],
                np.array([[0, 300]]), key="date")


@contextlib.contextmanager
def count_compiles():
    """Count XLA compilations (lowerings to MLIR; also counted on a persistent-cache hit)."""
    import jax

    seen: list[str] = []

    def listener(event: str, duration: float, **kwargs) -> None:
        if event == "/jax/core/compile/jaxpr_to_mlir_module_duration":
            seen.append(str(kwargs.get("fun_name")))

    jax.monitoring.register_event_duration_secs_listener(listener)
    try:
        yield seen
    finally:
        jax.monitoring.unregister_event_duration_listener(listener)
