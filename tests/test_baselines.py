"""Baselines read as strictly as specs (issue 11, class 3) and budget entries that check nothing
(class 4): the located JSON reader against Python's json, the bounds, the schema versions held
together with the outputs, and the API of the unmatched-path warning. The door corpus
(tests/data/doors/base_*.yaml, budget_*.yaml) covers the command line."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcost import budgets
from convcost.budgets.baselines import SCHEMA_VERSIONS
from convcost.budgets.located_json import parse_json
from convcost.cli import app
from convcost.errors import SpecError
from convcost.language.source import MAX_FILE_BYTES

from cli_runner import runner

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30)


@settings(max_examples=200)
@given(json_values, st.sampled_from([None, 1, 2]))
def test_the_located_reader_reads_what_json_reads(value, indent):
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    assert parse_json(text, "x.json").root.plain() == json.loads(text)


def test_every_value_is_located_at_its_first_character():
    text = '{\n  "totals": {"macs": 12,\n             "params": [1, "x"]}\n}'
    document = parse_json(text, "b.json")
    totals = document.root.value["totals"]
    assert document.where(totals.value["macs"].offset) == ("b.json", 2, 22)
    assert document.where(totals.key_offsets["params"]) == ("b.json", 3, 14)
    assert document.where(totals.value["params"].value[1].offset) == ("b.json", 3, 28)


def test_deep_nesting_and_long_numbers_are_refused_quickly():
    start = time.perf_counter()
    for text in ("[" * 1_000_000, '{"a":' * 500_000, "[" + "9" * 100_000 + "]"):
        with pytest.raises(SpecError) as error:
            parse_json(text, "b.json")
        assert error.value.problems[0].code == "E551"
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", "[-Infinity]", "{'a': 1}", "[1,]", "[01]", "[.5]",
                                  '["\t"]', "[1] [2]", "", "[", '{"a" 1}', "[true false]"])
def test_what_python_json_accepts_or_rejects_loosely_is_a_located_e508(text):
    with pytest.raises(SpecError) as error:
        parse_json(text, "b.json")
    (problem,) = error.value.problems
    assert problem.code == "E508" and problem.location.path == "b.json"


def test_a_float_total_is_not_compared_as_an_integer(tmp_path):
    # Python's json reads 1e3 as 1000.0 and 3888.0 == 3888: the old reader dropped them silently
    path = tmp_path / "base.json"
    path.write_text('{"schema_version": 1, "totals": {"macs": 3888.0}}')
    with pytest.raises(SpecError) as error:
        budgets.load_baseline(str(path))
    assert [p.code for p in error.value.problems] == ["E554"]


def test_a_baseline_larger_than_the_bound_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as out:
        out.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written
    start = time.perf_counter()
    with pytest.raises(SpecError) as error:
        budgets.load_baseline(str(path))
    assert error.value.problems[0].code == "E100" and "larger than 2 MiB" in error.value.problems[0].message
    assert time.perf_counter() - start < 0.5


def test_schema_versions_are_those_the_outputs_write():
    for args in (["report", "seed_standard"], ["check", "seed_standard", "--max-macs", "1G"]):
        result = runner.invoke(app, [*args, "--format", "json"])
        assert json.loads(result.stdout)["schema_version"] in SCHEMA_VERSIONS


def test_an_entry_matching_no_spec_is_a_warning_of_the_run_and_an_error_with_strict(tmp_path):
    rules = budgets.parse_budget_file("budgets:\n  - path: mobilnet.yaml\n    macs: 1G\n"
                                      "  - path: seed_standard.yaml\n    macs: 1G\n", str(tmp_path / "b.yaml"))
    run = budgets.check(["seed_standard"], budget_files=[rules])
    (warning,) = run.warnings
    assert warning.code == "W550" and (warning.location.line, warning.location.column) == (2, 11)
    assert run.exit_code == 0 and not run.problems
    strict = budgets.check(["seed_standard"], budget_files=[rules], strict=True)
    assert [p.code for p in strict.problems] == ["E556"] and strict.exit_code == 2
    assert strict.results[0].findings  # the spec is checked all the same
