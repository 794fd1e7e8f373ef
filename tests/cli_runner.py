"""One CliRunner for every test, with standard error kept apart on every supported Click.

Click 8.2 and newer always keep ``result.stderr`` separate (and dropped the ``mix_stderr``
argument); Click 8.1, which the lowest allowed Typer can install, mixes the two unless told not
to. The tests assert on stdout and stderr separately, so they ask for that in the way each
version understands (CI runs the suite on the newest and on the lowest allowed versions).
"""

from __future__ import annotations

import inspect

from typer.testing import CliRunner


def make_runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


runner = make_runner()
