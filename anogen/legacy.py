"""The seed's command line: ``python -m anogen.legacy -t ano|eval -f INPUT.json -d OUTDIR``.

``-t ano`` with ``noise_params``: noise anomalies per fold -> ``{i}randomNoise.csv``,
``{i}randomNoiseIndex.json`` (``{"anoindex": [...]}``), ``{i}train.csv`` and, with ``imdir``, per-column
PNGs of the clean and anomalous series. ``-t ano`` with ``train_params`` and no ``noise_params``: the
VAE posterior-tail path -> ``{i}anocsv.csv`` / ``{i}anoindex.json``. ``-t eval``: ``evalresults.json``.

The input JSON is checked against the seed's keys first (:class:`NoiseParams`, :class:`TrainParams`,
:class:`AnoSpec`: JSON types as written, ranges, unknown keys, both spellings of the ratio key),
and every error names the key the user wrote (``noise_params.anomally_normal_ratio``), also for
the errors found later (a column missing from the data, a wave longer than the fold). No result file
is written before every check has passed, ``-d`` and ``imdir`` included; the files of a run are
staged and appear together. Exit codes: 0 done, 2 a mistake in the input (one line on stderr),
130/143 interrupted (nothing written), 1 an internal error.

Fixed relative to the original: seeded randomness (``seed`` key, default 0), ``-d`` need not end in a
slash, non-overlapping waves with every changed index reported, unknown directions rejected, both
spellings of ``anomally_normal_ratio`` accepted.
"""

from __future__ import annotations

if __name__ == "__main__":  # a Ctrl-C while the libraries load: exit 130, no traceback
    from anogen.outputs.signals import exit_at_once_on_signals

    exit_at_once_on_signals("anogen.legacy")

import argparse
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from anogen.metrics.seed_eval import evaluate_pairs
from anogen.outputs.context import RunOutputs, commit_all
from anogen.outputs.entry import run_command
from anogen.outputs.files import check_output_dir, write_json
from anogen.outputs.plots import plot_clean, plot_series
from anogen.outputs.signals import deferred, exit_process
from anogen.params import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, Ratio, format_error
from anogen.samplers.noise import Noise
from anogen.seeding import stage_seed
from anogen.types import AnogenError

__all__ = ["main", "run_ano", "run_eval", "AnoSpec", "NoiseParams", "TrainParams", "EvalSpec"]

_Pair = Annotated[list[str | int], Field(min_length=2, max_length=2)]


