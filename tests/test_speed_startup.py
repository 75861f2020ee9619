"""Start-up and teardown costs of a run (issue 14): no per-shape helper programs compiled by the
trainer and scoring, the process leaves without the interpreter's slow teardown (atexit handlers
and threads still honoured), and the outputs' background warm-up writes nothing: a failed run
still leaves no file, W&B folder included. No timing assertions."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from flax import nnx

from anogen.models import LSTMAE, LSTMVAE
from anogen.train import TrainConfig, fit
from anogen.train.inference import reconstruction_error
from tests.conftest import count_compiles

#: programs JAX compiles for eager array operations, one per shape and dtype (jnp.asarray of a
#: NumPy array, jnp.asarray(n, int32), optax's zeros for each parameter shape)
HELPERS = ("jit(stage)", "jit(convert_element_type)", "jit(broadcast_in_dim)")


def _series(n: int) -> np.ndarray:
    t = np.arange(n)[:, None]
    return np.sin(t * np.array([[0.3, 0.7]])).astype(np.float32)


@pytest.mark.parametrize("make", [
    lambda: LSTMAE(2, 4, latent_dim=3, hidden=(5, 3), rngs=nnx.Rngs(0)),
    lambda: LSTMVAE(2, 4, latent_dim=3, hidden=(7,), dense=5, rngs=nnx.Rngs(0)),
])
def test_fit_and_scoring_compile_no_per_shape_helper_programs(make):
    """Regression: a fit compiled ~20 small programs besides the epoch (12 of them optax's zeros,
    one per parameter shape; one copy per array put on the device): ~0.4 s of the quickstart,
    every run, since the persistent cache skips programs that compile that fast."""
    model = make()  # a new architecture and new data sizes: nothing cached in this process
    x = _series(157)
    cfg = TrainConfig(epochs=2, batch_size=16, val_split=0.2, patience=0, progress=False)
    with count_compiles() as compiles:
        fit(model, x, config=cfg, seed=0, window=4)
        reconstruction_error(model, _series(203), window=4)
    assert not [c for c in compiles if c in HELPERS], compiles
    assert "jit(train_epoch)" in compiles or "jit(train_epoch_parallel)" in compiles


def _child(code: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.getcwd()})


@pytest.mark.parametrize("code, rc", [(0, 0), (3, 3), (None, 0)])
def test_exit_process_runs_atexit_handlers_and_waits_for_threads(tmp_path, code, rc):
    """The fast exit skips only the interpreter's final teardown: ``atexit`` handlers run (W&B's
    teardown, logging's flush), non-daemon threads finish, buffered output is written."""
    p = _child(f"""
        import atexit, threading, time
        from anogen.outputs.signals import exit_process
        atexit.register(lambda: open("atexit.txt", "w").write("ran"))
        def late():
            time.sleep(0.3)
            open("thread.txt", "w").write("done")
        threading.Thread(target=late).start()
        print("buffered", end="")
        exit_process({code!r})
    """, tmp_path)
    assert p.returncode == rc, p.stderr
    assert p.stdout == "buffered"
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert (tmp_path / "thread.txt").read_text() == "done"


def test_exit_process_stops_idle_executor_threads(tmp_path):
    """An idle ThreadPoolExecutor (as joblib's launcher leaves one) is told to stop by threading's
    exit hooks: joining its threads without them hung a ``hydra/launcher=parallel`` sweep forever."""
    p = _child("""
        from concurrent.futures import ThreadPoolExecutor
        from anogen.outputs.signals import exit_process
        ex = ThreadPoolExecutor(2)
        print(ex.submit(lambda: 41 + 1).result(), flush=True)
        exit_process(0)
    """, tmp_path)
    assert p.returncode == 0 and p.stdout.strip() == "42"


def test_exit_process_after_an_interruption_leaves_at_once(tmp_path):
    p = _child("""
        import atexit
        from anogen.outputs.signals import exit_process
        atexit.register(lambda: open("atexit.txt", "w").write("ran"))
        print("flushed", end="")
        exit_process(143)
    """, tmp_path)
    assert p.returncode == 143 and p.stdout == "flushed"
    assert not (tmp_path / "atexit.txt").exists()


class _Recorder:
    name = "recorder"

    def __init__(self):
        self.prepared = threading.Event()
        self.calls = []

    def prepare(self):
        self.prepared.set()

    def start(self, *a, **k):
        self.calls.append("start")

    def log_metrics(self, *a, **k):
        self.calls.append("log_metrics")

    def log_image(self, *a, **k):
        self.calls.append("log_image")

    def log_table(self, *a, **k):
        self.calls.append("log_table")

    def finish(self, status="ok", summary=None):
        self.calls.append(f"finish {status}")


def test_loggers_are_prepared_in_the_background_and_receive_everything_at_the_commit(tmp_path):
    from anogen.outputs.context import RunOutputs

    lg = _Recorder()
    with RunOutputs(tmp_path / "run", [lg], {"a": 1}) as out:
        assert lg.prepared.wait(30)
        out.write_json("m.json", {"x": 1})
        out.log_metrics({"x": 1.0})
        assert lg.calls == []  # held until the commit
    assert lg.calls == ["start", "log_metrics", "finish ok"]
    assert (tmp_path / "run" / "m.json").is_file()


def test_a_failed_run_with_the_wandb_logger_leaves_no_file(tmp_path, monkeypatch):
    """The W&B warm-up (import, service process) runs while the job works and writes nothing: a run
    that fails leaves neither its folder nor a W&B folder (in the run folder's parent or the cwd)."""
    pytest.importorskip("wandb")
    from anogen.outputs.context import RunOutputs
    from anogen.outputs.loggers import WandbLogger

    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)
    out = RunOutputs(tmp_path / "runs" / "r1", [WandbLogger()], {"a": 1})
    with pytest.raises(RuntimeError), out:
        out.write_json("metrics.json", {"x": 1})
        out.log_metrics({"x": 1.0})
        raise RuntimeError("boom")
    assert out._warm is not None
    out._warm.join(60)  # the warm-up has finished: whatever it would write is there now
    assert sorted(p.name for p in tmp_path.rglob("*")) == []


def test_exit_process_under_a_profiler_exits_normally(tmp_path):
    """``python -m cProfile -o FILE -m anogen ...`` writes FILE at the normal exit (the fast exit
    would skip it)."""
    script = tmp_path / "s.py"
    script.write_text("from anogen.outputs.signals import exit_process\nexit_process(0)\n")
    p = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(tmp_path / "p.out"), str(script)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "p.out").stat().st_size > 0


def test_the_gc_threshold_is_raised_for_the_command_line_only():
    import gc

    before = gc.get_threshold()
    import anogen.__main__  # noqa: F401 - imported, not run: the importing process keeps its setting

    assert gc.get_threshold() == before
    p = subprocess.run([sys.executable, "-c", "import gc, runpy, sys; sys.argv = ['anogen', '--help'];"
                        "runpy.run_module('anogen', run_name='__main__')"], capture_output=True, text=True,
                       timeout=60, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert p.returncode == 0, p.stderr
