"""Names from data and configs that become paths (issue 23): every file name made from a column, a
series or a detector name stays one name inside its folder, and every staged write is checked to
stay inside the run folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from anogen.outputs.context import RunOutputs
from anogen.outputs.files import safe_name
from anogen.types import AnogenError

HOSTILE = ["../../../../../ESCAPED", "a/b", "..", "/etc/passwd", "x\\..\\y", ".hidden", "név ü", "\x00nul"]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_safe_name_is_one_name_that_does_not_climb(name, tmp_path):
    s = safe_name(name)
    assert s and "/" not in s and "\\" not in s and ".." not in s and not s.startswith(".") and "\x00" not in s
    assert (tmp_path / s).parent == tmp_path


@pytest.mark.parametrize("rel", ["../x.csv", "plots/../../x.png", "/tmp/abs.json"])
def test_a_staged_write_outside_the_run_folder_is_refused(rel, tmp_path):
    with pytest.raises(AnogenError, match="outside the run folder"):
        with RunOutputs(tmp_path / "run") as out:
            out.staged(rel)
    assert list(tmp_path.iterdir()) == []


def test_a_column_named_like_a_path_plots_inside_the_run_folder(tmp_path, monkeypatch, capsys):
    """Regression: a CSV column named ``../../../../../ESCAPED`` made the plots write ``ESCAPED.png``
    outside the run folder."""
    from anogen.__main__ import cli

    n = 400
    rng = np.random.default_rng(0)
    csv = tmp_path / "in" / "data.csv"
    csv.parent.mkdir()
    pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, freq="min"), HOSTILE[0]: rng.normal(size=n),
                  "ok": rng.normal(size=n)}).to_csv(csv, index=False)
    run = tmp_path / "a" / "b" / "c" / "run"
    monkeypatch.chdir(tmp_path)
    rc = cli(["data=csv", f"data.path={csv}", "data.key=t", "detectors=[zscore]", "sampler=noise", "plots=true",
              "logger=[local]", "cache.enabled=false", f"hydra.run.dir={run}"])
    assert rc == 0, capsys.readouterr().err
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and run not in p.parents and p != csv]
    assert outside == []
    assert any("ESCAPED" in p.name for p in (run / "plots").iterdir())


# ---- a _target_ is checked before it is called -----------------------------------------------------------
@pytest.mark.parametrize("node, key", [
    ({"_target_": "os.system", "command": "touch PWNED"}, "sampler"),
    ({"_target_": "subprocess.Popen", "args": ["touch", "PWNED"]}, "sampler"),
    ({"_target_": "subprocess.Popen", "args": ["touch", "PWNED"]}, "detectors.x"),
    ({"_target_": "subprocess.Popen", "args": ["touch", "PWNED"]}, "detectors.x.estimator"),
    ({"_target_": "subprocess.run", "args": ["touch", "PWNED"]}, "data"),
    ({"_target_": "builtins.exec", "source": "open('PWNED', 'w')"}, "threshold"),
])
def test_a_target_that_is_not_a_component_of_its_place_is_refused_and_never_called(node, key, tmp_path,
                                                                                    monkeypatch):
    from anogen.config import build

    monkeypatch.chdir(tmp_path)
    with pytest.raises(AnogenError) as info:
        build(node, key)
    assert info.value.key == f"{key}._target_"
    assert not (tmp_path / "PWNED").exists()


def test_the_command_line_refuses_os_system_as_a_sampler_before_running_it(tmp_path, monkeypatch, capsys):
    """Regression: ``'+sampler={_target_: os.system, command: "touch PWNED"}'`` ran the command and
    only then failed with ``sampler: int is not a sampler``."""
    from anogen.__main__ import cli

    monkeypatch.chdir(tmp_path)
    rc = cli(['+sampler={_target_: os.system, command: "touch PWNED"}', "data=synthetic", "data.n=300",
              "detectors=[zscore]", "logger=[local]", f"hydra.run.dir={tmp_path}/run"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1 and "sampler._target_" in err[0], err
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "run").exists()
