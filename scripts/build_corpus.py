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
        [--telemanom /tmp/corpus_telemanom] [--tranad /tmp/corpus_TranAD] [--threew /tmp/corpus_dalevents]

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
* 3W dataset of Petrobras (Vargas et al. 2019, CC BY 4.0): real oil-well instances with a labelled fault,
  as redistributed one ``.RData`` file per instance by cefet-rj-dal/dalevents (MIT) in
  ``original_datasets/3W/data/zip/<class>/`` (``--threew``, a copy of dalevents; usually the same as ``--dalevents``).
  Unlike every other series here, each 3W event runs to the last row (see ``build_threew``).

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

THREEW = {
    "repository": DALEVENTS["repository"],
    "commit": DALEVENTS["commit"],
    "repository_licence": DALEVENTS["repository_licence"],
    "folder": "original_datasets/3W/data/zip",
}
THREEW_LICENCE = ("3W dataset (Vargas, Munaro, Ciarelli, Medeiros, do Amaral, Barrionuevo, de Araujo, Ribeiro & "
                  "Magalhaes, 'A realistic and public dataset with rare undesirable real events in oil wells', J. "
                  "Petroleum Sci. Eng. 181 (2019) 106223; Petrobras), CC BY 4.0: petrobras/3W's dataset/README.md @ "
                  "428f4b38ae1a3f5f9540681f7b377ea13e171fd6 says 'All 3W dataset data files ... are licensed under the "
                  "Creative Commons Attribution 4.0 International License'; read here as cefet-rj-dal/dalevents' "
                  ".RData copies of the 3W 1.0 CSV files (its original_datasets/3W/etl.r: read_csv, then save; MIT)")
THREEW_FAULTS = {1: "abrupt increase of BSW", 2: "spurious closure of DHSV", 3: "severe slugging", 4: "flow instability",
                 5: "rapid productivity loss", 6: "quick restriction in PCK", 7: "scaling in PCK",
                 8: "hydrate in production line"}
