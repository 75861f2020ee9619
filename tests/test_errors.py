"""AnogenError keeps the key apart from the problem (issue 22, item 4): each entry point names the key
in its own words by re-keying, never by rewriting the message's text."""

from __future__ import annotations

import pickle

import pytest

from anogen.config import build
from anogen.params import PositiveInt, Ratio, check_params, check_value
from anogen.types import AnogenError, rename_key


def test_the_message_reads_key_then_problem():
    e = AnogenError("must be > 0, got 0", key="sampler.ratio")
    assert str(e) == "sampler.ratio: must be > 0, got 0" and e.args == (str(e),)
    assert (e.key, e.problem) == ("sampler.ratio", "must be > 0, got 0")
    assert isinstance(e, ValueError)
    assert str(AnogenError("is required with csv_mode=folder", key="data.key", sep=" ")) == (
        "data.key is required with csv_mode=folder")
    hinted = AnogenError("NaN/inf values in {'a': 1}", key="data", hint="set data.nan=drop", refs=("data.nan",))
    assert str(hinted) == "data: NaN/inf values in {'a': 1}; set data.nan=drop"


def test_a_plain_message_still_works():
    e = AnogenError("sampler.ratio: must be > 0, got 0")
    assert e.key is None and e.problem == str(e) == "sampler.ratio: must be > 0, got 0"
    assert e.rekeyed({"sampler.ratio": "ratio"}) is e  # no key: nothing to rename, the text is never parsed
    assert str(AnogenError()) == ""


@pytest.mark.parametrize("e", [
    AnogenError("must be > 0, got 0", key="sampler.ratio"),
    AnogenError("plain message"),
    AnogenError("[1, 2] lies outside the data", key="data.dates[0]", sep=" = "),
    AnogenError("NaN/inf values", key="occ.csv", hint="set data.nan=drop", refs=("data.nan",)),
], ids=["keyed", "plain", "sep", "hint"])
def test_errors_survive_pickling_with_their_fields(e):
    """Sweeps send errors across processes: the key must arrive, not only the text."""
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is AnogenError and str(back) == str(e) and back.args == e.args
    assert (back.key, back.problem, back.sep, back.hint, back.refs) == (e.key, e.problem, e.sep, e.hint, e.refs)


def test_a_subclass_survives_pickling_and_re_keying():
    from anogen.train.checkpoint import CheckpointError

    e = CheckpointError("is corrupt", key="cache.dir")
    e.extra = 3
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is CheckpointError and str(back) == "cache.dir: is corrupt" and back.extra == 3
    moved = e.rekeyed({"cache": "model_cache"})
    assert type(moved) is CheckpointError and str(moved) == "model_cache.dir: is corrupt" and moved.extra == 3


def test_rekeyed_renames_the_key_and_the_declared_refs_only():
    e = AnogenError("without data.key the dates are row numbers, got ['data.key', 'b']", key="data.dates[1]",
                    refs=("data.key",))
    got = e.rekeyed({"data.dates": "dates", "data.key": "key"})
    assert got.key == "dates[1]" and got.refs == ("key",)
    assert str(got) == "dates[1]: without key the dates are row numbers, got ['key', 'b']"  # refs: every mention
    column = AnogenError("unknown column 'data.key2'", key="data.columns")  # a column is not a declared ref
    assert str(column.rekeyed({"data.columns": "columns", "data.key": "key"})) == "columns: unknown column 'data.key2'"
    assert str(e.rekeyed(lambda k: None)) == str(e)  # a callable: None keeps the key
    assert e.rekeyed(lambda k: k.upper()).key == "DATA.DATES[1]"


def test_rename_key_follows_paths_not_text():
    table = {"data.dates": "dates", "data": "input"}
    assert rename_key("data.dates[3]", table) == "dates[3]"
    assert rename_key("data.dates.x", table) == "dates.x"
    assert rename_key("data.datesx", table) == "input.datesx"   # not below data.dates: below data
    assert rename_key("database", table) is None
    assert rename_key("other", table) is None


def test_under_places_a_constructors_error_at_its_key():
    inner = AnogenError("must be > 0, got 0", key="sampler.ratio")
    assert inner.under("sampler") is inner                                    # already at/below the key
    assert str(inner.under("benchmark.samplers.noise")) == "benchmark.samplers.noise: sampler.ratio: must be > 0, got 0"
    assert inner.under("benchmark.samplers.noise").key == "benchmark.samplers.noise"
    assert str(AnogenError("no rows").under("data")) == "data: no rows"
    plain = AnogenError("sampler.min_length (9) is greater than sampler.max_length (3)")  # a raise site without key=
    assert plain.under("sampler") is plain
    hinted = AnogenError("NaN", key="x", hint="set data.nan=drop", refs=("data.nan",)).under("data")
    assert str(hinted) == "data: x: NaN; set data.nan=drop" and set(hinted.refs) == {"data.nan", "x"}


def test_typed_parameter_errors_carry_their_key():
    with pytest.raises(AnogenError) as info:
        check_value(0, PositiveInt, "trainer.epochs")
    assert (info.value.key, info.value.problem) == ("trainer.epochs", "must be > 0, got 0")

    def f(ratio: Ratio = 0.1, n: PositiveInt = 1):
        return ratio

    with pytest.raises(AnogenError) as info:
        check_params(f, {"ratio": 0.9}, "sampler")
    assert (info.value.key, info.value.problem) == ("sampler.ratio", "must be > 0 and <= 0.5, got 0.9")
    with pytest.raises(AnogenError) as info:
        check_params(f, {"nope": 1}, "sampler")
    assert info.value.key == "sampler.nope" and str(info.value) == (
        "sampler.nope: unknown parameter; valid parameters: ['ratio', 'n']")


class _Raises:
    """A component whose constructor raises the errors :func:`build` must place under its key."""

    def __init__(self, how: str = "own") -> None:
        if how == "own":
            raise AnogenError("must be odd, got 2", key="x.window")
        if how == "other":
            raise AnogenError("must be odd, got 2", key="window")
        raise AnogenError("x.window: must be odd, got 2")


@pytest.mark.parametrize("how, message, key", [
    ("own", "x.window: must be odd, got 2", "x.window"),
    ("other", "x: window: must be odd, got 2", "x"),
    ("plain", "x.window: must be odd, got 2", None),
])
def test_build_places_constructor_errors_by_their_key(how, message, key):
    with pytest.raises(AnogenError) as info:
        build({"_target_": f"{__name__}._Raises", "how": how}, "x")
    assert str(info.value) == message and info.value.key == key


def test_build_errors_of_its_own_are_keyed():
    with pytest.raises(AnogenError) as info:
        build({"_target_": f"{__name__}._Raises", "nope": 1}, "thing.x")
    assert info.value.key == "thing.x" and info.value.problem.startswith("unknown parameter 'nope'")
    with pytest.raises(AnogenError) as info:
        build({"_target_": "no.such.Thing"}, "sampler")
    assert info.value.key == "sampler._target_"
