"""Bad inputs at the four entry points, and interruptions: one line, the key named, nothing left behind.

The README promises: a mistake gives one line naming the key (or column, or argument) and what is
valid, exit code 2, and no partial files; an interrupted run exits 130/143 and leaves either nothing
or a complete result set. Each case of :data:`CASES` runs one entry point in a fresh folder (the
current directory during the call) and asserts:

- the exit code (2) or the exception type (:class:`AnogenError`, a ``ValueError``);
- exactly one line on stderr (for the API: a one-line message and no warning);
- the key/column/argument named in that line;
- nothing left: the folder's files, and their contents (sha256), are exactly what they were, so no
  run directory, output folder, staging or temporary file remains and the input files are unchanged.

Classes of mistakes covered (issue 12): Hydra's composition errors (unknown key or option, bad
override syntax, a value that cannot be merged), config values found wrong before and after the
data are loaded (a run directory used to be left behind), type errors, the seed's JSON (types,
ranges, unknown keys, both ratio spellings, non-UTF-8 input, ``-d``/``imdir`` not writable), the
report (missing paths, ``-o`` not a folder, malformed jobs), the API (types, shapes, values of every
argument), numbers too large for float64 statistics, and misleading messages.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import anogen
from anogen.types import AnogenError

EMBEDDED = Path(anogen.__file__).parent / "data" / "embedded" / "occupancy.csv"
# tiny runs: no plots, no model cache, no progress bars on stderr
FAST = ["plots=false", "cache.enabled=false", "trainer.progress=false", "logger=[local]"]


# ---- the workspace: input files, and a snapshot of everything in the folder --------------------------
@pytest.fixture
def ws(tmp_path, monkeypatch):
    """A fresh folder (the current directory) with input files; ``ws.snapshot()`` hashes everything."""
    inp = tmp_path / "input"
    inp.mkdir()
    (inp / "occ.csv").write_bytes(EMBEDDED.read_bytes())
    n = 40
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="min"), "ok": np.arange(n, dtype=float),
                  "big": np.full(n, 1e308)}).to_csv(inp / "big.csv", index=False)
    pd.DataFrame({"date": pd.date_range("2020-01-01", periods=n, freq="min"),
                  "word": ["a"] * n, "x": np.arange(n, dtype=float)}).to_csv(inp / "text.csv", index=False)
    (inp / "latin1.csv").write_bytes("date,T\u00e9mp\n2020-01-01,1\n".encode("latin-1"))
    (inp / "afile.txt").write_text("not a folder\n")
    (inp / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, inp)


@dataclass
class Workspace:
    root: Path
    input: Path

    def snapshot(self) -> dict[str, str]:
        out = {}
        for p in sorted(self.root.rglob("*")):
            rel = str(p.relative_to(self.root))
            out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
        return out

    def fill(self, text: str) -> str:
        return text.replace("{in}", str(self.input)).replace("{root}", str(self.root))


# ---- the cases ---------------------------------------------------------------------------------------
@dataclass
class Case:
    """One bad input.

    Attributes:
        entry: ``cli`` (``python -m anogen``), ``seed`` (``anogen.legacy``), ``report`` or ``api``.
        id: the test id.
        args: command-line arguments (``{in}`` = the input folder); for the seed CLI the JSON
            input is ``spec`` and ``args`` are the extra arguments; for the API a callable.
        named: substrings the error line must contain (the key, column or argument).
        spec: the seed CLI's input (a JSON-able object, or bytes written as is).
    """

    entry: str
    id: str
    args: Any
    named: tuple[str, ...]
    spec: Any = None
    marks: tuple = field(default=())


def cli(id, args, *named, marks=()):
    return Case("cli", id, args.split() if isinstance(args, str) else args, named, marks=marks)


def seed(id, spec, *named, args=(), task="ano"):
    return Case("seed", id, ["-t", task, *args], named, spec=spec)


def report(id, args, *named):
    return Case("report", id, args, named)


def api(id, fn, *named):
    return Case("api", id, fn, named)


X = np.sin(np.linspace(0, 60, 600))[:, None] + 2
NOISE = {"anomally_normal_ratio": 0.05, "noise": 0.1, "path": "{in}/occ.csv", "key": "date",
         "columns": ["Temperature", "Humidity"]}
TRAIN = {"path": "{in}/occ.csv", "key": "date", "columns": ["Temperature"], "epochs": 1, "progress": False,
         "sequence_length": 5, "latent_space_dim": 2}
EVAL = {"targets": [[0, 0, 1, 0]], "candidates": [[0, 1, 0, 0]], "range": 1}
CSV = "data=csv data.path={in}/occ.csv data.key=date"
VAE = "model=vae sampler=vae_tail"
MLP = "model=vae_mlp sampler=latent_uniform filters=[]"

CASES = [
    # -- python -m anogen: Hydra's composition errors (were several lines, exit 1) ------------------------
    cli("unknown-top-level-key", "nosuchkey=1", "nosuchkey", "valid keys", "sampler"),
    cli("unknown-nested-key", "sampler.magnitud=1", "sampler.magnitud", "magnitude"),
    cli("unknown-model-key", f"{VAE} model.nope=3", "model.nope", "latent_dim"),
    cli("unknown-sampler-option", "sampler=nope", "sampler", "'nope'", "noise"),
    cli("unknown-detector-option", "detectors=[nope]", "detectors", "'nope'", "iforest"),
    cli("unknown-metric-option", "metrics=[nope]", "metrics", "pointwise"),
    cli("unknown-threshold-option", "threshold=nope", "threshold", "percentile"),
    cli("unknown-logger-option", "logger=[nope]", "logger", "wandb"),
    cli("unknown-experiment", "+experiment=nope", "experiment", "quickstart"),
    cli("unknown-launcher", "hydra/launcher=nope", "hydra/launcher", "basic"),
    cli("bad-override-syntax", "sampler.ratio=[0.1", "sampler.ratio", "cannot parse"),
    cli("override-without-value", "data.path", "data.path", "cannot parse"),
    cli("delete-missing-key", "~nosuch", "nosuch", "unknown key"),
    cli("list-without-brackets", "detectors=zscore,iforest", "detectors", "ambiguous"),
    cli("append-existing-key", "+seed=3", "seed", "already set"),
    cli("hydra-key-wrong-type", "hydra.job.chdir=abc", "hydra.job.chdir", "bool"),
    cli("multirun-unknown-option", "-m sampler=nope,noise", "sampler", "'nope'"),
    cli("multirun-unknown-key", "-m nosuch=1,2", "nosuch", "unknown key"),
    # -- type errors (were tracebacks) ------------------------------------------------------------------
    cli("seed-not-int", "seed=abc", "seed", "integer"),
    cli("seed-bad-interpolation", "seed=${nope}", "seed", "nope"),
    cli("min-gap-not-int", "placement.min_gap=abc", "placement.min_gap", "integer"),
    cli("test-fraction-not-number", "data.test_fraction=abc", "data.test_fraction", "number"),
    cli("nrows-not-int", f"{CSV} data.nrows=abc", "data.nrows", "integer"),
    cli("benchmark-seeds-not-int", "+experiment=benchmark benchmark.seeds=[abc]", "benchmark.seeds", "integer"),
    cli("latent-batch-size-negative", f"{MLP} sampler.batch_size=-5", "sampler.batch_size", "> 0"),
    cli("vae-tail-window-not-int", f"{VAE} sampler.window=abc", "sampler.window", "integer"),
    cli("threshold-value-not-number", "threshold=fixed threshold.value=abc", "threshold.value", "number"),
    cli("plots-not-bool", "plots=maybe", "plots", "boolean"),
    cli("cache-dir-env-missing", "cache.dir=${oc.env:ANOGEN_TEST_UNSET_VARIABLE}", "cache.dir",
        "ANOGEN_TEST_UNSET_VARIABLE"),
    # -- values checked before the data are loaded (a run directory used to be left behind) -------------
    cli("latent-dim-zero", f"{VAE} model.latent_dim=0", "model.latent_dim", "> 0"),
    cli("epochs-zero-named-trainer", f"{VAE} trainer.epochs=0", "trainer.epochs", "> 0"),
    cli("optimizer-unknown", f"{VAE} trainer.optimizer=nope", "trainer.optimizer", "adam"),
    cli("ratio-out-of-range", "sampler.ratio=0.9", "sampler.ratio", "<= 0.5"),
    cli("synthetic-too-short", "data=synthetic data.n=2", "data.n", ">= 4"),
    cli("window-negative", "++detectors.zscore.window=-3", "detectors.zscore.window", ">= 2"),
    cli("missing-data-path", "data=csv", "data.path", "missing"),
    cli("nan-policy-unknown", f"{CSV} data.nan=nope", "data.nan", "interpolate"),
    # -- found after the data are loaded ----------------------------------------------------------------
    cli("data-file-missing", "data=csv data.path={in}/nope.csv", "data.path", "not found"),
    cli("data-not-utf8", "data=csv data.path={in}/latin1.csv", "data.path", "latin1.csv"),
    cli("data-column-unknown", f"{CSV} data.columns=[Nope]", "data.columns", "Nope", "Temperature"),
    cli("data-column-not-numeric", "data=csv data.path={in}/text.csv data.key=date data.columns=[word]",
        "data.columns", "word", "not numeric"),
    cli("data-key-unknown", "data=csv data.path={in}/occ.csv data.key=nope", "data.key", "nope"),
    cli("data-values-overflow", "data=csv data.path={in}/big.csv data.key=date", "'big'", "too large"),
    cli("dates-outside-data", 'data.dates=[["2030-01-01","2030-02-01"]]', "data.dates", "outside"),
    cli("sampler-column-unknown", "sampler.columns=[nope]", "sampler.columns", "nope", "Temperature"),
    cli("wave-longer-than-fold", "sampler.wave=true sampler.wave_length=500", "sampler.wave_length", "125"),
    # -- where the results would go -----------------------------------------------------------------------
    cli("run-dir-is-a-file", "hydra.run.dir={in}/afile.txt", "hydra.run.dir", "is a file"),
    cli("run-dir-unwritable", "hydra.run.dir=/proc/anogen-test/run", "hydra.run.dir", "not writable"),
    cli("run-dir-bad-interpolation", "hydra.run.dir=${nope}", "hydra.run.dir", "nope"),
    cli("sweep-dir-unwritable", "-m seed=1,2 hydra.sweep.dir=/proc/anogen-test/s", "hydra.sweep.dir", "not writable"),

    # -- python -m anogen.legacy: the seed's JSON -----------------------------------------------------------
    seed("section-not-an-object", {"noise_params": [1, 2]}, "noise_params", "JSON object"),
    seed("input-not-an-object", [1, 2], "JSON object"),
    seed("no-section", {"imdir": ""}, "noise_params", "train_params"),
    seed("unknown-top-level-key", {"noise_params": NOISE, "nois": 1}, "nois", "valid keys"),
    seed("unknown-section-key", {"noise_params": {**NOISE, "wav": True}}, "noise_params.wav", "wave_length"),
    seed("wave-as-string", {"noise_params": {**NOISE, "wave": "false"}}, "noise_params.wave", "boolean"),
    seed("wave-length-as-string", {"noise_params": {**NOISE, "wave_length": "10"}}, "noise_params.wave_length",
         "integer"),
    seed("seed-as-string", {"noise_params": NOISE, "seed": "1"}, "seed", "integer"),
    seed("columns-as-string", {"noise_params": {**NOISE, "columns": "Temperature"}}, "noise_params.columns"),
    seed("ratio-out-of-range", {"noise_params": {**NOISE, "anomally_normal_ratio": 0.9}},
         "noise_params.anomally_normal_ratio", "<= 0.5"),
    seed("other-ratio-spelling-zero", {"noise_params": {**{k: v for k, v in NOISE.items()
                                                           if k != "anomally_normal_ratio"}, "anomaly_normal_ratio": 0}},
         "noise_params.anomaly_normal_ratio", "> 0"),
    seed("ratio-missing", {"noise_params": {k: v for k, v in NOISE.items() if k != "anomally_normal_ratio"}},
         "anomally_normal_ratio"),
    seed("both-ratio-spellings-differ", {"noise_params": {**NOISE, "anomaly_normal_ratio": 0.1}},
         "anomally_normal_ratio", "anomaly_normal_ratio"),
    seed("noise-negative", {"noise_params": {**NOISE, "noise": -1}}, "noise_params.noise", "> 0"),
    seed("direction-unknown", {"noise_params": {**NOISE, "noise_direction": "x"}}, "noise_params.noise_direction"),
    seed("data-path-missing", {"noise_params": {**NOISE, "path": "{in}/nope.csv"}}, "noise_params.path", "not found"),
    seed("data-column-unknown", {"noise_params": {**NOISE, "columns": ["nope"]}}, "noise_params.columns", "nope"),
    seed("dates-outside-data", {"noise_params": {**NOISE, "dates": [["2030-01-01", "2030-02-01"]]}},
         "noise_params.dates", "outside"),
    seed("wave-longer-than-fold", {"noise_params": {**NOISE, "wave": True, "wave_length": 500}},
         "noise_params.wave_length"),
    seed("values-overflow", {"noise_params": {**NOISE, "path": "{in}/big.csv", "columns": []}}, "'big'", "too large"),
    seed("sequence-length-as-string", {"train_params": {**TRAIN, "sequence_length": "5"}},
         "train_params.sequence_length", "integer"),
    seed("epochs-zero", {"train_params": {**TRAIN, "epochs": 0}}, "train_params.epochs", "> 0"),
    seed("sequence-longer-than-train", {"train_params": {**TRAIN, "sequence_length": 500}},
         "train_params.sequence_length", "longer"),
    seed("outdir-is-a-file", {"noise_params": NOISE}, "-d", "is a file", args=("-d", "{in}/afile.txt")),
    seed("outdir-unwritable", {"noise_params": NOISE}, "-d", "not writable", args=("-d", "/proc/anogen-test/out")),
    seed("imdir-is-a-file", {"noise_params": NOISE, "imdir": "{in}/afile.txt"}, "imdir", "is a file"),
    seed("imdir-unwritable", {"noise_params": NOISE, "imdir": "/proc/anogen-test/img"}, "imdir", "not writable"),
    seed("input-not-utf8", b'{"noise_params": {"path": "\xe9"}}', "-f", "UTF-8"),
    seed("input-not-json", b"{noise_params: 1", "-f", "JSON"),
    seed("input-missing", None, "-f", "not found", args=("-f", "{in}/nope.json")),
    seed("input-is-a-folder", None, "-f", "not a file", args=("-f", "{in}/empty")),
    seed("task-unknown", {"noise_params": NOISE}, "-t", "invalid choice", task="nope"),
    seed("eval-unknown-key", {**EVAL, "rang": 3}, "rang", "range", task="eval"),
    seed("eval-targets-not-a-list", {**EVAL, "targets": 1}, "targets", task="eval"),
    seed("eval-lengths-differ", {**EVAL, "candidates": [[0, 1]]}, "targets[0]", "length", task="eval"),
    seed("eval-range-negative", {**EVAL, "range": -1}, "range", task="eval"),

    # -- python -m anogen.report --------------------------------------------------------------------------
    report("path-missing", ["{in}/nope"], "path not found"),
    report("no-metrics-json", ["{in}/empty"], "no metrics.json"),
    report("out-is-a-file", ["{in}/sweep", "-o", "{in}/afile.txt"], "-o", "is a file"),
    report("out-unwritable", ["{in}/sweep", "-o", "/proc/anogen-test/rep"], "-o", "not writable"),
    report("no-path", [], "paths", "required"),
    report("out-without-value", ["{in}/sweep", "-o"], "-o", "expected one argument"),

    # -- the library API ------------------------------------------------------------------------------------
    api("generate-string-data", lambda: anogen.generate("abc"), "data"),
    api("generate-ragged-data", lambda: anogen.generate([[1, 2], [3]]), "data", "different lengths"),
    api("generate-none-data", lambda: anogen.generate(None), "data"),
    api("generate-3d-data", lambda: anogen.generate(np.zeros((4, 3, 2))), "data", "shape"),
    api("generate-empty-data", lambda: anogen.generate(np.zeros((0, 2))), "data", "no rows"),
    api("generate-nan-data", lambda: anogen.generate(np.full((50, 1), np.nan)), "data", "NaN"),
    api("generate-huge-data", lambda: anogen.generate(np.full((50, 1), 1e308)), "'x0'", "too large"),
    api("generate-seed-string", lambda: anogen.generate(X, seed="abc"), "seed", "integer"),
    api("generate-seed-bool", lambda: anogen.generate(X, seed=True), "seed", "integer"),
    api("generate-min-gap-string", lambda: anogen.generate(X, min_gap="a"), "min_gap", "integer"),
    api("generate-min-gap-negative", lambda: anogen.generate(X, min_gap=-1), "min_gap", ">= 0"),
    api("generate-sampler-int", lambda: anogen.generate(X, sampler=5), "sampler"),
    api("generate-sampler-unknown", lambda: anogen.generate(X, sampler="nope"), "sampler", "noise"),
    api("generate-columns-string", lambda: anogen.generate(X, columns="ab"), "columns"),
    api("generate-columns-count", lambda: anogen.generate(X, columns=["a", "b"]), "columns", "2 names"),
    api("generate-key-int", lambda: anogen.generate(X, key=5), "key"),
    api("generate-key-unknown", lambda: anogen.generate(pd.DataFrame({"a": X[:, 0]}), key="t"), "key", "'t'"),
    api("generate-dates-string", lambda: anogen.generate(X, dates="x"), "dates"),
    api("generate-dates-not-pairs", lambda: anogen.generate(X, dates=[[1]]), "dates", "pair"),
    api("generate-dates-outside", lambda: anogen.generate(X, dates=[[700, 800]]), "dates", "outside"),
    api("generate-train-mode-unknown", lambda: anogen.generate(X, train_mode="x"), "train_mode", "rest"),
    api("generate-train-string", lambda: anogen.generate(X, train="abc"), "train"),
    api("generate-train-columns-differ", lambda: anogen.generate(X, train=np.zeros((50, 2))), "train", "columns"),
    api("generate-param-out-of-range", lambda: anogen.generate(X, ratio=0.9), "ratio", "<= 0.5"),
    api("generate-param-string", lambda: anogen.generate(X, ratio="abc"), "ratio", "number"),
    api("generate-param-unknown", lambda: anogen.generate(X, nope=1), "nope", "magnitude"),
    api("generate-model-int", lambda: anogen.generate(X, sampler="latent_uniform", model=5), "model"),
    api("generate-model-missing", lambda: anogen.generate(X, sampler="latent_uniform"), "model", "vae_mlp"),
    api("generate-trainer-int", lambda: anogen.generate(X, sampler="latent_uniform", model="vae_mlp", trainer=5),
        "trainer"),
    api("generate-trainer-bad-value", lambda: anogen.generate(X, sampler="latent_uniform", model="vae_mlp",
                                                              trainer={"epochs": 0}), "trainer.epochs", "> 0"),
    api("generate-cache-string", lambda: anogen.generate(X, sampler="latent_uniform", model="vae_mlp", cache="y"),
        "cache"),
    api("evaluate-none", lambda: anogen.evaluate(None, [0, 1]), "targets"),
    api("evaluate-string", lambda: anogen.evaluate([0, 1], "01"), "candidates"),
    api("evaluate-int", lambda: anogen.evaluate(5, [0, 1]), "targets"),
    api("evaluate-not-binary", lambda: anogen.evaluate([0, 2], [0, 1]), "targets[0]", "0/1"),
    api("evaluate-lengths-differ", lambda: anogen.evaluate([0, 1, 0], [0, 1]), "length"),
    api("evaluate-k-negative", lambda: anogen.evaluate([0, 1], [0, 1], k=-1), "k ", "non-negative"),
    api("evaluate-k-string", lambda: anogen.evaluate([0, 1], [0, 1], k="a"), "k ", "integer"),
    api("benchmark-seeds-strings", lambda: anogen.benchmark(X, seeds=["a"]), "seeds[0]", "integer"),
    api("benchmark-seeds-int", lambda: anogen.benchmark(X, seeds=5), "seeds", "list"),
    api("benchmark-seeds-empty", lambda: anogen.benchmark(X, seeds=[]), "seeds", "at least one"),
    api("benchmark-no-detectors", lambda: anogen.benchmark(X, detectors=[]), "detectors", "at least one"),
    api("benchmark-detector-unknown", lambda: anogen.benchmark(X, detectors=["nope"]), "detectors", "iforest"),
    api("benchmark-detector-int", lambda: anogen.benchmark(X, detectors=[5]), "detectors[0]"),
    api("benchmark-detector-object-wrong", lambda: anogen.benchmark(X, detectors={"a": 5}), "detectors['a']"),
    api("benchmark-samplers-int", lambda: anogen.benchmark(X, samplers=5), "samplers", "list"),
    api("benchmark-no-metrics", lambda: anogen.benchmark(X, metrics=[]), "metrics", "at least one"),
    api("benchmark-metric-unknown", lambda: anogen.benchmark(X, metrics=["nope"]), "metrics", "pointwise"),
    api("benchmark-threshold-unknown", lambda: anogen.benchmark(X, threshold="nope"), "threshold", "percentile"),
    api("benchmark-threshold-int", lambda: anogen.benchmark(X, threshold=5), "threshold"),
    api("benchmark-test-fraction", lambda: anogen.benchmark(X, test_fraction=2), "test_fraction", "< 1"),
    api("benchmark-tuning-int", lambda: anogen.benchmark(X, tuning=5), "tuning"),
    api("benchmark-tuning-objective", lambda: anogen.benchmark(X, tuning={"objective": "x"}), "tuning.objective",
        "recall_at_fpr"),
    api("benchmark-by-sampler-string", lambda: anogen.benchmark(X, by_sampler="x"), "by_sampler", "boolean"),
    api("benchmark-string-data", lambda: anogen.benchmark("x"), "data"),
    api("component-group-unknown", lambda: anogen.api.load_component_config("nope", "x"), "group", "sampler"),
    api("component-option-unknown", lambda: anogen.api.load_component_config("sampler", "nope"), "sampler", "noise"),
]


def test_the_table_covers_every_entry_point_with_at_least_60_cases():
    entries = {c.entry for c in CASES}
    assert entries == {"cli", "seed", "report", "api"} and len(CASES) >= 60
    ids = [f"{c.entry}-{c.id}" for c in CASES]
    assert len(set(ids)) == len(ids)


def _fill(ws: Workspace, obj: Any) -> Any:
    if isinstance(obj, str):
        return ws.fill(obj)
    if isinstance(obj, list):
        return [_fill(ws, o) for o in obj]
    if isinstance(obj, dict):
        return {k: _fill(ws, v) for k, v in obj.items()}
    return obj


def _setup(case: Case, ws: Workspace) -> None:
    """The case's own input: the seed CLI's JSON file, the sweep folder the report reads."""
    if case.entry == "report":
        (ws.input / "sweep" / "0").mkdir(parents=True)
        (ws.input / "sweep" / "0" / "metrics.json").write_text(json.dumps({"mean": {"zscore/f1": 0.5}, "status": "ok"}))
    if case.entry == "seed" and case.spec is not None:
        path = ws.input / "in.json"
        if isinstance(case.spec, bytes):
            path.write_bytes(case.spec)
        else:
            path.write_text(json.dumps(_fill(ws, case.spec)))


def _run_case(case: Case, ws: Workspace) -> tuple[int | type, str]:
    """Run one case; ``(exit code or exception type, stderr or message)``."""
    if case.entry == "cli":
        from anogen.__main__ import cli as run_cli

        args = _fill(ws, case.args)
        if not any(a.startswith("hydra.run.dir") for a in args):
            args.append(f"hydra.run.dir={ws.root / 'outputs' / 'run'}")
        if not any(a.startswith("hydra.sweep.dir") for a in args):
            args.append(f"hydra.sweep.dir={ws.root / 'multirun' / 'sweep'}")
        flags = [a for a in args if a.startswith("-") and not a.startswith("~")]
        return run_cli([*flags, *FAST, *(a for a in args if a not in flags)]), ""
    if case.entry == "seed":
        from anogen.legacy import main as seed_main

        path = ws.input / "in.json"  # written by _setup
        args = _fill(ws, list(case.args))
        args += [] if "-f" in args else ["-f", str(path)]
        args += [] if "-d" in args else ["-d", str(ws.root / "out")]
        try:
            return seed_main(args), ""
        except SystemExit as e:  # argparse
            return e.code, ""
    if case.entry == "report":
        from anogen.report import main as report_main

        try:
            return report_main(_fill(ws, case.args)), ""
        except SystemExit as e:
            return e.code, ""
    try:
        case.args()
    except AnogenError as e:
        return AnogenError, str(e)
    return 0, ""


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.entry}-{c.id}", marks=c.marks) for c in CASES])
def test_bad_input(case, ws, capsys):
    _setup(case, ws)
    before = ws.snapshot()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, message = _run_case(case, ws)
    err = capsys.readouterr().err
    if case.entry == "api":
        assert got is AnogenError, f"no AnogenError: {got}"
        assert issubclass(AnogenError, ValueError)
        assert "\n" not in message and message, message
        assert not [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
        line = message
    else:
        assert got == 2, err
        assert err.count("\n") == 1 and err.endswith("\n"), err
        assert "Traceback" not in err
        line = err
    for name in case.named:
        assert name in line, f"{name!r} not in {line!r}"
    assert ws.snapshot() == before, "files were created, removed or changed"


# ---- real processes: what a user sees ---------------------------------------------------------------
def _proc(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "disabled", "JAX_PLATFORMS": "cpu"}
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)


@pytest.mark.parametrize("args, named", [
    (["sampler=nope"], "sampler: unknown option 'nope'; valid: ["),
    pytest.param(["nosuchkey=1"], "nosuchkey: unknown key; valid keys: [", marks=pytest.mark.slow),  # in process: the cli() table above
    pytest.param(["model=vae", "sampler=vae_tail", "model.latent_dim=0", "plots=false"],
                 "model.latent_dim: must be > 0, got 0", marks=pytest.mark.slow),
])
def test_cli_process_one_line_exit_2_and_no_folder(ws, args, named):
    before = ws.snapshot()
    r = _proc(["-m", "anogen", *args], ws.root)
    assert r.returncode == 2 and r.stderr == f"anogen: error: {named}" + r.stderr.split(named, 1)[1], r.stderr
    assert r.stderr.count("\n") == 1
    assert ws.snapshot() == before  # not even outputs/DATE/TIME with Hydra's .hydra/ and log


def test_seed_cli_process_imdir_a_file_writes_nothing(ws):
    """Bug: imdir being a file ended in a traceback after three result files were written."""
    (ws.input / "in.json").write_text(json.dumps({"noise_params": _fill(ws, NOISE), "imdir": str(ws.input / "afile.txt")}))
    before = ws.snapshot()
    r = _proc(["-m", "anogen.legacy", "-t", "ano", "-f", str(ws.input / "in.json"), "-d", str(ws.root / "out")], ws.root)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "imdir:" in r.stderr, r.stderr
    assert ws.snapshot() == before


# ---- interruptions: SIGTERM during training, during writing, during the commit ----------------------
def _cli(args: list[str]) -> int:
    from anogen.__main__ import cli as run_cli

    return run_cli(list(args))


def _leftovers(root: Path) -> list[str]:
    """Hidden staging folders and temporary files anywhere under ``root``."""
    return [str(p) for p in root.rglob("*") if p.name.startswith(".") and p.name != ".hydra"]


@pytest.fixture
def sigterm_self():
    """``fire()`` sends SIGTERM to this process (the handler of the entry point turns it into Interrupted)."""
    return lambda: os.kill(os.getpid(), signal.SIGTERM)


TINY_MLP = ["model=vae_mlp", "sampler=latent_uniform", "filters=[]", "model.latent_dim=2", "model.hidden=8",
            "trainer.batch_size=64", "detectors=[zscore]"]


def test_sigterm_during_training_leaves_nothing(ws, monkeypatch, capsys, sigterm_self):
    import anogen.train.loop as loop

    make_epoch, calls, seen = loop.epoch_function, [], []

    def factory(*fa, **fk):
        real = make_epoch(*fa, **fk)

        def epoch(*a, **k):
            calls.append(1)
            if len(calls) == 2:
                sigterm_self()
            try:
                return real(*a, **k)
            except KeyboardInterrupt as e:  # pragma: no cover - the signal lands in Python code, not here
                seen.append(e)
                raise
        return epoch

    monkeypatch.setattr(loop, "epoch_function", factory)
    before = ws.snapshot()
    rc = _cli([*FAST, *TINY_MLP, "trainer.epochs=50", "trainer.patience=100", f"hydra.run.dir={ws.root}/outputs/run"])
    err = capsys.readouterr().err
    assert rc == 143 and err.strip() == "anogen: interrupted by SIGTERM", err
    assert 2 <= len(calls) < 50  # training started and was stopped
    assert ws.snapshot() == before and not _leftovers(ws.root)


def test_sigterm_while_result_files_are_written_leaves_nothing(ws, monkeypatch, capsys, sigterm_self):
    """Bug: SIGTERM while writing left ``fold0/.anomalous.csv.XXXX.csv`` and fold files without metrics.json."""
    import anogen.outputs.context as context
    import anogen.outputs.files as files

    real = files.write_csv

    def write_csv(path, df):
        if "anomalous" in str(path):
            return files.atomic_write(path, lambda tmp: (df.to_csv(tmp, index=False), sigterm_self()))
        return real(path, df)

    for mod in (files, context):  # wherever the name is bound (context imports it at its top)
        if getattr(mod, "write_csv", None) is real:
            monkeypatch.setattr(mod, "write_csv", write_csv)
    before = ws.snapshot()
    rc = _cli([*FAST, "detectors=[zscore]", f"hydra.run.dir={ws.root}/outputs/run"])
    assert rc == 143, capsys.readouterr().err
    assert ws.snapshot() == before and not _leftovers(ws.root)


def test_sigterm_during_the_commit_finishes_it(ws, monkeypatch, capsys, sigterm_self):
    """A signal during the commit waits: the complete result set is kept, then the exit code is 143."""
    from anogen.outputs.context import RunOutputs

    real = RunOutputs._commit

    def commit(self):
        sigterm_self()  # held until the commit (and the loggers) are done
        real(self)

    monkeypatch.setattr(RunOutputs, "_commit", commit)
    run = ws.root / "outputs" / "run"
    rc = _cli([*FAST, "detectors=[zscore]", f"hydra.run.dir={run}"])
    err = capsys.readouterr().err
    assert rc == 143 and "complete and are kept" in err, err
    m = json.loads((run / "metrics.json").read_text())
    assert m["status"] == "ok" and m["mean"]
    assert (run / "fold0" / "anomalous.csv").is_file() and (run / "config.yaml").is_file()
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert log[-1]["event"] == "finish" and log[-1]["status"] == "ok"
    assert not _leftovers(ws.root)


def test_sigterm_in_a_sweep_records_the_job_as_interrupted(ws, monkeypatch, capsys, sigterm_self):
    import anogen.jobs.experiment as run_mod   # where the experiment job calls run_fold
    real, calls = run_mod.run_fold, []

    def run_fold(job, fold, out):
        calls.append(1)
        if len(calls) == 2:
            sigterm_self()
        return real(job, fold, out)

    monkeypatch.setattr(run_mod, "run_fold", run_fold)
    sweep = ws.root / "sweep"
    rc = _cli(["-m", *FAST, "detectors=[zscore]", "seed=0,1,2", f"hydra.sweep.dir={sweep}"])
    assert rc == 143, capsys.readouterr().err
    jobs = {p.parent.name: json.loads(p.read_text()) for p in sweep.rglob("metrics.json")}
    assert jobs["0"]["status"] == "ok" and jobs["1"]["status"] == "interrupted" and "2" not in jobs
    assert "SIGTERM" in jobs["1"]["error"] and not (sweep / "1" / "fold0").exists()
    assert not _leftovers(sweep)


@pytest.mark.slow
def test_sigterm_to_a_real_process_during_training(ws, tmp_path_factory):
    """``kill -TERM`` while the model trains: exit 143, no run directory, no temporary file.

    With a cold compilation cache the signal lands while XLA compiles the first epoch; the
    interpreter's teardown then crashed (exit -11) until interrupted processes left at once."""
    import time

    before = ws.snapshot()
    env = {**os.environ, "WANDB_MODE": "disabled", "JAX_PLATFORMS": "cpu",
           "JAX_COMPILATION_CACHE_DIR": str(tmp_path_factory.mktemp("cold_jax_cache"))}
    p = subprocess.Popen([sys.executable, "-m", "anogen", *TINY_MLP, "plots=false", "cache.enabled=false",
                          "trainer.epochs=100000", "trainer.patience=100000", "trainer.progress=true",
                          f"hydra.run.dir={ws.root}/outputs/run"], cwd=ws.root, env=env, stderr=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True)
    buf = ""
    deadline = time.time() + 240
    while "epoch" not in buf and time.time() < deadline and p.poll() is None:  # tqdm's bar: training started
        buf += p.stderr.read(1)
    assert p.poll() is None, buf + p.stderr.read()
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=120)
    assert p.returncode == 143, buf + p.stderr.read()
    assert ws.snapshot() == before and not _leftovers(ws.root)


