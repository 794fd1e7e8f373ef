"""`convcost compare` (issue #5): two specs, or one spec with two parameter sets, side by side.

Howard et al. 2017, Table 4 ("Depthwise Separable vs Full Convolution MobileNet"): Conv MobileNet
4866 million mult-adds and 29.3 million parameters, MobileNet 569 and 4.2. The parameters are conv/FC
weights only (convcost's `weights`). Conv MobileNet's exact count, derived below from the paper's
Table 1 with each separable pair replaced by a full 3×3 convolution, is 4,867.29M: the paper prints
4866 (docs/sweep.md, "Exceptions").
"""

from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from pathlib import Path

import pytest

import convcost
from convcost.cli import app
from convcost.compare import compare

from cli_runner import runner

ROOT = Path(__file__).resolve().parent.parent
MOBILENET = str(ROOT / "specs" / "mobilenet.yaml")
CONV_MOBILENET = str(ROOT / "specs" / "mobilenet_conv.yaml")

# Howard et al. 2017, Table 1: after the 3×3 stride-2 stem (32 channels), the 13 separable layers as
# (pointwise filters, depthwise stride).
TABLE_1 = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


def table_1_counts(full: bool) -> tuple[int, int]:
    """(mult-adds, conv/FC weights) of MobileNet 1.0-224 from Table 1 by hand: 'same' padding, so each
    stride-s layer maps n to ceil(n/s). full=True replaces each separable pair by a full 3×3 conv."""
    size, channels = 112, 32
    macs, weights = size * size * 32 * 3 * 3 * 3, 3 * 3 * 3 * 32
    for filters, stride in TABLE_1:
        size = -(-size // stride)
        if full:
            macs += size * size * filters * 3 * 3 * channels
            weights += 3 * 3 * channels * filters
        else:
            macs += size * size * channels * 3 * 3 + size * size * channels * filters
            weights += 3 * 3 * channels + channels * filters
        channels = filters
    return macs + 1024 * 1000, weights + 1024 * 1000


def paper_round(n: int, digits: int = 0) -> float:
    scale = Fraction(10) ** digits
    return float(int(Fraction(n, 10**6) * scale + Fraction(1, 2)) / scale)


def compare_json(*args: str) -> dict:
    result = runner.invoke(app, ["compare", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_table_4_conv_mobilenet_against_mobilenet():
    # Howard et al. 2017, Table 4.
    data = compare_json(CONV_MOBILENET, MOBILENET)
    conv, separable = data["a"]["totals"], data["b"]["totals"]
    assert (conv["macs"], conv["weights"]) == table_1_counts(full=True)
    assert (separable["macs"], separable["weights"]) == table_1_counts(full=False)
    assert paper_round(separable["macs"]) == 569 and paper_round(separable["weights"], 1) == 4.2
    assert paper_round(conv["weights"], 1) == 29.3
    # Exception: 4,867.29M exactly against the printed 4866 (0.03% apart).
    assert paper_round(conv["macs"]) == 4867
    assert abs(conv["macs"] / 1e6 - 4866) / 4866 < 0.0005
    totals = {t["key"]: t for t in data["totals"]}
    assert totals["macs"]["a"] == conv["macs"] and totals["macs"]["b"] == separable["macs"]
    assert totals["macs"]["difference"] == separable["macs"] - conv["macs"]
    assert totals["macs"]["ratio"] == separable["macs"] / conv["macs"]
    assert totals["weights"]["ratio"] == separable["weights"] / conv["weights"]


def test_table_4_in_the_terminal_table():
    result = runner.invoke(app, ["compare", CONV_MOBILENET, MOBILENET])
    assert result.exit_code == 0, result.output
    out = result.stdout
    conv_macs, conv_weights = table_1_counts(full=True)
    macs, weights = table_1_counts(full=False)
    macs_line = next(line for line in out.splitlines() if line.lstrip().startswith("MACs"))
    assert f"{conv_macs:,}" in macs_line and f"{macs:,}" in macs_line
    assert f"{macs - conv_macs:+,}" in macs_line
    assert f"{macs / conv_macs:.4g}×" in macs_line
    weights_line = next(line for line in out.splitlines() if line.lstrip().startswith("weights"))
    assert f"{conv_weights:,}" in weights_line and f"{weights:,}" in weights_line


def test_layers_are_matched_by_name():
    data = compare_json(CONV_MOBILENET, MOBILENET, "--all")
    status = {layer["name"]: layer["status"] for layer in data["layers"]}
    assert status["conv1"] == status["fc"] == status["predictions"] == "same"
    assert status["c2/conv"] == "removed" and status["ds2/dw"] == "added" and status["ds14/pw_relu"] == "added"
    # avg_pool exists in both but reads a different layer
    avg = next(layer for layer in data["layers"] if layer["name"] == "avg_pool")
    assert avg["status"] == "changed" and avg["changes"] == ["reads c14/relu -> ds14/pw_relu"]
    # 13 blocks: 3 layers each in Conv MobileNet, 6 in MobileNet
    assert data["layer_counts"] == {"same": 5, "changed": 1, "removed": 39, "added": 78}
    # diff order: the removed run, then the added run, between the matched layers
    names = [layer["name"] for layer in data["layers"]]
    assert names.index("conv1_relu") < names.index("c2/conv") < names.index("c14/relu") < names.index("ds2/dw") \
        < names.index("ds14/pw_relu") < names.index("avg_pool")
    without_same = compare_json(CONV_MOBILENET, MOBILENET)
    assert all(layer["status"] != "same" for layer in without_same["layers"])
    assert len(without_same["layers"]) == 1 + 39 + 78


def test_one_spec_with_two_parameter_sets():
    data = compare_json(MOBILENET, "--set-b", "alpha=0.5")
    assert data["a"]["label"] == "MobileNet v1" and data["b"]["label"] == "MobileNet v1 (alpha=0.5)"
    conv1 = next(layer for layer in data["layers"] if layer["name"] == "conv1")
    assert conv1["status"] == "changed"
    # stem at alpha 0.5: round(32·0.5) = 16 filters; 112·112·16·3·3·3 MACs
    assert "output 112×112×32 -> 112×112×16" in conv1["changes"]
    assert f"macs {112 * 112 * 32 * 27:,} -> {112 * 112 * 16 * 27:,}" in conv1["changes"]
    assert data["layer_counts"]["removed"] == data["layer_counts"]["added"] == 0


def test_shared_and_separate_sets():
    data = compare_json(MOBILENET, "--set", "rho=0.571", "--set-a", "alpha=1", "--set-b", "alpha=0.25")
    assert data["a"]["input_shape"] == data["b"]["input_shape"] == [128, 128, 3]
    assert data["a"]["parameters"]["alpha"] == 1 and data["b"]["parameters"]["alpha"] == 0.25


def test_identical_sides():
    result = runner.invoke(app, ["compare", MOBILENET, MOBILENET])
    assert result.exit_code == 0
    assert "Every layer is the same." in result.stdout
    assert "84 same, 0 changed, 0 removed, 0 added" in result.stdout


@pytest.mark.parametrize("args", [[MOBILENET], [MOBILENET, "--set", "alpha=0.5"]])
def test_one_spec_without_a_second_parameter_set_is_a_usage_error(args):
    """Without B, --set-a or --set-b, A would be compared with itself."""
    result = runner.invoke(app, ["compare", *args])
    assert result.exit_code == 2 and result.stdout == ""
    assert "compared with itself" in result.stderr
    assert "hint: give a second spec B, or --set-b alpha=VALUE" in result.stderr
    assert "parameters of MobileNet v1: alpha, rho, resolution, classes" in result.stderr
    assert "Traceback" not in result.output


def test_csv_and_markdown():
    result = runner.invoke(app, ["compare", CONV_MOBILENET, MOBILENET, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    macs = next(r for r in rows if r["section"] == "total" and r["metric"] == "macs")
    assert int(macs["a"]) - int(macs["b"]) == table_1_counts(True)[0] - table_1_counts(False)[0]
    removed = [r for r in rows if r["name"] == "c2/conv" and r["metric"] == "macs"]
    assert removed[0]["status"] == "removed" and removed[0]["b"] == ""
    assert int(removed[0]["a"]) == 112 * 112 * 64 * 9 * 32
    result = runner.invoke(app, ["compare", CONV_MOBILENET, MOBILENET, "--format", "markdown"])
    assert result.stdout.startswith("## Conv MobileNet vs MobileNet v1")
    assert "| MACs (mult-adds) | 4,867,293,184 | 568,740,352 |" in result.stdout
    assert "- `avg_pool`: reads c14/relu -> ds14/pw_relu" in result.stdout


def test_api():
    spec = convcost.load(MOBILENET)
    a, b = convcost.analyze(spec), convcost.analyze(spec, {"alpha": "0.75"})
    result = compare(a, b, "1.0", "0.75")
    assert result.total("macs").ratio == Fraction(b.totals.macs, a.totals.macs)
    assert result.counts() == {"same": 1, "changed": 83, "removed": 0, "added": 0}  # only the softmax is unchanged


@pytest.mark.parametrize("args, message", [
    ([MOBILENET, "--set", "alpha=1", "--set-b", "alpha=0.5"], "both given"),
    ([MOBILENET, "--set-b", "alph=0.5"], "did you mean 'alpha'"),
    ([MOBILENET, str(ROOT / "nope.yaml")], "no such file"),
])
def test_errors_exit_2(args, message):
    result = runner.invoke(app, ["compare", *args])
    assert result.exit_code == 2
    assert message in result.stderr
