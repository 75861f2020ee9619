"""The selection's keys are checked before anything runs (issue 23): a typo in ``select.exclude``
is refused as ``select.kinds`` is; ``select.learned`` names a learned sampler, refused before a model
is trained; a test part shorter than the detectors' windows is one error, not a tie of failures."""

from __future__ import annotations

import numpy as np
import pytest

import anogen
from anogen.selection.settings import check_select, learned_samplers

CLI = ["+experiment=select", "data=synthetic", "data.n=600", "detectors=[zscore,iforest]", "logger=[local]",
       "plots=false", "trainer.progress=false"]


@pytest.mark.parametrize("node, key, words", [
    ({"exclude": ["spikes"]}, "select.exclude", "unknown kind(s) ['spikes']"),
    ({"kinds": ["nope"]}, "select.kinds", "unknown kind(s) ['nope']"),
    ({"learned": ["nope"]}, "select.learned", "['nope'] is not a learned sampler"),
    ({"learned": ["noise"]}, "select.learned", "['noise'] is not a learned sampler"),
])
def test_names_in_the_select_node_are_checked(node, key, words):
    with pytest.raises(anogen.AnogenError) as info:
        check_select(node)
    assert info.value.key == key and words in str(info.value)


def test_the_learned_samplers_are_the_options_that_need_a_model():
    assert set(learned_samplers()) >= {"vae_tail", "latent_uniform"} and "noise" not in learned_samplers()
    check_select({"learned": ["vae_tail"], "exclude": ["spike"]})   # valid names pass


@pytest.mark.parametrize("override, words", [
    ("select.exclude=[spikes]", "select.exclude: unknown kind(s) ['spikes']"),
    ("select.learned=[nope]", "select.learned: ['nope'] is not a learned sampler"),
])
def test_a_typo_on_the_command_line_is_one_line_exit_2_before_any_model_is_trained(override, words, tmp_path,
                                                                                    monkeypatch, capsys):
    """Regressions: ``select.exclude=[spikes]`` was accepted and excluded nothing;
    ``select.learned=[nope]`` was refused only after a model had been trained."""
    from anogen.__main__ import cli

    import anogen.train.cache as cache

    monkeypatch.setattr(cache, "train_or_load", lambda *a, **k: pytest.fail("a model was trained"))
    monkeypatch.chdir(tmp_path)
    rc = cli([*CLI, "model=vae_mlp", override, f"hydra.run.dir={tmp_path}/run"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1 and words in err[0], err
    assert not (tmp_path / "run").exists()


def test_a_test_part_shorter_than_the_windows_is_one_error():
    """Regression: ``anogen.select(x, x[:3])`` returned a tie with trust 'none' and ~100 'detector
    failed' lines."""
    x = np.sin(np.arange(600) / 10)[:, None] + np.random.default_rng(0).normal(0, 0.1, (600, 1))
    with pytest.raises(anogen.AnogenError) as info:
        anogen.select(x, x[:3])
    assert info.value.key == "test" and "3 rows" in str(info.value) and "window" in str(info.value)


# ---- data.labels: the key is named, True/False is a label, a job that does not use it says so ---------
def _labelled_csv(tmp_path, labels):
    import pandas as pd

    n = 900
    rng = np.random.default_rng(0)
    x = np.sin(np.arange(n) / 12)[:, None] * [1.0, 0.5] + rng.normal(0, 0.1, (n, 2))
    y = np.zeros(n, bool)
    y[700:720] = True
    x[700:720, 0] += 3
    df = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=n, freq="min"), "a": x[:, 0], "b": x[:, 1],
                       "anomaly": labels(y)})
    path = tmp_path / "labelled.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("experiment", [[], ["+experiment=select"]], ids=["plain run", "select"])
