"""`convcost report` through the real command line: formats, the JSON contract, errors, start-up."""

import csv
import io
import json
import subprocess
import sys

import pytest

from convcost.cli import app

from cli_runner import runner


def run(*args):
    return runner.invoke(app, list(args))


def test_json_contract_for_mobilenet():
    result = run("report", "mobilenet", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "MobileNet v1"
    assert data["input_shape"] == [224, 224, 3]
    assert data["parameters"] == {"alpha": 1, "rho": 1, "resolution": 224, "classes": 1000}
    totals = data["totals"]
    for key in ("macs", "mults", "adds", "flops", "params", "trainable_params", "non_trainable_params", "weights"):
        assert isinstance(totals[key], int), key
    assert totals["macs"] == 568_740_352  # GUIDE.md section 4
    assert totals["params"] == totals["trainable_params"] + totals["non_trainable_params"] == 4_253_864
    assert totals["flops"] == (totals["mults"] + totals["adds"] + totals["comparisons"] + totals["divisions"]
                               + totals["exponentials"])
    layer = data["layers"][0]
    assert {"name", "kind", "inputs", "output_shape", "macs", "params"} <= set(layer)
    assert layer == {**layer, "name": "conv1", "kind": "conv2d", "inputs": ["input"], "output_shape": [112, 112, 32],
                     "macs": 112 * 112 * 32 * 27, "params": 864}
    assert sum(entry["macs"] for entry in data["layers"]) == totals["macs"]


def test_set_and_batch_options():
    data = json.loads(run("report", "mobilenet", "--set", "alpha=0.5", "-s", "rho=0.714", "--batch", "2",
                          "--format", "json").stdout)
    assert data["parameters"]["resolution"] == 160
    assert data["totals"]["macs"] == 2 * 76_524_800
    assert data["totals"]["params"] == 1_342_536  # parameters do not scale with the batch
    shares = {row["category"]: round(100 * row["macs_share"], 2) for row in data["breakdown"]}
    assert sum(row["macs"] for row in data["breakdown"]) == data["totals"]["macs"]
    assert shares == {**shares, "dense": round(100 * 512_000 / 76_524_800, 2)}  # the batch scales every share alike


def test_table_format_shows_totals_and_breakdown():
    result = run("report", "mobilenet")
    assert result.exit_code == 0
    for text in ("568,740,352", "4,231,976", "21,888", "94.86%", "1.91%", "24.33%", "ds8_5/pw"):
        assert text in result.stdout, text


def test_csv_and_markdown():
    rows = list(csv.DictReader(io.StringIO(run("report", "seed_separable", "--format", "csv").stdout)))
    assert [(r["name"], r["output_shape"], r["macs"]) for r in rows] == [("depthwise", "5x5x3", "675"),
                                                                         ("pointwise", "5x5x128", "9600")]
    markdown = run("report", "seed_standard", "--format", "markdown").stdout
    assert "| 1 | conv | conv2d 128 3×3 | 5×5×128 | 86,400 | 3,456 | 100.00% |" in markdown


def test_spec_from_path_and_stdin(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text("input: [4, 4, 1]\nlayers:\n  - {kind: conv2d, filters: 2, kernel: 3, bias: false}\n")
    by_path = json.loads(run("report", str(spec), "--format", "json").stdout)
    assert by_path["name"] == "tiny" and by_path["totals"]["macs"] == 2 * 2 * 2 * 9
    by_stdin = runner.invoke(app, ["report", "-", "--format", "json"], input=spec.read_text())
    assert json.loads(by_stdin.stdout)["totals"]["macs"] == 72


@pytest.mark.parametrize("body, code, where", [
    ("input: [8, 8, 3]\nlayers:\n  - {kind: convolution, filters: 8, kernel: 3}\n", "E201", "3:12"),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, kernel: 3}\n", "E203", "3:5"),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: -8, kernel: 3}\n", "E205", "3:29"),
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, name: a, filters: 8, kernel: 3}\n"
     "  - {kind: add, inputs: [a, input]}\n", "E402", "4:25"),
])
def test_bad_spec_exits_2_with_location(tmp_path, body, code, where):
    spec = tmp_path / "net.yaml"
    spec.write_text(body)
    result = run("report", str(spec))
    assert result.exit_code == 2
    assert f"{spec}:{where}: {code} " in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_bad_set_usage_exits_2():
    assert run("report", "mobilenet", "--set", "alpha").exit_code == 2
    result = run("report", "mobilenet", "--set", "alhpa=0.5")
    assert result.exit_code == 2 and "did you mean 'alpha'?" in result.stderr


