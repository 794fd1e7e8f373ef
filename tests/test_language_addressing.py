"""Issue 12, item 2.4: layers inside block instances addressed from outside by their full names
(``stage2/block1/conv1``) in ``inputs:``, in ``convcost explain`` and in per-layer budget globs
(docs/spec.md, "Blocks")."""

from __future__ import annotations

import json

import pytest

import convcost
from convcost.cli import app
from convcost.errors import SpecError

from cli_runner import runner

NESTED = """\
input: [16, 16, 8]
blocks:
  unit:
    layers:
      - {kind: conv2d, name: conv1, filters: 8, kernel: 3, padding: same}
      - {kind: relu, name: r}
  stage:
    layers:
      - {kind: unit, name: block1}
      - {kind: unit, name: block2}
      - {kind: add, name: sum, inputs: [block2, block1/conv1]}
layers:
  - {kind: stage, name: stage1}
  - {kind: stage, name: stage2}
  - {kind: concat, name: cat, inputs: [stage2, stage2/block1/conv1, stage1/block2, stage1/sum]}
budget:
  per_layer:
    - {select: "stage2/block1/*", macs: 100K}
"""


def test_inputs_read_layers_and_instances_inside_instances():
    nodes = {node.name: node for node in convcost.loads(NESTED).build().nodes}
    # inside a block: a layer of an instance of another block, by its name in the block
    assert nodes["stage1/sum"].inputs == ("stage1/block2/r", "stage1/block1/conv1")
    assert nodes["stage2/sum"].inputs == ("stage2/block2/r", "stage2/block1/conv1")  # (from the template)
    # at the top: a layer two instances deep, an instance inside an instance (its output), a layer
    assert nodes["cat"].inputs == ("stage2/sum", "stage2/block1/conv1", "stage1/block2/r", "stage1/sum")


def test_the_executor_agrees(tmp_path):
    path = tmp_path / "nested.yaml"
    path.write_text(NESTED.split("budget:")[0], encoding="utf-8")
    result = runner.invoke(app, ["verify", str(path)])
    assert result.exit_code == 0, result.output + result.stderr


@pytest.mark.parametrize("name, hint", [
    ("stage2/block3/conv1", "did you mean 'stage2/block2/conv1'?"),
    ("stage2/unknown_layer_x", "'stage2' has no layer 'unknown_layer_x' built above this one"),
    ("stage9/sum", "did you mean 'stage2/sum'?"),
    ("nothing/here", "no block instance 'nothing' is written above this layer"),
])
def test_an_unknown_inner_name_is_e400(name, hint):
    text = NESTED.replace("stage2/block1/conv1, stage1", f"{name}, stage1")
    with pytest.raises(SpecError) as caught:
        convcost.loads(text).build()
    (problem,) = caught.value.problems
    assert (problem.code, problem.location.line) == ("E400", 15) and hint in problem.hint


def test_an_inner_layer_written_below_cannot_be_read():
    text = NESTED.replace("stage1/sum]}", "stage1/sum]}\n  - {kind: relu, inputs: stage3/block1/r}\n"
                                          "  - {kind: stage, name: stage3}", 1)
    with pytest.raises(SpecError) as caught:
        convcost.loads(text.split("budget:")[0]).build()
    assert caught.value.problems[0].code == "E400"


def test_explain_takes_a_full_name(tmp_path):
    path = tmp_path / "nested.yaml"
    path.write_text(NESTED, encoding="utf-8")
    result = runner.invoke(app, ["explain", str(path), "stage2/block1/conv1"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("layer 'stage2/block1/conv1': conv2d 8 3×3 same")
    assert "input 16×16×8 (from 'stage1/sum')" in result.stdout


def test_a_per_layer_budget_glob_selects_inside_nested_instances(tmp_path):
    path = tmp_path / "nested.yaml"
    path.write_text(NESTED, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), "-f", "json"])
    assert result.exit_code == 1, result.output
    (finding,) = json.loads(result.stdout)["results"][0]["findings"]
    # 16·16·8 output positions × 3·3·8 = 147,456 MACs, over 100K; the relu has none
    assert finding["layer"] == "stage2/block1/conv1" and finding["value"] == 147_456


def test_the_doc_example_builds():
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "spec.md").read_text(encoding="utf-8")
    (example,) = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "stage2/block1/conv1" in b]
    nodes = convcost.loads(example).build().nodes
    assert nodes[-1].inputs == ("stage2/sum", "stage2/block1/conv1", "stage1/block2/r")
