"""The command line: the only code that prints or exits. One module per command.

Exit codes (like ruff and sqlfluff): 0 ok, 1 a check failed (over budget, counts disagree),
2 bad input or usage, 3 an internal error (a bug: please report it with --debug output).
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="convcost",
    help="Exact output shapes, multiplications and parameters of convolutional networks, from a YAML spec.\n\n"
         "Start with:  convcost report mobilenet",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module adds its command to `app` when imported.
from convcost.cli import report as _report  # noqa: E402,F401
from convcost.cli import kinds as _kinds  # noqa: E402,F401


def main() -> None:
    app()