class _Data(BaseModel):
    """The data keys shared by both sections (see the ``data`` config for their meaning)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    path: str
    key: str | None = None
    columns: list[str] = []
    nrows: PositiveInt | None = None
    csv_mode: str = "single"  # the seed: "single", any other value = a folder of CSVs
    dates: list[_Pair] = []
    train: Literal["rest", "before"] = "rest"
    nan: Literal["error", "interpolate", "drop"] = "error"


class NoiseParams(_Data):
    """``noise_params``: the noise sampler (seed 000's random noise)."""

    anomally_normal_ratio: Ratio = None  # type: ignore[assignment] - one of the two spellings is required
    anomaly_normal_ratio: Ratio = None  # type: ignore[assignment]
    noise: PositiveFloat
    wave: bool = False
    wave_length: PositiveInt = 10
    noise_direction: Literal["p", "n", "both"] = "p"
    kind: Literal["relative", "gaussian"] = "relative"
    min_gap: NonNegativeInt = 0


class TrainParams(_Data):
    """``train_params``: the LSTM-VAE and its posterior-tail anomalies."""

    sequence_length: Annotated[int, Field(ge=2)] = 10
    latent_space_dim: PositiveInt = 8
    learning_rate: PositiveFloat = 1e-3
    batch_size: PositiveInt = 32
    epochs: PositiveInt = 150
    progress: bool = True
    anomaly_ratio: Ratio = 0.05
    margin: NonNegativeFloat = 2.0


class AnoSpec(BaseModel):
    """The ``-t ano`` input: ``noise_params`` and/or ``train_params``, ``imdir``, ``seed``."""

    model_config = ConfigDict(extra="forbid", strict=True)
    noise_params: NoiseParams | None = None
    train_params: TrainParams | None = None
    imdir: str | None = None
    seed: NonNegativeInt = 0


class EvalSpec(BaseModel):
    """The ``-t eval`` input (the lists' contents are checked by :func:`anogen.metrics.seed_eval.evaluate_pairs`)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    targets: list[Any]
    candidates: list[Any]
    range: Any = 0


def _validate(model: type[BaseModel], spec: Any, what: str) -> Any:
    """``spec`` checked against ``model``: one line naming the seed's key (``noise_params.noise``)."""
    if not isinstance(spec, Mapping):
        raise AnogenError(f"the {what} input must be a JSON object, got {type(spec).__name__}")
    try:
        return model.model_validate(dict(spec))
    except ValidationError as e:
        err = dict(e.errors()[0])
    loc = tuple(err.get("loc", ()))
    if err.get("type") == "model_type":
        raise AnogenError(f"must be a JSON object, got {type(err.get('input')).__name__}", key=".".join(map(str, loc)))
    section = _section(model, loc[0]) if len(loc) > 1 else None
    if section is None:
        raise format_error(err, "", list(model.model_fields), model, noun="key")
    err["loc"] = loc[1:]
    raise format_error(err, str(loc[0]), list(section.model_fields), section, noun="key")


def _section(model: type[BaseModel], name: Any) -> type[BaseModel] | None:
    """The model of section ``name`` (``NoiseParams`` for ``noise_params``), else ``None``."""
    field = model.model_fields.get(str(name))
    for a in getattr(field.annotation, "__args__", (field.annotation,)) if field else ():
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return None


# ---- the seed's keys in messages about Hydra keys ----------------------------------------------
def _noise_names(p: NoiseParams) -> dict[str, str]:
    ratio = "anomaly_normal_ratio" if p.anomally_normal_ratio is None else "anomally_normal_ratio"
    return {"sampler.ratio": ratio, "sampler.magnitude": "noise", "sampler.direction": "noise_direction",
            "sampler.wave_length": "wave_length", "sampler.wave": "wave", "sampler.kind": "kind",
            "sampler.columns": "columns", "placement.min_gap": "min_gap", "data.csv_mode": "csv_mode"}


_TRAIN_NAMES = {"model.seq_len": "sequence_length", "sampler.window": "sequence_length",
                "model.latent_dim": "latent_space_dim", "trainer.epochs": "epochs", "trainer.batch_size": "batch_size",
                "trainer.learning_rate": "learning_rate", "trainer.progress": "progress",
                "sampler.ratio": "anomaly_ratio", "sampler.margin": "margin"}


_HEADS = ("data", "sampler", "model", "trainer", "placement")


def _seed_key(key: str, section: str, names: Mapping[str, str], fields: tuple[str, ...]) -> str | None:
    """The seed's JSON key of config key ``key`` in ``section``, else ``None`` (not a config key).

    ``sampler.ratio`` -> ``noise_params.anomaly_normal_ratio`` (``names``), ``data.dates[1]`` ->
    ``noise_params.dates[1]`` (a data key the seed has, one of ``fields``), ``sampler.dims`` or
    ``sampler`` -> ``noise_params`` (the seed has no such key: its section). A file path
    (``data.csv: ...``) or a column is not a config key and stays as written.
    """
    path, bracket, rest = key.partition("[")
    sub = bracket + rest
    if path in names:
        return f"{section}.{names[path]}{sub}"
    head, dot, tail = path.partition(".")
    if head not in _HEADS:
        return None
    if head == "data" and dot:
        return f"{section}.{tail}{sub}" if tail.split(".")[0] in fields else None
    return section + sub


@contextmanager
def _seed_errors(section: str, names: Mapping[str, str], fields: tuple[str, ...]) -> Iterator[None]:
    """Errors about config keys re-keyed to the seed's JSON keys of ``section`` (:func:`_seed_key`).

    A keyed :class:`AnogenError` is re-keyed: its key and the keys its text declares (``refs``),
    nothing else; an error without a key or refs names no config key and is raised as it is.
    """
    try:
        yield
    except AnogenError as e:
        raise e.rekeyed(lambda k: _seed_key(k, section, names, fields)) from None


# ---- the runs ------------------------------------------------------------------------------------
def _source(p: _Data):
    # lazy: pandas (~0.4 s), not paid by -t eval or --help
    from anogen.data.sources import CSVSource

    return CSVSource(path=p.path, key=p.key, columns=p.columns, nrows=p.nrows,
                     csv_mode="single" if p.csv_mode == "single" else "folder", dates=[list(d) for d in p.dates],
                     train=p.train, nan=p.nan)


def _stage_fold_files(out, img, i: int, fold, inj, stem: str, index_name: str, img_stem: str) -> None:
    """Stage one fold's files in ``out`` (and its images in ``img`` when given)."""
    import pandas as pd

    out.write_csv(f"{i}{stem}.csv", inj.to_frame(key=fold.key))
    out.write_json(f"{i}{index_name}.json", {"anoindex": inj.anoindex, "events": [e.to_dict() for e in inj.events]})
    train = pd.DataFrame(fold.train, columns=list(fold.columns))
    if fold.key:
        train.insert(0, fold.key, fold.train_index)
    out.write_csv(f"{i}train.csv", train)
    if img is not None:
        for j, col in enumerate(fold.columns):
            plot_clean(fold.test_index, fold.test[:, j], f"fold {i}: {col} (clean)",
                       img.staged(f"{i}{img_stem}Clean_{col}.png"))
            plot_series(inj, j, img.staged(f"{i}{img_stem}_{col}.png"), title=f"fold {i}: {col}")


def _write(outdir: Path, imdir: str | None, folds: list, injected: list, names: tuple[str, str, str]) -> None:
    """Every fold's files, staged, then committed together (``outdir`` and ``imdir``)."""
    out, img = RunOutputs(outdir), (RunOutputs(imdir) if imdir else None)
    try:
        for fold, inj in zip(folds, injected):
            _stage_fold_files(out, img, fold.number, fold, inj, *names)
    except BaseException:
        for o in (out, img):
            if o is not None:
                o.discard()
        raise
    commit_all([o for o in (img, out) if o is not None])


def run_ano(spec: Mapping[str, Any], outdir: str | Path) -> list:
    """Run the seed's anomaly generation from its JSON ``spec``; returns the injected folds.

    Raises:
        AnogenError: one line naming the seed's key; nothing is written then.
    """
    s = _validate(AnoSpec, spec, "ano")
    if s.noise_params is None and s.train_params is None:
        raise AnogenError("the input needs noise_params (noise anomalies) or train_params (VAE anomalies)")
    outdir = check_output_dir(outdir, "-d")
    imdir = str(check_output_dir(s.imdir, "imdir")) if s.imdir else None
    if s.noise_params is not None:
        folds, injected = _run_noise(s.noise_params, s.seed)
        names = ("randomNoise", "randomNoiseIndex", "randomNoise")
    else:
        folds, injected = _run_vae(s.train_params, s.seed)
        names = ("anocsv", "anoindex", "vaeAnomaly")
    _write(outdir, imdir, folds, injected, names)
    return injected


def _run_noise(p: NoiseParams, seed: int) -> tuple[list, list]:
    # lazy: scikit-learn (~1.8 s, the generator report), not paid by -t eval or --help
    from anogen.samplers.folds import inject_fold

    if p.anomally_normal_ratio is not None and p.anomaly_normal_ratio is not None \
            and p.anomally_normal_ratio != p.anomaly_normal_ratio:
        raise AnogenError("anomally_normal_ratio and anomaly_normal_ratio differ; give one", key="noise_params")
    ratio = p.anomally_normal_ratio if p.anomally_normal_ratio is not None else p.anomaly_normal_ratio
    if ratio is None:
        raise AnogenError("(or anomaly_normal_ratio) is missing", key="noise_params.anomally_normal_ratio", sep=" ")
    with _seed_errors("noise_params", _noise_names(p), tuple(NoiseParams.model_fields)):
        sampler = Noise(ratio=ratio, magnitude=p.noise, kind=p.kind, direction=p.noise_direction, wave=p.wave,
                        wave_length=p.wave_length, columns=p.columns)
        folds = _source(p).folds()
        injected = [inject_fold(sampler, fold, None, None, stage_seed(seed, fold.number, 1),
                                stage_seed(seed, fold.number, 2), p.min_gap)[0] for fold in folds]
    return folds, injected


def _run_vae(p: TrainParams, seed: int) -> tuple[list, list]:
    """The VAE path: train the LSTM-VAE on each fold's train part, decode posterior tails."""
    # lazy: JAX/flax (~3 s), scikit-learn and pandas, not paid by the noise path, -t eval or --help
    from anogen import models
    from anogen.jobs.spec import check_model, check_trainer
    from anogen.samplers.folds import inject_fold  # lazy: scikit-learn
    from anogen.samplers.vae_tail import VAETail  # lazy: pandas, scikit-learn
    from anogen.train.cache import train_or_load  # lazy: JAX/flax

    with _seed_errors("train_params", _TRAIN_NAMES, tuple(TrainParams.model_fields)):
        # the class's public path, as conf/model/vae.yaml writes it (the same model cache key); a renamed
        # or moved class fails at this line (AttributeError) in the tests, not in a user's run
        target = f"{models.__name__}.{models.LSTMVAE.__name__}"
        model_cfg = check_model({"_target_": target, "seq_len": p.sequence_length, "latent_dim": p.latent_space_dim})
        trainer_cfg = check_trainer({"epochs": p.epochs, "batch_size": p.batch_size,
                                     "learning_rate": p.learning_rate, "progress": p.progress})
        sampler = VAETail(ratio=p.anomaly_ratio, margin=p.margin, window=p.sequence_length)
        folds = _source(p).folds()
        injected = []
        for fold in folds:
            model, scaler, _ = train_or_load(model_cfg, trainer_cfg, fold, seed=stage_seed(seed, fold.number, 0))
            injected.append(inject_fold(sampler, fold, model, scaler, stage_seed(seed, fold.number, 1),
                                        stage_seed(seed, fold.number, 2), 1)[0])
    return folds, injected


def run_eval(spec: Mapping[str, Any], outdir: str | Path) -> dict:
    """The seed's evaluation: writes ``evalresults.json`` and returns its dict."""
    s = _validate(EvalSpec, spec, "eval")
    outdir = check_output_dir(outdir, "-d")
    res = evaluate_pairs(s.targets, s.candidates, s.range)
    with deferred():
        write_json(outdir / "evalresults.json", res)
    return res


# ---- the command line ----------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (``usage`` is in ``--help``)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _read_spec(path: Path) -> Any:
    if not path.exists():
        raise AnogenError(f"input file not found: {path}", key="-f")
    if not path.is_file():
        raise AnogenError(f"{path} is not a file", key="-f")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise AnogenError(f"{path} is not UTF-8 text (byte {e.start}); save it as UTF-8 JSON", key="-f") from None
    except OSError as e:
        raise AnogenError(f"cannot read {path}: {e.strerror}", key="-f") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise AnogenError(f"{path} is not valid JSON: {e}", key="-f") from None


def main(argv: list[str] | None = None) -> int:
    """Run the seed's command line; returns the exit code (0, 2 user error, 3 disk full, 130/143 interrupted)."""
    parser = _Parser(prog="python -m anogen.legacy",
                     description="Generate anomalous data or evaluate anomaly detection output")
    parser.add_argument("-t", "--task", required=True, choices=["ano", "eval"], help='Task to perform, "ano" or "eval"')
    parser.add_argument("-f", "--input", required=True, help="Input file")
    parser.add_argument("-d", "--outdir", required=True, help="Directory for output")
    args = parser.parse_args(argv)

    def work() -> None:
        spec = _read_spec(Path(args.input))
        (run_ano if args.task == "ano" else run_eval)(spec, args.outdir)
    return run_command("anogen.legacy", work, out=args.outdir)[0]


if __name__ == "__main__":
    exit_process(main())
