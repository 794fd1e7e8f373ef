"""Special files and terminals (issue 11, class 9).

Every file convcost reads (a spec, a budget file, a baseline) goes through one door,
``language.source.read_text``, which refuses anything that is not a regular file before reading a
byte: a FIFO would block until a writer came, /dev/zero never ends. And nothing a user wrote — a
spec's name, a file name, a ``--set`` value, an option — reaches the terminal raw: control
characters and bidirectional overrides are printed as visible escapes (``\\x1b``, ``\\u202e``),
while JSON stays exact. The door corpus (tests/data/doors/file_*.yaml, term_*.yaml) runs the
same through the command line; these tests hold the pieces.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from convcost.cli import app
from convcost.errors import SpecError, clip, has_controls, visible, visible_json
from convcost.language import source
from convcost.language.source import read_text

from cli_runner import runner

TINY = "input: [8, 8, 3]\nparameters: {w: 4}\nlayers:\n  - {kind: conv2d, filters: w, kernel: 3}\n"
# the name of a network that tries to retitle the terminal, reverse the text after it, draw bold
# through rich markup and clear the screen with a one-character (C1) CSI
EVIL_NAME = "Net\x1b]0;pwned\x07\u202e[bold]x[/bold]\x9b2J"
EVIL = f'name: "{EVIL_NAME.encode("unicode_escape").decode()}"\n' + TINY
# what no output for a person may hold: C0 controls but the newline, DEL, C1, bidirectional controls
RAW = [chr(c) for c in [*range(0x00, 0x0A), *range(0x0B, 0x20), *range(0x7F, 0xA0)]] + [
    "\u061c", "\u200e", "\u200f", "\u2028", "\u2029", *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A))]


def raw_characters(text: str) -> list[str]:
    return sorted({c for c in text if c in RAW})


# --- visible(): the one escaping function ---------------------------------------------------------

@pytest.mark.parametrize("raw, shown", [
    ("a\x1b[2J", "a\\x1b[2J"),
    ("bell\x07", "bell\\x07"),
    ("tab\there", "tab\\there"),
    ("cr\rhere", "cr\\rhere"),
    ("del\x7f", "del\\x7f"),
    ("csi\x9b2J", "csi\\x9b2J"),
    ("rtl\u202eoverride", "rtl\\u202eoverride"),
    ("isolate\u2066x\u2069", "isolate\\u2066x\\u2069"),
    ("line\u2028separator", "line\\u2028separator"),
    ("byte\udcff", "byte\\xff"),  # an undecodable byte of a file name, as Python holds it
    ("lone\ud800", "lone\\ud800"),
    ("nonchar\uffff", "nonchar\\uffff"),
])
def test_visible_escapes_what_a_terminal_would_act_on(raw, shown):
    assert visible(raw) == shown
    assert has_controls(raw) and not has_controls(shown)


def test_visible_keeps_newlines_and_every_printable_character():
    text = "MobileNet v1 1.0-224  input 224×224×3\ncafé — ✓ 日本 \\x1b"
    assert visible(text) == text and not has_controls(text)


def test_visible_is_idempotent():
    assert visible(visible(EVIL_NAME)) == visible(EVIL_NAME)


def test_clip_escapes_each_character_and_keeps_the_rest():
    # before: 'café\x1b' became 'caf\xe9\x1b' (the whole text through unicode_escape)
    assert clip("café\x1b") == "'café\\x1b'"
    assert clip("zero\u200bwidth") == "'zero\\u200bwidth'"  # invisible, so shown: a name that looks right
    assert clip("two\nlines") == "'two\\nlines'"


def test_visible_json_is_the_same_json_and_the_same_text_without_controls():
    data = {"name": EVIL_NAME + "\x7f\u2066", "n": 1}
    text = json.dumps(data, ensure_ascii=False)
    assert raw_characters(text)  # json leaves DEL, C1 and bidirectional controls raw
    escaped = visible_json(text)
    assert not raw_characters(escaped) and json.loads(escaped) == data
    plain = json.dumps({"name": "MobileNet 224×224", "x": [1, 2]}, ensure_ascii=False)
    assert visible_json(plain) == plain


# --- reading files: regular files only --------------------------------------------------------------

def refused(path: str, what: str = "a YAML spec file") -> str:
    """The E100 message of reading ``path``, within a second whatever it is."""
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail(f"reading {path} blocked"))
    signal.alarm(1)
    try:
        with pytest.raises(SpecError) as caught:
            read_text(path, what)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    (problem,) = caught.value.problems
    assert problem.code == "E100" and str(problem.location) == f"{path}:1:1"
    return problem.message


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert refused(str(fifo)) == f"{clip(fifo)} is a named pipe (FIFO), expected a YAML spec file"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_a_device_is_refused_before_a_byte_is_read(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    assert refused(device, "a YAML budget file") == f"'{device}' is a character device, expected a YAML budget file"


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        assert refused(str(path), "a JSON baseline file") == f"{clip(path)} is a socket, expected a JSON baseline file"
    finally:
        server.close()


def test_a_directory_is_refused(tmp_path):
    assert refused(str(tmp_path)) == f"{clip(tmp_path)} is a directory, expected a YAML spec file"


def test_a_symbolic_link_to_a_regular_file_is_read_and_a_broken_one_is_named(tmp_path):
    (tmp_path / "net.yaml").write_text(TINY)
    (tmp_path / "link.yaml").symlink_to(tmp_path / "net.yaml")
    assert read_text(str(tmp_path / "link.yaml")) == TINY
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    assert refused(str(tmp_path / "dangling.yaml")).endswith("is a symbolic link to a missing file")


def test_a_file_swapped_for_a_fifo_after_the_check_is_refused_once_open(tmp_path, monkeypatch):
    """stat, then open: between the two the path can change. The file is opened without blocking
    and checked again, so a FIFO put in its place is refused, not waited on."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    real_stat = os.stat
    regular = real_stat(__file__)
    monkeypatch.setattr(source.os, "stat", lambda path, *a, **k: regular if path == str(fifo) else real_stat(path))
    assert "is a named pipe (FIFO)" in refused(str(fifo))
    assert stat.S_ISFIFO(real_stat(fifo).st_mode)


