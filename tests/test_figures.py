"""Figures that do not mislead (issue 21): an injected flatline in a noisy column is drawn over the
clean line, and the detector x kind heatmap shows precision and FPR beside the recall and how many
events each kind's recall rests on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from anogen.outputs import plots
from anogen.placement import apply_edits
from anogen.types import Edit, Fold


@pytest.fixture
def figures(monkeypatch):
    """The figures the plot functions draw (kept open instead of saved)."""
    kept = []

    def keep(fig, path):
        kept.append(fig)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_bytes(b"png")
        return Path(path)

    monkeypatch.setattr(plots, "save_fig", keep)
    yield kept
    plt = plots._plt()
    for fig in kept:
        plt.close(fig)


def _top_line_at(ax, rows: np.ndarray):
    """The line drawn last (highest z-order, then latest) among those with data at ``rows``."""
    lines = [(ln.get_zorder(), i, ln) for i, ln in enumerate(ax.get_lines())
             if np.isfinite(np.asarray(ln.get_ydata(), dtype=float)[rows]).all()]
    return max(lines, key=lambda t: (t[0], t[1]))[2]


def test_an_injected_flatline_in_a_noisy_column_is_drawn_over_the_clean_line(tmp_path, figures):
    """Bug: the clean line was drawn after (over) the anomalous one, so a flatline in a noisy column
    was hidden under the clean noise."""
    x = np.random.default_rng(0).normal(0.0, 1.0, size=(300, 1))
    fold = Fold(0, ("a",), x, x.copy(), np.arange(300), np.arange(300), np.array([[0, 300]]))
    flat = np.full((40, 1), x[100, 0])
    inj = apply_edits(fold, [Edit(100, flat, "replace", "flatline", ("a",), "s")])
    plots.plot_series(inj, 0, tmp_path / "a.png")
    ax = figures[-1].axes[0]
    rows = np.arange(101, 140)
    top = _top_line_at(ax, rows)
    np.testing.assert_array_equal(np.asarray(top.get_ydata(), dtype=float)[rows], inj.values[rows, 0])
    assert top.get_color() == "tab:red"
    # away from the event the clean line stays on top, as before
    clean_rows = np.arange(10, 60)
    top = _top_line_at(ax, clean_rows)
    assert top.get_label() == "clean"
    # the legend still names each line once
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["anomalous", "clean"]


class _Out:
    """The part of RunOutputs that write_benchmark uses, drawing the plots into ``root``."""

    def __init__(self, root: Path):
        self.root, self.texts = root, {}

    def write_csv(self, rel, df):
        df.to_csv(self.root / rel, index=False)

    def write_text(self, rel, text):
        self.texts[rel] = text

    def log_table(self, name, df):
        pass

    def plot(self, name, rel, fn, *args, **kwargs):
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fn(*args, path, **kwargs)


def test_kind_heatmap_shows_precision_fpr_and_the_events_each_recall_rests_on(tmp_path, figures):
    """Bug: the heatmap showed recall alone (1.00 almost everywhere on drifting data, where the
    detectors flag half the normal rows) and not how many events a cell rests on."""
    from anogen.benchmarking import run_benchmark, write_benchmark
    from anogen.detectors.baselines import RandomScore, ZScore
    from anogen.metrics.suite import Metric
    from anogen.samplers.inject import Inject
    from anogen.thresholds import Percentile

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 2))
    x[2000:] += 2.5                      # the test part drifted away from the train part
    fold = Fold(0, ("c0", "c1"), x[:2000], x[2000:], np.arange(2000), np.arange(2000, 4000),
                np.array([[0, 2000]]))
    res = run_benchmark([fold], {"one": Inject(count=1, kinds=["spike"])},
                        {"zscore": ZScore(), "random": RandomScore(seed=0)},
                        {"roc_auc": Metric("roc_auc", input="score"), "recall": Metric("recall")},
                        Percentile(99.0), seeds=[0])
    write_benchmark(_Out(tmp_path), res)
    fig = figures[0]
    texts = [t.get_text() for ax in fig.axes for t in [*ax.texts, *ax.get_xticklabels(), ax.title]]
    assert "spike (n=1)" in texts, texts
    assert any(t.startswith("FPR") for t in texts) and "precision" in texts, texts
    lb = res.rows.groupby("detector")["fpr"].mean()
    assert lb["zscore"] > 0.5                       # the drift: most normal test rows flagged
    assert f"{lb['zscore']:.2f}" in texts and f"{lb['random']:.2f}" in texts
