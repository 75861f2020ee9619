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
