#!/usr/bin/env python
"""Rebuild the real-data evidence corpus in ``corpus/`` (repository root, not installed) from its
public sources, checking every input blob's SHA-256 against the one recorded here.

Inputs are local copies of public GitHub repositories (bare mirrors or clones, read with
``git show COMMIT:PATH``, so the working tree's state does not matter)::

    git clone --bare https://github.com/salesforce/Merlion /tmp/corpus_Merlion
    git clone --bare https://github.com/datamllab/tods /tmp/corpus_tods
    git clone --bare https://github.com/khundman/telemanom /tmp/corpus_telemanom   # optional cross-check
    python scripts/build_corpus.py --merlion /tmp/corpus_Merlion --tods /tmp/corpus_tods \
        [--telemanom /tmp/corpus_telemanom]

Nothing is downloaded here. A blob whose hash differs from the recorded one stops the build.

Sources (see ``corpus/README.md``):

* NASA SMAP and MSL spacecraft telemetry (Hundman et al., KDD 2018, the ``telemanom`` release),
  as redistributed by salesforce/Merlion (BSD-3-Clause) in ``data/smap/SMAP.tar.gz``; the labels
  file inside it is byte-identical to khundman/telemanom's ``labeled_anomalies.csv`` (checked when
  ``--telemanom`` is given).
* UCR Time Series Anomaly Archive (Wu & Keogh, KDD Cup 2021) series 500 ``robotDOG1``, as
  redistributed by datamllab/tods (Apache-2.0).

Reserved held-out sets (SMD / OmniAnomaly ASD, SKAB, AIOps KPI / IOPS, the SVDB ECG records of
TSB-UAD) are never read: Merlion's ``data/iops_competition`` and tods' ``datasets/anomaly/kpi`` and
``raw_data/kpi.csv`` are not opened by this script.

Output: one gzip CSV per series (``index``, value column(s), ``is_anomaly``) and
``corpus/provenance.json``. The gzip header carries no timestamp, so a rebuild gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "corpus"

#: at most this many series per group, so that no source dominates
MAX_PER_GROUP = 30
#: the clean train part must be at least this many rows and this share of the series (NAB's rule)
MIN_TRAIN, MIN_TRAIN_SHARE = 400, 0.15

MERLION = {
    "repository": "https://github.com/salesforce/Merlion",
    "commit": "085ef8a69e5dcdfb9dcaa394cc21e087cccbb8f0",
    "repository_licence": "BSD-3-Clause (salesforce/Merlion)",
    "path": "data/smap/SMAP.tar.gz",
    "sha256": "35984d1171f4c71697c4d701ee1e81610f9763c0869d21fcb77416bed17269be",
}
TELEMANOM = {
    "repository": "https://github.com/khundman/telemanom",
    "commit": "2e6c5b6c3558e7835601519b7bdef37c649bdbdc",
    "path": "labeled_anomalies.csv",
    "sha256": "057ce2d6c8875982bf4e5404aefea14efdcbce413d80826d2b737c95b59b7539",
}
TODS = {
    "repository": "https://github.com/datamllab/tods",
    "commit": "314dd6efc6ed3f8d25e100b08de4115edc636e14",
    "repository_licence": "Apache-2.0 (datamllab/tods)",
}

NASA_LICENCE = ("released publicly by NASA JPL / Caltech with telemanom (Hundman et al., KDD 2018); the "
                "telemanom repository carries a Caltech BSD-3-Clause-style licence (its README badge says "
                "Apache-2.0) and the data archive states no separate terms; redistributed by "
                "salesforce/Merlion under BSD-3-Clause")
NASA_SOURCE = {
    "SMAP": "NASA Soil Moisture Active Passive satellite",
    "MSL": "NASA Mars Science Laboratory rover (Curiosity)",
}

UCR_SERIES = {
    "ucr_500_robotdog1": {
        "path": "datasets/anomaly/raw_data/500_UCR_Anomaly_robotDOG1_10000_19280_19360.txt",
        "sha256": "36e747c3b226b3ef383c755747dca1949272361ea8b2f88a91443cef9c706207",
        "number": 500, "archive_name": "robotDOG1", "train": 10000, "anomaly": (19280, 19360),
    },
}


def sha256_bytes(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def sha256_file(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def git_blob(repo: Path, commit: str, path: str, digest: str) -> bytes:
    """One file of a repository at a commit; refuses a blob whose SHA-256 is not the recorded one."""
    gitdir = repo / ".git" if (repo / ".git").exists() else repo
    blob = subprocess.run(["git", f"--git-dir={gitdir}", "show", f"{commit}:{path}"], check=True,
                          capture_output=True).stdout
    got = sha256_bytes(blob)
    if got != digest:
        raise SystemExit(f"{repo} {commit}:{path}: SHA-256 {got} differs from the recorded {digest}: refusing")
    return blob


def events(y: np.ndarray) -> int:
    return int((np.diff(np.r_[0, y, 0]) == 1).sum())


def write_series(name: str, values: pd.DataFrame, y: np.ndarray, train_rows: int, meta: dict) -> dict:
    """Write ``corpus/<name>.csv.gz`` (index, values, is_anomaly) and return its provenance record."""
    if y[:train_rows].any():
        raise SystemExit(f"{name}: labelled anomalies inside the train part")
    if not y[train_rows:].any():
        raise SystemExit(f"{name}: no labelled anomaly in the test part")
    frame = values.copy()
    frame.insert(0, "index", np.arange(len(frame)))
    frame["is_anomaly"] = y.astype(np.int64)
    path = OUT / f"{name}.csv.gz"
    frame.to_csv(path, index=False, float_format="%.6g", compression={"method": "gzip", "mtime": 0})
    record = {"name": name, "file": path.name, "mode": "series", "real": True, **meta,
              "rows": int(len(frame)), "columns": int(values.shape[1]), "train_rows": int(train_rows),
              "anomalous_rows": int(y.sum()), "events": events(y), "csv_sha256": sha256_file(path)}
    return record


def build_nasa(merlion: Path, telemanom: Path | None) -> tuple[dict, dict]:
    """SMAP and MSL channels: telemanom's train split followed by its test split (the clean part:
    the train split and the test rows before the first labelled sequence),
    column 0 (the telemetry value; the 24 one-hot command columns are dropped), labelled by
    ``labeled_anomalies.csv``."""
    blob = git_blob(merlion, MERLION["commit"], MERLION["path"], MERLION["sha256"])
    tar = tarfile.open(fileobj=io.BytesIO(blob))
    labels_raw = tar.extractfile("SMAP/labeled_anomalies.csv").read()
    check = "labels file byte-identical to khundman/telemanom's labeled_anomalies.csv (not checked in this build)"
    if telemanom is not None:
        git_blob(telemanom, TELEMANOM["commit"], TELEMANOM["path"], TELEMANOM["sha256"])
        if sha256_bytes(labels_raw) != TELEMANOM["sha256"]:
            raise SystemExit("Merlion's labeled_anomalies.csv differs from telemanom's: refusing")
        check = (f"labels file byte-identical to {TELEMANOM['repository']} at {TELEMANOM['commit']} "
                 f"({TELEMANOM['path']}, SHA-256 {TELEMANOM['sha256']})")
    lab = pd.read_csv(io.BytesIO(labels_raw))
    out, skipped = {}, {}
    for craft in ("SMAP", "MSL"):
        rows = lab[lab["spacecraft"] == craft].sort_values("chan_id")
        eligible = []
        for _, r in rows.iterrows():
            chan = r["chan_id"]
            members = {p: f"SMAP/{p}/{chan}.npy" for p in ("train", "test")}
            arrays, hashes = {}, {}
            for p, m in members.items():
                raw = tar.extractfile(m).read()
                arrays[p], hashes[p] = np.load(io.BytesIO(raw)), sha256_bytes(raw)
            tr, te = arrays["train"], arrays["test"]
            if len(te) != int(r["num_values"]):
                skipped[f"{craft} {chan}"] = f"test length {len(te)} != num_values {r['num_values']}"
                continue
            y_test = np.zeros(len(te), np.int64)
            seqs = json.loads(r["anomaly_sequences"])
            for lo, hi in seqs:
                y_test[lo:hi + 1] = 1
            x = np.r_[tr[:, 0], te[:, 0]].astype(np.float64)
            y = np.r_[np.zeros(len(tr), np.int64), y_test]
            # the clean part: telemanom's train split and the test rows before the first labelled sequence
            n_train = len(tr) + int(np.argmax(y_test))
            if n_train < max(MIN_TRAIN, MIN_TRAIN_SHARE * len(x)):
                skipped[f"{craft} {chan}"] = f"clean part {n_train} rows of {len(x)}: shorter than {MIN_TRAIN} rows " \
                                             f"or {MIN_TRAIN_SHARE:.0%} of the series"
                continue
            eligible.append((chan, x, y, n_train, len(tr), seqs, r["class"], members, hashes))
        # at most MAX_PER_GROUP channels, evenly spaced over the channels sorted by id
        keep = set(np.unique(np.linspace(0, len(eligible) - 1, min(MAX_PER_GROUP, len(eligible))).round().astype(int)))
        for i, (chan, x, y, n_train, n_split, seqs, cls, members, hashes) in enumerate(eligible):
            if i not in keep:
                skipped[f"{craft} {chan}"] = f"not among the {MAX_PER_GROUP} evenly spaced channels kept"
                continue
            name = f"nasa_{craft.lower()}_{chan.lower().replace('-', '_')}"
            meta = {
                "group": f"NASA {craft}", "source_family": "NASA telemanom (SMAP+MSL)",
                "source": f"{NASA_SOURCE[craft]} telemetry channel {chan} (Hundman et al., 'Detecting spacecraft "
                          "anomalies using LSTMs and nonparametric dynamic thresholding', KDD 2018): anonymised, "
                          "scaled telemetry value (column 0 of telemanom's 25-column array; the 24 one-hot "
                          "command columns are dropped)",
                "data_licence": NASA_LICENCE,
                "container": {"repository": MERLION["repository"], "commit": MERLION["commit"],
                              "licence": MERLION["repository_licence"], "blob": MERLION["path"],
                              "blob_sha256": MERLION["sha256"]},
                "paths": {"train": members["train"], "test": members["test"],
                          "labels": "SMAP/labeled_anomalies.csv"},
                "member_sha256": {**hashes, "labels": sha256_bytes(labels_raw)},
                "labels": f"1 on the rows of the anomalous sequences telemanom's labeled_anomalies.csv gives "
                          f"for {chan} ({len(seqs)} sequence(s), classes {cls}; expert-labelled from the missions' "
                          f"incident/anomaly reports), shifted by the {n_split} rows of the train split; 0 elsewhere. "
                          f"The first {n_train} rows (the train part) are telemanom's training split ({n_split} rows, "
                          "used by its authors as nominal data; it carries no labels) and the test rows before the "
                          "first labelled sequence.",
                "check": check,
            }
            out[name] = write_series(name, pd.DataFrame({"value": x}), y, n_train, meta)
    return out, skipped


def build_ucr(tods: Path) -> dict:
    out = {}
    for name, s in UCR_SERIES.items():
        raw = git_blob(tods, TODS["commit"], s["path"], s["sha256"])
        x = np.loadtxt(io.BytesIO(raw), dtype=np.float64).ravel()
        lo, hi = s["anomaly"]
        y = np.zeros(len(x), np.int64)
        y[lo:hi] = 1   # as scripts/extract_real_series.py reads the archive's names (rows lo .. hi-1)
        meta = {
            "group": "UCR Anomaly Archive", "source_family": "UCR Anomaly Archive",
            "source": f"UCR Time Series Anomaly Archive (Wu & Keogh, KDD Cup 2021), series {s['number']} "
                      f"{s['archive_name']} ({Path(s['path']).name}): accelerometer of a robot dog (Sony AIBO) "
                      "walking on different surfaces, as redistributed by datamllab/tods",
            "data_licence": "no licence of its own is stated by the archive (free for research use, cite Wu & "
                            "Keogh 2021); redistributed in an Apache-2.0 repository",
            "container": {"repository": TODS["repository"], "commit": TODS["commit"],
                          "licence": TODS["repository_licence"]},
            "paths": {"all": s["path"]}, "member_sha256": {"all": s["sha256"]},
            "labels": f"1 on the single anomaly the archive's curators annotated (rows {lo}-{hi - 1}, from the "
                      f"file name's {lo}_{hi}, read as the existing UCR extracts read it); every other row 0. The first "
                      f"{s['train']} rows are the archive's anomaly-free training part.",
        }
        out[name] = write_series(name, pd.DataFrame({"value": x}), y, s["train"], meta)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--merlion", type=Path, required=True, help="a clone/mirror of github.com/salesforce/Merlion")
    ap.add_argument("--tods", type=Path, required=True, help="a clone/mirror of github.com/datamllab/tods")
    ap.add_argument("--telemanom", type=Path, default=None,
                    help="a clone/mirror of github.com/khundman/telemanom (cross-checks the NASA labels)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.csv.gz"):
        old.unlink()
    prov, skipped = build_nasa(args.merlion, args.telemanom)
    prov.update(build_ucr(args.tods))
    (OUT / "provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
    for key, why in skipped.items():
        print(f"left out {key}: {why}")
    groups: dict[str, int] = {}
    for m in prov.values():
        groups[m["group"]] = groups.get(m["group"], 0) + 1
    size = sum(p.stat().st_size for p in OUT.iterdir() if p.is_file())
    print(f"{len(prov)} series in {len(groups)} groups {groups}; corpus/ is {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
