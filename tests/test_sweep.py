"""`convcost sweep` (issue #5): parameter grids over a spec, the MobileNet paper's Tables 6 and 7.

Sources: Howard et al. 2017, "MobileNets", Table 6 (width multiplier: 1.0, 0.75, 0.5, 0.25 at 224:
569, 325, 149, 41 million mult-adds; 4.2, 2.6, 1.3, 0.5 million parameters), Table 7 (resolution
224, 192, 160, 128 at alpha 1, rho = 1, 0.857, 0.714, 0.571: 569, 418, 290, 186 million mult-adds,
4.2 million parameters) and Table 9 (0.50 MobileNet-160: 76 million, 1.32 million). The paper's
"Million Parameters" are conv/FC weights only: convcost's `weights` total. Its reduced-resolution
mult-adds scale the 224 count by rho² (the FC layer too), so 1.0-160 prints 290 where the exact
count is 290.68M, and 0.5-160 prints 76 where it is 76.52M (docs/sweep.md, "Exceptions").
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import convcost
from convcost.analysis import analyze, summarize
from convcost.cli import app
from convcost.errors import SpecError
from convcost.sweep import configurations, format_value, pareto_front, parse_axis, sweep

from cli_runner import runner

ROOT = Path(__file__).resolve().parent.parent
MOBILENET = str(ROOT / "specs" / "mobilenet.yaml")

TABLE_6 = {  # alpha: (million mult-adds, million parameters), Howard et al. 2017, Table 6
    "1": (569, 4.2), "0.75": (325, 2.6), "0.5": (149, 1.3), "0.25": (41, 0.5)}
TABLE_7 = {  # rho: (input resolution, million mult-adds, million parameters), Howard et al. 2017, Table 7
    "1": (224, 569, 4.2), "0.857": (192, 418, 4.2), "0.714": (160, 290, 4.2), "0.571": (128, 186, 4.2)}
TABLE_7_EXCEPTIONS = {"0.714"}  # exact count rounds to 291 (docs/sweep.md)


def paper_round(n: int, digits: int = 0) -> float:
    """Millions, rounded half up to ``digits`` decimals as the paper prints them."""
    scale = Fraction(10) ** digits
    return float(int(Fraction(n, 10**6) * scale + Fraction(1, 2)) / scale)


def run_json(*args: str) -> dict:
    result = runner.invoke(app, ["sweep", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- the paper's tables ---------------------------------------------------------------------------

def test_table_6_width_multiplier_through_the_cli():
    # Howard et al. 2017, Table 6: MobileNet width multiplier at 224.
    data = run_json(MOBILENET, "--set", "alpha=1,0.75,0.5,0.25")
    assert [row["config"]["alpha"] for row in data["rows"]] == [1, 0.75, 0.5, 0.25]
    for row, (alpha, (macs, params)) in zip(data["rows"], TABLE_6.items()):
        assert row["input_shape"] == [224, 224, 3]
        assert paper_round(row["totals"]["macs"]) == macs, alpha
        assert paper_round(row["totals"]["weights"], 1) == params, alpha
    # GUIDE.md section 4: the exact 1.0-224 counts and Keras' trainable parameters.
    assert data["rows"][0]["totals"]["macs"] == 568_740_352
    assert data["rows"][0]["totals"]["trainable_params"] == 4_231_976


def test_table_7_resolution_multiplier_through_the_cli():
    # Howard et al. 2017, Table 7: MobileNet resolution at alpha 1.
    data = run_json(MOBILENET, "--set", "rho=1,0.857,0.714,0.571")
    base = data["rows"][0]["totals"]["macs"]
    for row, (rho, (size, macs, params)) in zip(data["rows"], TABLE_7.items()):
        assert row["input_shape"] == [size, size, 3], rho  # round(224·rho) with rho exact
        assert paper_round(row["totals"]["weights"], 1) == params, rho
        # The paper's own rule: the 224 count scaled by (size/224)², rounded.
        assert paper_round(base * Fraction(size, 224) ** 2) == macs, rho
        if rho in TABLE_7_EXCEPTIONS:  # exact 290.68M: printed 290, within 0.3%
            assert paper_round(row["totals"]["macs"]) == macs + 1
            assert abs(row["totals"]["macs"] / 1e6 - macs) / macs < 0.003
        else:
            assert paper_round(row["totals"]["macs"]) == macs, rho


def test_tables_6_and_7_through_the_api(mobilenet_spec):
    # Howard et al. 2017, Tables 6 and 7, with the Python API: one sweep, two axes, cartesian.
    result = sweep(mobilenet_spec, [parse_axis("alpha", "1,0.75,0.5,0.25"), parse_axis("rho", "1,0.857,0.714,0.571")])
    assert len(result.rows) == 16
    by_config = {(format_value(r.config["alpha"]), format_value(r.config["rho"])): r for r in result.rows}
    for alpha, (macs, params) in TABLE_6.items():
        row = by_config[(alpha, "1")]
        assert paper_round(row.totals["macs"]) == macs
        assert paper_round(row.totals["weights"], 1) == params
    for rho, (size, macs, _params) in TABLE_7.items():
        row = by_config[("1", rho)]
        assert row.input_shape == (size, size, 3)
        assert paper_round(row.totals["macs"]) == macs + (1 if rho in TABLE_7_EXCEPTIONS else 0)
    # Ratios are exact and against the first row.
    quarter = by_config[("0.25", "1")]
    assert result.ratio(quarter, "macs") == Fraction(quarter.totals["macs"], result.rows[0].totals["macs"])


def test_table_9_half_width_at_160_with_zip():
    # Howard et al. 2017, Table 9: 0.50 MobileNet-160, 76 million mult-adds (the rho² rule: exact is
    # 76.52M, docs/sweep.md) and 1.32 million parameters. --zip pairs alpha with rho.
    data = run_json(MOBILENET, "--set", "alpha=1,0.5", "--set", "rho=1,0.714", "--zip")
    assert [r["label"] for r in data["rows"]] == ["alpha=1, rho=1", "alpha=0.5, rho=0.714"]
    half = data["rows"][1]["totals"]
    half_224 = convcost.analyze(convcost.load(MOBILENET), {"alpha": "0.5"}).totals.macs
    assert paper_round(half_224 * Fraction(160, 224) ** 2) == 76
    assert paper_round(half["macs"]) == 77
    assert paper_round(half["weights"], 2) == 1.32


# --- grids ----------------------------------------------------------------------------------------

def test_ranges_are_exact_and_include_the_stop():
    assert parse_axis("alpha", "0.25:1.0:0.25").values == (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1)
    assert parse_axis("alpha", "1:0.25:-0.25").values == (1, Fraction(3, 4), Fraction(1, 2), Fraction(1, 4))
    assert parse_axis("x", "0.1:1:0.3").values == (Fraction(1, 10), Fraction(2, 5), Fraction(7, 10), 1)
    assert parse_axis("r", "128:224:32").values == (128, 160, 192, 224)
    assert parse_axis("r", "1:3").values == (1, 2, 3)
    assert parse_axis("a", "0.3:0.35:0.1").values == (Fraction(3, 10),)
    # lists, ranges and expressions mix; commas inside a function call do not split
    assert parse_axis("a", "1, 0.5:0.75:0.25, max(1, 2)").values == (1, Fraction(1, 2), Fraction(3, 4), "max(1, 2)")


@pytest.mark.parametrize("text, message", [
    ("0.25:1:0", "step of a range cannot be 0"),
    ("1:0.25:0.25", "holds no values"),
    ("a:b", "must be numbers"),
    ("1:2:3:4", "START:STOP"),
    ("1,,2", "empty value"),
    ("1 +", "--set alpha=1 +: "),
])
def test_bad_values_are_located_errors(text, message):
    with pytest.raises(SpecError) as caught:
        parse_axis("alpha", text)
    assert caught.value.problems[0].code == "E304"
    assert message in str(caught.value)
    assert "--set alpha=" in str(caught.value)


def test_range_through_the_cli_equals_the_list():
    listed = run_json(MOBILENET, "--set", "alpha=0.25,0.5,0.75,1")
    ranged = run_json(MOBILENET, "--set", "alpha=0.25:1.0:0.25")
    assert [r["totals"] for r in ranged["rows"]] == [r["totals"] for r in listed["rows"]]
    assert ranged["axes"] == {"alpha": [0.25, 0.5, 0.75, 1]}


def test_cartesian_order_first_axis_slowest_and_zip():
    a, b = parse_axis("alpha", "1,0.5"), parse_axis("rho", "1,0.714,0.571")
    grid = configurations([a, b])
    assert [(format_value(c["alpha"]), format_value(c["rho"])) for c in grid] == [
        ("1", "1"), ("1", "0.714"), ("1", "0.571"), ("0.5", "1"), ("0.5", "0.714"), ("0.5", "0.571")]
    zipped = configurations([parse_axis("alpha", "1,0.5,0.25"), parse_axis("rho", "1,0.714,0.571"),
                             parse_axis("classes", "10")], "zip")
    assert [(format_value(c["alpha"]), format_value(c["rho"]), c["classes"]) for c in zipped] == [
        ("1", "1", 10), ("0.5", "0.714", 10), ("0.25", "0.571", 10)]
    with pytest.raises(SpecError, match="same number of values"):
        configurations([a, b], "zip")


def test_zip_with_unequal_lengths_exits_2():
    result = runner.invoke(app, ["sweep", MOBILENET, "--set", "alpha=1,0.5", "--set", "rho=1,0.8,0.7", "--zip"])
    assert result.exit_code == 2
    assert "alpha has 2, rho has 3" in result.stderr


def test_each_configuration_is_built_and_analysed_once_and_the_file_read_once(monkeypatch):
    import convcost.language.loader as loader
    import convcost.sweep as core

    reads, builds, summaries = [], [], []
    real_read, real_build, real_summarize = loader.read_text, loader.Spec.build, core.summarize
    monkeypatch.setattr(loader, "read_text", lambda path: reads.append(path) or real_read(path))
    monkeypatch.setattr(loader.Spec, "build", lambda self, o=None: builds.append(dict(o)) or real_build(self, o))
    monkeypatch.setattr(core, "summarize", lambda g, **k: summaries.append(g) or real_summarize(g, **k))
    result = runner.invoke(app, ["sweep", MOBILENET, "--set", "alpha=1,0.75,0.5", "--set", "rho=1,0.714",
                                 "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert len(reads) == 1
    assert len(builds) == len(summaries) == 6
    assert len(result.stdout.strip().splitlines()) == 1 + 6


def test_summary_equals_the_full_analysis():
    # The sweep's totals-only path (analysis.summarize, with a memo shared between configurations)
    # must agree with analyze() on every total, for several networks, batch sizes and dtypes.
    memo: dict = {}
    cases = [("mobilenet", {"alpha": a, "rho": r}) for a in ("1", "0.5", "0.25") for r in ("1", "0.571")]
    cases += [("xception", {}), ("xception", {"size": 71}), ("mobilenet_conv", {"alpha": "0.75"}),
              ("mobilenet_shallow", {})]
    for name, overrides in cases:
        graph = convcost.load(name).build(overrides)
        for batch, dtype in ((1, "float32"), (3, "float16")):
            full = analyze(graph, batch=batch, dtype=dtype)
            fast = summarize(graph, batch=batch, dtype=dtype, memo=memo)
            assert fast.totals_dict() == full.totals_dict(), (name, overrides, batch)
            assert fast.totals == full.totals


def test_summary_reports_shape_errors_like_analyze():
    graph = convcost.loads("input: [5, 5, 3]\nlayers:\n  - {kind: conv2d, filters: 4, kernel: 7}\n").build()
    with pytest.raises(SpecError) as full:
        analyze(graph)
    with pytest.raises(SpecError) as fast:
        summarize(graph)
    assert [str(p) for p in fast.value.problems] == [str(p) for p in full.value.problems]


def test_a_failing_configuration_is_named(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("parameters: {size: 8}\ninput: [size, size, 3]\nlayers:\n"
                    "  - {kind: conv2d, filters: 4, kernel: 5}\n")
    result = runner.invoke(app, ["sweep", str(spec), "--set", "size=8,4"])
    assert result.exit_code == 2
    assert "configuration 2 (size=4)" in result.stderr
    assert f"{spec}:4:40: E403" in result.stderr  # at the kernel field


@pytest.mark.parametrize("args, message", [
    (["--set", "alph=1,0.5"], "did you mean 'alpha'"),
    (["--set", "alpha=1", "--columns", "macs,flop"], "unknown column 'flop'"),
    (["--set", "alpha=1,0.5", "--baseline", "3"], "--baseline 3: there is no such row"),
    (["--set", "alpha=0:1:0"], "cannot be 0"),
])
def test_usage_errors_exit_2(args, message):
    result = runner.invoke(app, ["sweep", MOBILENET, *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_sweep_without_set_is_a_usage_error(tmp_path):
    """No --set would be a grid over no parameters: one row, the spec as it is."""
    result = runner.invoke(app, ["sweep", MOBILENET, "--format", "json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "sweep needs at least one --set" in result.stderr
    assert "hint: e.g. --set alpha=V1,V2,... (parameters of MobileNet v1: alpha, rho, resolution, classes)" \
        in result.stderr
    plain = tmp_path / "plain.yaml"
    plain.write_text("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 4, kernel: 3}\n")
    no_parameters = runner.invoke(app, ["sweep", str(plain)])
    assert no_parameters.exit_code == 2 and "declares no parameters" in no_parameters.stderr


# --- formats --------------------------------------------------------------------------------------

def test_csv_has_values_ratios_and_exact_totals():
    result = runner.invoke(app, ["sweep", MOBILENET, "--set", "alpha=1,0.5", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["alpha"] for r in rows] == ["1", "0.5"]
    assert rows[0]["input_shape"] == "224x224x3"
    assert int(rows[0]["macs"]) == 568_740_352
    assert float(rows[0]["macs_ratio"]) == 1.0
    assert float(rows[1]["macs_ratio"]) == int(rows[1]["macs"]) / int(rows[0]["macs"])
    assert float(rows[1]["weights_ratio"]) == int(rows[1]["weights"]) / int(rows[0]["weights"])
    assert "trainable_params" in rows[0] and "flops" in rows[0]


def test_markdown_reads_like_table_6():
    result = runner.invoke(app, ["sweep", MOBILENET, "--set", "alpha=1,0.75,0.5,0.25", "--format", "markdown"])
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| #"))
    assert header.split("|")[1:4] == [" # ", " alpha ", " input "]
    body = [line for line in lines if line.startswith("| ") and line[2].isdigit()]
    assert len(body) == 4
    # Million mult-adds and million weights, two decimals: 568.74M reads as the paper's 569.
    assert "568.74M" in body[0] and "4.21M" in body[0]
    assert "41.03M" in body[3] and "0.46M" in body[3]


def test_baseline_and_columns_options():
    data = run_json(MOBILENET, "--set", "alpha=0.5,1", "--baseline", "2", "--columns", "macs,flops")
    assert data["baseline"] == 1 and data["columns"] == ["macs", "flops"]
    assert data["rows"][1]["ratios"] == {"macs": 1.0, "flops": 1.0}
    assert data["rows"][0]["ratios"]["macs"] == data["rows"][0]["totals"]["macs"] / data["rows"][1]["totals"]["macs"]


def test_terminal_table_has_values_ratios_and_bars():
    result = runner.invoke(app, ["sweep", MOBILENET, "--set", "alpha=1,0.75,0.5,0.25"])
    assert result.exit_code == 0
    out = result.stdout
    assert "568.74M" in out and "325.40M" in out and "149.50M" in out and "41.03M" in out
    assert "0.263" in out  # 149,497,088 / 568,740,352
    bars = [line.count("█") for line in out.splitlines() if "█" in line]
    assert len(bars) == 4 and bars == sorted(bars, reverse=True) and bars[0] > bars[-1] > 0


def test_pareto_front():
    result = sweep(convcost.load(MOBILENET), [parse_axis("alpha", "1,0.5"), parse_axis("rho", "1,0.571")])
    # alpha=0.5, rho=0.571 has the fewest weights and MACs: it alone is on the front.
    assert pareto_front(result.rows) == [3]
    # Against Keras params and MACs with alpha fixed, rho only moves MACs: the lowest-MACs row wins.
    result = sweep(convcost.load(MOBILENET), [parse_axis("rho", "1,0.571")])
    assert pareto_front(result.rows, "params", "macs") == [1]


# --- the plot -------------------------------------------------------------------------------------

def test_plot_without_matplotlib_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    result = runner.invoke(app, ["sweep", MOBILENET, "--set", "alpha=1,0.5", "--plot", str(tmp_path / "p.png")])
    assert result.exit_code == 2
    assert "pip install 'convcost[plot]'" in result.stderr
    assert not (tmp_path / "p.png").exists()


def test_plot_file_type_is_checked_before_anything_runs(tmp_path):
    result = runner.invoke(app, ["sweep", MOBILENET, "--set", "alpha=1,0.5", "--plot", str(tmp_path / "p.pdf")])
    assert result.exit_code == 2
    assert ".png or .svg" in result.stderr


def test_plot_svg_has_one_labelled_point_per_configuration(tmp_path):
    pytest.importorskip("matplotlib")
    import xml.etree.ElementTree as ET

    path = tmp_path / "pareto.svg"
    result = runner.invoke(app, ["sweep", MOBILENET, "--set", "alpha=1,0.75,0.5,0.25", "--set", "rho=1,0.714",
                                 "--plot", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    tree = ET.parse(path)  # well-formed SVG
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert tree.getroot().tag == "{http://www.w3.org/2000/svg}svg"
    points = tree.getroot().find(".//svg:g[@id='points']", ns)
    assert len(points.findall(".//svg:use", ns)) == 8
    labels = {g.get("id"): "".join(g.itertext()).strip() for g in tree.getroot().iterfind(".//svg:g", ns)
              if (g.get("id") or "").startswith("label-")}
    assert len(labels) == 8
    assert labels["label-1"] == "alpha=1, rho=1" and labels["label-8"] == "alpha=0.25, rho=0.714"


def test_plot_png_is_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "pareto.png"
    result = runner.invoke(app, ["sweep", MOBILENET, "--set", "alpha=1,0.5,0.25", "--plot", str(path)])
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


# --- worker processes -----------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_forked_workers_give_the_same_rows_in_order(mobilenet_spec):
    axes = [parse_axis("alpha", "0.25:1:0.25"), parse_axis("rho", "1,0.857,0.714")]
    serial = sweep(mobilenet_spec, axes, jobs=1)
    forked = sweep(mobilenet_spec, axes, jobs=3)
    assert [(r.index, r.label, r.input_shape, r.totals) for r in forked.rows] == \
           [(r.index, r.label, r.input_shape, r.totals) for r in serial.rows]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
@pytest.mark.parametrize("sizes, bad", [("8,8,8,4", 4), ("4,8,8,8", 1)])
def test_forked_workers_report_the_first_failing_configuration(tmp_path, sizes, bad):
    spec = convcost.loads("parameters: {size: 8}\ninput: [size, size, 3]\nlayers:\n"
                          "  - {kind: conv2d, filters: 4, kernel: 5}\n")
    with pytest.raises(SpecError) as caught:
        sweep(spec, [parse_axis("size", sizes)], jobs=2)
    assert f"configuration {bad} (size=4)" in str(caught.value)


def test_the_design_commands_do_not_import_numpy_or_matplotlib():
    # GUIDE.md section 2: the report path must not import NumPy (about 0.2 s); matplotlib only for --plot.
    import subprocess

    script = ("import sys\nfrom convcost.cli import app\n"
              "for args in (['sweep', 'mobilenet', '--set', 'alpha=1,0.5', '-f', 'json'],\n"
              "             ['compare', 'mobilenet_conv', 'mobilenet', '-f', 'csv'],\n"
              "             ['layer', 'conv2d', '--input', '7x7x3', '--filters', '8', '--kernel', '3', '--vs',\n"
              "              'spatially-separable'],\n"
              "             ['explain', 'mobilenet', 'conv1'], ['sweep', 'mobilenet', '--set', 'rho=1,0.5']):\n"
              "    try:\n        app(args)\n    except SystemExit as exit:\n        assert not exit.code, args\n"
              "print(sorted(m for m in ('numpy', 'matplotlib') if m in sys.modules), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"


# --- docs/sweep.md ---------------------------------------------------------------------------------

def _doc_examples():
    import re

    text = (ROOT / "docs" / "sweep.md").read_text()
    for block in re.findall(r"```\n(\$ convcost .*?)```", text, re.S):
        command, _, output = block.partition("\n")
        if "…" not in output:  # abridged examples are not compared
            yield command[2:], output


@pytest.mark.parametrize("command, output", list(_doc_examples()), ids=lambda v: v[:60] if "\n" not in v else "")
def test_the_complete_examples_in_docs_sweep_md_are_what_the_commands_print(command, output, monkeypatch):
    import shlex

    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    assert [line.rstrip() for line in result.stdout.splitlines()] == [line.rstrip() for line in output.splitlines()]


# --- large grids: bounded up front, rows streamed (issue 11, classes 2 and 8) ---------------------

SEED = str(ROOT / "specs" / "seed_standard.yaml")


@pytest.mark.parametrize("sets, zipped, count", [
    (["size=0:1:1e-12"], False, "1,000,000,000,001"),
    (["size=3:10", "filters=1:1e17"], False, "800,000,000,000,000,000"),
    (["size=3:1000002", "filters=1:1000000"], True, "1,000,000"),
    (["filters=1:60000,1:60000"], False, "120,000"),  # each range below the limit, the axis above it
])
def test_a_grid_over_the_limit_is_refused_before_any_configuration_is_built(monkeypatch, sets, zipped, count):
    import convcost.language.loader as loader

    builds = []
    monkeypatch.setattr(loader.Spec, "build", lambda self, o=None: builds.append(o))
    args = ["sweep", SEED, *[a for s in sets for a in ("--set", s)], "--format", "csv"] + (["--zip"] if zipped else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"E530 the grid has {count} configurations" in result.stderr
    assert "more than the limit of 100,000" in result.stderr and "--max-configurations" in result.stderr
    assert builds == [] and result.stdout == ""


def test_ranges_are_counted_not_made():
    from convcost.sweep import grid_size

    axis = parse_axis("alpha", "0:1:1e-100,0.5")
    assert axis.size == 10**100 + 2
    assert axis.values[10**100 + 1] == Fraction(1, 2) and axis.values[-2] == 1
    assert axis.values[1] == Fraction(1, 10**100)
    assert grid_size([axis, parse_axis("rho", "1,0.5")]) == 2 * (10**100 + 2)


@pytest.mark.parametrize("limit, ok", [(9, True), (8, False)])
def test_max_configurations_raises_or_lowers_the_limit(limit, ok):
    result = runner.invoke(app, ["sweep", SEED, "--set", "size=3:5", "--set", "filters=1:3", "--format", "csv",
                                 "--max-configurations", str(limit)])
    if ok:
        assert result.exit_code == 0, result.output
        assert len(result.stdout.splitlines()) == 1 + 9
    else:
        assert result.exit_code == 2
        assert "E530 the grid has 9 configurations (size 3 × filters 3), more than the limit of 8" in result.stderr


@pytest.mark.parametrize("limit", ["0", "-1", str(10**9 + 1), str(10**40)])
def test_a_bad_max_configurations_is_e531(limit):
    result = runner.invoke(app, ["sweep", SEED, "--set", "size=3:5", "--max-configurations", limit])
    assert result.exit_code == 2
    assert "E531 --max-configurations must be a whole number from 1 to 1,000,000,000" in result.stderr


def test_the_grid_is_read_by_index_in_the_old_order():
    a, b = parse_axis("alpha", "1,0.5:0.25:-0.25"), parse_axis("rho", "1,0.714,0.571")
    grid = configurations([a, b])
    listed = [{"alpha": x, "rho": y} for x in a.values for y in b.values]
    assert len(grid) == 9 and list(grid) == listed and grid[4] == listed[4] and grid[-1] == listed[-1]
    assert grid[::4] == listed[::4]


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("format", ["csv", "json"])
def test_rows_are_written_before_the_last_configuration_is_built(monkeypatch, jobs, format):
    """Streaming: when this process builds its last configuration, rows are already on standard
    output (before issue 11 nothing was written until every row was computed)."""
    import convcost.language.loader as loader

    real_build = loader.Spec.build
    seen = []  # (configuration, bytes on standard output when it was built)

    def build(self, overrides=None):
        sys.stdout.flush()
        seen.append(sys.stdout.buffer.getvalue().count(b"\n"))  # type: ignore[attr-defined]
        return real_build(self, overrides)

    monkeypatch.setattr(loader.Spec, "build", build)
    result = runner.invoke(app, ["sweep", SEED, "--set", "size=3:302", "--format", format, "--jobs", jobs])
    assert result.exit_code == 0, result.output
    assert seen[0] == 0 and seen[-1] >= 100, seen[-1]  # at least the first chunks were out


def test_json_and_csv_written_a_row_at_a_time_are_byte_identical_to_the_held_result(mobilenet_spec):
    from convcost.render import sweep as render
    from convcost.sweep import stream

    axes = [parse_axis("alpha", "1,0.5,0.25"), parse_axis("rho", "1,0.714")]
    for baseline in (0, 4):
        held = sweep(mobilenet_spec, axes, baseline=baseline)
        for write, whole in ((render.write_json, render.to_json(held)), (render.write_csv, render.to_csv(held))):
            running = stream(mobilenet_spec, axes, baseline=baseline, jobs=2)
            out = io.StringIO()
            write(running, running.rows, out)
            assert out.getvalue() == whole
    data = json.loads(render.to_json(held))
    assert data["rows"][4]["ratios"]["macs"] == 1.0 and len(data["rows"]) == 6


def test_streamed_rows_are_not_held():
    """Nothing keeps a row once it has been given: memory stays flat however large the grid."""
    import gc
    import weakref

    from convcost.sweep import stream

    spec = convcost.load(SEED)
    running = stream(spec, [parse_axis("size", "3:2002")], jobs=1)
    alive = []
    for row in running.rows:
        alive.append(weakref.ref(row))
        del row
    gc.collect()
    assert sum(ref() is not None for ref in alive) <= 1  # the baseline row, which the stream keeps


def test_streaming_memory_does_not_grow_with_the_grid():
    import tracemalloc

    from convcost.layers.base import real_taps, window_geometry
    from convcost.render import sweep as render
    from convcost.sweep import stream

    spec = convcost.load(SEED)

    def peak(count: int) -> int:
        window_geometry.cache_clear()  # bounded caches of the layer rules: start each run alike
        real_taps.cache_clear()
        running = stream(spec, [parse_axis("size", f"3:{count + 2}")], jobs=1)
        tracemalloc.start()
        with open(os.devnull, "w") as sink:
            render.write_csv(running, running.rows, sink)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(3000), peak(12000)  # both past MEMO_ROWS: the memo is bounded too
    assert large < 1.5 * small, (small, large)


def test_a_failing_configuration_after_streamed_rows_still_exits_2():
    spec = ROOT / "specs" / "seed_standard.yaml"
    result = runner.invoke(app, ["sweep", str(spec), "--set", "size=5,4,3,2", "--format", "csv"])
    assert result.exit_code == 2
    assert "configuration 4 (size=2)" in result.stderr and "E403" in result.stderr
    assert len(result.stdout.splitlines()) == 1 + 3  # the rows before it were written as they came


def test_a_failing_baseline_reports_the_first_failure_in_row_order(tmp_path):
    result = runner.invoke(app, ["sweep", SEED, "--set", "size=5,2,1,6", "--baseline", "3", "--format", "csv"])
    assert result.exit_code == 2
    assert "configuration 2 (size=2)" in result.stderr and "configuration 3" not in result.stderr
    assert result.stdout == ""