#: 3W's process variables (pressures in Pa, temperatures in degrees C, gas-lift flow in sm3/s) as the CSVs name them
THREEW_VARIABLES = ("P-PDG", "P-TPT", "T-TPT", "P-MON-CKP", "T-JUS-CKP", "P-JUS-CKGL", "T-JUS-CKGL", "QGL")
#: at most this many 3W series per fault class (so that no fault type dominates the family)
THREEW_PER_CLASS = 5
#: the test part of a 3W series must hold at least this share of normal rows (its event runs to the last row)
THREEW_MIN_TEST_NORMAL = 0.20
#: at most this many rows for a 3W series: a longer instance keeps its last THREEW_MAX_ROWS rows (no subsampling)
THREEW_MAX_ROWS = 25_000
#: every REAL instance (WELL-*) of a fault class in dalevents' copy of 3W at THREEW["commit"]:
#: (class, instance, SHA-256 of its .RData blob). The folders 1-8 hold no SIMULATED_/DRAWN_ instance; classes 3
#: and 4 are absent from them (dalevents has 3 real instances of each only as 3W 2.0 parquet files under
#: original_datasets/3W/data/grouped/parquet/, whose first 3600 rows are unlabelled and all the rest faulty: no
#: normal row, so they could not pass the rule anyway; they are not read). ``build_threew`` applies the rule to all.
THREEW_REAL = [
    (1, "WELL-00001_20140124213136", "747f4c0da79db5c1440b67e50e7c6613b7cb0ad2786271ad6fcbb3f1c6e2982c"),
    (1, "WELL-00002_20140126200050", "326dcd2dcdf476df1b56b8ba45919bcfae518f6946e1f1a1b62e02b6d53fec2c"),
    (1, "WELL-00006_20170801063614", "e78564029dc98a88c52b3b5db23cfaa672d807c744ae48e01a557aa043fe7b46"),
    (1, "WELL-00006_20170802123000", "f09c44c22ab69a909607831d26ad4e15f40ea77e1167347ba5a6b8a08162b90a"),
    (1, "WELL-00006_20180618060245", "44d7c2b0cb2957144a6d4795d01daf180c497cdf42c7d4c64cbe583260d9512d"),
    (2, "WELL-00002_20131104014101", "4d2af56c681f785701f067d3dbad1e460226d0a8ec37d7214cddc55e2b5f0365"),
    (2, "WELL-00003_20141122214325", "380be1a026ebb14efda714806bde15ae98c62576887cd4f7050b24bec73cb8c2"),
    (2, "WELL-00003_20170728150240", "35e7cddee2fa40589eb406a2f571165538e9a4e2f82504952f38d47637addf78"),
    (2, "WELL-00003_20180206182917", "923611c0ca612afdf41df51fdab67c8f5c6173aeec4fe2b839ff8b888e15ec1c"),
    (2, "WELL-00009_20170313160804", "7af1921eaeafb64f151efe51834b70562c130a64dc966f8730f6c1fa657d236e"),
    (2, "WELL-00010_20171218200131", "4e1644d815d35caf344f4d740e79e7301eb4a8f01fe0c025e6e788b684863b1b"),
    (2, "WELL-00011_20140515110134", "cff0c96fa81b221fe13179177d562be5ae96cd141efc314ab254458eeeaf0182"),
    (2, "WELL-00011_20140530100015", "ea13f11bc634e12f77b492e50c35d88e51b83cf178fe7f4f5a6a5ee8d98fbf88"),
    (2, "WELL-00011_20140606230115", "57825ea71a94bb5116d3245c81af92b38c0b9d423ceeef91f1749d7e982db676"),
    (2, "WELL-00011_20140720120102", "eec2b14a5a1eca3814bf0561f4b62e3444e434a69c7212b630867b7c4172beb8"),
    (2, "WELL-00011_20140726180015", "16cae00f122fde415510b34bedf9fbf777dc62bd56731b9a0088bd930d71d821"),
    (2, "WELL-00011_20140824000118", "475fc0d31f63062ac3222188afe9366d0cd21074b765c0b35ba796782ca5a5b9"),
    (2, "WELL-00011_20140916060300", "6c382cea7b0521c05c15e4cc1175e5b32a34086392dd725889b3299017da54d6"),
    (2, "WELL-00011_20140921200031", "5d662576aa687a6165b4b3a80880c9406e0e11184d6ca46b232b83c26970249c"),
    (2, "WELL-00011_20140928100056", "307b65983ca3366c2ffc6ecc16d8fe69ecac76ec0cfd284e63bd68a8bd2d9ed8"),
    (2, "WELL-00011_20140929170028", "17d7fd9c313791c8557bdea518900b4e7464437ff441fd7e9b8f72dacefe3c38"),
    (2, "WELL-00011_20140929220121", "67b9dce922f8533587d14fdd56e23d64365f462c195e79fdac7e7902d97758d9"),
    (2, "WELL-00011_20141005170056", "ea75b87d9292b369e0ceed787bd3a5931396444a7d75c33baecad231d8950e69"),
    (2, "WELL-00011_20141006160121", "8b60000e991c7f59b358b4fa25b8dd4b2400c69e258bc3a6c5a3cf77dbcb3b47"),
    (2, "WELL-00012_20170320033022", "54b6be46622fb84c6ac9ad2e4b79fc19dcd27516c77e64b1f14c2c5d9937d57b"),
    (2, "WELL-00012_20170320143144", "a6257f024e7d02ca6a5995752e1f9c076f3cca25284e3d3b546d07e6ebd4c3e6"),
    (2, "WELL-00013_20170329020229", "2420b2c87c1de169d57cd0e11a51386c270611f467b71fc77ccbc62a32ceeaa6"),
    (5, "WELL-00015_20170620160349", "07cd9486f06eb83fa533766cc68ebf038d856a5d10e2a9af47fc7395c80b0df3"),
    (5, "WELL-00015_20171013140047", "b6e346a6c7deadf3d6a089e814b9aae76558e9fb87872f7507f59423e37406da"),
    (5, "WELL-00016_20180405020345", "31f791a7c5bfc62faa4168d9a1ae0f23e6187b9aee4131652d7c7663589adffe"),
    (5, "WELL-00016_20180426142005", "7009e0f2fb572e430c21b677856721295bcd13e9fed45f22c6f8f32bb3ddad31"),
    (5, "WELL-00016_20180426145108", "be4247851faf540694372506114e51dbb94e2dafb99448773c3c2e4ad92708b9"),
    (5, "WELL-00016_20180517222322", "e7ef0aff7b8cafb49fc18d2fbae8418cdbcbada402335b7efb1e9faf26bff90e"),
    (5, "WELL-00017_20140314180000", "506ba8314f903a3f185fbebd2449ed30bc4f83eb2f825b2f1a31706fac00f8d9"),
    (5, "WELL-00017_20140317151743", "7db2e83340d0653c82ce0451ad4d3304b13cbe46c33905bc1c3f46713af4e13f"),
    (5, "WELL-00017_20140318023141", "95fb66b3458590612f2c4f6d5f6a97bc9484155e0c10fc1c24dedb150d5b3d34"),
    (5, "WELL-00017_20140318160220", "9087770e3094d4deefa2d57b77f4886dcd5baaddcc24a07fcb0b0a5a35efcbc2"),
    (5, "WELL-00017_20140319040453", "04ea087fc1bd9b08f93818f7c51a3bdb6f046d505d8522617f5aa88876528813"),
    (5, "WELL-00017_20140319141450", "799d097a08f141f20df948ad7eae5fa1ba8911fa54964e64ab181e28d2b05a84"),
    (6, "WELL-00002_20140212170333", "bb1527581130473afe7f16d03842b969a01a05cd056d0561f665ed0617915e92"),
    (6, "WELL-00002_20140301151700", "e1bfd53e937b0c9cc43640a365327e5af84f7d55e6c271ea4aae1c0adb2d32ad"),
    (6, "WELL-00002_20140325170304", "007e24879d49c84f30f3d051b1c0d3a7d7b5a8bfcf2d55ac15543b64a3967c8b"),
    (6, "WELL-00004_20171031181509", "26de9045a3b6add6432725ecc0f4ab37983a2319251b0e43a676321e1a12af84"),
    (6, "WELL-00004_20171031193025", "b3aa26cd3f3aef00b4c9560b2c7c6f2e0142cfacbdcdc1596bcbb3626c66e712"),
    (6, "WELL-00004_20171031200059", "4fbded6485e91c5ca26d30e92e6112703c0744688c0fe5f49503eb4e6d14f95a"),
    (7, "WELL-00001_20170226220309", "4868b0fe3e323a7e14146c4f1c9fe1ae58bc681fd56e2304c9dacc6c84d655f5"),
    (7, "WELL-00006_20180618110721", "e70f28c1d65fd5876480f0cab1f99bac64d6256609df10e282c40ce4854d28b5"),
    (7, "WELL-00006_20180620181348", "047d914d0a475e4336383d7ce15dff4eb6ce87a544d655553e388de9872e92e0"),
    (7, "WELL-00018_20180611040207", "29e92b9ef0f95bd33042aeae9c18c61ec17e2db0306b8dda381ef042219a3324"),
    (8, "WELL-00019_20170301182317", "b819e4540a755300bc7737a58bae78239bb71e54fdbd76f7f4526b96e97b763c"),
    (8, "WELL-00020_20120410192326", "211f1fb150930eb68b38126f4212f36f5e9c6d3a0019eb3ec59658ce2a4dfb9e"),
    (8, "WELL-00021_20170509013517", "e9d311a759e38b677ce41ece1bc0964c9ce86e46ee1f3195c9dacac91f2b7796"),
]