# ---- the outputs context: nothing before the commit, one rename, the user's umask --------------------
class _Recorder:
    def __init__(self):
        self.events = []

    def start(self, run_dir, config, run_name=None, group=None):
        self.events.append(("start", run_dir))

    def log_metrics(self, metrics, step=None, prefix=""):
        self.events.append(("metrics", dict(metrics)))

    def log_image(self, name, path):
        self.events.append(("image", name))

    def log_table(self, name, df):
        self.events.append(("table", name))

    def finish(self, status="ok", summary=None):
        self.events.append(("finish", status))


def test_run_outputs_create_the_run_dir_only_at_the_commit(tmp_path):
    from anogen.outputs.context import RunOutputs

    run, rec = tmp_path / "a" / "b" / "run", _Recorder()
    with RunOutputs(run, [rec]) as out:
        out.write_json("fold0/x.json", {"a": 1})
        out.log_metrics({"m": 1.0})
        assert not run.exists() and rec.events == []  # staged beside it, loggers not started
        assert [p.name.startswith(".run.staging-") for p in run.parent.iterdir()] == [True]
    assert json.loads((run / "fold0" / "x.json").read_text()) == {"a": 1}
    assert sorted(p.name for p in run.parent.iterdir()) == ["run"]  # one rename: no staging left
    assert rec.events == [("start", str(run)), ("metrics", {"m": 1.0}), ("finish", "ok")]


