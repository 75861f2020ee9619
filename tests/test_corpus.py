"""The evidence corpus in ``corpus/`` (outside the package): every file matches its provenance record,
its train part is clean, its test part is scorable (normal and anomalous rows; an event that ends before the
last row, except 3W's, whose one fault runs to the last row after enough normal rows), and each record names
its source family."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
PROV = json.loads((CORPUS / "provenance.json").read_text()) if (CORPUS / "provenance.json").exists() else {}
RESERVED = ("smd", "machine-", "omni", "asd", "skab", "kpi", "iops", "svdb", "mba")

pytestmark = pytest.mark.skipif(not PROV, reason="no corpus/provenance.json")


def test_every_file_has_a_record_and_the_families_are_named():
    files = {p.name for p in CORPUS.glob("*.csv.gz")}
    assert files == {m["file"] for m in PROV.values()}
    families = {m["source_family"] for m in PROV.values()}
    assert {"NASA telemanom (SMAP+MSL)", "UCR Anomaly Archive", "GECCO 2018 water quality", "3W",
            "Microsoft Cloud Monitoring"} <= families
    for name, m in PROV.items():
        assert m["name"] == name and m["real"] is True and m["mode"] == "series"
        for key in ("group", "source", "data_licence", "labels", "paths"):
            assert m[key], (name, key)
        c = m["container"]
        assert c["repository"].startswith("https://github.com/") and len(c["commit"]) == 40 and c["licence"]
        assert "NC" not in c["licence"] and not any(r in name for r in RESERVED)


@pytest.mark.parametrize("name", sorted(PROV))
def test_series_matches_its_record_and_is_scorable(name):
    m = PROV[name]
    path = CORPUS / m["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == m["csv_sha256"]
    assert gzip.open(path).read(0) == b"" and path.read_bytes()[4:8] == b"\0\0\0\0"   # no gzip timestamp
    df = pd.read_csv(path)
    assert df.columns[0] == "index" and df.columns[-1] == "is_anomaly" and df.shape[1] - 2 == m["columns"]
    x, y, n = df.iloc[:, 1:-1].to_numpy(np.float64), df["is_anomaly"].to_numpy(), m["train_rows"]
    assert len(df) == m["rows"] and np.isfinite(x).all() and set(np.unique(y)) <= {0, 1}
    assert int(y.sum()) == m["anomalous_rows"] and int((np.diff(np.r_[0, y, 0]) == 1).sum()) == m["events"]
    assert not y[:n].any() and n >= max(400, 0.15 * len(y))
    test = y[n:]
    assert test.any() and not test.all()   # the test part has normal and anomalous rows
    if m["source_family"] == "3W":
        # one fault from its onset to the last row, after the second half of the normal rows (>= 20% of the test)
        assert m["events"] == 1 and test[-1] == 1 and (test == 0).mean() >= 0.2 and m["fault_class"] in range(1, 9)
        assert "SIMULATED" not in m["paths"]["all"] and "DRAWN" not in m["paths"]["all"]
    else:
        assert (np.diff(test) == -1).any()   # at least one event ends before the last row


def _git_repo(path: Path, files: dict[str, str]) -> str:
    import subprocess

    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "HOME": str(path), "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "-C", str(path), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "commit", "-qm", "x"], check=True, env=env)
    return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_mscloud_rule_drops_exact_duplicate_rows_and_leaves_out_conflicting_stamps(tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(CORPUS.parent / "scripts"))
    import build_corpus as bc

    def csv(rows, dup=None):
        lines = ["TimeStamp,Value,Label"]
        for i in range(rows):
            lines.append(f"2018-05-10 {i // 60:02d}:{i % 60:02d}:00,{i % 7}.5,{int(rows - 30 <= i < rows - 20)}")
            if dup is not None and i == 5:
                lines.append(lines[-1] if dup == "same" else f"2018-05-10 00:05:00,{dup},0")
        return "\n".join(lines) + "\n"

    files = {"data/a/a-01.csv": csv(600, dup="same"), "data/a/a-02.csv": csv(600, dup="9.25"),
             "data/b/b-01.csv": csv(600).replace(",1\n", ",0\n")}
    commit = _git_repo(tmp_path / "repo", files)
    monkeypatch.setattr(bc, "MSCLOUD", {**bc.MSCLOUD, "commit": commit})
    monkeypatch.setattr(bc, "MSCLOUD_FILES", {k: hashlib.sha256(v.encode()).hexdigest() for k, v in files.items()})
    monkeypatch.setattr(bc, "OUT", tmp_path / "out")
    (tmp_path / "out").mkdir()
    built, skipped = bc.build_mscloud(tmp_path / "repo")
    assert list(built) == ["mscloud_a_01"]
    m = built["mscloud_a_01"]
    assert m["rows"] == 600 and m["train_rows"] == 570 and m["events"] == 1 and m["source_family"] == bc.MSCLOUD_FAMILY
    assert "not strictly increasing" in skipped["mscloud data/a/a-02.csv"]
    assert skipped["mscloud data/b/b-01.csv"] == "no labelled row"
