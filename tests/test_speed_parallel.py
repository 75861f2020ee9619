"""Data-parallel training over host devices (issue 14): the same optimisation, used where it pays.

The test process has one CPU device (tests/conftest.py), so training stays on one device and
deterministic; the data-parallel checks run in a child process with two host devices.
"""

from __future__ import annotations

import pytest

import json
import os
import subprocess
import sys
from pathlib import Path

from anogen.train.parallel import MIN_PER_DEVICE, epoch_function, parallel_devices
from anogen.train.step import train_epoch

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, sys
from anogen.train.parallel import enable_host_devices
count = enable_host_devices(2)
import numpy as np, jax, jax.numpy as jnp
from flax import nnx
from anogen.models import LSTMAE
from anogen.train import TrainConfig, fit
from anogen.train.parallel import parallel_devices, train_epoch_parallel

rng = np.random.default_rng(0)
x = (np.sin(np.arange(1200)[:, None] * np.array([[0.05, 0.13]])) + 0.1 * rng.normal(size=(1200, 2))).astype(np.float32)
out = {"count": count, "devices": len(jax.devices()),
       "small": len(parallel_devices(32)), "large": len(parallel_devices(256)),
       "free_bits": len(parallel_devices(256, free_bits=0.5))}
for label, bs in (("dp", 128), ("single", 127)):  # 127 is odd: one device
    model = LSTMAE(2, 8, 4, (16,), rngs=nnx.Rngs(0))
    cfg = TrainConfig(epochs=3, batch_size=bs, learning_rate=1e-3, val_split=0.0, progress=False)
    model, hist = fit(model, x, config=cfg, seed=0, window=8)
    out[label] = hist.train_loss
    out[label + "_parallel_programs"] = train_epoch_parallel._cache_size()
    out[label + "_devices"] = sorted({d.id for leaf in jax.tree.leaves(nnx.state(model, nnx.Param))
                                      for d in leaf.devices()})
print(json.dumps(out))
"""


def test_one_device_trains_as_before():
    assert parallel_devices(256) == [] and epoch_function(256) is train_epoch


@pytest.mark.slow  # a child process or a whole training: CI runs it (make test-all)
def test_data_parallel_matches_one_device_in_a_child_with_two_host_devices():
    env = {**os.environ, "XLA_FLAGS": ""}  # no device count: enable_host_devices sets one
    res = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["count"] == 2 and out["devices"] == 2
    assert out["small"] == 0 and out["large"] == 2 and out["free_bits"] == 0  # batch 32: 16 < MIN_PER_DEVICE
    assert MIN_PER_DEVICE <= 64
    assert out["dp_parallel_programs"] == 1  # batch 128: the data-parallel epoch ran
    assert out["single_parallel_programs"] == 1  # batch 127 (odd): it did not run again
    assert out["dp_devices"] == [0] and out["single_devices"] == [0]  # the model comes back on one device
    # the autoencoder has no random draws: the same optimisation up to float rounding
    single = _single_device_losses(batch_size=128)
    assert len(out["dp"]) == len(single) == 3
    for a, b in zip(out["dp"], single):
        assert abs(a - b) <= 1e-4 * max(1.0, abs(b))


def _single_device_losses(batch_size: int) -> list[float]:
    import numpy as np
    from flax import nnx

    from anogen.models import LSTMAE
    from anogen.train import TrainConfig, fit

    rng = np.random.default_rng(0)
    x = (np.sin(np.arange(1200)[:, None] * np.array([[0.05, 0.13]])) + 0.1 * rng.normal(size=(1200, 2)))
    model = LSTMAE(2, 8, 4, (16,), rngs=nnx.Rngs(0))
    cfg = TrainConfig(epochs=3, batch_size=batch_size, learning_rate=1e-3, val_split=0.0, progress=False)
    return fit(model, x.astype(np.float32), config=cfg, seed=0, window=8)[1].train_loss


@pytest.mark.slow  # a child process or a whole training: CI runs it (make test-all)
def test_user_device_count_wins(tmp_path):
    code = ("import os; from anogen.train.parallel import enable_host_devices; "
            "print(enable_host_devices(2), os.environ['XLA_FLAGS'])")
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=3"}
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["3", "--xla_force_host_platform_device_count=3"]
