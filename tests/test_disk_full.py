"""Full disks and killed processes (issue 23): a full disk is the machine's problem, not a bug: one
line naming what could not be written, exit code 3, nothing left; a model cache that cannot be
written leaves no partial entry; the staging folders of a killed process are removed by the next
run into the same place; a dangling symbolic link as the run folder is one line, exit 2.

The disks are real: a small tmpfs mounted for the test (root, as on the development machine and in
CI). Where mounting is not allowed the full-disk cases are skipped, saying why: a simulated device
(a patched ``os.write``) would miss the writes that go through Python's file objects."""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path

import pytest

TINY = ["data=synthetic", "data.n=600", "detectors=[zscore]", "sampler=noise", "plots=true",
        "cache.enabled=false", "trainer.progress=false", "logger=[local]"]


def _cli(args):
    from anogen.__main__ import cli

    return cli(list(args))


def _mount(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                              capture_output=True).returncode == 0
    except OSError:  # no mount command
        return False


@pytest.fixture
def small_disk(tmp_path):
    """``small_disk(size, full=False, free=0)`` -> a folder on a device of ``size`` (``full``: only
    ``free`` bytes left)."""
    mounted = []

    def make(size: str = "96k", full: bool = False, free: int = 0) -> Path:
        disk = tmp_path / f"disk{len(mounted)}"
        if _mount(disk, size):
            mounted.append(disk)
            if full:
                with open(disk / "filler", "wb", buffering=0) as f:
                    try:
                        while True:
                            f.write(b"\0" * 4096)
                    except OSError as e:
                        assert e.errno == errno.ENOSPC
                filler = disk / "filler"
                os.truncate(filler, max(0, filler.stat().st_size - free))
            return disk
        pytest.skip("needs a small file system: mounting a tmpfs needs root (CAP_SYS_ADMIN)")

    yield make
    for disk in mounted:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name != "filler")


