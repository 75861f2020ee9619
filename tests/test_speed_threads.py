"""The thread-limit callback really limits XLA:CPU, BLAS and OpenMP threads in a job (issue 14).

A sweep job is a worker process that inherits the environment the callback set in the parent;
here a child process started with that environment reads what its libraries actually use: the
threads of XLA's CPU pool (named ``tf_XLAEigen``) after running a compiled program, and
threadpoolctl's report for BLAS/OpenMP.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from anogen.callbacks import ThreadLimits, parallel_jobs, thread_env, usable_cores

ROOT = Path(__file__).resolve().parents[1]
LIMITED = tuple(thread_env(1))

CHILD = """
import collections, json, os
import numpy as np
import jax, jax.numpy as jnp
from threadpoolctl import threadpool_info
x = jnp.ones((256, 256))
jax.jit(lambda a: jnp.tanh(a @ a).sum())(x).block_until_ready()
np.ones((300, 300)) @ np.ones((300, 300))
import sklearn.neighbors  # loads scikit-learn's OpenMP runtime
names = collections.Counter(open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task"))
print(json.dumps({"xla": names.get("tf_XLAEigen", 0),
                  "pools": {i["internal_api"]: i["num_threads"] for i in threadpool_info()}}))
"""


def _child(env_update: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in LIMITED}
    env.update(env_update)
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(autouse=True)
def restore_environment():
    """The callback writes to ``os.environ``: put it back as it was after each test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _launcher_env(monkeypatch, launcher: dict) -> dict[str, str]:
    for k in LIMITED:
        monkeypatch.delenv(k, raising=False)
    before = dict(os.environ)
    ThreadLimits().on_multirun_start(OmegaConf.create({"hydra": {"launcher": launcher}}))
    return {k: v for k, v in os.environ.items() if before.get(k) != v}


def test_no_fake_xla_flag():
    env = thread_env(3)
    assert "XLA_FLAGS" not in env and env["PJRT_NPROC"] == "3" and env["OMP_NUM_THREADS"] == "3"


def test_parallel_jobs_of_launchers():
    joblib = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
    assert parallel_jobs({"_target_": joblib, "n_jobs": -1}, 8) == 8
    assert parallel_jobs({"_target_": joblib, "n_jobs": -2}, 8) == 7
    assert parallel_jobs({"_target_": joblib, "n_jobs": 3}, 8) == 3
    local = "hydra_plugins.hydra_submitit_launcher.submitit_launcher.LocalLauncher"
    assert parallel_jobs({"_target_": local, "array_parallelism": 16}, 8) == 8
    assert parallel_jobs({"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"}, 8) == 1


@pytest.mark.slow  # a child process or a whole training: CI runs it (make test-all)
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads thread names from /proc")
def test_job_environment_limits_xla_blas_and_openmp_in_the_child(monkeypatch):
    cores = usable_cores()
    env = _launcher_env(monkeypatch, {"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher",
                                      "n_jobs": cores})
    if cores > 1:
        assert env == thread_env(1)
    limited = _child(thread_env(1))
    assert limited["xla"] == 1
    assert limited["pools"] and all(n == 1 for n in limited["pools"].values()), limited
    two = _child(thread_env(2))  # the variable sets XLA's pool size, whatever the machine
    assert two["xla"] == 2


def test_user_settings_win_and_sequential_launcher_sets_nothing(monkeypatch):
    for k in LIMITED:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    joblib = {"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", "n_jobs": 64}
    ThreadLimits().on_multirun_start(OmegaConf.create({"hydra": {"launcher": joblib}}))
    assert os.environ["OMP_NUM_THREADS"] == "7" and os.environ["PJRT_NPROC"] == "1"
    assert _launcher_env(monkeypatch, {"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"}) == {}
