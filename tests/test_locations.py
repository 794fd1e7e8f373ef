"""Every location points at the place the user must edit (issue 11, class 7): line breaks counted
as YAML counts them, columns in characters, a problem inside a multi-line expression at its own
token, a value reached through an alias at its use (naming where it is written), a problem that
comes from a block argument at the argument (naming where the block uses it).

Each spec runs with both YAML readers, libyaml's and PyYAML's pure-Python one: a location must
not depend on which one a user's install has.
"""

from __future__ import annotations

import pytest
import yaml

import convcost
from convcost.cli import app
from convcost.errors import SpecError

from cli_runner import runner

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])
TWO_CONVS = ("input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, filters: 4, kernel: 3}\n"
             "  - {kind: conv2d, filters: 0, kernel: 3}\n")


def problems(text: str, monkeypatch, loader) -> list[tuple[str, int, int, str]]:
    monkeypatch.setattr("convcost.language.source._Loader", loader)
    with pytest.raises(SpecError) as caught:
        convcost.analyze(convcost.loads(text, "net.yaml"))
    return [(p.code, p.location.line, p.location.column, p.message) for p in caught.value.problems]


def located(text, monkeypatch, loader):
    return [(code, line, column) for code, line, column, _ in problems(text, monkeypatch, loader)]


# --- line breaks and columns ------------------------------------------------------------------------

@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n", "\x85", "\u2028", "\u2029"],
                         ids=["LF", "CR", "CRLF", "NEL", "LS", "PS"])
def test_every_line_break_of_yaml_counts_as_one_line(newline, loader, monkeypatch):
    assert located(TWO_CONVS.replace("\n", newline), monkeypatch, loader) == [("E205", 4, 29)]
    control = TWO_CONVS.replace("filters: 0", "filters: 0\x01").replace("\n", newline)
    assert located(control, monkeypatch, loader) == [("E101", 4, 30)]  # found before YAML reads it


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_mixed_line_breaks(loader, monkeypatch):
    text = ("input: [8, 8, 3]\r\nlayers:\r  - {kind: conv2d, filters: 4, kernel: 3}\n"
            "  - {kind: conv2d, filters: x, kernel: 3}\r\n")
    assert located(text, monkeypatch, loader) == [("E301", 4, 29)]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_columns_count_characters(loader, monkeypatch):
    """Astral characters, combining marks and a tab are one column each (docs/errors.md)."""
    text = '{name: "\U0001F600e\u0301\t\U00020000", input: [0, 8, 3], layers: [relu]}\n'
    assert located(text, monkeypatch, loader) == [("E205", 1, 25)]


def test_flow_nesting_after_carriage_returns_is_located_on_its_line():
    text = "input: [8, 8, 3]\rlayers:\r  - " + "[" * 500 + "\r"
    with pytest.raises(SpecError) as caught:
        convcost.loads(text, "net.yaml")
    where = caught.value.problems[0].location
    assert (caught.value.problems[0].code, where.line) == ("E103", 3)


def report_stderr(tmp_path, content: bytes) -> str:
    path = tmp_path / "net.yaml"
    path.write_bytes(content)
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == 2, result.output
    return result.stderr.replace(str(path), "net.yaml")


def test_a_byte_that_is_not_utf8_is_located_in_characters_after_cr_lines(tmp_path):
    content = "input: [8, 8, 3]\rlayers:\r  - {kind: relu, name: \u00e9\u00e9".encode() + b"\xe9}\r"
    assert report_stderr(tmp_path, content).startswith("net.yaml:3:26: E100 ")  # 28 in bytes


def test_a_nul_byte_is_located_after_cr_lines(tmp_path):
    content = b"input: [8, 8, 3]\rlayers:\r  - relu\x00\r"
    assert report_stderr(tmp_path, content).startswith("net.yaml:3:9: E100 ")


def test_a_byte_order_mark_is_not_a_column(tmp_path):
    content = b"\xef\xbb\xbfinput: [0, 8, 3]\r\nlayers: [relu]\r\n"
    assert report_stderr(tmp_path, content).startswith("net.yaml:1:9: E205 ")
    content = b"\xef\xbb\xbfinput: [8, 8, 3]\x00\n"
    assert report_stderr(tmp_path, content).startswith("net.yaml:1:17: E100 ")


# --- expressions written over several lines ----------------------------------------------------------

FIELD = "input: [8, 8, 3]\nlayers:\n  - kind: conv2d\n    filters: {}\n    kernel: 3\n"


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
@pytest.mark.parametrize("value, where", [
    ("4 *\n      alpah", (5, 7)),  # plain: the line break is folded into a space
    ("4 *\n\n      alpah", (6, 7)),  # plain with a blank line: folded into a line break
    ("|\n      (4 *\n       alpah)", (6, 8)),  # literal: the indentation is stripped
    ("|-  # the filters\n      (4\n       * alpah)", (6, 10)),  # a comment on the header line
    (">\n      4 *\n      alpah", (6, 7)),  # folded
    ('"4 *\n      alpah"', (5, 7)),  # double-quoted
    ("'4 *\n      alpah'", (5, 7)),  # single-quoted
    ('"\\x34 * alpah"', (4, 15)),  # an escape: the characters are placed at the text's start
    ("'it''s * 4'", (4, 15)),  # a doubled quote: likewise
    ("'4 * alpah'", (4, 19)),  # one line, quoted: exact
    ("&f 4 * alpah", (4, 21)),  # an anchor before the text
    ("!!str 4 * alpah", (4, 24)),  # a tag before the text
])
def test_a_problem_inside_a_multiline_expression_is_at_its_token(value, where, loader, monkeypatch):
    found = problems(FIELD.format(value), monkeypatch, loader)
    assert [(line, column) for _, line, column, _ in found] == [where], found


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_a_multiline_expression_with_crlf_and_a_division_by_zero(loader, monkeypatch):
    text = FIELD.format("|\n      64 // (\n        4 - 4)").replace("\n", "\r\n")
    assert located(text, monkeypatch, loader) == [("E303", 5, 7)]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_a_syntax_error_over_lines_is_where_python_stopped_and_asks_for_parentheses(loader, monkeypatch):
    found = problems(FIELD.format("|\n      64 //\n       (4 - 4)"), monkeypatch, loader)
    assert [(code, line, column) for code, line, column, _ in found] == [("E300", 6, 8)]
    with pytest.raises(SpecError) as caught:
        convcost.loads(FIELD.format("|\n      64 //\n       (4 - 4)"), "net.yaml").build()
    assert "needs parentheses" in caught.value.problems[0].hint