MSCLOUD = {
    "repository": "https://github.com/microsoft/cloud-monitoring-dataset",
    "commit": "6a07a53c2fac495fb6831811df4c980d6c04bd10",
    "repository_licence": "MIT (LICENSE: Copyright (c) Microsoft Corporation)",
}
MSCLOUD_LICENCE = ("Microsoft Cloud Monitoring Dataset (Microsoft; real production telemetry labelled by the services' "
                   "domain experts), MIT licence: microsoft/cloud-monitoring-dataset's LICENSE, Copyright (c) Microsoft "
                   "Corporation; its README states no other terms")
MSCLOUD_FAMILY = "Microsoft Cloud Monitoring"
#: every data/*/*.csv at MSCLOUD's commit, with its SHA-256 (the rule in corpus/README.md is applied to each)
MSCLOUD_FILES = {
    "data/application-crash-rate-1/app1-01.csv": "bf888a006622071b35aa4dffc0e34d23df6d51943c21e09eade1ba5f92daa2df",
    "data/application-crash-rate-1/app1-02.csv": "67619675598e8cd6658351feecdad191b43ebd7db41ea3dfea222e3f7c1f64ff",
    "data/application-crash-rate-1/app1-03.csv": "a13fa87390ca4337e89dced9525ae0bca37fa06aeca8d48c259a929e28a934c1",
    "data/application-crash-rate-1/app1-04.csv": "b96823b7dcb25014fc1813bcb074b24e41dfe3f3efbbc009da8e73b9e434ac26",
    "data/application-crash-rate-1/app1-05.csv": "0830786c3befd091c69fcb2bbc9b64c06febaa0860b0c722a402ef8ed256c392",
    "data/application-crash-rate-1/app1-06.csv": "b3ff47507325bf796d123ef2d4f26da481c4c00c69249f8dfdc2691b7620d6ba",
    "data/application-crash-rate-1/app1-07.csv": "6c231797d70cea18f7b0ee2b247e46e937d5b31cdd6d91866838888a2473cff4",
    "data/application-crash-rate-1/app1-08.csv": "f8d5e85ec66d765543d32508533883f8df678bac2b524f93f028e2bbab8f798f",
    "data/application-crash-rate-1/app1-09.csv": "93fd4c2c7c98d1723c5b597abfbf9d2865a848f21e354d655649c696f1def13d",
    "data/application-crash-rate-2/app2-01.csv": "41a9ab5bac7627281d2c2672fb4c2b66dc7c5933d6a6f84b10c9c0a2cfcc51e6",
    "data/application-crash-rate-2/app2-02.csv": "a02a05b9f75e900201555fd0b7ee5100aa371540791b579ad0fce8e151c414b7",
    "data/application-crash-rate-2/app2-03.csv": "82f0a39668385a3dddcf5e2b794674b690aa1a5731e2d62ed1b5b2f0c80f558b",
    "data/application-crash-rate-2/app2-04.csv": "c4266e69886b9f15d26ca458f1812aad718eec8fc11ece65b679d5d927e21d98",
    "data/application-crash-rate-2/app2-05.csv": "af10e2436ad95308d76cfa2c9ed399b5fe6274ccb7b8d684bcd400e82db448a6",
    "data/application-crash-rate-2/app2-06.csv": "dd6da92a34273cd72749c3e27b483dd3bf467c04634aff6355646a2c0be92283",
    "data/application-crash-rate-2/app2-07.csv": "10bbd1c9b7fbb632d3ec974099ce458b68cfc4cd5822c5d5e729b6fef06c8532",
    "data/application-crash-rate-2/app2-08.csv": "1d7f2b602371d6366640a3c5d54b71c03dec4b35c702d20291ada348b8bb5398",
    "data/application-crash-rate-2/app2-09.csv": "edd774edec4fb41560fca23c7a4bdc08019454516c23646c14a7213c48c96d6e",
    "data/application-crash-rate-2/app2-10.csv": "643a2eefaff8d5e2e908a7503e398addd7877a15d7ac335f25b350c6496620f4",
    "data/consumer-purchase-rate/purchase-01.csv": "41c3b1392cfbf5f2f118443b7cad56e766338e2421387cb828906e498bbd3cb2",
    "data/consumer-purchase-rate/purchase-02.csv": "af93a64c6e5500754151276c06ea5177dfb9ca83bb5c84ce06e9b30a1aa96610",
    "data/consumer-purchase-rate/purchase-03.csv": "f313b062f9c8d33fcb8c82ec9a4e3eb4f89ae0cec802aab3e9de83efabb4f01a",
    "data/consumer-purchase-rate/purchase-04.csv": "1af8a8faf739d7885e33726dfb1381ca75e0603d8476546c2d0280fba49ea273",
    "data/consumer-purchase-rate/purchase-05.csv": "db8fcb7c8be99bf11c8aef461318963eaca0b0d16dbe12632f2866de1b3195cd",
    "data/consumer-purchase-rate/purchase-06.csv": "41e8faf1a49585f09a0c57b1854b299696893d587eb1a41ea1c63672854623aa",
    "data/data-ingress-rate/ingress-01.csv": "6fed09b1254f6e51acb920c20ab0f6978a36fa5efcc9fd2630f9f9dedb6bbef8",
    "data/data-ingress-rate/ingress-02.csv": "70b9d0d7c744f67f33d60084b61b4edde530169fd670b113e1a3f1e52dd87fb6",
    "data/data-ingress-rate/ingress-03.csv": "091e1c5001d6edb6dfaef5b1d7a6e28a1edfb17e176e0c856c12068b782c88db",
    "data/data-ingress-rate/ingress-04.csv": "7886f2e06c4a762a3d1c16e971ca026081fa8cf729b586a3952d85ac619fded4",
    "data/data-ingress-rate/ingress-05.csv": "838e5744c4e52f521d47d5277146031fb45e0b23c14da17be0b93ca14cc4f804",
    "data/ecommerce-api-incoming-rps/api-01.csv": "d175b5ca4fdca29ad7d7a5b9ebaba440204c5b14872338492bfb084ebf7baf1c",
    "data/middle-tier-api-dependency-latency/outbound-01.csv": "4507624af718e7d6dee7690bd6a71a0eaaba5e97a34146e56268c3eff7721b10",
    "data/middle-tier-api-dependency-latency/outbound-02.csv": "35344d24c3b129c8e3e1a86a77219fe8730f2d24736320fa37f10488b304fee3",
    "data/middle-tier-api-dependency-latency/outbound-03.csv": "5a82df79f2f8ec393fe45047af36c4f61bef2383f036f8708a44e6bec69109b6",
    "data/middle-tier-api-dependency-latency/outbound-04.csv": "9bba4972c60501e1c11b6b94d86d2e1b02b9f7a7ff270acf4dd3f1bdd992bf8d",
    "data/middle-tier-api-dependency-latency/outbound-05.csv": "55f4d2b1c756eb4e7db37cc38da01d146ee3464c6817fe35b4f48d99c5095eca",
    "data/middle-tier-api-dependency-latency/outbound-06.csv": "6f6ca6f0cee3efafa2ad7c0e83839694d53e8fede35046b44c619b26d34f1a80",
    "data/middle-tier-api-dependency-latency/outbound-07.csv": "1447a425fd76ec3ae39f174e4030bdf2fe5c62486aea17965054a6c494c2e9d2",
    "data/middle-tier-api-dependency-latency/outbound-08.csv": "a7653a7bc528f9abbda456633bc79694e8ccada5fed6e63f808492369f99c421",
    "data/middle-tier-api-dependency-latency/outbound-09.csv": "1b58723b449d1fd9e1201b93f98d35b3103b2b4efa095ddd9460369096b52e37",
    "data/middle-tier-api-dependency-latency/outbound-10.csv": "0f794ed53819b0a79da38f730dddd7424a555fa3ea479a23ba2df2bb8140929e",
    "data/middle-tier-api-dependency-latency/outbound-11.csv": "516715af65e91bc3648fdca087e5c2199b84a277dc6f559af46c7bae96bec12c",
    "data/middle-tier-api-dependency-latency/outbound-12.csv": "ad5ccab530ed6118e468f52525703cd544d24ba3f9e22fb067973b81c7c9a14b",
    "data/middle-tier-api-dependency-latency/outbound-13.csv": "0bf071bb0ea85775d038785952c5ddee0982012eba6bdf414102821b2d6b1585",
    "data/middle-tier-api-dependency-latency/outbound-14.csv": "5d7d9df009a5925a9a1df3af11b01f75d3f9f1c595caeb003f9b40cd7923c7e9",
    "data/middle-tier-api-dependency-latency/outbound-15.csv": "1ae961f1b6d9596cbae88af678544cac4d128f83533a3e3468e36b66420fbd0c",
    "data/middle-tier-api-dependency-latency/outbound-16.csv": "063f52f3dccf6ecc3096af0d440f81fdb2749dc526f0a1159a709ff24e0632c0",
    "data/middle-tier-api-dependency-latency/outbound-17.csv": "ff7b242051a5e4368a8d4f132120be4558099e6e0a9d0f9de5cefdb18bd58ce4",
    "data/middle-tier-api-dependency-latency/outbound-18.csv": "31ea621476a59d41a929954b0e76db06ff6bb77407b7f80cb4242ec1aa018924",
    "data/middle-tier-api-dependency-latency/outbound-19.csv": "81b25b9cada2e542f89eac8457e949d95365f3b99e7fa93f9027b75efc348b35",
    "data/middle-tier-api-dependency-latency/outbound-20.csv": "38c7f09d35bf2fe85293677ec21575ebe8be72715b012609aeea1d0737cb76ad",
    "data/middle-tier-api-dependency-latency/outbound-21.csv": "43cac959f153b9b4cf631fb8eaf5ac3d92cfc3e7f9fabe58f0811c78b00fdb39",
    "data/middle-tier-api-dependency-latency/outbound-22.csv": "e019106bb9241f9a63c67f7eb9e9aaf0d8c735657c9ab80cf5e890487ea77e19",
    "data/middle-tier-api-dependency-latency/outbound-23.csv": "d3d0ae5082284119f4df8b995f97af1491e70a1d2e27acbd445e47d19caf64be",
    "data/mongodb-application-rps/mongo-01.csv": "069d04b19b4830df1d1be608c00e841dde6dd7263e266993ca4b8706c875dd80",
    "data/mongodb-application-rps/mongo-02.csv": "0e7601e16a001fdeda68a9ba51c909ca50739ba363d1af36ec71a1f5345ceb6f",
    "data/mongodb-application-rps/mongo-03.csv": "f46aed042432a45e1d4dd484bcc4647c6eaf07b6ccbd0bb06a7fe316704bc307",
    "data/mongodb-application-rps/mongo-04.csv": "2af90c8097ed0b70a3beb4d71560957a58d92cb33be51faff4f4623bf5661b2b",
    "data/mongodb-machine-rps/machine-01.csv": "e7909a46deb6190b7f0f9df75c77d1390a5d721fa5f85e28f8766627be180e01",
    "data/service-unavailable/unavail-01.csv": "8a202b580b024fbe227475dc0b84aaaa08f23b29cc91c5a6a0da5f1ac49fa6fc",
}

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


