"""The typer application that every command module adds its command to (convcost.cli loads them)."""

from __future__ import annotations

from typing import Optional

import typer

app = typer.Typer(
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