def test_dev_stdin_on_a_pipe_is_refused_and_points_to_dash(tmp_path):
    """/dev/stdin is a link to whatever standard input is: a regular file is read, a pipe is
    refused like any FIFO, with the hint that '-' reads standard input (with the same byte bound)."""
    command = [sys.executable, "-m", "convcost", "report", "/dev/stdin"]
    piped = subprocess.run(command, input=TINY.encode(), capture_output=True, timeout=30)
    assert piped.returncode == 2
    assert b"/dev/stdin:1:1: E100 '/dev/stdin' is a named pipe (FIFO)" in piped.stderr
    assert b"'-' reads standard input" in piped.stderr
    (tmp_path / "net.yaml").write_text(TINY)
    with open(tmp_path / "net.yaml", "rb") as redirected:
        from_file = subprocess.run(command, stdin=redirected, capture_output=True, timeout=30)
    assert from_file.returncode == 0 and b"conv2d_1" in from_file.stdout
    dash = subprocess.run(command[:-1] + ["-"], input=TINY.encode(), capture_output=True, timeout=30)
    assert dash.returncode == 0 and b"conv2d_1" in dash.stdout


# --- every output format of every command -------------------------------------------------------------

HUMAN = [
    ["report", "net.yaml"], ["report", "net.yaml", "-f", "csv"], ["report", "net.yaml", "-f", "markdown"],
    ["compare", "net.yaml", "--set-b", "w=8"], ["compare", "net.yaml", "--set-b", "w=8", "-f", "markdown"],
    ["compare", "net.yaml", "--set-b", "w=8", "-f", "csv"],
    ["sweep", "net.yaml", "--set", "w=4,8"], ["sweep", "net.yaml", "--set", "w=4,8", "-f", "markdown"],
    ["sweep", "net.yaml", "--set", "w=4,8", "-f", "csv"],
    ["verify", "net.yaml"],
    ["check", "net.yaml", "--max-macs", "1"], ["check", "net.yaml", "--max-macs", "1", "-f", "github"],
    ["check", "net.yaml", "--max-macs", "1", "-f", "markdown"], ["check", "net.yaml", "--max-macs", "1", "-f", "junit"],
    ["explain", "net.yaml", "nope"], ["sweep", "net.yaml"],
]
JSON = [["report", "net.yaml", "-f", "json"], ["compare", "net.yaml", "--set-b", "w=8", "-f", "json"],
        ["sweep", "net.yaml", "--set", "w=4,8", "-f", "json"], ["verify", "net.yaml", "-f", "json"],
        ["check", "net.yaml", "--max-macs", "1", "-f", "json"]]


