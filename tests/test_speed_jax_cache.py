"""JAX's persistent compilation cache: on by default under the anogen cache folder (issue 14)."""

from __future__ import annotations

import pytest

import os
import subprocess
import sys
from pathlib import Path

from anogen.train.jax_cache import jax_cache_dir

ROOT = Path(__file__).resolve().parents[1]


def test_cache_folder_from_config():
    assert jax_cache_dir({"dir": "/c", "jax": True}) == Path("/c/jax")
    assert jax_cache_dir({"dir": "/c"}) == Path("/c/jax")  # on by default
    assert jax_cache_dir({"dir": "/c", "jax": "/elsewhere"}) == Path("/elsewhere")
    assert jax_cache_dir({"dir": "/c", "jax": False}) is None
    assert jax_cache_dir({"dir": "/c", "jax": "false"}) is None  # a command-line override as a string
    assert jax_cache_dir({"jax": True}) is None and jax_cache_dir(None) is None


def test_packaged_config_turns_it_on():
    from tests.conftest import compose

    cfg = compose([])
    assert cfg.cache.jax is True


CHILD = """
import sys, jax, jax.numpy as jnp
from anogen.train.jax_cache import enable_jax_cache
if len(sys.argv) > 3:  # a compile before the cache is set up (JAX has then decided: no cache)
    jax.jit(lambda x: x * 2)(jnp.ones(3)).block_until_ready()
folder = enable_jax_cache({"dir": sys.argv[1], "jax": sys.argv[2] == "on"}, min_compile_seconds=0.0)
print(folder)
print(float(jax.jit(lambda x: jnp.sin(x) * 3.0 + x.sum())(jnp.arange(5.0)).sum()))
"""


def _child(tmp: Path, on: str, env_dir: str | None = None, late: bool = False) -> str:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JAX_COMPILATION_CACHE", "JAX_PERSISTENT_CACHE"))}
    if env_dir:
        env["JAX_COMPILATION_CACHE_DIR"] = env_dir
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp), on, *(["late"] if late else [])], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.splitlines()[0]


@pytest.mark.slow  # a child process or a whole training: CI runs it (make test-all)
def test_compiled_programs_are_written_to_the_cache_folder(tmp_path):
    assert _child(tmp_path, "on") == str(tmp_path / "jax")
    assert any((tmp_path / "jax").iterdir())
    late = tmp_path / "late"
    assert _child(late, "on", late=True) == str(late / "jax")
    assert any((late / "jax").iterdir())


@pytest.mark.slow  # a child process or a whole training: CI runs it (make test-all)
def test_off_and_user_setting_win(tmp_path):
    assert _child(tmp_path, "off") == "None"
    assert not (tmp_path / "jax").exists()
    mine = tmp_path / "mine"
    assert _child(tmp_path, "on", env_dir=str(mine)) == str(mine)  # the user's variable wins
    assert not (tmp_path / "jax").exists()


def test_a_folder_written_unbounded_is_repaired_before_the_bound_is_turned_on(tmp_path):
    """Entries written while ``filelock`` was missing (unbounded: no access-time files) made JAX's
    bounded cache fail to store anything afterwards (a FileNotFoundError warning at every compile,
    seen after ``ray`` brought ``filelock``); the missing access times are now written first."""
    pytest.importorskip("filelock")
    from jax._src.lru_cache import LRUCache

    from anogen.train.jax_cache import add_missing_atimes

    old = tmp_path / "jit_f-abc-cache"
    old.write_bytes(b"x" * 10)                       # an entry of the unbounded cache: no -atime
    with pytest.raises(FileNotFoundError):           # what JAX does with such a folder (before)
        LRUCache(str(tmp_path), max_size=1 << 20).put("jit_g-def", b"y" * 10)
    assert add_missing_atimes(tmp_path) == 1 and (tmp_path / "jit_f-abc-atime").is_file()
    assert add_missing_atimes(tmp_path) == 0         # nothing left to repair
    cache = LRUCache(str(tmp_path), max_size=1 << 20)
    cache.put("jit_g-def", b"y" * 10)                # stored now
    assert cache.get("jit_g-def") == b"y" * 10 and cache.get("jit_f-abc") == b"x" * 10
    assert add_missing_atimes(tmp_path / "missing") == 0


def test_enable_jax_cache_repairs_the_folder(tmp_path, monkeypatch):
    pytest.importorskip("filelock")
    from anogen.train import jax_cache

    monkeypatch.delenv("JAX_COMPILATION_CACHE_DIR", raising=False)
    folder = tmp_path / "jax"
    folder.mkdir()
    (folder / "jit_f-abc-cache").write_bytes(b"x")
    monkeypatch.delitem(sys.modules, "jax", raising=False)   # as before JAX is imported: only the environment is set
    monkeypatch.setattr(os, "environ", dict(os.environ))
    assert jax_cache.enable_jax_cache({"dir": str(tmp_path)}) == folder
    assert (folder / "jit_f-abc-atime").is_file()
