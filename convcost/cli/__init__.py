"""The command line: the only code that prints or exits. One module per command.

Exit codes (like ruff and sqlfluff): 0 ok, 1 a check failed (over budget, counts disagree),
2 bad input or usage, 3 an internal error (a bug: please report it with --debug output).

Commands are imported only when they run: ``convcost report`` loads the report module alone, so
start-up stays close to the interpreter's own (benchmarks/report_speed.py). ``--help`` and
``convcost.cli.app`` (for tests and embedding) load them all.
"""

from __future__ import annotations

import sys
from importlib import import_module

# command name -> module that registers it on convcost.cli.base.app, in --help order
COMMANDS = {
    "report": "convcost.cli.report",
    "check": "convcost.cli.check",
    "kinds": "convcost.cli.kinds",
    "sweep": "convcost.cli.sweep",
    "compare": "convcost.cli.compare",
    "layer": "convcost.cli.layer",
    "explain": "convcost.cli.explain",
    "verify": "convcost.cli.verify",
    "import": "convcost.cli.import_model",
}


def load_commands(names=None):
    """Import the modules of ``names`` (default: every command); return the typer app."""
    from convcost.cli.base import app

    for name in names or COMMANDS:
        import_module(COMMANDS[name])
    return app


def __getattr__(name: str):
    if name == "app":  # ``from convcost.cli import app``: the app with every command
        return load_commands()
    raise AttributeError(name)


def main() -> None:
    words = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    command = words[0] if words else None
    if command in COMMANDS:
        app = load_commands([command])
    elif command is None and "--version" in sys.argv[1:]:  # answered by the root callback alone
        from convcost.cli.base import app
    else:
        app = load_commands()
    app()
