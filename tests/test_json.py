"""The JSON outputs of every command: parameter values, the `spec` field and the common header,
and the contract of docs/json.md held against the real output of the commands it documents."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcost.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent

# Every command with a JSON output, on a spec, and where its output names the spec.
SPEC_COMMANDS = {
    "report": (lambda spec: ["report", spec, "--format", "json"], lambda data: [data["spec"]]),
    "verify": (lambda spec: ["verify", spec, "--format", "json", "--quiet"], lambda data: [data["spec"]]),
    "compare": (lambda spec: ["compare", spec, "--set-b", "filters=64", "--format", "json"],
                lambda data: [data["a"]["spec"], data["b"]["spec"]]),
    "sweep": (lambda spec: ["sweep", spec, "--set", "filters=128,64", "--format", "json"], lambda data: [data["spec"]]),
    "check": (lambda spec: ["check", spec, "--max-macs", "1M", "--format", "json"],
              lambda data: [r["spec"] for r in data["results"]]),
}


def run_json(*args) -> tuple[dict, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stdout


# --- parameter values -----------------------------------------------------------------------------

def test_integer_valued_parameters_are_json_integers_after_set():
    # docs/json.md shows "alpha": 1; the spec writes `alpha: 1.0`, which is exactly 1
    data, text = run_json("report", "mobilenet", "--set", "rho=0.714", "--format", "json")
    parameters = data["parameters"]
    assert parameters == {"alpha": 1, "rho": 0.714, "resolution": 160, "classes": 1000}
    assert [type(v) for v in parameters.values()] == [int, float, int, int]
    assert '"parameters": {"alpha": 1, "rho": 0.714, "resolution": 160, "classes": 1000}' in text


TINY = "parameters: {p: 0.5}\ninput: [4, 4, 1]\nlayers:\n  - {kind: conv2d, filters: 2 + round(p), kernel: 1}\n"


@pytest.mark.parametrize("value, written", [
    ("0.75", "0.75"), ("3/4", "0.75"), ("0.7500", "0.75"), ("1.0", "1"), ("4/2", "2"), ("-0.25", "-0.25"),
    ("1e-5", "1e-05"), ("123456.789012345", "123456.789012345"),  # up to 15 significant digits: exact
    ("1/3", "0.3333333333333333"),  # no finite decimal: the nearest double (docs/json.md)
])
def test_parameter_values_are_written_as_documented(value, written):
    result = runner.invoke(app, ["report", "-", "--set", f"p={value}", "--format", "json"], input=TINY)
    assert result.exit_code == 0, result.output
    assert f'"parameters": {{"p": {written}}},' in result.stdout
    assert json.loads(result.stdout)["parameters"]["p"] == json.loads(written)


def test_a_default_written_with_a_decimal_point_is_still_an_integer():
    # `alpha: 1.0` in a spec is read as the exact fraction 1, and was written 1.0
    result = runner.invoke(app, ["report", "-", "--format", "json"], input=TINY.replace("0.5", "2.0"))
    assert result.exit_code == 0, result.output
    assert '"parameters": {"p": 2},' in result.stdout


# --- how outputs name the spec ------------------------------------------------------------------

@pytest.mark.parametrize("command", SPEC_COMMANDS)
@pytest.mark.parametrize("typed, shown", [
    ("seed_standard", "seed_standard"),  # a shipped spec by name: its name, not a site-packages path
    ("seed_standard.yaml", "seed_standard"),
    ("nets/net.yaml", "nets/net.yaml"),  # a path: as typed
    ("./nets/../nets/net.yaml", "./nets/../nets/net.yaml"),
    ("{tmp}/nets/net.yaml", "{tmp}/nets/net.yaml"),
])
def test_the_spec_is_named_as_the_user_typed_it(command, typed, shown, tmp_path, monkeypatch):
    (tmp_path / "nets").mkdir()
    shutil.copy(ROOT / "specs" / "seed_standard.yaml", tmp_path / "nets" / "net.yaml")
    monkeypatch.chdir(tmp_path)
    args, spec_of = SPEC_COMMANDS[command]
    data, _ = run_json(*args(typed.format(tmp=tmp_path)))
    assert set(spec_of(data)) == {shown.format(tmp=tmp_path)}


def test_a_path_through_the_specs_folder_is_kept(monkeypatch):
    monkeypatch.chdir(ROOT)  # specs/ links to the shipped specs: still a path the user typed
    data, _ = run_json("report", "specs/seed_standard.yaml", "--format", "json")
    assert data["spec"] == "specs/seed_standard.yaml"


def test_a_report_naming_a_shipped_spec_is_still_matched_as_its_baseline(tmp_path):
    # two saved reports of networks with the same name: the baseline is the one of the same spec
    ours, other = tmp_path / "ours.json", tmp_path / "other.json"
    ours.write_text(run_json("report", "seed_standard", "--format", "json")[1])
    copy = tmp_path / "copy.yaml"
    shutil.copy(ROOT / "specs" / "seed_standard.yaml", copy)
    other.write_text(run_json("report", str(copy), "--set", "filters=64", "--format", "json")[1])
    result = runner.invoke(app, ["check", "seed_standard", "--baseline", str(other), "--baseline", str(ours),
                                 "--max-increase", "macs=0", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"][0]["baseline"] == str(ours)


# --- the common header ----------------------------------------------------------------------------

# Per command, the objects of its output that describe the analysed spec and the header keys each
# shares with `report` (same keys, same values, for the same spec and options).
SPEC_KEYS = ("name", "spec", "input_shape", "parameters")
RUN_KEYS = ("batch", "dtype")
HEADERS = {
    "report": lambda data: [(data, SPEC_KEYS + RUN_KEYS)],
    "verify": lambda data: [(data, SPEC_KEYS + RUN_KEYS)],
    "compare": lambda data: [(data, RUN_KEYS), (data["a"], SPEC_KEYS), (data["b"], ("name", "spec"))],  # B: filters=64
    "sweep": lambda data: [(data, ("name", "spec") + RUN_KEYS)],
    "check": lambda data: [(result, ("name", "spec")) for result in data["results"]],
}


@pytest.mark.parametrize("command", SPEC_COMMANDS)
def test_every_json_output_starts_with_the_same_header(command):
    import convcost

    report, _ = run_json("report", "seed_standard", "--format", "json")
    args, _ = SPEC_COMMANDS[command]
    data, _ = run_json(*args("seed_standard"))
    assert list(data)[:2] == ["convcost_version", "schema_version"]
    assert data["convcost_version"] == convcost.__version__ and data["schema_version"] == 1
    for described, keys in HEADERS[command](data):
        assert {key: described.get(key, "missing") for key in keys} == {key: report[key] for key in keys}


def test_the_layer_calculator_has_the_header_too():
    import convcost

    data, _ = run_json("layer", "conv2d", "--input", "7x7x3", "--filters", "128", "--kernel", "3", "--format", "json")
    assert list(data)[:2] == ["convcost_version", "schema_version"]
    assert data["convcost_version"] == convcost.__version__ and data["schema_version"] == 1
