"""What every command shares: spec loading with --set, error and warning reporting, exit codes."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import traceback
from enum import Enum
from typing import Callable, Iterator, NoReturn, TextIO, cast

import typer

from convcost.analysis import DTYPE_BYTES, WEIGHT_BITS
from convcost.errors import EXIT_BAD_INPUT, ConvcostError, SpecError, visible, visible_json
from convcost.render.text import STYLES
from convcost.units import MAX_WHOLE, NumberError, read_whole

EXIT_INTERNAL = 3


class TableFormat(str, Enum):
    """--format of the commands that print one table of results."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class Dtype(str, Enum):
    """--dtype: the element type of activations, one member per key of DTYPE_BYTES, in its order.
    Written out as a class, not ``Enum("Dtype", DTYPE_BYTES)``, so that mypy knows the members."""

    float64 = "float64"
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"
    uint8 = "uint8"


if [member.value for member in Dtype] != list(DTYPE_BYTES):  # a dtype added to analysis and not here
    raise RuntimeError(f"convcost.cli.common.Dtype must list the keys of DTYPE_BYTES: {', '.join(DTYPE_BYTES)}")

DTYPE_HELP = "Element type for activation bytes."


class WeightDtype(str, Enum):
    """--weight-dtype: the element type of stored parameters, one member per key of WEIGHT_BITS."""

    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"
    int8 = "int8"
    int4 = "int4"


if [member.value for member in WeightDtype] != list(WEIGHT_BITS):
    raise RuntimeError(f"convcost.cli.common.WeightDtype must list the keys of WEIGHT_BITS: {', '.join(WEIGHT_BITS)}")

WEIGHT_DTYPE_HELP = ("Element type of the stored parameters, for weight_bytes (int4: half a byte per parameter, "
                     "each layer rounded up to a whole byte). Independent of --dtype.")
BATCH_HELP = "Batch size (1 to 10^18): scales operation counts and activations."


def whole_number(minimum: int, maximum: int = MAX_WHOLE) -> Callable[[object], int]:
    """The ``parser`` of a whole-number option: its text read by the one bounded reader
    (convcost.units.read_whole: ASCII digits, an exponent allowed, e.g. 1e3), within
    [minimum, maximum]. click's own int() takes other scripts' digits ('٣') and 5,000-digit
    numbers; this refuses them with click's usage error, which names the option (exit 2)."""
    def parse(text: object) -> int:
        if isinstance(text, int):  # the option's default
            return text
        try:
            return read_whole(str(text), minimum, maximum)
        except NumberError as error:
            raise typer.BadParameter(str(error)) from None
    return parse


BATCH = whole_number(1)  # --batch of every command: 1 to 10^18, the largest size a spec may give

SET_HELP = ("Override a spec parameter: NAME=VALUE, a number or an expression over earlier parameters "
            "(e.g. --set alpha=0.75 --set rho=0.714). Repeatable.")
SPEC_HELP = "A spec file, '-' for standard input, or the name of a shipped spec (mobilenet, xception, ...)."
INPUT_SHAPE_HELP = ("For a model file (.keras, .h5, .onnx): the input's shape, channels last without the batch "
                    "(224,224,3): the sizes the model leaves open, and in place of those it fixes; NAME=224,224,3 "
                    "for the input of that name. Repeatable. --set height=160 changes an imported size too.")
NO_WARN_HELP = ("Do not print warnings: valid input that is probably not what was meant, such as an input that "
                "looks channels-first (W101). Warnings never change the exit status.")