def test_run_outputs_failure_leaves_nothing_not_even_parents(tmp_path):
    from anogen.outputs.context import RunOutputs

    rec = _Recorder()
    with pytest.raises(AnogenError):
        with RunOutputs(tmp_path / "a" / "b" / "run", [rec]) as out:
            out.write_text("x.txt", "x")
            raise AnogenError("boom")
    assert list(tmp_path.iterdir()) == [] and rec.events == []


def test_run_outputs_into_an_existing_folder_and_recorded_failures(tmp_path):
    from anogen.outputs.context import RunOutputs

    (tmp_path / "keep.txt").write_text("mine")
    with RunOutputs(tmp_path) as out:
        out.write_text("x.txt", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "x.txt"]
    rec = _Recorder()
    with pytest.raises(KeyboardInterrupt):
        with RunOutputs(tmp_path, [rec], record_failures=True) as out:
            out.write_text("y.txt", "y")
            raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "x.txt"]
    assert rec.events == [("start", str(tmp_path)), ("finish", "interrupted")]


@pytest.fixture
def umask_002():
    old = os.umask(0o002)
    yield
    os.umask(old)


def test_files_and_folders_get_the_users_umask(tmp_path, umask_002):
    """Bug: files were created 0600 (mkstemp) whatever the umask, so a results folder could not be shared."""
    from anogen.outputs.context import RunOutputs
    from anogen.outputs.files import write_json

    write_json(tmp_path / "direct.json", {})
    with RunOutputs(tmp_path / "run") as out:
        out.write_text("sub/a.txt", "a")
        p = out.staged("sub/raw.bin")
        fd = os.open(p, os.O_CREAT | os.O_WRONLY, 0o600)  # a writer that makes private files (mkstemp)
        os.close(fd)
    modes = {p.name: p.stat().st_mode & 0o777 for p in [tmp_path / "direct.json", *(tmp_path / "run").rglob("*")]}
    assert modes == {"direct.json": 0o664, "sub": 0o775, "a.txt": 0o664, "raw.bin": 0o664}
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o775


