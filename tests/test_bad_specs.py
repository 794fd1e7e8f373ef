"""The bad-spec corpus, through the real command line: every mistake is answered with located
problems (``path:line:col: CODE message``), exit code 2, no traceback, in well under a second.

Each file in tests/data/bad_specs/ starts with one ``# expect: CODE line:col`` comment per
problem it holds (the first is the first problem reported); a file with one expectation must
produce exactly one problem — one mistake, one message, no follow-on errors. File-level problems
(missing, a directory, empty, not UTF-8, binary, standard input) and ``--set`` problems are
generated here at run time.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from convcost.cli import app
from convcost.errors import CODES, SpecError
from convcost.language.source import MAX_FILE_BYTES

from cli_runner import runner

CORPUS = Path(__file__).parent / "data" / "bad_specs"
FILES = sorted(CORPUS.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (E\d{3}) (\d+):(\d+)$")
PROBLEM = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (?P<code>E\d{3}) (?P<message>.+)$")



def expectations(path: Path) -> list[tuple[str, int, int]]:
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = EXPECT.match(line)
        if not match:
            break
        found.append((match.group(1), int(match.group(2)), int(match.group(3))))
    return found


def report(*args, **kwargs):
    start = time.perf_counter()
    result = runner.invoke(app, ["report", *args], **kwargs)
    return result, time.perf_counter() - start


def problem_lines(stderr: str) -> list[re.Match]:
    return [m for m in map(PROBLEM.match, stderr.splitlines()) if m]


def test_the_corpus_is_large_and_annotated():
    assert len(FILES) >= 40
    for path in FILES:
        assert expectations(path), f"{path.name} has no '# expect: CODE line:col' first line"
    assert {code for path in FILES for code, _, _ in expectations(path)} >= {
        "E101", "E102", "E103", "E104", "E200", "E201", "E202", "E203", "E204", "E205", "E206", "E207",
        "E300", "E301", "E302", "E303", "E400", "E401", "E402", "E403", "E404", "E405", "E406", "E407"}


YAML_LEVEL = [p for p in FILES if expectations(p)[0][0].startswith("E10")]


@pytest.mark.parametrize("path", YAML_LEVEL, ids=[p.stem for p in YAML_LEVEL])
def test_yaml_mistakes_are_located_alike_by_libyaml_and_pure_python(path, monkeypatch):
    """PyYAML parses with libyaml when its wheel has it and in pure Python otherwise: the problems
    of the YAML-level files (E10x) must not depend on which one a user's install has."""
    import yaml

    import convcost

    def first_problems():
        with pytest.raises(SpecError) as caught:
            convcost.analyze(convcost.load(str(path)))
        return [(p.code, p.location.line, p.location.column) for p in caught.value.problems]

    monkeypatch.setattr("convcost.language.source._Loader", yaml.SafeLoader)
    pure = first_problems()
    assert pure[0] == expectations(path)[0]
    if hasattr(yaml, "CSafeLoader"):
        monkeypatch.setattr("convcost.language.source._Loader", yaml.CSafeLoader)
        assert first_problems() == pure


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_bad_spec_is_reported_where_it_is(path):
    expected = expectations(path)
    result, seconds = report(str(path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    found = problem_lines(result.stderr)
    assert found, result.stderr
    assert found[0].group("path") == str(path)
    got = [(m.group("code"), int(m.group("line")), int(m.group("col"))) for m in found]
    assert got[0] == expected[0], result.stderr
    for item in expected:
        assert item in got, (item, result.stderr)
    if len(expected) == 1:
        assert len(found) == 1, "one mistake, one message:\n" + result.stderr
    for match in found:
        assert match.group("code") in CODES
    assert seconds < 1.0, f"{seconds:.2f} s"


# --- file-level problems --------------------------------------------------------------------------

def _first(stderr: str) -> re.Match:
    match = PROBLEM.match(stderr.splitlines()[0])
    assert match, stderr
    return match


@pytest.mark.parametrize("name, content, message", [
    ("empty.yaml", b"", "the spec is empty"),
    ("blank.yaml", b"   \n\n  \n", "the spec is empty"),
    ("latin1.yaml", "input: [8, 8, 3]\nname: caf\u00e9\n".encode("latin-1"), "not valid UTF-8 (byte 0xe9)"),
    ("binary.yaml", bytes(range(256)) * 4, "binary (it contains NUL bytes)"),
    ("utf16.yaml", "input: [8, 8, 3]\n".encode("utf-16"), "UTF-16 text"),
    ("large.yaml", b"# padding\n" * (MAX_FILE_BYTES // 10 + 1), "larger than 2 MiB"),
])
def test_unreadable_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    result, seconds = report(str(path))
    assert result.exit_code == 2 and "Traceback" not in result.output
    match = _first(result.stderr)
    assert match.group("path") == str(path)
    assert match.group("code") in ("E100", "E104")
    assert message in result.stderr
    assert seconds < 1.0


def test_non_utf8_is_located_at_the_byte(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_bytes(b"input: [8, 8, 3]\nlayers:\n  - {kind: relu, name: caf\xe9}\n")
    match = _first(report(str(path))[0].stderr)
    assert (match.group("code"), match.group("line"), match.group("col")) == ("E100", "3", "27")


def test_missing_file(tmp_path):
    result, _ = report(str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.yaml'}:1:1: E100 no such file" in result.stderr


def test_missing_shipped_spec_suggests_the_name():
    result, _ = report("mobilnet")
    assert result.exit_code == 2
    assert "E100 no such file: 'mobilnet'" in result.stderr and "did you mean 'mobilenet'" in result.stderr


def test_directory(tmp_path):
    result, _ = report(str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path}:1:1: E100 '{tmp_path}' is a directory" in result.stderr


def test_unreadable_permissions(tmp_path):
    import os

    path = tmp_path / "secret.yaml"
    path.write_text("input: [8, 8, 3]\nlayers: [relu]\n")
    path.chmod(0)
    if os.access(path, os.R_OK):  # running as root: permissions do not apply
        pytest.skip("permissions are not enforced for this user")
    result, _ = report(str(path))
    assert result.exit_code == 2 and "E100 cannot read" in result.stderr


@pytest.mark.parametrize("content, code, where", [
    ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 0, kernel: 3}\n", "E205", "3:29"),
    ("", "E104", "1:1"),
    ("input: [8, 8\n", "E101", "2:1"),
])
def test_standard_input(content, code, where):
    result, _ = report("-", input=content)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"<stdin>:{where}: {code} " in result.stderr


def test_binary_standard_input():
    result, _ = report("-", input=b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert result.exit_code == 2
    assert "<stdin>:" in result.stderr and "E100" in result.stderr and "binary" in result.stderr


# --- command-line overrides -------------------------------------------------------------------------

@pytest.mark.parametrize("sets, code, text", [
    (["alhpa=0.5"], "E304", "did you mean 'alpha'?"),
    (["alpha=1/0"], "E304", "division by zero"),
    (["alpha=__import__('os')"], "E304", "unknown function '__import__'"),
    (["alpha=beta"], "E304", "unknown name 'beta'"),
    (["alpha=1e999999"], "E304", "exponent"),
    (["rho=0.5", "resolution=160"], "E305", "parameter 'rho' is not used"),
])
def test_set_problems(sets, code, text):
    args = [arg for item in sets for arg in ("--set", item)]
    result, seconds = report("mobilenet", *args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith(f"{code} --set ")
    assert text in result.stderr
    assert seconds < 1.0


def test_all_independent_set_problems_at_once():
    result, _ = report("mobilenet", "--set", "alhpa=1", "--set", "rho=x")
    assert result.exit_code == 2
    assert "--set alhpa" in result.stderr and "--set rho=x" in result.stderr and "2 problems found" in result.stderr


def test_debug_shows_the_traceback_only_when_asked():
    path = FILES[0]
    assert "Traceback" not in report(str(path))[0].stderr
    assert "Traceback" in report(str(path), "--debug")[0].stderr


def test_every_code_is_documented():
    doc = (Path(__file__).parent.parent / "docs" / "errors.md").read_text(encoding="utf-8")
    for code in CODES:
        if code.startswith("E5"):  # budget codes: docs/budgets.md, referenced from docs/errors.md
            assert "E500–E509" in doc
            continue
        assert f"| {code} |" in doc, f"{code} is missing from docs/errors.md"


# --- one message per mistake, worded for what happened --------------------------------------------

def test_a_yaml_file_that_is_not_a_spec_says_so_once():
    result, _ = report(str(CORPUS / "not_a_spec.yaml"))
    (problem,) = problem_lines(result.stderr)
    assert problem.group("message") == ("missing sections 'input' and 'layers': this file does not look like a "
                                        "convcost spec")
    assert "block" not in result.stderr and "repeat" not in result.stderr
    assert "version, services" in result.stderr and "seed_standard.yaml" in result.stderr


def test_missing_sections_are_one_message():
    result, _ = report(str(CORPUS / "missing_both_sections.yaml"))
    (problem,) = problem_lines(result.stderr)
    assert problem.group("message") == "missing sections 'input' and 'layers'"


def test_only_block_instances_are_counted_as_instances():
    from convcost.errors import Location, Problem, finish

    here = Location("net.yaml", 1, 1)
    two = [Problem("E203", "first", here), Problem("E203", "second", here)]
    assert [p.message for p in finish(two)] == ["first", "second"]  # two problems, not one with a count
    assert [p.message for p in finish([two[0], two[0]])] == ["first"]  # the same problem twice: once
    merged = finish(two + [two[1]], instanced=lambda location: location == here)
    assert [p.message for p in merged] == ["first (and 2 more like it from other instances of the same block)"]
