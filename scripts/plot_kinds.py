"""Pictures for docs/generators.md: one small plot per anomaly kind of ``sampler=inject`` (clean vs
anomalous, labelled rows shaded), the placement controls, and one per base oscillation of
``data=synthetic``.

    .venv/bin/python scripts/plot_kinds.py            # writes docs/img/kind_*.png, docs/img/osc_*.png

Deterministic (fixed seeds); about 30 small PNGs, a few seconds.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from anogen.data.synthetic import OSCILLATIONS, oscillation  # noqa: E402
from anogen.samplers import SampleContext, generate_fold  # noqa: E402
from anogen.samplers.inject import Inject, packaged_catalog  # noqa: E402
from anogen.types import Fold  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "docs" / "img"
N_TRAIN, N_TEST, PERIOD = 600, 240, 40


def sine_fold() -> Fold:
    """Two correlated noisy sines of period 40 rows."""
    rng = np.random.default_rng(0)
    t = np.arange(N_TRAIN + N_TEST, dtype=np.float64)
    a = np.sin(2 * np.pi * t / PERIOD)
    x = np.stack([a, 0.8 * a + 0.2 * np.sin(2 * np.pi * t / 13)], axis=1) + 3.0 + 0.03 * rng.standard_normal((t.size, 2))
    return Fold(0, ("a", "b"), x[:N_TRAIN], x[N_TRAIN:], np.arange(N_TRAIN), np.arange(N_TRAIN, N_TRAIN + N_TEST),
                np.array([[0, N_TRAIN]]))


def draw(inj, title: str, path: Path, columns: tuple[int, ...] = (0,)) -> None:
    """Clean (blue) and anomalous (red) values of ``columns``, labelled rows shaded."""
    fig, ax = plt.subplots(figsize=(4.2, 1.7), dpi=80)
    t = np.arange(inj.values.shape[0])
    for j in columns:
        ax.plot(t, inj.clean[:, j], color="tab:blue", lw=0.9)
        ax.plot(t, inj.values[:, j], color="tab:red", lw=0.9)
    for ev in inj.events:
        ax.axvspan(ev.start - 0.5, ev.end - 0.5, color="tab:orange", alpha=0.25, lw=0)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def kind_pictures(out: Path) -> list[Path]:
    fold = sine_fold()
    ctx = SampleContext.from_fold(fold)
    paths = []
    for label in packaged_catalog():
        sampler = Inject(count=1, kinds=[label], min_length=60, max_length=60, position=[90], columns=["a"])
        if label == "correlation_break":
            sampler = Inject(count=1, kinds=[label], min_length=60, max_length=60, position=[90])
        inj = generate_fold(sampler, ctx, np.random.default_rng(3))
        cols = tuple(fold.columns.index(c) for c in inj.events[0].columns) if inj.events else (0,)
        paths.append(out / f"kind_{label}.png")
        draw(inj, f"{label} ({', '.join(inj.columns[c] for c in cols)})", paths[-1], cols)
    controls = {
        "creeping": Inject(count=1, kinds=["level_shift"], min_length=80, max_length=80, position=[80], creeping=0.5,
                           columns=["a"], catalog={"level_shift": {"direction": "up"}}),
        "channels": Inject(count=2, kinds=["trend"], min_length=40, max_length=40, channels=2,
                           catalog={"trend": {"direction": "up"}}),
        "position_end": Inject(count=3, kinds=["spike"], position="end", columns=["a"]),
    }
    for name, sampler in controls.items():
        inj = generate_fold(sampler, ctx, np.random.default_rng(1))
        paths.append(out / f"control_{name}.png")
        draw(inj, name.replace("_", " = "), paths[-1], (0, 1) if name == "channels" else (0,))
    return paths


def oscillation_pictures(out: Path) -> list[Path]:
    paths = []
    params = {"cylinder_bell_funnel": {"avg_pattern_length": 30}, "random_mode_jump": {"frequency": 6},
              "polynomial": {"polynomial": [0, 0.02, -0.00005]}}
    for kind in OSCILLATIONS:
        x = oscillation({"kind": kind, "variance": 0.02, **params.get(kind, {})}, 400, np.random.default_rng(0))
        fig, ax = plt.subplots(figsize=(4.2, 1.5), dpi=80)
        ax.plot(x, color="tab:blue", lw=0.9)
        ax.set_title(kind, fontsize=9)
        ax.tick_params(labelsize=7)
        fig.tight_layout()
        paths.append(out / f"osc_{kind}.png")
        fig.savefig(paths[-1])
        plt.close(fig)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    paths = kind_pictures(a.out) + oscillation_pictures(a.out)
    print(f"wrote {len(paths)} pictures to {a.out}")


if __name__ == "__main__":
    main()