# --- aliases ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_a_value_wrong_at_its_use_is_reported_at_the_alias_naming_the_anchor(loader, monkeypatch):
    text = ("input: [8, 8, 3]\nparameters: {width: &zero 0}\nlayers:\n"
            "  - {kind: conv2d, filters: 4, kernel: 3}\n  - {kind: conv2d, filters: *zero, kernel: 3}\n")
    [(code, line, column, message)] = problems(text, monkeypatch, loader)
    assert (code, line, column) == ("E205", 5, 29)
    assert message.endswith("the value of '*zero' is written at line 2, column 21")


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_an_expression_through_an_alias_is_reported_at_the_alias(loader, monkeypatch):
    text = ("input: [8, 8, 3]\nparameters: {k: &k 3 * alpah}\nlayers:\n"
            "  - {kind: conv2d, filters: 4, kernel: *k}\n")
    found = problems(text, monkeypatch, loader)
    assert [(code, line, column) for code, line, column, _ in found] == [("E301", 2, 24), ("E301", 4, 40)]
    assert found[1][3].endswith("the value of '*k' is written at line 2, column 17")


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_a_mistake_in_an_aliased_layer_is_one_message_at_the_anchor(loader, monkeypatch):
    text = "input: [8, 8, 3]\nlayers:\n  - &c {kind: conv2d, filters: 0, kernel: 3}\n  - *c\n  - *c\n"
    [(code, line, column, message)] = problems(text, monkeypatch, loader)
    assert (code, line, column) == ("E205", 3, 32)
    assert message.endswith("(and 2 more like it through '*c')")


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_the_same_problem_at_an_anchor_and_its_use_is_one_message(loader, monkeypatch):
    text = "input: [&s 0, *s, 3]\nlayers: [relu]\n"
    [(code, line, column, message)] = problems(text, monkeypatch, loader)
    assert (code, line, column) == ("E205", 1, 9) and message.endswith("(and 1 more like it through '*s')")


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_a_shape_problem_of_an_aliased_layer_is_at_its_use(loader, monkeypatch):
    text = "input: [8, 8, 3]\nlayers:\n  - &c {kind: conv2d, filters: 4, kernel: 3}\n  - flatten\n  - *c\n"
    assert located(text, monkeypatch, loader) == [("E404", 5, 5)]


# --- block arguments ------------------------------------------------------------------------------

BLOCK = """input: [32, 32, 16]
parameters:
  width: 1
blocks:
  unit:
    parameters:
      filters:
      k: 3
    layers:
      - {kind: conv2d, name: conv, filters: filters, kernel: k, padding: same}
      - {kind: conv2d, name: again, filters: filters, kernel: 3, padding: same}
      - relu
layers:
  - {kind: unit, name: u1, filters: 16}
  - {kind: unit, name: u2, filters: 0}
"""


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_a_bad_block_argument_is_reported_at_the_argument_once(loader, monkeypatch):
    [(code, line, column, message)] = problems(BLOCK, monkeypatch, loader)
    assert (code, line, column) == ("E205", 15, 37)
    assert message.endswith("it comes from the block argument written here, used in the block at line 10, "
                            "column 45")


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_an_argument_through_an_outer_block_is_reported_at_the_outer_use(loader, monkeypatch):
    text = ("input: [32, 32, 16]\nblocks:\n  inner:\n    parameters: {g: }\n"
            "    layers: [{kind: conv2d, name: c, filters: g, kernel: 3}]\n"
            "  outer:\n    parameters: {f: }\n    layers:\n      - {kind: inner, name: i1, g: f}\n"
            "      - {kind: inner, name: i2, g: f}\n"
            "layers:\n  - {kind: outer, name: o1, f: 8}\n  - {kind: outer, name: o2, f: 0}\n")
    [(code, line, column, message)] = problems(text, monkeypatch, loader)
    assert (code, line, column) == ("E205", 13, 32) and "used in the block at line 5, column 47" in message


def test_a_body_value_that_also_reads_a_spec_parameter_stays_in_the_body(monkeypatch):
    text = BLOCK.replace("name: conv, filters: filters,", "name: conv, filters: filters * width,")
    text = text.replace("width: 1", "width: 0").replace("filters: 0}", "filters: 8}")
    found = problems(text, monkeypatch, LOADERS[-1])
    assert [(code, line) for code, line, _, _ in found] == [("E205", 10)]
    assert "more like it" in found[0][3]  # both instances: a mistake in the block itself
