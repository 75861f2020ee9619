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