@pytest.fixture
def evil(tmp_path, monkeypatch):
    (tmp_path / "net.yaml").write_text(EVIL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("args", HUMAN, ids=lambda a: " ".join(a[:1] + a[2:]))
def test_no_human_output_prints_a_control_character(evil, args):
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1, 2), result.output
    assert not raw_characters(result.stdout + result.stderr)
    if "csv" not in args:  # CSV has no title: the name is not in it
        assert "Net\\x1b]0;pwned\\x07\\u202e" in result.stdout + result.stderr


@pytest.mark.parametrize("args", JSON, ids=lambda a: " ".join(a[:1] + a[2:]))
def test_json_output_holds_the_exact_name_and_no_raw_control_character(evil, args):
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    assert not raw_characters(result.stdout)
    assert EVIL_NAME in strings(json.loads(result.stdout)), result.stdout  # exact once parsed


def strings(data) -> set[str]:
    """Every string in a JSON document, and the strings they are part of."""
    if isinstance(data, dict):
        return set().union(*(strings(v) for v in data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*(strings(v) for v in data)) if data else set()
    return {part for part in (data if isinstance(data, str) else "",) for part in (part, *part.split(" "))}


def test_rich_tables_show_markup_in_a_name_as_written(evil):
    for args in (["check", "net.yaml", "--max-macs", "1"], ["verify", "net.yaml"]):
        result = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert "[bold]x[/bold]" in result.stdout, result.stdout


def test_junit_with_control_characters_is_well_formed_xml(evil):
    result = runner.invoke(app, ["check", "net.yaml", "--max-macs", "1", "-f", "junit"])
    root = ET.fromstring(result.stdout)
    assert root.find(".//property").get("value") == visible(EVIL_NAME)


def test_coloured_tables_keep_their_own_bold_and_escape_the_rest(evil, monkeypatch):
    """With colour, the report's title is bold: convcost's own escape sequences are kept, those
    of the spec are not, even one that spells convcost's bold exactly."""
    from convcost.cli import report

    monkeypatch.setattr(report, "use_color", lambda: True)
    Path("bold.yaml").write_text('name: "a\\e[1mb"\n' + TINY)
    for spec in ("net.yaml", "bold.yaml"):
        result = runner.invoke(app, ["report", spec])
        assert result.exit_code == 0
        out = result.stdout.replace("\x1b[1m", "").replace("\x1b[0m", "")
        assert not raw_characters(out), out
        # the layers' title and header, the totals' title, the breakdown's title and header
        assert result.stdout.count("\x1b[1m") == 5
    assert "a\\x1b[1mb" in result.stdout


def test_shipped_specs_give_the_renderers_json_byte_for_byte():
    """The JSON boundary changes nothing in a document without control characters."""
    import convcost
    from convcost.language.loader import SHIPPED
    from convcost.render.report import to_json

    for spec in sorted(SHIPPED.glob("*.yaml")):
        result = runner.invoke(app, ["report", str(spec), "-f", "json"])
        assert result.exit_code == 0
        assert result.stdout == to_json(convcost.analyze(convcost.load(spec))) + "\n"


def test_a_plot_that_cannot_be_written_is_a_flag_error_not_a_bug(tmp_path, monkeypatch):
    """The file passed the check before the sweep, but writing it failed (a full disk, a file
    made read-only meanwhile): exit 2 naming --plot, not an internal error."""
    pytest.importorskip("matplotlib")
    import convcost.plot

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    (tmp_path / "net.yaml").write_text(TINY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(convcost.plot, "plot_sweep", full_disk)
    result = runner.invoke(app, ["sweep", "net.yaml", "--set", "w=4,8", "--plot", "plot.png"])
    assert result.exit_code == 2
    assert "--plot: cannot write 'plot.png': No space left on device" in result.stderr


@pytest.mark.parametrize("raised, code", [(SystemExit(1), 1), ("abort", 1)])
def test_the_command_group_lets_exits_and_aborts_through(monkeypatch, raised, code):
    """The group that escapes usage errors runs click without its standalone handling: an exit
    (rich's on a broken pipe) or an abort (end of input at a prompt) still ends the run with its
    code, not with an error of the group itself."""
    import typer

    from convcost.cli import kinds

    def stop(*args, **kwargs):
        raise typer.Abort() if raised == "abort" else raised

    monkeypatch.setattr(kinds, "write", stop)
    result = runner.invoke(app, ["kinds"])
    assert result.exit_code == code and not isinstance(result.exception, AttributeError), result.exception