@pytest.mark.slow  # a child process or a whole training: CI runs it (make test-all)
def test_a_whole_run_and_its_model_checkpoint_get_the_umask(ws, umask_002):
    from anogen.jobs import run
    from tests.conftest import compose

    out = ws.root / "res"
    run(compose([*FAST, *TINY_MLP, "trainer.epochs=1", "sampler.count=2", "sampler.ratio=null"]), run_dir=out)
    modes = {str(p.relative_to(out)): p.stat().st_mode & 0o777 for p in out.rglob("*")}
    assert "fold0/model.ckpt" in modes
    assert {m for p, m in modes.items() if (out / p).is_file()} == {0o664}
    assert {m for p, m in modes.items() if (out / p).is_dir()} | {out.stat().st_mode & 0o777} == {0o775}


def test_check_output_dir():
    from anogen.outputs.files import check_output_dir

    with pytest.raises(AnogenError, match=r"^-d: .* is a file; give a folder$"):
        check_output_dir(EMBEDDED, "-d")
    with pytest.raises(AnogenError, match=r"^-o: .*/occupancy.csv/x cannot be created: .* is a file"):
        check_output_dir(EMBEDDED / "x", "-o")
    with pytest.raises(AnogenError, match="not writable"):
        check_output_dir("/proc/anogen-test/x", "run_dir")