def scorable_to_end(y: np.ndarray, train_rows: int) -> bool:
    """3W's rule: the test part has anomalous rows and at least THREEW_MIN_TEST_NORMAL normal rows (its one
    event may run to the last row; the normal rows come first)."""
    test = y[train_rows:]
    return bool(test.any() and (test == 0).mean() >= THREEW_MIN_TEST_NORMAL)


def write_series(name: str, values: pd.DataFrame, y: np.ndarray, train_rows: int, meta: dict,
                 float_format: str = "%.6g", event_to_end: bool = False) -> dict:
    """Write ``corpus/<name>.csv.gz`` (index, values, is_anomaly) and return its provenance record.
    ``event_to_end`` (3W only): the scorable rule is ``scorable_to_end`` instead of ``scorable``."""
    if y[:train_rows].any():
        raise SystemExit(f"{name}: labelled anomalies inside the train part")
    if not y[train_rows:].any():
        raise SystemExit(f"{name}: no labelled anomaly in the test part")
    if not (scorable_to_end if event_to_end else scorable)(y, train_rows):
        raise SystemExit(f"{name}: the test part cannot be scored (see scorable / scorable_to_end)")
    frame = values.copy()
    frame.insert(0, "index", np.arange(len(frame)))
    frame["is_anomaly"] = y.astype(np.int64)
    path = OUT / f"{name}.csv.gz"
    frame.to_csv(path, index=False, float_format=float_format, compression={"method": "gzip", "mtime": 0})
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


