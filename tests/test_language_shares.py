"""Shared weights (`shares:`): a layer that runs on an earlier layer's weights. Its operations are
its own, its parameters its owner's, counted once (docs/conventions.md, "Shared weights"); the
executor runs both on one set of arrays and allocates none for the second, and verify agrees."""

from __future__ import annotations

import json

import pytest

import convcost
from convcost.cli import app
from convcost.errors import SpecError
from tests.cli_runner import runner

SIAMESE = """
inputs: {left: [16, 16, 3], right: [16, 16, 3]}
layers:
  - {kind: conv2d, name: tower, inputs: left, filters: 8, kernel: 3, activation: relu}
  - {kind: conv2d, name: tower_2, inputs: right, filters: 8, kernel: 3, activation: relu, shares: tower}
  - {kind: add, name: joined, inputs: [tower, tower_2]}
  - {kind: global_average_pooling}
  - {kind: dense, units: 2}
"""


def test_a_shared_layer_counts_its_operations_and_none_of_the_parameters():
    result = convcost.analyze(convcost.loads(SIAMESE))
    tower, shared = result.layer("tower"), result.layer("tower_2")
    # 14·14 positions × 8 filters × 27 taps = 42,336 MACs each; the kernel 8·27 + 8 biases = 224, once
    assert tower.cost.macs == shared.cost.macs == 14 * 14 * 8 * 27
    assert (tower.cost.params, shared.cost.params) == (224, 0)
    assert result.totals.params == 224 + 8 * 2 + 2
    assert result.totals.macs == 2 * 42_336 + 8 * 2
    assert shared.description == "8 3×3 (weights of tower)"


def test_the_summary_of_a_sweep_agrees_with_the_report():
    from convcost.analysis import summarize

    graph = convcost.loads(SIAMESE).build()
    assert summarize(graph).totals == convcost.analyze(graph).totals


def test_json_names_the_owner_only_on_the_layer_that_shares(tmp_path):
    path = tmp_path / "siamese.yaml"
    path.write_text(SIAMESE)
    result = runner.invoke(app, ["report", str(path), "--format", "json"])
    layers = {layer["name"]: layer for layer in json.loads(result.stdout)["layers"]}
    assert layers["tower_2"]["shares"] == "tower" and layers["tower_2"]["params"] == 0
    assert "shares" not in layers["tower"]


def test_verify_measures_no_parameters_for_the_layer_that_shares(tmp_path):
    path = tmp_path / "siamese.yaml"
    path.write_text(SIAMESE)
    result = runner.invoke(app, ["verify", str(path), "--format", "json", "--quiet"])
    assert result.exit_code == 0, result.stdout
    layers = {layer["name"]: layer for layer in json.loads(result.stdout)["layers"]}
    assert layers["tower_2"]["agree"] and layers["tower_2"]["values"]["weights"] == 0
    assert layers["tower_2"]["values"]["macs"] == 42_336 and layers["tower"]["values"]["weights"] == 216


def test_the_executor_runs_both_on_the_same_arrays():
    from convcost.reference import ReferenceNetwork

    net = ReferenceNetwork(convcost.loads(SIAMESE).build(), seed=3)
    x = net.inputs["left"]
    run = net.forward({"left": x, "right": x}, keep=True)
    assert (run.outputs["tower_relu"] == run.outputs["tower_2_relu"]).all()  # one input, one set of weights
    assert "tower_2" not in net.parameters
    assert set(net.param_counts["tower_2"].values()) == {0}


@pytest.mark.parametrize("line, message", [
    ("{kind: conv2d, name: b, filters: 8, kernel: 3, inputs: right, shares: nowhere}",
     "E400 shares: no earlier layer is named 'nowhere'"),
    ("{kind: conv2d, name: b, filters: 8, kernel: 3, inputs: right, shares: [tower]}",
     "E204 shares must name one earlier layer"),
    ("{kind: conv2d, name: b, filters: 8, kernel: 3, inputs: right, shares: tower_relu}",
     "E430 conv2d 'b' shares the weights of 'tower_relu', which is a relu"),
    ("{kind: conv2d, name: b, filters: 8, kernel: 3, bias: false, inputs: right, shares: tower}",
     "which has other fields: bias True here False"),
    ("{kind: conv2d, name: b, filters: 8, kernel: 3, inputs: tower, shares: tower}",
     "but reads 14×14×8 where 'tower' reads 16×16×3"),
    ("{kind: conv2d, name: b, filters: 8, kernel: 3, inputs: right, shares: tower_2}",
     "which shares those of 'tower': name the owner, 'tower'"),
])
def test_a_share_that_cannot_hold_is_a_located_error(line, message):
    text = SIAMESE.replace("  - {kind: add", f"  - {line}\n  - {{kind: add")
    with pytest.raises(SpecError) as error:
        convcost.analyze(convcost.loads(text, "siamese.yaml"))
    assert message in str(error.value)
    assert "siamese.yaml:6:" in str(error.value)


def test_a_block_cannot_share():
    text = """
input: [8, 8, 3]
blocks:
  unit: {layers: [{kind: conv2d, filters: 3, kernel: 1}]}
layers:
  - {kind: unit, name: a}
  - {kind: unit, name: b, shares: a}
"""
    with pytest.raises(SpecError, match="E204 shares: a block instance"):
        convcost.loads(text).build()