@pytest.mark.parametrize("full", [False, True], ids=["fills during the run", "no space at all"])
def test_a_full_disk_is_one_line_exit_3_and_leaves_nothing(small_disk, tmp_path, monkeypatch, capsys, full):
    """Regression: exit 1 with an 87-line traceback ending ``OSError: [Errno 28]``; with no space at
    all, ``run/.hydra/config.yaml`` and ``run/__main__.log`` were left behind."""
    disk = small_disk("96k", full=full)
    monkeypatch.chdir(tmp_path)
    rc = _cli([*TINY, f"hydra.run.dir={disk}/outputs/run"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 3, err
    assert len(err) == 1 and err[0].startswith("anogen: error: no space left on the device"), err
    assert _files(disk) == []


@pytest.mark.slow
def test_a_model_cache_on_a_full_disk_leaves_no_partial_entry(small_disk, tmp_path, monkeypatch, capsys):
    """Regression: the run succeeded but left a partial cache entry (``.KEY.XXXX``) never cleaned."""
    disk = small_disk("1m", full=True, free=4096)   # the entry's folder can be made, its model cannot
    monkeypatch.chdir(tmp_path)
    rc = _cli(["data=synthetic", "data.n=600", "model=vae_mlp", "sampler=latent_uniform", "filters=[]",
               "model.latent_dim=2", "model.hidden=8", "trainer.batch_size=64", "trainer.epochs=2",
               "detectors=[zscore]", "logger=[local]", "plots=false", "trainer.progress=false", "cache.enabled=true",
               f"cache.dir={disk}/cache", "cache.jax=false", f"hydra.run.dir={tmp_path}/run"])
    assert rc == 0, capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["status"] == "ok"
    assert [p for p in _files(disk) if "/." in f"/{p}" or p.startswith(".")] == [], _files(disk)


@pytest.mark.parametrize("inside", [False, True], ids=["beside a new run folder", "inside an existing one"])
def test_the_staging_folders_of_a_killed_process_are_removed_by_the_next_run(tmp_path, monkeypatch, capsys,
                                                                             caplog, inside):
    """Regression: after a SIGKILL during staging, a rerun into the same run folder succeeded but kept
    the old ``.staging-*`` tree."""
    run = tmp_path / "run"
    dead = 2 ** 22 + 12345               # above Linux's default pid_max: no such process
    if inside:
        run.mkdir()
        stale = run / f".staging-{dead}-abcd"
    else:
        stale = tmp_path / f".run.staging-{dead}-abcd"
    (stale / "fold0").mkdir(parents=True)
    (stale / "fold0" / "anomalous.csv").write_text("partial")
    alive = tmp_path / f".run.staging-{os.getppid()}-efgh"   # a live process's staging: left alone
    alive.mkdir()
    monkeypatch.chdir(tmp_path)
    rc = _cli([*TINY, f"hydra.run.dir={run}"])
    assert rc == 0, capsys.readouterr().err
    assert not stale.exists() and alive.exists()
    assert (run / "metrics.json").is_file()
    assert not [p for p in tmp_path.rglob("*staging*") if p != alive]


def test_a_dangling_symlink_as_the_run_folder_is_one_line(tmp_path, monkeypatch, capsys):
    """Regression: exit 1 and a ``FileExistsError`` traceback."""
    link = tmp_path / "run"
    link.symlink_to(tmp_path / "gone")
    monkeypatch.chdir(tmp_path)
    rc = _cli([*TINY, f"hydra.run.dir={link}"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1 and "hydra.run.dir" in err[0] and "symbolic link" in err[0], err
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_disk_full_is_found_through_wrapping_exceptions():
    from anogen.outputs.files import disk_full, disk_full_message

    inner = OSError(errno.ENOSPC, "No space left on device", "/x/metrics.json")
    try:
        try:
            raise inner
        except OSError as e:
            raise RuntimeError("wrapped") from e
    except RuntimeError as outer:
        assert disk_full(outer) is inner
    assert disk_full(OSError(errno.EACCES, "denied")) is None and disk_full(None) is None
    msg = disk_full_message(inner, "/x")
    assert msg.startswith("no space left on the device while writing /x/metrics.json under /x") and "\n" not in msg


def test_the_seed_cli_on_a_full_disk_is_one_line_exit_3_and_leaves_nothing(small_disk, tmp_path, capsys):
    import anogen
    from anogen.legacy import main as legacy_main

    data = tmp_path / "occ.csv"
    data.write_bytes((Path(anogen.__file__).parent / "data" / "embedded" / "occupancy.csv").read_bytes())
    spec = {"noise_params": {"anomally_normal_ratio": 0.05, "noise": 0.1, "wave": False, "wave_length": 3,
                             "columns": ["Temperature"], "noise_direction": "p", "path": str(data),
                             "csv_mode": "single", "key": "date", "dates": [["2015-02-05 00:00:00", "2015-02-06 00:00:00"]]},
            "imdir": ""}
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    disk = small_disk("64k", full=True)
    rc = legacy_main(["-t", "ano", "-f", str(spec_file), "-d", str(disk / "out")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 3 and len(err) == 1 and "no space left on the device" in err[0], err
    assert _files(disk) == []


def test_the_gutentag_importer_on_a_full_disk_leaves_no_partial_series_folder(small_disk, capsys):
    """Regression: a disk that filled after ``test.csv`` left a partial series folder."""
    from anogen.gutentag import main as gutentag_main

    fixture = Path(__file__).parent / "fixtures" / "gutentag" / "docs-examples.yaml"
    disk = small_disk("48k")
    rc = gutentag_main([str(fixture), "--out", str(disk / "series")])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 3 and len(err) == 1 and "no space left on the device" in err[0], err
    assert _files(disk) == []


def test_a_sweep_job_killed_before_its_result_is_listed_as_incomplete(tmp_path, capsys):
    """Regression: a sweep whose job 1 was killed (kill -9) reported ``1 jobs (1 ok)``: the killed
    job vanished from the report."""
    import yaml

    from anogen.report import main as report_main

    sweep = tmp_path / "sweep"
    for job, seed in (("0", 0), ("1", 1)):
        (sweep / job / ".hydra").mkdir(parents=True)
        (sweep / job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump([f"seed={seed}"]))
    (sweep / "0" / "metrics.json").write_text(json.dumps({"mean": {"zscore/roc_auc": 0.7}, "status": "ok",
                                                          "overrides": ["seed=0"]}))
    assert report_main([str(sweep), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "2 jobs (1 ok, 1 incomplete)" in out, out
    import pandas as pd

    rows = pd.read_csv(sweep / "report.csv").set_index("job")
    assert rows.loc[str(sweep / "1"), "status"] == "incomplete" and rows.loc[str(sweep / "1"), "seed"] == 1
    assert "incomplete" in (sweep / "report.md").read_text()