# ---- the model cache ------------------------------------------------------------------------------
@pytest.mark.parametrize("meta", [[], {"history": 5}, {"history": {"train_loss": "x"}}, {"val_loss": "x"}])
def test_cache_entry_with_meta_of_the_wrong_shape_is_retrained(tmp_path, tiny_fold, meta, umask_002):
    """Bug: a cache entry whose meta.json was valid JSON of the wrong shape crashed the run."""
    from anogen.train.cache import train_or_load

    model_cfg = {"_target_": "anogen.models.MLPVAE", "latent_dim": 2, "hidden": 8}
    trainer = {"epochs": 1, "progress": False}
    cache = {"enabled": True, "dir": str(tmp_path)}
    _, _, info = train_or_load(model_cfg, trainer, tiny_fold, seed=0, cache=cache)
    entry = tmp_path / info["key"]
    assert {p.stat().st_mode & 0o777 for p in [entry, *entry.iterdir()]} == {0o775, 0o664}  # shareable entry
    good = json.loads((entry / "meta.json").read_text())
    bad = meta if isinstance(meta, list) else {**good, **meta}
    (entry / "meta.json").write_text(json.dumps(bad))
    _, _, info = train_or_load(model_cfg, trainer, tiny_fold, seed=0, cache=cache)
    assert info["cached"] is False and json.loads((entry / "meta.json").read_text())["history"]
    _, _, info = train_or_load(model_cfg, trainer, tiny_fold, seed=0, cache=cache)
    assert info["cached"] is True