def examples(*lines: str, after: str = "") -> str:
    """The epilog of a command's --help: its example lines, one a line and never rewrapped (click
    keeps a paragraph that starts with \\b as written), then an optional closing paragraph. Every
    example runs as written from the repository root (tests/test_help_examples.py)."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines) + (f"\n\n{after}" if after else "")


def parse_sets(items: list[str] | None) -> dict[str, str]:
    """``["alpha=0.75", "rho=1"]`` -> ``{"alpha": "0.75", "rho": "1"}``; bad usage exits 2."""
    overrides: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            fail(f"--set expects NAME=VALUE, got '{item}'")
        if name in overrides:
            fail(f"--set {name} is given twice")
        overrides[name] = value
    return overrides


def fail(message: str, code: int = EXIT_BAD_INPUT, hint: str | None = None) -> NoReturn:
    say(f"error: {message}" + (f"\n    hint: {hint}" if hint else ""))
    raise typer.Exit(code)


def parameter_names(spec) -> str:
    """``parameters of MobileNet v1: alpha, rho, resolution, classes``, for a hint."""
    from convcost.errors import names

    known = spec.parameter_names
    return f"parameters of {spec.name}: {names(known)}" if known else f"{spec.name} declares no parameters"


MAX_SHOWN = 50  # problems printed; the rest are counted


def report_problems(error: SpecError) -> None:
    """Each problem as ``path:line:col: CODE message`` (and its hint) on standard error."""
    problems = error.problems
    for problem in problems[:MAX_SHOWN]:
        say(str(problem))
    count = len(problems)
    if count > MAX_SHOWN:
        say(f"… and {count - MAX_SHOWN:,} more")
    if count > 1:
        say(f"{count:,} problems found")


def report_warnings(warnings, no_warn: bool = False) -> None:
    """Each warning (a W-code problem) as ``path:line:col: W101 message`` and its hint on standard
    error, once for each place (errors.once); nothing with --no-warn. They leave the exit status alone."""
    if no_warn:
        return
    from convcost.errors import once

    for warning in once(warnings):
        say(str(warning))


@contextlib.contextmanager
def handled(debug: bool = False) -> Iterator[None]:
    """Map convcost's exceptions to messages and exit codes; no traceback unless --debug."""
    try:
        yield
    except typer.Exit:
        raise
    except SpecError as error:
        if debug:
            traceback.print_exc()
        if not error.problems:  # every problem is reported where it is found: this would be a bug
            say("internal error: an input error without a message. This is a bug in convcost; run again "
                "with --debug and report the traceback.")
            raise typer.Exit(EXIT_INTERNAL) from None
        report_problems(error)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ConvcostError as error:
        if debug:
            traceback.print_exc()
        say(f"error: {error}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        say("interrupted")
        raise typer.Exit(130) from None
    except Exception as error:  # a bug in convcost, not in the user's input
        if debug:
            traceback.print_exc()
        else:
            say(f"internal error: {type(error).__name__}: {error}\n"
                "This is a bug in convcost; run again with --debug and report the traceback.")
        raise typer.Exit(EXIT_INTERNAL) from None


def use_color() -> bool:
    """Bold titles and headers in the plain-text tables: standard output is a terminal that is not
    dumb, and NO_COLOR is unset."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


# The output boundary. Everything convcost prints for a person goes through say() (standard error)
# or write() (standard output), which escape what a terminal would act on (errors.visible): a layer
# description, a spec's name, a file name or a --set value holding an escape sequence is shown as
# \x1b[2J, never sent to the terminal. Machine output stays exact: JSON is written by the json
# module, which escapes control characters itself, and write(json=True) only turns the characters
# JSON leaves raw (DEL, C1, bidirectional overrides) into \u escapes of the same characters.
_STYLE = re.compile("(" + "|".join(re.escape(code) for code in STYLES) + ")")  # the only escapes convcost writes


def say(text: str) -> None:
    """A message on standard error, control characters escaped."""
    typer.echo(visible(text), err=True)


class _JSONStream:
    """Standard output for a JSON renderer that streams (report): each piece through visible_json."""

    def write(self, text: str) -> int:
        return sys.stdout.write(visible_json(text))


def json_stdout() -> TextIO:
    return cast(TextIO, _JSONStream())


class EscapedStream:
    """A text stream that writes to ``out`` what it is given with control characters escaped by
    ``escape``: for output streamed a piece at a time, past :func:`write`, which does the same for
    whole texts."""

    def __init__(self, out: TextIO, escape: Callable[[str], str]):
        self.out, self.escape = out, escape

    def write(self, text: str) -> int:
        return self.out.write(self.escape(text))

    def flush(self) -> None:
        self.out.flush()


def escaped_stdout(*, json: bool = False) -> EscapedStream:
    """Standard output, control characters escaped as :func:`write` escapes them."""
    return EscapedStream(sys.stdout, visible_json if json else visible)


def write(text: str, *, json: bool = False, styled: bool = False) -> None:
    """``text`` on standard output, control characters escaped (as \\u escapes with ``json``;
    ``styled``: text drawn with render/text.py's bold and dim, which are kept)."""
    if json:
        text = visible_json(text)
    elif styled:
        text = "".join(part if i % 2 else visible(part) for i, part in enumerate(_STYLE.split(text)))
    else:
        text = visible(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
