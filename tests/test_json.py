"""The JSON outputs of every command: parameter values, the `spec` field and the common header,
and the contract of docs/json.md held against the real output of the commands it documents."""

import json
import re
import shutil
from pathlib import Path

import pytest

from convcost.cli import app

from cli_runner import runner

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


# --- docs/json.md against the real output ---------------------------------------------------------

JSON_DOC = (ROOT / "docs" / "json.md").read_text()
# each documented output: the heading of its section in docs/json.md, and the command run for it
DOCUMENTED = {
    "report": ("## `convcost report --format json`", ["report", "mobilenet", "--format", "json"]),
    "verify": ("## `convcost verify --format json`", ["verify", "mobilenet", "--format", "json", "--quiet"]),
}
ELLIPSIS = "..."  # in an example: more keys of this object, or more items of this list


def doc_section(heading: str) -> str:
    assert heading + "\n" in JSON_DOC, f"docs/json.md has no section {heading!r}"
    body = JSON_DOC.split(heading + "\n", 1)[1]
    return body.split("\n## ", 1)[0]


def parse_example(text: str):
    """The JSON of a docs example, where a bare ``...`` (or ``…``) stands for more keys of the object
    it is in, or more items of the list: it becomes a key "..." or an item "..."."""
    out, stack, i, in_string = [], [], 0, False
    while i < len(text):
        char = text[i]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[i + 1])
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
            out.append(char)
        elif text.startswith("...", i) or char == "…":
            out.append('"...": "..."' if stack[-1] == "{" else '"..."')
            i += 3 if char == "." else 1
            continue
        else:
            if char in "{[":
                stack.append(char)
            elif char in "}]":
                stack.pop()
            out.append(char)
        i += 1
    return json.loads("".join(out))


def json_type(value) -> str:
    return {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "object",
            type(None): "null"}[type(value)]


def undocumented(example, real, where: str = "") -> list[str]:
    """What ``real`` lacks or has of another type than ``example`` shows, and the keys it has that an
    example object shown in full (without "...") does not: one line per difference."""
    if json_type(example) != json_type(real):
        return [f"{where or 'the output'}: documented {json_type(example)}, real {json_type(real)} ({real!r:.60})"]
    problems = []
    if isinstance(example, dict):
        documented = {key: value for key, value in example.items() if key != ELLIPSIS}
        problems += [f"{where}.{key}: documented, missing in the real output" for key in documented if key not in real]
        if ELLIPSIS not in example:
            problems += [f"{where}.{key}: in the real output, not documented" for key in real if key not in documented]
        for key, value in documented.items():
            if key in real:
                problems += undocumented(value, real[key], f"{where}.{key}")
    elif isinstance(example, list):
        shown = [item for item in example if item != ELLIPSIS]
        for index, item in enumerate(real):  # every real item against the (first) documented one
            if shown:
                problems += undocumented(shown[0], item, f"{where}[{index}]")
    return problems


def table_keys(section: str) -> set[str]:
    """The keys named in the first column of a section's tables: | `name`, `spec` | ... |"""
    keys = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            keys |= set(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return keys


@pytest.mark.parametrize("output", DOCUMENTED)
def test_docs_json_md_matches_the_real_output(output):
    heading, args = DOCUMENTED[output]
    section = doc_section(heading)
    examples = re.findall(r"```json\n(.*?)```", section, re.S)
    assert len(examples) == 1, f"{heading}: one JSON example"
    example = parse_example(examples[0])
    real, _ = run_json(*args)
    assert undocumented(example, real) == []
    keys = table_keys(section)
    assert keys <= set(real), f"documented in the table, not in the real output: {keys - set(real)}"
    header = table_keys(doc_section("## The header every output shares"))
    assert set(real) <= keys | header, f"not in the tables: {set(real) - keys - header}"


def test_the_example_parser_reads_ellipses_as_documented():
    assert parse_example('{"a": [1, ...], "b": {"c": 1, ...}, "d": "x...y", ...}') == {
        "a": [1, ELLIPSIS], "b": {"c": 1, ELLIPSIS: ELLIPSIS}, "d": "x...y", ELLIPSIS: ELLIPSIS}
    assert undocumented({"a": 1, "b": [0.5]}, {"a": 1.0, "b": [0.5, 1], "c": None}) == [
        ".c: in the real output, not documented", ".a: documented integer, real float (1.0)",
        ".b[1]: documented float, real integer (1)"]
    assert undocumented({"a": {"b": 1, ELLIPSIS: ELLIPSIS}}, {"a": {"c": 2}}) == [
        ".a.b: documented, missing in the real output"]