def build_threew(dalevents: Path) -> tuple[dict, dict]:
    """3W's real instances with a fault (classes 1-8), one series per instance, multivariate.

    * Values: the instance's process variables (``THREEW_VARIABLES``); a variable that is missing on every row or
      constant over the instance is dropped, then every row with a missing value in a kept variable (as for GECCO).
      The timestamp is dropped (1 Hz). An instance longer than ``THREEW_MAX_ROWS`` keeps its last rows.
    * Labels: 1 on every row whose class is not 0 (normal): faulty transient (1xx), faulty steady state (x), and
      the few rows 3W left unlabelled (class missing) between the normal period and the fault. 3W's instances end
      while the fault is still on, so the event runs to the last row: the task is to detect the onset of a fault
      that persists.
    * Split: the rows before the first row whose class is not 0 are normal; the train part is their first half
      (clean), the test part the second half and the fault to the end. Rule: train part >= ``MIN_TRAIN`` rows and
      >= ``MIN_TRAIN_SHARE`` of the series, the test part >= ``THREEW_MIN_TEST_NORMAL`` normal and >= 1 anomalous row.
    * Choice: per fault class, at most ``THREEW_PER_CLASS`` eligible instances, taken round-robin over the wells
      (wells by number, each well's instances by start time: every well's first, then every well's second, ...)."""
    eligible, skipped = [], {}
    for cls, inst, digest in THREEW_REAL:
        path = f"{THREEW['folder']}/{cls}/{inst}.RData"
        frame = read_rdata(git_blob(dalevents, THREEW["commit"], path, digest))["series"]
        # one instance (class 2 WELL-00003_20141122214325) also carries dalevents' own 'event' and 'value'
        # (a row number) columns after 3W's: not 3W variables, ignored
        if tuple(frame.columns[:10]) != ("timestamp",) + THREEW_VARIABLES + ("class",) \
                or not set(frame.columns[10:]) <= {"event", "value"}:
            raise SystemExit(f"{path}: not the 3W columns expected")
        stamp = frame["timestamp"].to_numpy(np.float64)
        klass = frame["class"].to_numpy(np.float64, na_value=np.nan)
        raw = {c: frame[c].to_numpy(np.float64, na_value=np.nan) for c in THREEW_VARIABLES}
        kept = [c for c in THREEW_VARIABLES if np.isfinite(raw[c]).any() and np.unique(raw[c][np.isfinite(raw[c])]).size > 1]
        x = pd.DataFrame({c: raw[c] for c in kept})
        ok = np.isfinite(x.to_numpy()).all(axis=1)
        n_instance, n_missing = len(x), int((~ok).sum())
        x, klass, stamp = x[ok].reset_index(drop=True), klass[ok], stamp[ok]
        start = max(0, len(x) - THREEW_MAX_ROWS)
        x, klass, stamp = x.iloc[start:].reset_index(drop=True), klass[start:], stamp[start:]
        y = (klass != 0).astype(np.int64)   # NaN (unlabelled) != 0 too
        n = len(y)
        n_normal = int(np.argmax(y)) if y.any() else n
        n_train = n_normal // 2
        fault = {int(c) for c in np.unique(klass[np.isfinite(klass)]) if c != 0}
        if not fault <= {cls, 100 + cls} or not y[n_normal:].all():
            raise SystemExit(f"{path}: labels other than normal, then class {cls} to the end")
        why = None
        if n_train < max(MIN_TRAIN, MIN_TRAIN_SHARE * n):
            why = (f"{n_normal} normal rows before the fault: the train half ({n_train}) is shorter than {MIN_TRAIN} "
                   f"rows or {MIN_TRAIN_SHARE:.0%} of the {n} rows")
        elif not scorable_to_end(y, n_train):
            why = (f"the test part holds {n_normal - n_train} normal rows of {n - n_train}: fewer than "
                   f"{THREEW_MIN_TEST_NORMAL:.0%}")
        if why:
            skipped[f"3W class {cls} {inst}"] = why + (f" (last {THREEW_MAX_ROWS} of {len(ok) - n_missing} rows)"
                                                      if start else "")
            continue
        if (x.nunique() < 2).any() or not (np.diff(stamp) > 0).all():
            raise SystemExit(f"{path}: a constant variable in the kept rows, or timestamps out of order")
        eligible.append({"cls": cls, "inst": inst, "path": path, "digest": digest, "x": x, "y": y, "n_train": n_train,
                         "n_normal": n_normal, "n_instance": n_instance, "n_missing": n_missing, "start": start,
                         "dropped": [c for c in THREEW_VARIABLES if c not in kept], "stamp": stamp,
                         "unlabelled": int(np.isnan(klass).sum()), "steady": cls in fault})
    out = {}
    for cls in sorted({e["cls"] for e in eligible}):
        wells: dict[str, list] = {}
        for e in sorted((e for e in eligible if e["cls"] == cls), key=lambda e: e["inst"]):
            wells.setdefault(e["inst"].split("_")[0], []).append(e)
        order = [w[i] for i in range(max(len(w) for w in wells.values())) for w in wells.values() if i < len(w)]
        for e in order[THREEW_PER_CLASS:]:
            skipped[f"3W class {cls} {e['inst']}"] = f"eligible, not among the {THREEW_PER_CLASS} of its class " \
                                                     "taken round-robin over the wells"
        for e in sorted(order[:THREEW_PER_CLASS], key=lambda e: e["inst"]):
            well, when = e["inst"].split("_")
            name = f"threew_c{cls}_w{int(well.split('-')[1]):02d}_{when}"
            n, n_train, n_normal = len(e["y"]), e["n_train"], e["n_normal"]
            t0 = pd.Timestamp(e["stamp"][0], unit="s").isoformat()
            meta = {
                "group": "3W oil wells (Petrobras)", "source_family": "3W",
                "source": f"3W dataset (Petrobras), real instance {e['inst']} of class {cls} ({THREEW_FAULTS[cls]}): "
                          f"offshore oil well {well}'s sensors at 1 Hz from {t0} (its first timestamp), as "
                          "redistributed one .RData file per instance by cefet-rj-dal/dalevents. Values: the process "
                          f"variables {', '.join(e['x'].columns)}" + (f" ({', '.join(e['dropped'])} dropped: missing "
                          "on every row or constant)" if e["dropped"] else "") + "; "
                          + (f"{e['n_missing']} rows with a missing value dropped; " if e["n_missing"] else
                             "no missing value in the kept variables; ")
                          + (f"the last {THREEW_MAX_ROWS} rows of {e['n_instance'] - e['n_missing']} kept"
                             if e["start"] else f"all {e['n_instance']} rows"),
                "data_licence": THREEW_LICENCE,
                "container": {"repository": THREEW["repository"], "commit": THREEW["commit"],
                              "licence": THREEW["repository_licence"], "blob": e["path"], "blob_sha256": e["digest"]},
                "paths": {"all": e["path"]}, "member_sha256": {"all": e["digest"]},
                "fault_class": cls, "fault": THREEW_FAULTS[cls],
                "labels": f"1 on every row whose 3W class is not 0 (normal): the faulty transient (class {100 + cls}), "
                          f"the faulty steady state (class {cls}; {'present' if e['steady'] else 'absent'} in this "
                          f"instance) and the {e['unlabelled']} rows 3W left unlabelled "
                          "(class missing, 'due to the used tool limitations'), which lie between the normal period "
                          "and the transient or between transient and steady state; 0 on the class-0 rows. "
                          f"The {n_normal} rows before row {n_normal} are normal (class 0); the fault runs from row "
                          f"{n_normal} to the last row, as every 3W fault instance ends in the fault (the event "
                          "is the onset of a fault that persists). The first half of the normal rows "
                          f"({n_train}) is the train part; the test part holds the other {n_normal - n_train} normal "
                          f"rows ({(n_normal - n_train) / (n - n_train):.0%} of it) and the fault.",
            }
            out[name] = write_series(name, e["x"], e["y"], n_train, meta, float_format="%.7g", event_to_end=True)
    return out, skipped