def test_an_unknown_label_column_names_data_labels(experiment, tmp_path, monkeypatch, capsys):
    """Regression: with select it said ``data.columns: unknown column 'nope'`` (a key the user did not
    set); on a plain run it was accepted silently."""
    from anogen.__main__ import cli

    csv = _labelled_csv(tmp_path, lambda y: y.astype(int))
    monkeypatch.chdir(tmp_path)
    rc = cli([*experiment, "data=csv", f"data.path={csv}", "data.key=t", "data.labels=nope", "detectors=[zscore,iforest]",
              "logger=[local]", "plots=false", f"hydra.run.dir={tmp_path}/run"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1 and "data.labels: unknown column 'nope'" in err[0], err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("labels", [lambda y: y, lambda y: np.where(y, "True", "False")], ids=["bool", "words"])
def test_a_true_false_label_column_is_a_label_column(labels, tmp_path):
    """Regression: a True/False label column was refused as 'not numeric (dtype bool)'."""
    from anogen.data.sources import CSVSource
    from anogen.types import Fold  # noqa: F401

    src = CSVSource(path=str(_labelled_csv(tmp_path, labels)), key="t", labels="anomaly", test_fraction=0.3)
    frame = src.load()
    assert "anomaly" not in frame.columns
    fold = src.folds(frame)[0]
    y = src.labels_for(fold)
    assert y.dtype == bool and y.sum() == 20


def test_a_plain_run_says_it_does_not_use_the_labels(tmp_path, monkeypatch, capsys):
    from anogen.__main__ import cli

    csv = _labelled_csv(tmp_path, lambda y: y.astype(int))
    monkeypatch.chdir(tmp_path)
    rc = cli(["data=csv", f"data.path={csv}", "data.key=t", "data.labels=anomaly", "detectors=[zscore]",
              "logger=[local]", "plots=false", f"hydra.run.dir={tmp_path}/run"])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    log = (tmp_path / "run" / "__main__.log").read_text() + cap.out + cap.err
    assert "data.labels=anomaly: this job generates its own anomalies and does not use real labels" in log, log[-2000:]


def test_no_bootstrap_prints_no_nan(tmp_path):
    """Regression: ``select.bootstrap=0`` printed ``P(best) = nan, rank interval nan-nan``."""
    from anogen.selection.report import selection_markdown

    x = np.sin(np.arange(900) / 12)[:, None] + np.random.default_rng(1).normal(0, 0.1, (900, 1))
    sel = anogen.select(x, detectors=["zscore", "zscore_rolling"], bootstrap=0, steps=2, seeds=[0],
                        kinds=["spike", "level_shift"], noise=False)
    text = selection_markdown(sel) + sel.recommendation_line() + sel.trust_line()
    assert "nan" not in text and "no bootstrap" in text


@pytest.mark.parametrize("override, words", [
    ("select.period_variants=[knm]", "select.period_variants: 'knm' is neither a candidate (zscore, iforest) nor a "
                                     "packaged detector"),
    ("select.period_variants=[zscore]", "select.period_variants: 'zscore' takes no period window"),
])
def test_a_bad_period_variant_is_one_line_exit_2_and_no_folder(override, words, tmp_path, monkeypatch, capsys):
    """A typo in ``select.period_variants`` was skipped silently (a name not among the candidates is
    skipped, so ``[knm]`` looked like ``[]``); now a name that is neither a candidate nor packaged is refused."""
    from anogen.__main__ import cli

    monkeypatch.chdir(tmp_path)
    rc = cli([*CLI, override, f"hydra.run.dir={tmp_path}/run"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and len(err) == 1 and words in err[0], err
    assert not (tmp_path / "run").exists()
    # a packaged detector that is not a candidate is skipped: its variant needs its candidate
    assert cli([*CLI, "select.period_variants=[knn]", "select.kinds=[spike]", "select.noise=false",
                "select.levels=[3.0]", "select.seeds=[0]", "select.bootstrap=10", f"hydra.run.dir={tmp_path}/ok"]) == 0
