"""The JSON outputs of every command: parameter values, the `spec` field and the common header,
and the contract of docs/json.md held against the real output of the commands it documents."""

import json

import pytest
from typer.testing import CliRunner

from convcost.cli import app

runner = CliRunner()


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
