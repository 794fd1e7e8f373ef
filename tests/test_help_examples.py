"""Every command's --help shows its text as written."""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from convcost.cli import app

COMMANDS = typer.main.get_command(app).commands  # name -> click command, every registered command


def _texts(command) -> list[str]:
    """Everything of a command that --help shows as written: its help, epilog, and each parameter's
    help and metavar."""
    return [command.help or "", command.epilog or ""] + [
        text for param in command.params for text in (getattr(param, "help", None), param.metavar) if text]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_shows_square_brackets_as_written(name):
    """Text in square brackets is not taken for markup: 'pip install convcost[plot]' keeps its [plot]."""
    words = {word for text in _texts(COMMANDS[name]) for word in re.findall(r"[^\s\[]*\[[^\]\s]*\][^\s]*", text)}
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0
    missing = [word for word in sorted(words) if word not in result.stdout.split()]
    assert not missing, result.stdout


def test_the_plot_extra_is_named_in_sweep_help():
    shown = " ".join(CliRunner().invoke(app, ["sweep", "--help"]).stdout.split())
    assert "needs matplotlib: pip install 'convcost[plot]'." in shown
