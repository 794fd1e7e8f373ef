"""Model size: `weight_bytes` per layer and in total at `--weight-dtype` (docs/conventions.md,
"Weight bytes"), in the report, compare, sweep and check, and as a budget metric.

MobileNet 1.0-224 has 4,253,864 parameters, Keras' "Total params" of
`keras.applications.MobileNet()` (docs/conventions.md; tests/test_published_figures.py): at
float32, 4 bytes each, 17,015,456 bytes.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

import convcost
from convcost.analysis import WEIGHT_BITS, summarize, weight_bytes
from convcost.cli import app

from cli_runner import runner

MOBILENET_PARAMS = 4_253_864  # Keras "Total params"

# Two layers of odd parameter counts: dense 2 -> 1 with a bias (3) and dense 1 -> 1 without (1).
ODD = """name: odd
input: [2]
layers:
  - {kind: dense, name: a, units: 1}
  - {kind: dense, name: b, units: 1, bias: false}
"""


def run(*args, input=None):
    result = runner.invoke(app, list(args), input=input)
    return result


def run_json(*args, input=None) -> dict:
    result = run(*args, input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- the rule -----------------------------------------------------------------------------------

def test_the_rule_rounds_each_layer_up_to_a_whole_byte():
    # the docstring's worked examples: MobileNet's conv1 (864 weights) and classifier (1,025,000)
    assert weight_bytes(864, 32) == 3_456
    assert weight_bytes(864, 4) == 432
    assert weight_bytes(1_025_000, 4) == 512_500
    assert weight_bytes(12, 4) == 6  # a batch-norm on 3 channels
    assert weight_bytes(1_001, 4) == 501  # the odd half byte rounded up
    assert weight_bytes(0, 4) == 0
    assert WEIGHT_BITS == {"float32": 32, "float16": 16, "bfloat16": 16, "int8": 8, "int4": 4}


@pytest.mark.parametrize("weight_dtype, expected", [
    ("float32", 17_015_456),  # 4,253,864 × 4
    ("float16", 8_507_728), ("bfloat16", 8_507_728),  # × 2
    ("int8", 4_253_864),  # × 1
    ("int4", 2_126_932),  # × 1/2: every MobileNet layer has an even number of parameters
])
def test_mobilenet_weight_bytes(weight_dtype, expected):
    analysis = convcost.analyze("mobilenet", weight_dtype=weight_dtype)
    assert analysis.totals.params == MOBILENET_PARAMS
    assert analysis.weight_bytes == analysis.totals_dict()["weight_bytes"] == expected
    assert sum(r.weight_bytes(weight_dtype) for r in analysis.layers) == expected


def test_the_total_is_the_sum_of_the_layers_not_one_rounding_of_the_sum():
    analysis = convcost.analyze(convcost.loads(ODD), weight_dtype="int4")
    assert [r.params for r in analysis.layers] == [3, 1]
    assert [r.weight_bytes("int4") for r in analysis.layers] == [2, 1]
    assert analysis.weight_bytes == 3  # not ceil(4 · 4 / 8) = 2
    assert convcost.analyze(convcost.loads(ODD), weight_dtype="int8").weight_bytes == 4


def test_every_parameter_group_counts():
    # weights, biases and batch-norm's four: Cost.params, whatever groups it holds
    analysis = convcost.analyze("mobilenet")
    for record in analysis.layers:
        assert record.weight_bytes("float32") == 4 * record.cost.params
        assert record.weight_bytes("int8") == record.cost.params
    bn = next(r for r in analysis.layers if r.kind == "batch_norm")
    assert bn.weight_bytes("float32") == 4 * (bn.cost.bn_trainable + bn.cost.bn_non_trainable) > 0


def test_weight_bytes_do_not_depend_on_batch_or_activation_dtype():
    base = convcost.analyze("mobilenet").weight_bytes
    assert convcost.analyze("mobilenet", batch=8, dtype="float16").weight_bytes == base


@pytest.mark.parametrize("weight_dtype", list(WEIGHT_BITS))
@pytest.mark.parametrize("text", [ODD, None])
def test_summarize_gives_the_same_total_as_analyze(weight_dtype, text):
    graph = convcost.loads(text).build() if text else convcost.load("mobilenet").build()
    expected = convcost.analyze(graph, weight_dtype=weight_dtype).totals_dict()
    memo: dict = {}
    for _ in range(2):  # the second time from the memo
        summary = summarize(graph, weight_dtype=weight_dtype, memo=memo)
        assert summary.totals_dict() == expected
    assert summarize(graph, batch=3).weight_bytes == convcost.analyze(graph).weight_bytes


def test_an_unknown_weight_dtype_is_refused():
    with pytest.raises(ValueError, match="weight_dtype"):
        convcost.analyze("mobilenet", weight_dtype="int2")
    result = run("report", "mobilenet", "--weight-dtype", "int2")
    assert result.exit_code == 2
    assert "--weight-dtype" in result.output and "int4" in result.output


# --- outputs ------------------------------------------------------------------------------------

def test_report_json_has_the_weight_dtype_and_bytes_per_layer_and_in_total():
    data = run_json("report", "mobilenet", "--format", "json", "--weight-dtype", "int4")
    assert data["dtype"] == "float32" and data["weight_dtype"] == "int4"
    assert list(data)[list(data).index("dtype") + 1] == "weight_dtype"
    assert data["totals"]["weight_bytes"] == 2_126_932
    assert sum(layer["weight_bytes"] for layer in data["layers"]) == 2_126_932
    conv1 = data["layers"][0]
    assert conv1["name"] == "conv1" and conv1["weight_bytes"] == 432
    default = run_json("report", "mobilenet", "--format", "json")
    assert default["weight_dtype"] == "float32" and default["totals"]["weight_bytes"] == 17_015_456


def test_report_table_markdown_and_csv_show_the_bytes():
    table = run("report", "mobilenet", "--weight-dtype", "int8").stdout
    assert "parameter memory" in table and "4,253,864 bytes, int8" in table
    markdown = run("report", "mobilenet", "--format", "markdown").stdout
    assert "| parameter memory | 16.23 MiB (17,015,456 bytes, float32) |" in markdown
    rows = list(csv.DictReader(io.StringIO(run("report", "-", "--format", "csv", "--weight-dtype", "int4",
                                               input=ODD).stdout)))
    assert [row["weight_bytes"] for row in rows] == ["2", "1"]


def test_compare_shows_weight_bytes_at_the_weight_dtype():
    data = run_json("compare", "mobilenet", "--set-b", "alpha=0.5", "--format", "json", "--weight-dtype", "float16")
    assert data["weight_dtype"] == "float16"
    row = next(t for t in data["totals"] if t["key"] == "weight_bytes")
    assert row["a"] == 2 * MOBILENET_PARAMS and row["b"] == 2 * data["b"]["totals"]["params"]
    assert "weight bytes" in run("compare", "mobilenet", "--set-b", "alpha=0.5").stdout


def test_sweep_column_and_json():
    data = run_json("sweep", "mobilenet", "--set", "alpha=1,0.5", "--columns", "macs,weight_bytes",
                    "--weight-dtype", "int8", "--format", "json")
    assert data["weight_dtype"] == "int8"
    assert [row["totals"]["weight_bytes"] for row in data["rows"]] == [MOBILENET_PARAMS, 1_342_536]
    assert [row["totals"]["params"] for row in data["rows"]] == [MOBILENET_PARAMS, 1_342_536]
    forked = run_json("sweep", "-", "--set", "p=1:300", "--columns", "weight_bytes", "--weight-dtype", "int4",
                      "--jobs", "2", "--format", "json",
                      input="parameters: {p: 1}\ninput: [2]\nlayers:\n  - {kind: dense, units: p}\n")
    assert [row["totals"]["weight_bytes"] for row in forked["rows"]] == [(3 * p + 1) // 2 for p in range(1, 301)]


# --- budgets ------------------------------------------------------------------------------------

def test_max_weight_bytes_on_the_command_line(tmp_path):
    assert run("check", "mobilenet", "--max", "weight_bytes=4MB").exit_code == 1  # 17,015,456 B
    assert run("check", "mobilenet", "--max", "weight_bytes=4MB", "--weight-dtype", "int8").exit_code == 1
    assert run("check", "mobilenet", "--max", "weight_bytes=4MB", "--weight-dtype", "int4").exit_code == 0
    data = json.loads(run("check", "mobilenet", "--max", "weight_bytes=17MB", "--format", "json").stdout)
    finding = data["results"][0]["findings"][0]
    assert finding["value"] == 17_015_456 and finding["limit"] == 17_000_000


def test_weight_bytes_in_a_budget_file_and_a_spec_section(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text(ODD + "budget:\n  weight_bytes: 3B\n")
    assert run("check", str(spec), "--weight-dtype", "int4").exit_code == 0  # 2 + 1 bytes
    assert run("check", str(spec), "--weight-dtype", "int8").exit_code == 1  # 3 + 1 bytes
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text("budgets:\n  - path: net.yaml\n    weight_bytes: {max: 16B, level: warn}\n"
                       "    per_layer:\n      - {select: a, weight_bytes: 12B}\n")
    spec.write_text(ODD)
    assert run("check", str(spec), "--budget", str(budgets)).exit_code == 0  # 16 B; layer a 12 B
    budgets.write_text("budgets:\n  - path: net.yaml\n    per_layer:\n      - {weight_bytes: 11B}\n")
    result = run("check", str(spec), "--budget", str(budgets), "--format", "json")
    assert result.exit_code == 1
    finding = json.loads(result.stdout)["results"][0]["findings"][0]
    assert finding["value"] == 12 and finding["layer"] == "a"


def test_a_4mb_model_size_budget_in_mobilenets_own_section(tmp_path):
    from pathlib import Path

    spec = tmp_path / "mobilenet.yaml"
    spec.write_text((Path(__file__).parent.parent / "specs" / "mobilenet.yaml").read_text()
                    + "budget:\n  weight_bytes: 4MB\n")
    assert run("check", str(spec)).exit_code == 1  # 17,015,456 B at float32
    assert run("check", str(spec), "--weight-dtype", "int8").exit_code == 1  # 4,253,864 B
    assert run("check", str(spec), "--weight-dtype", "int4").exit_code == 0  # 2,126,932 B
