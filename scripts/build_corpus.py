#!/usr/bin/env python
"""Rebuild the real-data evidence corpus in ``corpus/`` (repository root, not installed) from its
public sources, checking every input blob's SHA-256 against the one recorded here.

Inputs are local copies of public GitHub repositories (bare mirrors or clones, read with
``git show COMMIT:PATH``, so the working tree's state does not matter)::

    git clone --bare https://github.com/salesforce/Merlion /tmp/corpus_Merlion
    git clone --bare https://github.com/datamllab/tods /tmp/corpus_tods
    git clone --bare https://github.com/khundman/telemanom /tmp/corpus_telemanom   # optional cross-check
    git clone --bare https://github.com/cefet-rj-dal/dalevents /tmp/corpus_dalevents
    git clone --bare https://github.com/cefet-rj-dal/event_datasets /tmp/corpus_event_datasets
    git clone --bare https://github.com/imperial-qore/TranAD /tmp/corpus_TranAD   # optional UCR cross-check
    pip install rdata==1.1.0 xarray   # reads the .RData blobs of the two cefet-rj-dal repositories
    python scripts/build_corpus.py --merlion /tmp/corpus_Merlion --tods /tmp/corpus_tods \
        --dalevents /tmp/corpus_dalevents --event-datasets /tmp/corpus_event_datasets \
        [--telemanom /tmp/corpus_telemanom] [--tranad /tmp/corpus_TranAD]

Nothing is downloaded here. A blob whose hash differs from the recorded one stops the build.

Sources (see ``corpus/README.md``):

* NASA SMAP and MSL spacecraft telemetry (Hundman et al., KDD 2018, the ``telemanom`` release),
  as redistributed by salesforce/Merlion (BSD-3-Clause) in ``data/smap/SMAP.tar.gz``; the labels
  file inside it is byte-identical to khundman/telemanom's ``labeled_anomalies.csv`` (checked when
  ``--telemanom`` is given).
* UCR Time Series Anomaly Archive (Wu & Keogh, KDD Cup 2021) series 500 ``robotDOG1``, as
  redistributed by datamllab/tods (Apache-2.0), and 29 more of its series, as redistributed one
  ``.RData`` file per series by cefet-rj-dal/dalevents (MIT).
* GECCO Industrial Challenge 2018 drinking-water quality data (Thueringer Fernwasserversorgung;
  Moritz et al. 2018), as redistributed by cefet-rj-dal/event_datasets (MIT) in ``data/gecco.RData``.

``--tranad`` also checks that the shipped ``anogen/data/real/ucr_internal_bleeding17/18/19.csv``
equal imperial-qore/TranAD's (BSD-3-Clause) copies of the archive's files, min-max scaled.

Reserved held-out sets (SMD / OmniAnomaly ASD, SKAB, AIOps KPI / IOPS, the SVDB ECG records of
TSB-UAD) are never read: Merlion's ``data/iops_competition``, tods' ``datasets/anomaly/kpi`` and
``raw_data/kpi.csv``, and TranAD's ``data/SMD`` and ``data/MBA`` (an SVDB copy) are not opened by this
script; only the files named here are.

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


DALEVENTS = {
    "repository": "https://github.com/cefet-rj-dal/dalevents",
    "commit": "b741bc12622990b389d5e7d7af2b2378c682a8f7",
    "repository_licence": "MIT (cefet-rj-dal/dalevents: DESCRIPTION 'MIT + file LICENSE', LICENSE.md)",
    "folder": "original_datasets/ucr_anomaly/data/zip",
}
#: at most this many rows for a UCR series taken from dalevents (bounds the evidence's cost; no subsampling)
UCR_MAX_ROWS = 25_000
#: UCR Anomaly Archive series from dalevents: (number, archive name, train rows, anomaly lo, hi, SHA-256 of the
#: .RData blob). Chosen once at DALEVENTS["commit"] by this rule: the archive's own series 109-250 (not the
#: DISTORTED/NOISE copies 001-108), not 135-138 (InternalBleeding16-19 ship in anogen/data/real), at most
#: UCR_MAX_ROWS rows, the clean-train rule (MIN_TRAIN, MIN_TRAIN_SHARE) and the scorable rule (the anomaly ends
#: before the last row); 35 series qualify, and 29 evenly spaced over them (sorted by number) are kept, so that
#: with robotDOG1 the group has MAX_PER_GROUP series. The build re-checks every rule on the kept series.
UCR_DALEVENTS = [
    (112, "BIDMC1", 2500, 5400, 5600, "074afec95da41a4dd0f6ed5ef1e25b54573cd67a5bd5638440e41fd31419320f"),
    (113, "CIMIS44AirTemperature1", 4000, 5391, 5392, "389e8b13009327fb18ec078a6e4ff34138dceac2766f6c08cb3a4017d5ea5dc0"),
    (114, "CIMIS44AirTemperature2", 4000, 5703, 5727, "182965c3ac2684197c4d3b468a84d743c51f1b1d9b73a0e757b72a1caa0282d4"),
    (116, "CIMIS44AirTemperature4", 4000, 5549, 5597, "420605985a8748193898bf26d5e8c5de291ea143c067ebe5203ec979f9d0c1f7"),
    (117, "CIMIS44AirTemperature5", 4000, 4852, 4900, "2d4bf458baff9b3d0cca37c67f16b6924a380aee5ee41664ec4a2b7dcac1fcfd"),
    (118, "CIMIS44AirTemperature6", 4000, 6006, 6054, "1e7f1feefe97856ec36f9fc2086ec6b54b59db0eca63eb83dea1430ccb8b1568"),
    (127, "GP711MarkerLFM5z1", 5000, 6168, 6212, "7a43982d2ffacb49b1cad3cbb7e1a43ce967d31469a3db5df55747ff37511c9a"),
    (128, "GP711MarkerLFM5z2", 5000, 7175, 7388, "8f2d4f960bc678f3bfd330340f80f2168b2dead3eb05f9d60264547f50a21c5c"),
    (130, "GP711MarkerLFM5z4", 4000, 6527, 6645, "589b88ec1f8a671c329d414051029cca2d54f356e439aae406477aa3f9aafc50"),
    (131, "GP711MarkerLFM5z5", 5000, 8612, 8716, "29bac47718865ebf366fd38c43b14ebe41182c24bce63769112ba45cc92f3f5d"),
    (132, "InternalBleeding10", 3200, 4526, 4556, "a022e4ad010a3cc33752677491cd8b112360fa837a1f138773fb01a9d99475ac"),
    (133, "InternalBleeding14", 2800, 5607, 5634, "1d3f2c722258049c0b16d2798a312ed5dddd8c003cce4204ad3dd3167b04dec3"),
    (139, "InternalBleeding20", 2700, 5759, 5919, "f85e98b9545683f607885f9b67cddb6be9056a156362ea4da7733c3f69e797df"),
    (141, "InternalBleeding5", 4000, 6200, 6370, "1d8e3e1553e09326743398939a958e8a2aee760df45f234aeadd1e8ed12d4a9e"),
    (142, "InternalBleeding6", 1500, 3474, 3629, "5acbdbf8bde3092bc3902e965b12e4c32ba5551fc3c49f413a9ceebf44436f51"),
    (143, "InternalBleeding8", 2500, 5865, 5974, "42e250d47c3131a192010df57c1d9b89ecfc9c4b6932330136f0b1c3360d0cc1"),
    (144, "InternalBleeding9", 4200, 6599, 6681, "746b19f74e7018b9e63b5d942aead27453391c6e8b99c053d26893235ee25e29"),
    (156, "TkeepFifthMARS", 3500, 5988, 6085, "2fb6fec1a4b8de665d3ad489cbccaba69bc4b2172ea0e6fe4a9930c3ca06a17c"),
    (157, "TkeepFirstMARS", 3500, 5365, 5380, "d4a57198508803c472722d28d3ac6ac37876e24ef2198c44017093de29a16393"),
    (158, "TkeepForthMARS", 3500, 5988, 6085, "6bbc1fbdae9179348c9240cbadb9af54a376b5e9cfd528c2e5da93a0863418af"),
    (159, "TkeepSecondMARS", 3500, 9330, 9340, "69efb1994f561ade4c50018a93f5ff79d3a838d662968fc050aed172a3ef2296"),
    (160, "TkeepThirdMARS", 3500, 4711, 4809, "48fb9b02ba4ab1ada7c99fadcc06fc67c58140ff47b3477b42b268328aa77eb8"),
    (162, "WalkingAceleration5", 2700, 5920, 5979, "795ca54031d901ec2d576db62034ee337555028f077ea5e182fc9e8a55ee5117"),
    (173, "insectEPG1", 3000, 7000, 7030, "3c9dff55fdac949864cb3d26fc402fd6ae8e05d31cd8e3cc8b1df91b3698839c"),
    (174, "insectEPG2", 3700, 8000, 8025, "a4782b337e7da650a74ee63ae3262e4371dc2ca4c7e8faae4e96bc583634377a"),
    (175, "insectEPG3", 5200, 7000, 7050, "10309e548d1b7ee839dbd1d28e7be1540202494240caf00e9ecbf8cd26998507"),
    (248, "weallwalk", 2000, 4702, 4707, "75e9d84d1a7bd833c9e7e09cdee7c29babb144f69b2cf8d66069225f68363ec0"),
    (249, "weallwalk", 2753, 8285, 8315, "65ceb4256584f1b9b521c3d85bf480e7d595950b6af1969dc4f2849f03cb6f6c"),
    (250, "weallwalk", 2951, 7290, 7296, "c99ca9a8b072c1477c60eb849a888ad6cbd33004705c6b6bb2359ade9037dc6a"),
]

EVENT_DATASETS = {
    "repository": "https://github.com/cefet-rj-dal/event_datasets",
    "commit": "59bb7a717de4ed33b582ee8576025c45e837f911",
    "repository_licence": "MIT (cefet-rj-dal/event_datasets: DESCRIPTION 'License: MIT + file LICENSE'; the "
                          "LICENSE file itself is absent from the repository)",
    "path": "data/gecco.RData",
    "sha256": "641c449adcdac4c31f45bb8fdbcb1147fc9f04bf25bf310a70a4d688b81f5850",
}
GECCO_COLUMNS = ("tp", "cl", "ph", "redox", "leit", "trueb", "cl_2", "fm", "fm_2")
#: labelled events closer than this many rows belong to one cluster (one corpus series)
GECCO_CLUSTER_GAP = 2000
GECCO_LICENCE = ("GECCO Industrial Challenge 2018 dataset (Moritz, Rehbach, Chandrasekaran, Rebolledo & "
                 "Bartz-Beielstein 2018; data by Thueringer Fernwasserversorgung and the IMProvT project), published "
                 "on Zenodo (doi:10.5281/zenodo.3884398) under CC BY 4.0 as recorded there (not re-read offline for "
                 "this build); redistributed by cefet-rj-dal/event_datasets (MIT)")

TRANAD = {
    "repository": "https://github.com/imperial-qore/TranAD",
    "commit": "7ffb98d0c18189cc3d9ab732b4cb0278200a0af0",
    "repository_licence": "BSD-3-Clause (imperial-qore/TranAD)",
    "files": {
        "ucr_internal_bleeding17": ("data/UCR/136_UCR_Anomaly_InternalBleeding17_1600_3198_3309.txt",
                                    "ceb7b2ce035266c005f375a5abc466089b9dc6c21aa13be0c1d4975cef9d155d", 1600, (3198, 3309)),
        "ucr_internal_bleeding18": ("data/UCR/137_UCR_Anomaly_InternalBleeding18_2300_4485_4587.txt",
                                    "dd1a59193b818b4ce07a0d47486fd159eb25b7ced1fa317bd9024988cb207645", 2300, (4485, 4587)),
        "ucr_internal_bleeding19": ("data/UCR/138_UCR_Anomaly_InternalBleeding19_3000_4187_4197.txt",
                                    "c324ae454f0bd69a878c191138a9cd1e36a0c17adf5a9d7059d505fc74cc23ee", 3000, (4187, 4197)),
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


def scorable(y: np.ndarray, train_rows: int) -> bool:
    """The test part has normal rows and at least one labelled event that ends before the last row."""
    test = y[train_rows:]
    return bool(test.any() and not test.all() and np.flatnonzero(test)[0] < len(test) - 1
                and (np.diff(test) == -1).any())


def write_series(name: str, values: pd.DataFrame, y: np.ndarray, train_rows: int, meta: dict) -> dict:
    """Write ``corpus/<name>.csv.gz`` (index, values, is_anomaly) and return its provenance record."""
    if y[:train_rows].any():
        raise SystemExit(f"{name}: labelled anomalies inside the train part")
    if not y[train_rows:].any():
        raise SystemExit(f"{name}: no labelled anomaly in the test part")
    if not scorable(y, train_rows):
        raise SystemExit(f"{name}: every labelled event runs to the last row (no metric can score it)")
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
            if not scorable(y, n_train):
                # chosen after the evenly spaced pick, so the other channels stay as they were
                skipped[f"{craft} {chan}"] = "its labelled sequence runs to the last row: the test part has no normal row"
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


def read_rdata(blob: bytes) -> dict:
    """An R ``.RData`` blob as Python objects (the ``rdata`` package, imported only when needed)."""
    import warnings

    try:
        import rdata
    except ImportError as e:  # pragma: no cover - a build-time dependency only
        raise SystemExit("reading the cefet-rj-dal .RData files needs `pip install rdata xarray`") from e
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # rdata warns about R classes it maps to their parents (tibbles)
        return rdata.read_rda(io.BytesIO(blob))


def build_ucr_dalevents(dalevents: Path) -> dict:
    """29 more UCR Anomaly Archive series (see ``UCR_DALEVENTS``), values as the archive has them."""
    out = {}
    for number, archive_name, train, lo, hi, digest in UCR_DALEVENTS:
        path = f"{DALEVENTS['folder']}/{number:03d}_UCR_Anomaly_{archive_name}_{train}_{lo}_{hi}.RData"
        frame = read_rdata(git_blob(dalevents, DALEVENTS["commit"], path, digest))["series"]
        x = frame.iloc[:, 0].to_numpy(np.float64)
        if frame.shape[1] != 1 or len(x) > UCR_MAX_ROWS or train < max(MIN_TRAIN, MIN_TRAIN_SHARE * len(x)) \
                or not np.isfinite(x).all() or not (train <= lo < hi < len(x)):
            raise SystemExit(f"{path}: breaks the selection rule of UCR_DALEVENTS")
        y = np.zeros(len(x), np.int64)
        y[lo:hi] = 1   # rows lo .. hi-1, as for robotDOG1 and scripts/extract_real_series.py
        name = f"ucr_{number}_{archive_name.lower()}"
        meta = {
            "group": "UCR Anomaly Archive", "source_family": "UCR Anomaly Archive",
            "source": f"UCR Time Series Anomaly Archive (Wu & Keogh, KDD Cup 2021), series {number} {archive_name} "
                      f"({number:03d}_UCR_Anomaly_{archive_name}_{train}_{lo}_{hi}.txt), as redistributed one .RData "
                      "file per series by cefet-rj-dal/dalevents (Lima, Salles & Ogasawara)",
            "data_licence": "no licence of its own is stated by the archive (free for research use, cite Wu & "
                            "Keogh 2021); redistributed in an MIT repository",
            "container": {"repository": DALEVENTS["repository"], "commit": DALEVENTS["commit"],
                          "licence": DALEVENTS["repository_licence"], "blob": path, "blob_sha256": digest},
            "paths": {"all": path}, "member_sha256": {"all": digest},
            "labels": f"1 on the single anomaly the archive's curators annotated (rows {lo}-{hi - 1}, from the "
                      f"file name's {lo}_{hi}, read as the existing UCR extracts read it); every other row 0. The first "
                      f"{train} rows are the archive's anomaly-free training part.",
        }
        out[name] = write_series(name, pd.DataFrame({"value": x}), y, train, meta)
    return out


def build_gecco(event_datasets: Path) -> tuple[dict, dict]:
    """GECCO 2018 water quality: the 9 sensors (multivariate), rows with a missing value dropped, cut into one
    series per cluster of labelled events (events closer than ``GECCO_CLUSTER_GAP`` rows form a cluster; the
    cuts lie midway between consecutive clusters); the clean part is the rows before the cluster's first event."""
    ed = EVENT_DATASETS
    blob = git_blob(event_datasets, ed["commit"], ed["path"], ed["sha256"])
    frame = read_rdata(blob)["gecco"]["gecco"]
    if tuple(frame.columns) != GECCO_COLUMNS + ("event",) or len(frame) != 139566:
        raise SystemExit(f"{ed['path']}: not the 139566 x (9 sensors + event) table expected")
    frame = frame.dropna().reset_index(drop=True)
    x = frame[list(GECCO_COLUMNS)].astype(np.float64)
    ev = frame["event"].to_numpy().astype(np.int64)
    starts = np.flatnonzero(np.diff(np.r_[0, ev]) == 1)
    ends = np.flatnonzero(np.diff(np.r_[ev, 0]) == -1) + 1
    clusters = [[int(starts[0]), int(ends[0])]]
    for a, b in zip(starts[1:], ends[1:]):
        if a - clusters[-1][1] < GECCO_CLUSTER_GAP:
            clusters[-1][1] = int(b)
        else:
            clusters.append([int(a), int(b)])
    cuts = [0] + [(clusters[i][1] + clusters[i + 1][0]) // 2 for i in range(len(clusters) - 1)] + [len(frame)]
    out, skipped = {}, {}
    for i, (a, b) in enumerate(clusters):
        lo, hi = cuts[i], cuts[i + 1]
        n_train, n = a - lo, hi - lo
        key = f"GECCO rows {lo}-{hi - 1}"
        if n_train < max(MIN_TRAIN, MIN_TRAIN_SHARE * n):
            skipped[key] = f"clean part {n_train} rows of {n}: shorter than {MIN_TRAIN} rows or {MIN_TRAIN_SHARE:.0%}"
            continue
        y = ev[lo:hi]
        name = f"gecco2018_water_{len(out) + 1:02d}"
        meta = {
            "group": "GECCO 2018 water quality", "source_family": "GECCO 2018 water quality",
            "source": "GECCO Industrial Challenge 2018 'Online Anomaly Detection for Drinking Water Quality': one "
                      "German waterworks' drinking-water sensors at 1-minute steps (temperature, chlorine dioxide x2, "
                      "pH, redox potential, conductivity, turbidity, flow x2), as redistributed by "
                      "cefet-rj-dal/event_datasets; rows with a missing value dropped (as tods' loader does), then "
                      f"rows {lo}-{hi - 1} of what remains (one cluster of labelled events, cut midway to its neighbours)",
            "data_licence": GECCO_LICENCE,
            "container": {"repository": ed["repository"], "commit": ed["commit"],
                          "licence": ed["repository_licence"], "blob": ed["path"], "blob_sha256": ed["sha256"]},
            "paths": {"all": ed["path"]}, "member_sha256": {"all": ed["sha256"]},
            "labels": "1 where the challenge's EVENT column is true (events the water supplier marked in the sensors' "
                      "readings), 0 elsewhere. The labels are for the station, not for one sensor. "
                      f"The first {n_train} rows (before this cluster's first event) are the train part.",
        }
        out[name] = write_series(name, x.iloc[lo:hi].reset_index(drop=True), y, n_train, meta)
    return out, skipped


def check_tranad(tranad: Path) -> str:
    """The shipped InternalBleeding17-19 (QuoVadisTAD's min-max scaled copies) against TranAD's copies of the
    archive's files (BSD-3-Clause): the same series, min-max scaled over the whole series, to the CSV's 6
    significant digits, with the same labels and train part."""
    real = OUT.parent / "anogen" / "data" / "real"
    worst = 0.0
    for name, (path, digest, train, (lo, hi)) in TRANAD["files"].items():
        x = np.loadtxt(io.BytesIO(git_blob(tranad, TRANAD["commit"], path, digest)), dtype=np.float64).ravel()
        shipped = pd.read_csv(real / f"{name}.csv")
        z = (x - x.min()) / (x.max() - x.min())
        y = np.zeros(len(x), np.int64)
        y[lo:hi] = 1
        err = float(np.abs(z - shipped["value"].to_numpy()).max()) if len(z) == len(shipped) else np.inf
        if err > 5e-7 or not np.array_equal(shipped["label"].to_numpy(), y):
            raise SystemExit(f"{name}: differs from TranAD's {path} min-max scaled (max error {err:.1e})")
        worst = max(worst, err)
    return f"equal to TranAD's copies min-max scaled over the whole series (max error {worst:.1e}, CSV rounding)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--merlion", type=Path, required=True, help="a clone/mirror of github.com/salesforce/Merlion")
    ap.add_argument("--tods", type=Path, required=True, help="a clone/mirror of github.com/datamllab/tods")
    ap.add_argument("--telemanom", type=Path, default=None,
                    help="a clone/mirror of github.com/khundman/telemanom (cross-checks the NASA labels)")
    ap.add_argument("--dalevents", type=Path, required=True, help="a clone/mirror of github.com/cefet-rj-dal/dalevents")
    ap.add_argument("--event-datasets", type=Path, required=True,
                    help="a clone/mirror of github.com/cefet-rj-dal/event_datasets")
    ap.add_argument("--tranad", type=Path, default=None,
                    help="a clone/mirror of github.com/imperial-qore/TranAD (checks the shipped UCR InternalBleeding17-19)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.csv.gz"):
        old.unlink()
    prov, skipped = build_nasa(args.merlion, args.telemanom)
    prov.update(build_ucr(args.tods))
    prov.update(build_ucr_dalevents(args.dalevents))
    gecco, gecco_skipped = build_gecco(args.event_datasets)
    prov.update(gecco)
    skipped.update(gecco_skipped)
    (OUT / "provenance.json").write_text(json.dumps(prov, indent=2) + "\n")
    for key, why in skipped.items():
        print(f"left out {key}: {why}")
    groups: dict[str, int] = {}
    for m in prov.values():
        groups[m["group"]] = groups.get(m["group"], 0) + 1
    size = sum(p.stat().st_size for p in OUT.iterdir() if p.is_file())
    print(f"{len(prov)} series in {len(groups)} groups {groups}; corpus/ is {size / 1e6:.2f} MB")
    if args.tranad is not None:
        print(f"anogen/data/real ucr_internal_bleeding17-19: {check_tranad(args.tranad)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
