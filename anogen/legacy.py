"""The seed's command line: ``python -m anogen.legacy -t ano|eval -f INPUT.json -d OUTDIR``.

``-t ano`` with ``noise_params``: noise anomalies per fold -> ``{i}randomNoise.csv``,
``{i}randomNoiseIndex.json`` (``{"anoindex": [...]}``), ``{i}train.csv`` and, with ``imdir``, per-column
PNGs of the clean and anomalous series. ``-t ano`` with ``train_params`` and no ``noise_params``: the
VAE posterior-tail path -> ``{i}anocsv.csv`` / ``{i}anoindex.json``. ``-t eval``: ``evalresults.json``.

Fixed relative to the original: seeded randomness (``seed`` key, default 0), ``-d`` need not end in a
slash, non-overlapping waves with every changed index reported, unknown directions rejected, both
spellings of ``anomally_normal_ratio`` accepted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping

from anogen.types import AnogenError

__all__ = ["main", "run_ano", "run_eval"]


def _need(params: Mapping[str, Any], key: str, section: str) -> Any:
    if key not in params:
        raise AnogenError(f"{section}.{key} is missing")
    return params[key]


def _source(p: Mapping[str, Any], section: str, train: str = "rest"):
    from anogen.data.sources import CSVSource

    return CSVSource(path=_need(p, "path", section), key=p.get("key"), columns=p.get("columns") or [],
                     nrows=p.get("nrows"), csv_mode="single" if p.get("csv_mode", "single") == "single" else "folder",
                     dates=p.get("dates") or [], train=p.get("train", train), nan=p.get("nan", "error"))


def _write_fold_files(outdir: Path, i: int, fold, inj, stem: str, index_name: str, imdir: str | None,
                      img_stem: str) -> None:
    import pandas as pd

    from anogen.outputs.files import write_csv, write_json

    write_csv(outdir / f"{i}{stem}.csv", inj.to_frame(key=fold.key))
    write_json(outdir / f"{i}{index_name}.json", {"anoindex": inj.anoindex,
                                                  "events": [e.to_dict() for e in inj.events]})
    train = pd.DataFrame(fold.train, columns=list(fold.columns))
    if fold.key:
        train.insert(0, fold.key, fold.train_index)
    write_csv(outdir / f"{i}train.csv", train)
    if imdir:
        from anogen.outputs.plots import plot_clean, plot_series

        for j, col in enumerate(fold.columns):
            plot_clean(fold.test_index, fold.test[:, j], f"fold {i}: {col} (clean)",
                       Path(imdir) / f"{i}{img_stem}Clean_{col}.png")
            plot_series(inj, j, Path(imdir) / f"{i}{img_stem}_{col}.png", title=f"fold {i}: {col}")


def run_ano(spec: Mapping[str, Any], outdir: str | Path) -> list:
    """Run the seed's anomaly generation from its JSON ``spec``; returns the injected folds."""
    from anogen.jobs.run import inject_fold
    from anogen.seeding import stage_seed

    if not isinstance(spec, Mapping):
        raise AnogenError("the input must be a JSON object with noise_params and/or train_params")
    outdir = Path(outdir)
    imdir = spec.get("imdir") or None
    seed = int(spec.get("seed", 0))
    results = []
    if "noise_params" in spec:
        from anogen.samplers.noise import Noise

        p = spec["noise_params"]
        ratio = p.get("anomally_normal_ratio", p.get("anomaly_normal_ratio"))
        if ratio is None:
            raise AnogenError("noise_params.anomally_normal_ratio (or anomaly_normal_ratio) is missing")
        direction = p.get("noise_direction", "p")
        sampler = Noise(ratio=ratio, magnitude=_need(p, "noise", "noise_params"), kind=p.get("kind", "relative"),
                        direction=direction, wave=bool(p.get("wave", False)),
                        wave_length=int(p.get("wave_length", 10)), columns=p.get("columns") or [])
        folds = _source(p, "noise_params").folds()
        injected = []
        for fold in folds:
            inj, _ = inject_fold(sampler, fold, None, None, stage_seed(seed, fold.number, 1),
                                 stage_seed(seed, fold.number, 2), int(p.get("min_gap", 0)))
            injected.append(inj)
        for fold, inj in zip(folds, injected):  # write only after every fold succeeded
            _write_fold_files(outdir, fold.number, fold, inj, "randomNoise", "randomNoiseIndex", imdir, "randomNoise")
        results.extend(injected)
    elif "train_params" in spec:
        results.extend(_run_vae(spec, outdir, imdir, seed))
    else:
        raise AnogenError("the input needs noise_params (noise anomalies) or train_params (VAE anomalies)")
    return results


def _run_vae(spec: Mapping[str, Any], outdir: Path, imdir: str | None, seed: int) -> list:
    """The VAE path: train the LSTM-VAE on each fold's train part, decode posterior tails."""
    from anogen.jobs.run import inject_fold
    from anogen.samplers.vae_tail import VAETail
    from anogen.seeding import stage_seed
    from anogen.train.cache import train_or_load

    p = spec["train_params"]
    L = int(p.get("sequence_length", 10))
    model_cfg = {"_target_": "anogen.models.LSTMVAE", "seq_len": L, "latent_dim": int(p.get("latent_space_dim", 8))}
    trainer_cfg = {"epochs": int(p.get("epochs", 150)), "batch_size": int(p.get("batch_size", 32)),
                   "learning_rate": float(p.get("learning_rate", 1e-3)), "progress": bool(p.get("progress", True))}
    sampler = VAETail(ratio=float(p.get("anomaly_ratio", 0.05)), margin=float(p.get("margin", 2.0)), window=L)
    folds = _source(p, "train_params").folds()
    injected = []
    for fold in folds:
        model, scaler, _ = train_or_load(model_cfg, trainer_cfg, fold, seed=stage_seed(seed, fold.number, 0))
        inj, _ = inject_fold(sampler, fold, model, scaler, stage_seed(seed, fold.number, 1),
                             stage_seed(seed, fold.number, 2), 1)
        injected.append(inj)
    for fold, inj in zip(folds, injected):
        _write_fold_files(outdir, fold.number, fold, inj, "anocsv", "anoindex", imdir, "vaeAnomaly")
    return injected


def run_eval(spec: Mapping[str, Any], outdir: str | Path) -> dict:
    """The seed's evaluation: writes ``evalresults.json`` and returns its dict."""
    from anogen.metrics.seed_eval import evaluate_pairs
    from anogen.outputs.files import write_json

    if not isinstance(spec, Mapping):
        raise AnogenError('the eval input must be a JSON object {"targets": [...], "candidates": [...], "range": k}')
    res = evaluate_pairs(_need(spec, "targets", "input"), _need(spec, "candidates", "input"),
                         spec.get("range", 0))
    write_json(Path(outdir) / "evalresults.json", res)
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m anogen.legacy",
                                     description="Generate anomalous data or evaluate anomaly detection output")
    parser.add_argument("-t", "--task", required=True, choices=["ano", "eval"], help='Task to perform, "ano" or "eval"')
    parser.add_argument("-f", "--input", required=True, help="Input file")
    parser.add_argument("-d", "--outdir", required=True, help="Directory for output")
    args = parser.parse_args(argv)
    try:
        path = Path(args.input)
        if not path.is_file():
            raise AnogenError(f"input file not found: {path}")
        try:
            spec = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise AnogenError(f"{path} is not valid JSON: {e}") from None
        if args.task == "ano":
            run_ano(spec, args.outdir)
        else:
            run_eval(spec, args.outdir)
    except AnogenError as e:
        print(f"anogen.legacy: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