def test_missing_file_exits_2():
    result = run("report", "no/such/spec.yaml")
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_python_dash_m_and_no_numpy_on_the_report_path():
    code = ("import sys, runpy; sys.argv = ['convcost', 'report', 'xception', '--format', 'json'];\n"
            "try:\n    runpy.run_module('convcost', run_name='__main__')\nexcept SystemExit as e:\n    pass\n"
            "print('NUMPY' if 'numpy' in sys.modules else 'NO-NUMPY', file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout)["totals"]["trainable_params"] == 22_855_952
    assert proc.stderr.strip().endswith("NO-NUMPY")


def test_kinds_lists_every_layer_kind():
    from convcost.layers import KINDS

    result = run("kinds")
    assert all(name in result.stdout for name in KINDS)
    assert "depth_multiplier" in run("kinds", "separable_conv2d").stdout
    assert run("kinds", "conv2dd").exit_code == 2


def test_kinds_shows_defaults_as_a_spec_writes_them():
    conv = run("kinds", "conv2d").stdout
    assert "(default true)" in conv and "True" not in conv
    pooling = run("kinds", "global_average_pooling").stdout
    assert "(default false)" in pooling and "False" not in pooling
    # a default the field's own text already states is not shown twice (nor as None, none or null)
    assert "  stride: step between windows (default: kernel)\n" in run("kinds", "max_pooling2d").stdout


# --- warnings: valid input that is probably not what was meant ------------------------------------------

CHANNELS_FIRST_SPEC = ("name: channels first\nparameters: {size: 32}\n"
                       "input: [3, size, size]\n"
                       "layers:\n  - {kind: conv2d, name: conv, filters: 8, kernel: 3, padding: same}\n")


@pytest.fixture
def channels_first(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text(CHANNELS_FIRST_SPEC)
    return str(path)


def test_a_channels_first_spec_input_is_warned_about_at_its_place(channels_first):
    result = run("report", channels_first, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["input_shape"] == [3, 32, 32]  # stdout is the report alone: valid JSON
    assert result.stderr.splitlines() == [
        f"{channels_first}:3:8: W101 input 3×32×32 looks channels-first: convcost reads it as H×W×C, a 3×32 image "
        "with 32 channels",
        "    hint: if 3 is the number of channels, put it last: input: [size, size, 3]"]
    silent = run("report", channels_first, "--format", "json", "--no-warn")
    assert silent.exit_code == 0 and silent.stderr == "" and silent.stdout == result.stdout


@pytest.mark.parametrize("args", [
    ["report", "{spec}"], ["explain", "{spec}", "conv"], ["verify", "{spec}", "--quiet"],
    ["check", "{spec}", "--max-macs", "1G"], ["sweep", "{spec}", "--set", "size=32,64"],
    ["compare", "{spec}", "--set-b", "size=64"], ["compare", "{spec}", "{spec}", "--format", "json"],
])
def test_every_command_that_reads_a_spec_warns_once_and_no_warn_silences_it(channels_first, args):
    args = [arg.format(spec=channels_first) for arg in args]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert result.stderr.count("W101") == 1 and f"{channels_first}:3:8: W101 " in result.stderr
    assert "W101" not in result.stdout
    silent = run(*args, "--no-warn")
    assert silent.exit_code == 0 and silent.stderr == ""


def test_no_command_misses_no_warn():
    import typer.main

    commands = typer.main.get_command(app).commands
    without = {name for name, command in commands.items()
               if not any("--no-warn" in param.opts for param in command.params)}
    assert without == {"kinds"}  # the one command that reads no spec and takes no --input


def test_warnings_through_the_python_api(channels_first):
    import convcost
    from convcost import budgets as budget
    from convcost.sweep import parse_axis, sweep

    spec = convcost.load(channels_first)
    (warning,) = spec.build().warnings
    assert warning.code == "W101" and (warning.location.line, warning.location.column) == (3, 8)
    assert convcost.analyze(spec, {"size": 64}).warnings[0].message.startswith("input 3×64×64 ")
    assert [w.code for w in sweep(spec, [parse_axis("size", "32,64")]).warnings] == ["W101"]  # once, not per row
    run_ = budget.check([channels_first], cli=[budget.cli_budget("--max-macs", "macs", "1G")])
    assert run_.exit_code == 0 and [w.code for w in run_.results[0].warnings] == ["W101"]


def test_channels_last_specs_give_no_warning():
    import convcost

    for name in convcost.shipped_specs():
        assert convcost.report(name).warnings == (), name
    result = run("report", "mobilenet", "--format", "json")
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize("shape, warned", [
    ((3, 224, 224), True), ((1, 28, 28), True), ((4, 8, 8), True), ((3, 16, 112, 112), True),
    ((224, 224, 3), False), ((4, 4, 3), False), ((3, 3, 64), False), ((5, 224, 224), False),
    ((3, 224), False), ((1024,), False), ((16, 112, 112, 3), False),
])
def test_what_looks_channels_first(shape, warned):
    from convcost.graph import looks_channels_first

    assert looks_channels_first(shape) is warned
