"""Errors with a source location, and the exit codes of the command line.

Every problem found in a spec is a :class:`Problem`: a stable code, a message that says what was
wrong and what was expected, the place in the file (``path:line:col``) and an optional hint.
Problems travel in a :class:`SpecError`, which can hold many of them so that one run reports
every independent mistake in a file. The core raises; only ``convcost.cli`` prints and exits.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # a budget exceeded, counts that disagree
EXIT_BAD_INPUT = 2  # bad spec, bad budget file, bad usage


@dataclass(frozen=True)
class Location:
    """A 1-based line and column in a file (``path`` is what the user typed, or ``<text>``)."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    location: Location | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.code} {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class ConvcostError(Exception):
    """Base class of every error convcost raises on purpose."""


class SpecError(ConvcostError):
    """One or more problems in a spec (or budget file, or command-line override)."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, choices) -> str | None:
    """``did you mean 'conv2d'?`` for a near miss among ``choices``, else None."""
    import difflib

    close = difflib.get_close_matches(str(word), sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


# The catalogue of codes; docs/errors.md lists the same codes with examples.
CODES = {
    # reading the file
    "E100": "the file cannot be read (missing, a directory, not UTF-8, binary, too large)",
    "E101": "YAML syntax error",
    "E102": "duplicate key in a mapping",
    "E103": "YAML feature not allowed (language-specific tag, alias expansion too large)",
    "E104": "the document is not a mapping, or is empty",
    # structure and fields
    "E200": "unknown top-level section",
    "E201": "unknown layer kind",
    "E202": "unknown field",
    "E203": "missing required field",
    "E204": "wrong type",
    "E205": "value out of range",
    "E206": "a whole number was needed",
    "E207": "invalid name",
    # expressions and parameters
    "E300": "expression syntax not allowed",
    "E301": "unknown name in an expression",
    "E302": "unknown function in an expression",
    "E303": "arithmetic error (division by zero, bad function argument)",
    "E304": "unknown parameter or bad value in --set",
    # graph and shapes
    "E400": "unknown or forward reference in inputs",
    "E401": "duplicate layer name",
    "E402": "shapes do not agree at a merge layer",
    "E403": "kernel larger than the padded input (output size below 1)",
    "E404": "input has the wrong rank for this layer",
    "E405": "groups do not divide the channels",
    "E406": "too many layers, or a block that instantiates itself",
}
