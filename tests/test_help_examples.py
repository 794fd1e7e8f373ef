"""Every command's --help: its examples run as written, and its text is shown as written."""

from __future__ import annotations

import re

import pytest
import typer.main
from test_docs import ROOT, run_documented

from convcost.cli import app

from cli_runner import make_runner

COMMANDS = typer.main.get_command(app).commands  # name -> click command, every registered command


def examples(command) -> list[str]:
    """The ``convcost ...`` lines of a command's epilog ("Examples: ...")."""
    return [line.strip() for line in (command.epilog or "").splitlines() if line.strip().startswith("convcost ")]


@pytest.mark.parametrize("name", [name for name, command in COMMANDS.items() if examples(command)])
def test_every_help_example_runs(name, tmp_path):
    """From the repository root, in order (an example may read the file an earlier one wrote, which
    goes to a temporary directory, as do plots), each exits 0."""
    for line in examples(COMMANDS[name]):
        assert line.split()[1] in COMMANDS, line
        result = run_documented(line, cwd=ROOT, out_dir=tmp_path)
        assert result.exit_code == 0, (line, result.output)


def test_the_examples_cover_the_commands():
    assert {name for name, command in COMMANDS.items() if not examples(command)} <= {"kinds"}


def _texts(command) -> list[str]:
    """Everything of a command that --help shows as written: its help, epilog, and each parameter's
    help and metavar."""
    return [command.help or "", command.epilog or ""] + [
        text for param in command.params for text in (getattr(param, "help", None), param.metavar) if text]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_shows_square_brackets_as_written(name):
    """Text in square brackets is not taken for markup: 'pip install convcost[plot]' keeps its [plot]."""
    words = {word for text in _texts(COMMANDS[name]) for word in re.findall(r"[^\s\[]*\[[^\]\s]*\][^\s]*", text)}
    result = make_runner().invoke(app, [name, "--help"])
    assert result.exit_code == 0
    missing = [word for word in sorted(words) if word not in result.stdout.split()]
    assert not missing, result.stdout


def test_the_plot_extra_is_named_in_sweep_help():
    shown = " ".join(make_runner().invoke(app, ["sweep", "--help"]).stdout.split())
    assert "needs matplotlib: pip install 'convcost[plot]'." in shown
