"""The typer application that every command module adds its command to (convcost.cli loads them)."""

from __future__ import annotations

import importlib
import io
import sys
from typing import Any, Optional, Sequence

import typer
import typer.core


def _click():
    """The click typer runs on: recent typer vendors it as typer._click, older typer imports click."""
    return getattr(typer.core, "_click", None) or importlib.import_module("click")


class _Group(typer.core.TyperGroup):
    """The convcost command group. A usage error (an unknown option, a bad choice, an extra
    argument) quotes what was typed, and click prints some of it raw (``No such option: --…``):
    its message goes through cli/common.say like every other, so that what was typed cannot drive
    the terminal (docs/errors.md)."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        def run(standalone: bool) -> Any:
            return super(_Group, self).main(args, prog_name, complete_var, standalone, windows_expand_args, **extra)

        if not standalone_mode:
            return run(False)
        usage_error = _click().ClickException
        try:
            code = run(False)
        except usage_error as error:
            from convcost.cli.common import say

            shown = io.StringIO()
            error.show(shown)
            say(shown.getvalue().rstrip("\n"))
            sys.exit(error.exit_code)
        except typer.Abort:  # (typer's, or click's on older typer)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Group,
    name="convcost",
    help="Exact output shapes, multiplications and parameters of convolutional networks, from a YAML spec.\n\n"
         "Start with:  convcost report mobilenet",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: help texts are shown as written, so "pip install 'convcost[plot]'" keeps its
    # [plot] (rich markup would take it for a style tag and drop it), and --help needs no rich.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from convcost.version import __version__

        typer.echo(f"convcost {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                                   help="Show the version and exit.")) -> None:
    """Exact output shapes, multiplications and parameters of convolutional networks, from a YAML spec.

    Start with:  convcost report mobilenet
    """