def build_mscloud(repo: Path) -> tuple[dict, dict]:
    """Microsoft Cloud Monitoring: every file of ``MSCLOUD_FILES``, one univariate series each, under the NAB/NASA
    clean-train rule (the train part is the rows before the first labelled row; ``MIN_TRAIN`` rows and
    ``MIN_TRAIN_SHARE`` of the series at least) and the scorable rule; rows with a missing value and exact duplicate
    rows (the same TimeStamp, Value and Label as an earlier row) dropped."""
    out, skipped = {}, {}
    per_group: dict[str, int] = {}
    for path, digest in MSCLOUD_FILES.items():
        folder, stem = path.split("/")[1], Path(path).stem
        key = f"mscloud {path}"
        frame = pd.read_csv(io.BytesIO(git_blob(repo, MSCLOUD["commit"], path, digest)))
        if list(frame.columns) != ["TimeStamp", "Value", "Label"]:
            raise SystemExit(f"{path}: columns {list(frame.columns)}, not TimeStamp, Value, Label")
        frame = frame.dropna(subset=["Value"])
        frame = frame[~frame.duplicated()].reset_index(drop=True)   # exact duplicate rows: export artefacts
        stamps = pd.to_datetime(frame["TimeStamp"])
        if not (np.diff(stamps.to_numpy().astype("datetime64[ns]").astype(np.int64)) > 0).all():
            skipped[key] = "its TimeStamps are not strictly increasing"
            continue
        y = frame["Label"].to_numpy().astype(np.int64)
        if not set(np.unique(y)) <= {0, 1}:
            raise SystemExit(f"{path}: Label values {sorted(set(np.unique(y)))}, not 0/1")
        if not y.any():
            skipped[key] = "no labelled row"
            continue
        n, n_train = len(frame), int(np.flatnonzero(y)[0])
        if n > UCR_MAX_ROWS:
            skipped[key] = f"{n} rows, over {UCR_MAX_ROWS}"
            continue
        if n_train < max(MIN_TRAIN, MIN_TRAIN_SHARE * n):
            skipped[key] = f"clean part {n_train} rows of {n}: shorter than {MIN_TRAIN} rows or {MIN_TRAIN_SHARE:.0%}"
            continue
        if not scorable(y, n_train):
            skipped[key] = "the test part cannot be scored (no event ends before the last row)"
            continue
        if per_group.get(folder, 0) >= MAX_PER_GROUP:
            skipped[key] = f"over {MAX_PER_GROUP} series in {folder}"
            continue
        per_group[folder] = per_group.get(folder, 0) + 1
        name = "mscloud_" + stem.replace("-", "_")
        step = pd.Series(stamps).diff().median()
        meta = {
            "group": f"Microsoft Cloud Monitoring {folder}", "source_family": MSCLOUD_FAMILY,
            "source": f"Microsoft Cloud Monitoring Dataset, domain '{folder}', series {stem}: real production telemetry "
                      f"of Microsoft services / Windows clients ({step} steps, {stamps.iloc[0]} to {stamps.iloc[-1]})",
            "data_licence": MSCLOUD_LICENCE,
            "container": {"repository": MSCLOUD["repository"], "commit": MSCLOUD["commit"],
                          "licence": MSCLOUD["repository_licence"], "blob": path, "blob_sha256": digest},
            "paths": {"all": path}, "member_sha256": {"all": digest},
            "labels": "1 where the file's Label is 1 (anomaly time points labelled by the services' domain experts with "
                      f"Microsoft's labelling tool), 0 elsewhere. The first {n_train} rows (before the first labelled "
                      "row) are the train part.",
        }
        out[name] = write_series(name, frame[["Value"]].rename(columns={"Value": "value"}).astype(np.float64), y,
                                 n_train, meta, float_format="%.10g")
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
    ap.add_argument("--threew", type=Path, default=None,
                    help="a clone/mirror of github.com/cefet-rj-dal/dalevents (its copy of the 3W dataset's real "
                         "instances; usually the same as --dalevents); without it the 3W series are not built")
    ap.add_argument("--mscloud", type=Path, default=None,
                    help="a clone/mirror of github.com/microsoft/cloud-monitoring-dataset; without it the Microsoft "
                         "Cloud Monitoring series are not built")
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
    if args.threew is not None:
        threew, threew_skipped = build_threew(args.threew)
        prov.update(threew)
        skipped.update(threew_skipped)
    if args.mscloud is not None:
        mscloud, mscloud_skipped = build_mscloud(args.mscloud)
        prov.update(mscloud)
        skipped.update(mscloud_skipped)
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
