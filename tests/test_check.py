"""`convcost check` (issue #4) through the real command line: budgets from files, spec sections and
options; levels, --strict, baselines, per-layer budgets, several specs, every output format, located
errors in budget files; the units parser; the shipped CI pieces and the README section of docs/budgets.md.

MobileNet v1 1.0-224 (specs/mobilenet.yaml), the figures these tests lean on (GUIDE.md section 4 and
`convcost report specs/mobilenet.yaml --format json`): 568,740,352 MACs, 4,253,864 params (4,231,976
trainable), 6,422,528 B peak activation memory, 84 layers; largest pointwise convolution 51,380,224 MACs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from convcost.budgets import LAYER_METRICS, TOTAL_METRICS, matches, parse_increase, parse_limit
from convcost.cli import app
from convcost.errors import CODES, SpecError
from convcost.render.budget import annotation, escape_data, escape_property
from convcost.units import MAX_WHOLE, parse_bytes, parse_count

from cli_runner import runner

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "budgets"
MOBILENET = str(ROOT / "specs" / "mobilenet.yaml")
XCEPTION = str(ROOT / "specs" / "xception.yaml")


def check(*args):
    return runner.invoke(app, ["check", *map(str, args)])


def budget_file(name: str) -> str:
    return str(DATA / name)


def as_json(result) -> dict:
    return json.loads(result.stdout)


def findings(data: dict, spec_index: int = 0) -> dict:
    """``{label: finding}`` of one spec of a JSON result."""
    return {f["metric"] + ("/" + f["check"] if f["check"] != "max" else "") + (f"@{','.join(f['select'] + f['kinds'])}"
            if f["scope"] == "layer" else ""): f for f in data["results"][spec_index]["findings"]}


# --- verdicts and exit codes --------------------------------------------------------------------

def test_all_budgets_met_exits_0():
    result = check(MOBILENET, "--budget", budget_file("met.yaml"))
    assert result.exit_code == 0, result.output
    assert "all budgets met" in result.stdout
    assert "4 met" in result.stdout
    data = as_json(check(MOBILENET, "--budget", budget_file("met.yaml"), "--format", "json"))
    assert data["status"] == "ok" and data["exit_code"] == 0
    macs = findings(data)["macs"]
    assert (macs["value"], macs["limit"], macs["headroom"]) == (568_740_352, 600_000_000, 31_259_648)
    peak = findings(data)["peak_activation_bytes"]
    assert peak["limit"] == 8 * 2**20 and peak["value"] == 6_422_528


def test_warn_level_budget_exceeded_exits_0_with_the_warning_shown():
    result = check(MOBILENET, "--budget", budget_file("warn.yaml"))
    assert result.exit_code == 0, result.output
    assert "warn" in result.stdout and "with warnings" in result.stdout
    assert "53.86K over (+1.28%)" in result.stdout  # 4,253,864 - 4,200,000 = 53,864
    params = findings(as_json(check(MOBILENET, "--budget", budget_file("warn.yaml"), "-f", "json")))["params"]
    assert params["status"] == "warn" and params["level"] == "warn" and params["headroom"] == -53_864


def test_error_level_budget_exceeded_exits_1_with_the_excess_shown():
    result = check(MOBILENET, "--budget", budget_file("error.yaml"))
    assert result.exit_code == 1, result.output
    assert "68.74M over (+13.75%)" in result.stdout
    assert "budget exceeded" in result.stdout
    data = as_json(check(MOBILENET, "--budget", budget_file("error.yaml"), "--format", "json"))
    macs = findings(data)["macs"]
    assert macs["status"] == "error" and macs["headroom"] == -68_740_352
    assert macs["headroom_percent"] == pytest.approx(-13.748, abs=1e-3)
    assert "over its budget of 500M by 68,740,352 (+13.75%)" in macs["message"]
    assert findings(data)["params"]["status"] == "ok"


def test_strict_turns_warnings_into_errors():
    result = check(MOBILENET, "--budget", budget_file("warn.yaml"), "--strict")
    assert result.exit_code == 1, result.output
    assert "made an error by --strict" in result.stdout
    strict = as_json(check(MOBILENET, "--budget", budget_file("warn.yaml"), "--strict", "-f", "json"))
    params = findings(strict)["params"]
    assert params["status"] == "error" and params["strict"] is True
    assert check(MOBILENET, "--budget", budget_file("met.yaml"), "--strict").exit_code == 0


def test_level_off_and_entry_level_default():
    data = as_json(check(MOBILENET, "--budget", budget_file("off.yaml"), "-f", "json"))
    found = findings(data)
    assert "macs" not in found  # level: off is not checked (1M would fail)
    assert found["flops"]["level"] == "warn" and found["flops"]["status"] == "warn"  # 1.15G > 1G, entry level
    assert data["exit_code"] == 0


def test_command_line_limits_with_units():
    result = check(MOBILENET, "--max-macs", "600M", "--max-params", "4.5M", "--max-activation-bytes", "7MB",
                   "--max", "layers=84", "-f", "json")
    assert result.exit_code == 0, result.output
    found = findings(as_json(result))
    assert found["peak_activation_bytes"]["limit"] == 7_000_000
    assert found["layers"]["limit"] == 84 and found["layers"]["headroom"] == 0
    over = check(MOBILENET, "--max-activation-bytes", "6MiB", "-f", "json")  # 6,291,456 < 6,422,528
    assert over.exit_code == 1
    finding = findings(as_json(over))["peak_activation_bytes"]
    assert finding["headroom"] == 6 * 2**20 - 6_422_528
    assert finding["origin"] == "--max-activation-bytes"
    assert finding["declared_at"]["file"].endswith("mobilenet.yaml")  # a CLI budget points at its spec


def test_the_issue_example_limits_peak_activation_memory():  # --max-activation-bytes 12MB, as in the issue
    result = check(MOBILENET, "--max-macs", "600M", "--max-params", "4.5M", "--max-activation-bytes", "12MB",
                   "-f", "json")
    assert result.exit_code == 0, result.output
    finding = findings(as_json(result))["peak_activation_bytes"]
    assert finding["value"] == 6_422_528 and finding["limit"] == 12_000_000
    summed = check(MOBILENET, "--max", "activation_bytes=12MB", "-f", "json")  # every output summed: 60.5 MB
    assert summed.exit_code == 1
    assert findings(as_json(summed))["activation_bytes"]["value"] == 60_524_352


@pytest.mark.parametrize("args, message", [
    (["--max-macs", "600X"], "--max-macs 600X: unknown unit 'X'"),
    (["--max-activation-bytes", "12M"], "write 12MB"),
    (["--max-params", "-4M"], "E504"),
    (["--max", "mac=600M"], "did you mean 'macs'?"),
    (["--max", "macs"], "--max expects METRIC=LIMIT"),
])
def test_bad_command_line_limits_exit_2(args, message):
    result = check(MOBILENET, *args)
    assert result.exit_code == 2
    assert message in result.stderr


# --- baselines ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("baseline") / "mobilenet.json"
    result = runner.invoke(app, ["report", MOBILENET, "--format", "json"])
    assert result.exit_code == 0
    path.write_text(result.stdout)
    return str(path)


def test_baseline_regression_beyond_max_increase_exits_1(baseline):
    result = check(MOBILENET, "--budget", budget_file("increase.yaml"), "--baseline", baseline,
                   "--set", "classes=1100", "-f", "json")
    assert result.exit_code == 1, result.output
    found = findings(as_json(result))
    params = found["params/max_increase"]
    assert params["status"] == "error"
    assert params["baseline"] == 4_253_864 and params["value"] == 4_356_364 and params["change"] == 102_500
    assert params["limit"] == 4_253_864 * 101 // 100  # floor(baseline x 1.01)
    assert "more than the allowed 1%" in params["message"]


def test_baseline_growth_within_max_increase_is_a_warning(baseline):
    result = check(MOBILENET, "--budget", budget_file("increase.yaml"), "--baseline", baseline,
                   "--set", "classes=1010")  # params +10,250 (+0.24%), macs +10,240
    assert result.exit_code == 0, result.output
    assert "grew since the baseline (within max_increase)" in result.stdout
    assert "vs baseline" in result.stdout
    data = as_json(check(MOBILENET, "--budget", budget_file("increase.yaml"), "--baseline", baseline,
                         "--set", "classes=1010", "-f", "json"))
    assert {f["status"] for k, f in findings(data).items() if k.endswith("max_increase")} == {"warn"}
    assert findings(data)["macs"]["change"] == 10_240  # every finding shows the change since the baseline
    strict = check(MOBILENET, "--budget", budget_file("increase.yaml"), "--baseline", baseline,
                   "--set", "classes=1010", "--strict")
    assert strict.exit_code == 1


def test_unchanged_against_baseline_is_ok_and_no_baseline_skips(baseline):
    same = as_json(check(MOBILENET, "--budget", budget_file("increase.yaml"), "--baseline", baseline, "-f", "json"))
    assert {f["status"] for f in same["results"][0]["findings"]} == {"ok"}
    none = as_json(check(MOBILENET, "--budget", budget_file("increase.yaml"), "-f", "json"))
    skipped = findings(none)["params/max_increase"]
    assert skipped["status"] == "skipped" and "no --baseline" in skipped["note"]
    assert none["exit_code"] == 0


def test_max_increase_on_the_command_line_and_an_absolute_amount(baseline):
    result = check(MOBILENET, "--baseline", baseline, "--set", "classes=1100", "--max-increase", "macs=100K",
                   "--max-increase", "params=200K", "-f", "json")
    found = findings(as_json(result))
    assert found["macs/max_increase"]["status"] == "error"  # +102,400 > 100K
    assert found["params/max_increase"]["status"] == "warn"  # +102,500 <= 200K
    assert result.exit_code == 1


def test_a_saved_check_result_is_a_baseline_for_several_specs(tmp_path):
    saved = check(MOBILENET, XCEPTION, "--budget", budget_file("several.yaml"), "-f", "json")
    assert saved.exit_code == 1  # xception is over its macs budget; the totals are saved all the same
    path = tmp_path / "check.json"
    path.write_text(saved.stdout)
    result = check(MOBILENET, XCEPTION, "--baseline", path, "--max-increase", "macs=0%", "--set", "classes=1001",
                   "-f", "json")
    data = as_json(result)
    assert [r["baseline"] for r in data["results"]] == [str(path), str(path)]
    assert [r["findings"][0]["change"] for r in data["results"]] == [1024, 2048]  # 1 more class
    assert result.exit_code == 1


def test_bad_baseline_is_a_located_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"totals": {"macs": 1,}}')
    result = check(MOBILENET, "--max-macs", "1G", "--baseline", bad)
    assert result.exit_code == 2
    assert re.search(rf"{re.escape(str(bad))}:1:\d+: E508 baseline is not valid JSON", result.stderr)
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    assert "E508" in check(MOBILENET, "--max-macs", "1G", "--baseline", other).stderr


# --- per-layer budgets --------------------------------------------------------------------------

def test_per_layer_budgets():
    result = check(MOBILENET, "--budget", budget_file("layers.yaml"), "-f", "json")
    assert result.exit_code == 1, result.output
    found = findings(as_json(result))
    pw = found["macs@*/pw,conv2d"]
    assert pw["status"] == "error" and pw["value"] == 51_380_224 and pw["layer"] == "ds4/pw"
    assert pw["layers_over"] == ["ds4/pw", "ds6/pw", "ds8_1/pw", "ds8_2/pw", "ds8_3/pw", "ds8_4/pw", "ds8_5/pw",
                                 "ds14/pw"]
    dw = found["macs@depthwise_conv2d"]
    assert dw["status"] == "ok" and dw["layer"] == "ds2/dw" and dw["value"] == 112 * 112 * 32 * 9
    largest = found["params@"]
    assert largest["status"] == "ok" and largest["layer"] == "ds14/pw" and largest["value"] == 1024 * 1024
    act = found["activation_bytes@conv1,ds2/*"]
    assert act["status"] == "warn" and act["value"] == 112 * 112 * 64 * 4
    assert set(act["layers_over"]) == {"ds2/pw", "ds2/pw_bn", "ds2/pw_relu"}
    text = check(MOBILENET, "--budget", budget_file("layers.yaml")).stdout
    assert "largest: ds4/pw, 8 over" in text


def test_a_layer_selection_that_matches_nothing_is_a_located_error():
    result = check(MOBILENET, "--budget", budget_file("no_match.yaml"))
    assert result.exit_code == 2
    assert f"{budget_file('no_match.yaml')}:4:33: E507" in result.stderr
    assert "*/pointwise matches no layer" in result.stderr


def test_a_specs_own_budget_section():
    spec = budget_file("with_section.yaml")
    result = check(spec, "-f", "json")
    assert result.exit_code == 1, result.output
    found = findings(as_json(result))
    assert found["macs"]["status"] == "ok" and found["macs"]["value"] == 4_001_472
    assert found["params"]["status"] == "warn"  # 5,088 > 5K
    layer = found["macs@c*"]
    assert layer["status"] == "error" and layer["layer"] == "c2" and layer["value"] == 3_612_672
    assert layer["declared_at"]["line"] == 11
    bad = check(budget_file("bad_section.yaml"))
    assert bad.exit_code == 2
    assert f"{budget_file('bad_section.yaml')}:6:3: E502 'path' belongs in a budget file" in bad.stderr
    assert f"{budget_file('bad_section.yaml')}:7:9: E503 macs: unknown unit 'Q'" in bad.stderr


# --- several specs ------------------------------------------------------------------------------

def test_several_specs_in_one_run_each_with_its_verdict():
    result = check(MOBILENET, XCEPTION, "--budget", budget_file("several.yaml"), "-f", "json")
    assert result.exit_code == 1
    data = as_json(result)
    assert [r["name"] for r in data["results"]] == ["MobileNet v1", "Xception"]
    assert [r["status"] for r in data["results"]] == ["ok", "error"]
    assert [sorted(f["metric"] for f in r["findings"]) for r in data["results"]] == [["macs", "params"],
                                                                                     ["macs", "params"]]
    assert data["summary"] == {"specs": 2, "budgets": 4, "ok": 3, "warn": 0, "error": 1, "skipped": 0,
                               "invalid_specs": 0}
    text = check(MOBILENET, XCEPTION, "--budget", budget_file("several.yaml")).stdout
    assert text.index("MobileNet v1") < text.index("Xception") and "2 specs" in text


def test_globs_shipped_names_and_duplicates():
    pattern = str(ROOT / "specs" / "mobilenet*.yaml")  # quoted: expanded by convcost, not the shell
    data = as_json(check(pattern, "mobilenet", MOBILENET, "--max-params", "30M", "-f", "json"))
    specs = [Path(r["spec"]).name for r in data["results"]]
    assert specs == ["mobilenet.yaml", "mobilenet_conv.yaml", "mobilenet_shallow.yaml", "mobilenet_v2.yaml",
                     "mobilenet_v3_large.yaml", "mobilenet_v3_small.yaml", "mobilenet"]  # shipped name last
    missing = check(str(ROOT / "specs" / "nothing*.yaml"), "--max-macs", "1G")
    assert missing.exit_code == 2 and "no file matches" in missing.stderr


def test_a_bad_spec_among_several_exits_2_and_the_others_are_still_checked(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 8, kernal: 3}\n")
    result = check(MOBILENET, broken, "--max-macs", "600M", "-f", "json")
    assert result.exit_code == 2
    data = as_json(result)
    assert [r["status"] for r in data["results"]] == ["ok", "invalid"]
    assert f"{broken}:3:32: E202" in result.stderr


def test_no_budget_for_any_spec_exits_2_and_an_unbudgeted_spec_among_others_does_not():
    result = check(XCEPTION)
    assert result.exit_code == 2 and "E509 no budget applies" in result.stderr
    mixed = as_json(check(MOBILENET, XCEPTION, "--budget", budget_file("met.yaml"), "-f", "json"))
    assert [r["status"] for r in mixed["results"]] == ["ok", "unbudgeted"] and mixed["exit_code"] == 0


def test_the_budget_file_passed_as_a_spec_is_skipped():  # pre-commit passes every changed YAML file
    data = as_json(check(MOBILENET, budget_file("met.yaml"), "--budget", budget_file("met.yaml"), "-f", "json"))
    assert [Path(r["spec"]).name for r in data["results"]] == ["mobilenet.yaml"]


def test_usage_without_specs_exits_2():
    result = check("--max-macs", "1G")
    assert result.exit_code == 2 and "give one or more spec files" in result.stderr


# --- output formats -----------------------------------------------------------------------------

def test_junit_output_parses_as_xml():
    result = check(MOBILENET, XCEPTION, "--budget", budget_file("several.yaml"), "--budget", budget_file("warn.yaml"),
                   "-f", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("6", "1", "0")
    suites = root.findall("testsuite")
    assert [Path(s.get("name")).name for s in suites] == ["mobilenet.yaml", "xception.yaml"]
    cases = suites[1].findall("testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["macs <= 8G"]
    assert failed[0].get("file") == budget_file("several.yaml") and failed[0].get("line") == "6"
    warned = [c for c in suites[0].findall("testcase") if c.find("system-out") is not None]
    assert [c.get("name") for c in warned] == ["params <= 4.2M"]
    assert warned[0].find("system-out").text.startswith("warning: ")


def test_junit_reports_an_invalid_spec_as_an_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("input: [8, 8, 3]\nlayers: []\n")
    root = ET.fromstring(check(broken, "--max-macs", "1G", "-f", "junit").stdout)
    assert root.get("errors") == "1" and root.find("testsuite/testcase/error") is not None


ANNOTATION = re.compile(r"^::(error|warning) file=([^,:]+),line=(\d+),col=(\d+),title=([^:]*)::(.+)$")


def test_github_annotations_point_at_the_budget_lines():
    result = check(MOBILENET, XCEPTION, "--budget", budget_file("several.yaml"), "--budget", budget_file("warn.yaml"),
                   "-f", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    annotations = [ANNOTATION.match(line) for line in lines if line.startswith("::")]
    assert annotations and all(annotations), lines
    found = {(m.group(1), Path(m.group(2)).name, int(m.group(3)), int(m.group(4))) for m in annotations}
    assert found == {("warning", "warn.yaml", 5, 14), ("error", "several.yaml", 6, 5)}
    error = next(m for m in annotations if m.group(1) == "error")
    assert "%3A" in error.group(5)  # ':' escaped in the title property
    assert "68.74" not in error.group(6) and "(+4.47%25)" in error.group(6)  # 8,357,403,496 vs 8G; '%' escaped
    assert lines[-1].startswith("convcost check: 2 specs")


def test_github_annotations_for_command_line_budgets_point_at_the_spec():
    result = check(MOBILENET, "--max-macs", "500M", "-f", "github")
    match = ANNOTATION.match(result.stdout.splitlines()[0])
    assert match and Path(match.group(2)).name == "mobilenet.yaml" and match.group(3) == "1"


def test_github_annotations_for_errors_in_a_budget_file():
    result = check(MOBILENET, "--budget", budget_file("unknown_metric.yaml"), "-f", "github")
    assert result.exit_code == 2
    first = ANNOTATION.match(result.stdout.splitlines()[0])
    assert first and first.group(1) == "error" and (first.group(3), first.group(4)) == ("3", "5")
    assert "E501" in first.group(6)


def test_workflow_command_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    assert annotation("warning", "x: 1%", file="dir/a,b.yaml", line=3, col=2, title="t:1") == \
        "::warning file=dir/a%2Cb.yaml,line=3,col=2,title=t%3A1::x: 1%25"
    assert annotation("error", "m") == "::error::m"


def test_markdown_summary():
    result = check(MOBILENET, XCEPTION, "--budget", budget_file("several.yaml"), "-f", "markdown")
    assert result.exit_code == 1
    text = result.stdout
    assert text.startswith("## ❌ convcost budgets: budget exceeded")
    assert "<summary>✅ MobileNet v1" in text and "### ❌ Xception" in text  # passing specs are folded
    assert text.count("<details>") == text.count("</details>") == 1
    assert "| ❌ | macs <= 8G | 8,357,403,496 | 8,000,000,000 | **357,403,496 over (+4.47%)** |" in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert all(row.count(" | ") == rows[0].count(" | ") for row in rows if not row.startswith("| |"))


def test_json_contract():
    data = as_json(check(MOBILENET, "--budget", budget_file("error.yaml"), "-f", "json"))
    assert {"convcost_version", "schema_version", "status", "exit_code", "strict", "summary", "problems",
            "results"} <= set(data)
    result = data["results"][0]
    assert result["totals"]["macs"] == 568_740_352  # usable as a later --baseline
    finding = findings(data)["macs"]
    assert finding["declared_at"] == {"file": budget_file("error.yaml"), "line": 5, "column": 5}
    assert finding["limit_text"] == "500M" and finding["check"] == "max" and finding["scope"] == "total"


# --- errors in budget files: located, exit 2 ----------------------------------------------------

@pytest.mark.parametrize("name, line, column, code, text", [
    ("unknown_metric.yaml", 3, 5, "E501", "unknown metric 'mac'"),
    ("bad_unit.yaml", 4, 13, "E503", "params: unknown unit 'X' in '4.5X'"),
    ("negative.yaml", 3, 17, "E504", "'-600M' is negative"),
    ("malformed.yaml", 4, 11, "E101", "YAML syntax error"),
    ("bytes_unit.yaml", 3, 28, "E503", "unknown unit 'M' in '12M'"),
    ("not_whole.yaml", 3, 13, "E503", "is not a whole number"),
    ("bad_level.yaml", 3, 30, "E505", "level must be warn, error or off, got 'fatal'"),
    ("no_path.yaml", 2, 5, "E500", "budget entry has no 'path'"),
    ("empty.yaml", 1, 1, "E500", "the budget file is empty"),
])
def test_bad_budget_files_give_located_errors_and_exit_2(name, line, column, code, text):
    result = check(MOBILENET, "--budget", budget_file(name))
    assert result.exit_code == 2, result.output
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{budget_file(name)}:{line}:{column}: {code} "), first
    assert text in first
    assert "could not check" in result.stdout


def test_every_mistake_in_a_budget_file_is_reported_in_order():
    result = check(MOBILENET, "--budget", budget_file("many_errors.yaml"))
    assert result.exit_code == 2
    located = re.findall(r"^\S+:(\d+):(\d+): (E\d+) (.*)$", result.stderr, re.M)
    assert [(int(line), code) for line, _, code, _ in located] == [
        (3, "E501"), (4, "E504"), (5, "E502"), (7, "E505"), (8, "E502"), (9, "E501"), (10, "E502")]
    messages = result.stderr
    assert "did you mean 'macs'?" in messages and "did you mean 'level'?" in messages
    assert "did you mean 'conv2d'?" in messages and "did you mean 'budgets'?" in messages
    assert "max_increase applies to totals only" in messages
    assert "'layers' is a total, not a per-layer value" in messages
    assert "7 problems found" in messages


def test_missing_budget_file():
    result = check(MOBILENET, "--budget", DATA / "nope.yaml")
    assert result.exit_code == 2 and "E100 no such file" in result.stderr


def test_budget_error_codes_are_catalogued():
    assert {f"E50{i}" for i in range(10)} <= set(CODES)
    assert {"E100", "E101", "E406"} <= set(CODES)  # the earlier codes are kept


# --- the units parser ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("600M", 600_000_000), ("4.5M", 4_500_000), ("1.2G", 1_200_000_000), ("2T", 2 * 10**12), ("7k", 7000),
    ("0.5K", 500), ("568740352", 568_740_352), ("568,740,352", 568_740_352), ("1_000", 1000), ("4.5e6", 4_500_000),
    (" 3 M ", 3_000_000), (12, 12), (Fraction(9, 2) * 10**6, 4_500_000), ("0", 0),
    ("1.0000001G", 1_000_000_100),  # exact: a float would give 1000000099.99999...
])
def test_parse_count(text, value):
    assert parse_count(text) == value
    assert type(parse_count(text)) is int


@pytest.mark.parametrize("text, value", [
    ("12MB", 12_000_000), ("12MiB", 12 * 2**20), ("1.5KiB", 1536), ("2GiB", 2 * 2**30), ("1 kB", 1000),
    ("640", 640), ("640B", 640), ("0.5MiB", 2**19), ("1TB", 10**12),
])
def test_parse_bytes(text, value):
    assert parse_bytes(text) == value


@pytest.mark.parametrize("parse, text, code, fragment", [
    (parse_count, "-1M", "E504", "negative"),
    (parse_count, "4.5X", "E503", "unknown unit 'X'"),
    (parse_count, "12MB", "E503", "a count, not bytes"),
    (parse_count, "4.5", "E503", "not a whole number"),
    (parse_count, "1.2345678K", "E503", "not a whole number"),
    (parse_count, "12m", "E503", "did you mean 'M'?"),
    (parse_count, "abc", "E503", "is not a count"),
    (parse_count, True, "E503", "got True"),
    (parse_count, "5%", "E503", "only allowed for max_increase"),
    (parse_bytes, "12M", "E503", "write 12MB"),
    (parse_bytes, "12mb", "E503", "did you mean 'MB'?"),
    (parse_bytes, "-1KiB", "E504", "negative"),
    (parse_bytes, "0.3B", "E503", "not a whole number"),
])
def test_units_parser_errors(parse, text, code, fragment):
    with pytest.raises(SpecError) as info:
        parse(text)
    problem = info.value.problems[0]
    assert problem.code == code
    assert fragment in f"{problem.message} {problem.hint}"


def test_parse_limit_and_increase_follow_the_metric():
    assert parse_limit("peak_activation_bytes", "12MiB") == 12 * 2**20
    assert parse_limit("macs", "600M") == 600_000_000
    assert parse_increase("macs", "5%") == (Fraction(1, 20), True)
    assert parse_increase("macs", "0.5%") == (Fraction(1, 200), True)
    assert parse_increase("activation_bytes", "1MiB") == (2**20, False)
    with pytest.raises(SpecError):
        parse_increase("macs", "-5%")


@given(st.integers(0, 10**6), st.integers(0, 999), st.sampled_from([("K", 10**3), ("M", 10**6), ("G", 10**9)]))
def test_decimal_counts_are_exact(whole, thousandths, unit):
    suffix, scale = unit
    assert parse_count(f"{whole}.{thousandths:03d}{suffix}") == whole * scale + thousandths * scale // 1000


@given(st.sampled_from([("KiB", 2**10), ("MiB", 2**20), ("GiB", 2**30)])
       .flatmap(lambda unit: st.tuples(st.integers(0, MAX_WHOLE // unit[1]), st.just(unit))))
def test_binary_sizes_are_exact(n_and_unit):
    """Up to the bound of every number convcost reads, 10^18 (issue 11: limits are bounded)."""
    n, (suffix, scale) = n_and_unit
    assert parse_bytes(f"{n}{suffix}") == n * scale


# --- one language with the report ---------------------------------------------------------------

def test_metric_names_are_the_reports(mobilenet_spec):
    import convcost

    result = convcost.analyze(mobilenet_spec)
    assert TOTAL_METRICS == tuple(result.totals_dict())
    layer = result.to_dict()["layers"][0]
    assert LAYER_METRICS == tuple(k for k, v in layer.items() if isinstance(v, int) and not isinstance(v, bool))


@pytest.mark.parametrize("pattern, spec, expected", [
    ("mobilenet.yaml", "/repo/specs/mobilenet.yaml", True),  # no '/': the file name, any directory
    ("mobilenet*.yaml", "/elsewhere/mobilenet_conv.yaml", True),
    ("specs/mobilenet.yaml", "/repo/specs/mobilenet.yaml", True),  # relative to the budget file's directory
    ("specs/mobilenet.yaml", "/repo/other/specs/mobilenet.yaml", False),
    ("./specs/*.yaml", "/repo/specs/xception.yaml", True),
    ("specs/*.yaml", "/repo/specs/sub/xception.yaml", False),  # '*' stays within a segment
    ("specs/**/*.yaml", "/repo/specs/sub/deep/xception.yaml", True),
    ("specs/**/*.yaml", "/repo/specs/xception.yaml", True),
    ("../models/*.yaml", "/models/a.yaml", True),
    ("/repo/specs/*.yaml", "/repo/specs/a.yaml", True),
    ("spec[sx]/a.yaml", "/repo/specx/a.yaml", True),
    ("*.yml", "/repo/specs/a.yaml", False),
])
def test_path_patterns(pattern, spec, expected):
    assert matches(pattern, spec, "/repo") is expected


# --- a real process, and what it imports --------------------------------------------------------

def test_python_m_convcost_check_in_a_subprocess_without_numpy():
    command = [sys.executable, "-X", "importtime", "-m", "convcost", "check", "specs/mobilenet.yaml",
               "specs/xception.yaml", "--budget", "docs/examples/budgets.yaml", "--format", "json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(done.stdout)
    assert [r["spec"] for r in data["results"]] == ["specs/mobilenet.yaml", "specs/xception.yaml"]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "convcost.budgets" in imported
    assert not {m for m in imported if m.split(".")[0] in ("numpy", "rich")}
    failing = subprocess.run([sys.executable, "-m", "convcost", "check", "specs/mobilenet.yaml", "--max-macs", "1M",
                              "--format", "github"], cwd=ROOT, capture_output=True, text=True)
    assert failing.returncode == 1 and failing.stdout.startswith("::error file=specs/mobilenet.yaml,line=1,col=1,")


# --- the shipped CI pieces and docs -------------------------------------------------------------

def test_example_budget_file_passes_for_every_shipped_spec():
    specs = sorted(str(p) for p in (ROOT / "specs").glob("*.yaml"))
    result = check(*specs, "--budget", ROOT / "docs" / "examples" / "budgets.yaml", "-f", "json")
    assert result.exit_code == 0, result.output
    data = as_json(result)
    assert all(r["status"] == "ok" for r in data["results"]), [(r["spec"], r["status"]) for r in data["results"]]
    assert data["summary"]["budgets"] >= 2 * len(specs)


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "convcost-check")
    assert hook["entry"] == "convcost check" and hook["language"] == "python"
    assert re.search(hook["files"], "specs/mobilenet.yaml") and re.search(hook["files"], "net.yml")
    assert not re.search(hook["files"], "README.md")


def test_github_workflow_example():
    text = (ROOT / "docs" / "examples" / "github-workflow.yml").read_text()
    workflow = yaml.safe_load(text)
    steps = workflow["jobs"]["budgets"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "pip install" in runs
    assert "--format github" in runs
    assert re.search(r"--format markdown >> \"\$GITHUB_STEP_SUMMARY\"", runs)
    summary = next(step for step in steps if "GITHUB_STEP_SUMMARY" in step.get("run", ""))
    assert summary.get("if") == "always()"
    env = workflow["env"]
    assert (ROOT / env["BUDGETS"]).is_file()


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Budgets in CI")
    return text[start:text.index("\n## ", start + 1)]


def test_readme_section_commands_work_as_written(tmp_path):
    """From scratch, as a new user: the repository's specs/mobilenet.yaml, the section's budgets.yaml,
    then every `$ command` in order, with the exit code its comment states (0 when none)."""
    section = _readme_section()
    budgets = next(b for b in re.findall(r"```yaml\n(.*?)```", section, re.S) if b.startswith("# budgets.yaml"))
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mobilenet.yaml").write_text((ROOT / "specs" / "mobilenet.yaml").read_text())
    (tmp_path / "budgets.yaml").write_text(budgets)
    commands = [line[2:] for block in re.findall(r"```console\n(.*?)```", section, re.S)
                for line in block.splitlines() if line.startswith("$ ")]
    assert len(commands) >= 8
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    for command in commands:
        expected = re.search(r"#\s*exit code (\d)", command)
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == (int(expected.group(1)) if expected else 0), (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        words = shlex.split(command, comments=True)
        if "--format" in words and words[words.index("--format") + 1] == "junit":
            ET.parse(tmp_path / "convcost-budgets.xml")
    assert json.loads((tmp_path / "baseline.json").read_text())["totals"]["macs"] == 568_740_352


def test_docs_python_api_example(monkeypatch, capsys):
    text = (ROOT / "docs" / "budgets.md").read_text()
    block = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    monkeypatch.chdir(ROOT)  # the example's budgets.yaml is the shipped example file here
    block = block.replace('"budgets.yaml"', '"docs/examples/budgets.yaml"')
    namespace: dict = {}
    exec(compile(block, "docs/budgets.md", "exec"), namespace)  # the doc's own example code, nothing else
    run = namespace["run"]
    assert run.exit_code == 0 and run.results[0].name == "MobileNet v1"
    assert "ok macs <= 600M 568740352 600000000" in capsys.readouterr().out