# ---- numbers: overflow, constant columns --------------------------------------------------------------
def test_values_too_large_for_float64_statistics_name_the_column():
    """Bug: 1e308 overflowed into inf with a multi-line numpy warning."""
    from anogen.data.loaders import MAX_ABS, frame_from_dataframe
    from anogen.data.scaling import Scaler

    df = pd.DataFrame({"a": np.arange(10.0), "huge": np.full(10, 1e200)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AnogenError, match=r"^data: column 'huge' has values up to 1e\+200, too large"):
            frame_from_dataframe(df)
        frame_from_dataframe(df.assign(huge=MAX_ABS))  # the limit itself is fine
        with pytest.raises(AnogenError, match=r"^data.scaling: column 1 "):
            Scaler().fit(np.array([[0.0, 1e308], [1.0, 1.7e308]]))
        with pytest.raises(AnogenError, match=r"^data.scaling: column 0 "):
            Scaler("minmax").fit(np.array([[np.inf], [1.0]]))


@pytest.mark.parametrize("kind", ["standard", "minmax", "none"])
def test_constant_columns_are_scaled_without_dividing_by_zero(kind):
    from anogen.data.scaling import Scaler

    x = np.column_stack([np.arange(6.0), np.full(6, 3.0), np.zeros(6)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = Scaler(kind).fit(x)
        z = s.transform(x)
    assert np.isfinite(z).all() and np.allclose(s.inverse_transform(z), x)
    if kind != "none":
        assert (z[:, 1:] == 0).all() and (s.scale_[1:] == 1).all()


CONST = np.column_stack([np.sin(np.linspace(0, 60, 800)) + 2 + 0.05 * np.random.default_rng(0).standard_normal(800),
                         np.full(800, 3.0), np.zeros(800)])


@pytest.mark.parametrize("sampler", [
    {"_target_": "anogen.samplers.noise.Noise", "ratio": 0.02, "kind": "gaussian", "columns": ["x1"]},
    {"_target_": "anogen.samplers.noise.Noise", "ratio": 0.02, "kind": "gaussian", "columns": ["x2"]},
    {"_target_": "anogen.samplers.noise.Noise", "ratio": 0.02, "columns": ["x1"]},
    "noise", "inject",
])
def test_generators_handle_constant_columns(sampler):
    """Every changed row is labelled and every labelled row changed, also in constant columns."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inj = anogen.generate(CONST, sampler=sampler, seed=0)
    assert inj.labels.any() and np.isfinite(inj.values).all()
    if inj.values.shape == CONST.shape:
        assert np.array_equal((inj.values != CONST).any(axis=1), inj.labels)


def test_relative_noise_on_an_all_zero_column_is_a_clear_error():
    cfg = {"_target_": "anogen.samplers.noise.Noise", "ratio": 0.02, "columns": ["x2"]}
    with pytest.raises(AnogenError, match=r"relative noise needs non-zero values.*\['x2'\]"):
        anogen.generate(CONST, sampler=cfg, seed=0)


def test_detectors_handle_constant_columns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lb = anogen.benchmark(CONST, samplers=["noise"], cache=False,
                              detectors=["zscore", "zscore_rolling", "iforest", "pca", "lof", "knn", "ocsvm", "random"])
    assert (lb["failed"] == 0).all() and lb["roc_auc"].between(0, 1).all()


# ---- messages that used to mislead ----------------------------------------------------------------------
def test_latent_shortfall_blames_the_budget_when_no_filter_rejected():
    """Bug: an unreachable count with a small candidate budget blamed a filter that kept 100%."""
    from anogen.samplers.latent_uniform import LatentUniform

    s = LatentUniform(count=50, max_batches=1, batch_size=8)
    kept_all = {"drawn": 8, "accepted": 8, "filters": {"bounds": {"in": 8, "kept": 8, "rate": 1.0}}}
    msg = s._shortfall(8, 50, kept_all)
    assert "no filter rejected a candidate" in msg and "sampler.max_batches" in msg and "'bounds' rejected" not in msg
    some = {"drawn": 8, "accepted": 2, "filters": {"bounds": {"in": 8, "kept": 2, "rate": 0.25},
                                                   "cluster": {"in": 2, "kept": 2, "rate": 1.0}}}
    assert "'bounds' rejected most" in s._shortfall(2, 50, some)


@pytest.mark.parametrize("cfg, match", [(5, r"^cfg: must be a config mapping"), ({"seed": "${nope}"}, r"^seed: ")])
def test_the_run_job_refuses_a_config_that_is_not_one(tmp_path, cfg, match):
    from anogen.jobs import run

    with pytest.raises(AnogenError, match=match):
        run(cfg, run_dir=tmp_path / "r")
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_saved_directly_gets_the_users_umask(tmp_path, umask_002):
    """Bug: save_checkpoint wrote its file with mkstemp's 0600 unless a RunOutputs commit fixed it
    (e.g. the model cache, or a user calling it directly)."""
    from anogen.models import MLPVAE
    from anogen.train.checkpoint import save_checkpoint

    from flax import nnx

    save_checkpoint(tmp_path / "m.npz", MLPVAE(n_features=2, latent_dim=2, hidden=6, rngs=nnx.Rngs(0)))
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o664
