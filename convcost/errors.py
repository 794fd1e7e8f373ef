"""Errors with a source location, and the exit codes of the command line.

Every problem found in a spec is a :class:`Problem`: a stable code, a message that says what was
wrong and what was expected, the place in the file (``path:line:col``) and an optional hint.
Problems travel in a :class:`SpecError`, which can hold many of them so that one run reports
every independent mistake in a file. The core raises; only ``convcost.cli`` prints and exits.

A problem whose code starts with ``W`` is a *warning*: the input is valid but probably not what was
meant (an input that looks channels-first). Warnings are not raised: the core attaches them to what
it returns (``Graph.warnings``, and through it ``Analysis.warnings``), and the command line prints
them on standard error, in the same ``path:line:col: CODE message`` form, without changing the exit
status (``--no-warn`` silences them).
"""

from __future__ import annotations

# Records here and in the report path are NamedTuples, not dataclasses: a frozen dataclass costs
# about 1 ms to create at import, and `convcost report` has a start-up budget
# (benchmarks/report_speed.py).
import re
from typing import Callable, NamedTuple

EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # a budget exceeded, counts that disagree
EXIT_BAD_INPUT = 2  # bad spec, bad budget file, bad usage


class Location(NamedTuple):
    """A 1-based line and column in a file (``path`` is what the user typed, or ``<text>``). Line 0
    is the file as a whole: a model file (.keras, .onnx), which has no lines; its messages name the
    layer or node instead (convcost.importers.model)."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        # A newline in a file name would start a line of its own that reads like another problem
        # (``net.yaml:1:1: E999 …``): shown as \n. Other control characters are escaped where
        # the location is printed (errors.visible).
        path = self.path.replace("\n", "\\n") if "\n" in self.path else self.path
        return f"{path}:{self.line}:{self.column}" if self.line else path


class Problem(NamedTuple):
    """An error (code ``E…``) or a warning (code ``W…``), where it is and how to fix it."""

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


class UnknownNameError(ConvcostError, KeyError):
    """A lookup by name that names nothing, such as ``result.layer("conv_1")``: the message names
    what was asked for and suggests the nearest name (``no layer named 'conv_1' in MobileNet v1;
    did you mean 'conv1'?``). Also a KeyError, as the lookups raised before, with the name asked
    for as ``args[0]``."""

    def __init__(self, what: str, name: object, choices, where: str = ""):
        choices = [str(c) for c in choices]
        self.what, self.name = what, name
        hint = did_you_mean(name, choices) or (f"{what}s: {names(choices)}" if choices else f"there are no {what}s")
        self.message = f"no {what} named {clip(name)}{where}; {hint}"
        super().__init__(name)

    def __str__(self) -> str:  # KeyError's would show the repr of args[0]
        return self.message


def did_you_mean(asked: object, choices) -> str | None:
    """``did you mean 'conv2d'?`` for a near miss among ``choices``, else None."""
    import difflib

    word = str(asked)
    if not word or len(word) > 100:
        return None
    choices = [str(c) for c in choices]
    if len(choices) > 500:  # keep the search cheap: only names of a similar length
        choices = [c for c in choices if abs(len(c) - len(word)) <= 3][:500]
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean {clip(close[0])}?" if close else None


# What a terminal would act on instead of showing: C0 controls (the newline is kept where text is
# meant to have lines), DEL, C1 controls (U+009B is a one-character CSI), the bidirectional marks,
# embeddings, overrides and isolates that reorder what is shown ("Trojan Source", CVE-2021-42574),
# the Unicode line and paragraph separators, lone surrogates (an undecodable byte of a file name,
# which cannot even be encoded for output) and the noncharacters U+FFFE and U+FFFF (which, like the
# C0 controls, XML 1.0 forbids: check --format junit stays well-formed).
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
                     "\ud800-\udfff\ufffe\uffff]")
_NAMED = {"\t": "\\t", "\r": "\\r", "\n": "\\n"}


def escaped(char: str) -> str:
    """One character as a visible escape: ``\\x1b``, ``\\t``, ``\\u202e``; a byte of a file name
    that is not UTF-8 (which Python holds as a surrogate, U+DC80-U+DCFF) as the byte, ``\\xff``."""
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        code -= 0xDC00
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000
                                else f"\\U{code:08x}")


def visible(text: str) -> str:
    """``text`` safe to print: every character a terminal would act on instead of showing
    (``_UNSAFE``: controls, bidirectional overrides) written as a visible escape, the newline
    excepted. ``visible("a\\x1b[2J") == "a\\\\x1b[2J"``; every other character is kept as it is
    (``'café ×'`` stays), so text without such characters is returned unchanged. The command line
    passes everything it prints for a person through this (cli/common.py)."""
    return _UNSAFE.sub(lambda match: escaped(match.group()), text)


def has_controls(text: str) -> bool:
    """Whether :func:`visible` would change ``text`` (one search: cheaper than escaping it)."""
    return _UNSAFE.search(text) is not None


def visible_json(text: str) -> str:
    """JSON text with the characters ``json.dumps(..., ensure_ascii=False)`` leaves raw (DEL, C1,
    bidirectional overrides; it escapes the C0 controls itself) written as JSON escapes: the same
    strings once parsed, and the very same text when there are none. They can only occur inside
    JSON strings, where ``\\u202e`` means the character itself."""
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def clip(value: object, limit: int = 60) -> str:
    """A value quoted for a message, shortened and with control characters escaped:
    ``clip("conv") == "'conv'"``; a 1 MB string becomes its first ``limit`` characters and '…'.
    Unlike :func:`visible`, every character that does not print (a newline, a zero-width space) is
    escaped, so that a value that looks right but is not shows why."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    if not text.isprintable():
        text = "".join(c if c.isprintable() else escaped(c) for c in text)
    return f"'{text}'"


def shorten(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters, one line, control characters escaped (no quotes)."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[:limit] + "…"
    return text if text.isprintable() else "".join(c if c.isprintable() else escaped(c) for c in text)


def names(items, limit: int = 12) -> str:
    """``a, b, c`` for a hint, at most ``limit`` names (then '… (N in all)')."""
    items = [str(i) for i in items]
    shown = ", ".join(items[:limit])
    return shown + (f", … ({len(items)} in all)" if len(items) > limit else "")


def once(problems) -> list[Problem]:
    """Each problem once, in order: the first of those with the same code at the same place (or, without
    a place, the same message). The warnings of a sweep's configurations, or of the two sides of a
    comparison, say the same thing about the same line."""
    first: dict[tuple, Problem] = {}
    for problem in problems:
        key = (problem.code, problem.location) if problem.location else (problem.code, problem.message)
        first.setdefault(key, problem)
    return list(first.values())


def finish(problems: list[Problem], instanced: Callable[[Location], bool] | None = None) -> list[Problem]:
    """Problems in reading order (by line and column; problems without a location first), each
    reported once: the same problem twice is reported once, and where ``instanced`` says that a
    place is repeated by block instances (a layer inside a block definition), every problem of one
    code there becomes one problem that says how often it occurs. Other problems of one code at one
    place are different problems, and each is kept."""
    seen: dict[tuple, int] = {}
    unique: list[Problem] = []
    counts: list[int] = []
    for problem in problems:
        if problem.location and instanced is not None and instanced(problem.location):
            key: tuple = (problem.code, problem.location)
        else:
            key = (problem.code, problem.location, problem.message)
        if key in seen:
            counts[seen[key]] += 1
            continue
        seen[key] = len(unique)
        unique.append(problem)
        counts.append(1)
    result = []
    for problem, count in zip(unique, counts):
        if count > 1 and instanced is not None and problem.location and instanced(problem.location):
            problem = Problem(problem.code, f"{problem.message} (and {count - 1} more like it from other "
                                            "instances of the same block)", problem.location, problem.hint)
        result.append(problem)
    result.sort(key=lambda p: (0, "", 0, 0) if p.location is None else
                (1, p.location.path, p.location.line, p.location.column))
    return result


# The catalogue of codes; docs/errors.md lists the same codes with examples.
CODES = {
    # reading the file
    "E100": "the file cannot be read (missing, a directory, not UTF-8, binary, too large)",
    "E101": "YAML syntax error",
    "E102": "duplicate key in a mapping",
    "E103": "YAML feature not allowed (language-specific tag, merge key, complex key, recursive alias, "
            "nesting too deep, alias expansion too large)",
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
    "E208": "a YAML 1.1 form where a number or true/false is needed (010, 08, 1:30, yes/no/on/off, 1__0)",
    "E210": "a parameter named like a shape name (in_channels, in_height, in_width, in_depth, in_length)",
    "E211": "inputs name a layer that its 'when:' left out",
    "E212": "a spec with both 'input' and 'inputs'",
    "E260": "a per-channel list whose length is not the input's channels (rescaling's scale or offset)",
    "E261": "a slice that selects nothing (an empty output)",
    # expressions and parameters
    "E300": "expression syntax not allowed",
    "E301": "unknown name in an expression",
    "E302": "unknown function in an expression",
    "E303": "arithmetic error (division by zero, bad function argument)",
    "E304": "unknown parameter or bad value in --set",
    "E305": "a --set parameter that no layer uses (setting it would change nothing)",
    "E310": "a shape name for an axis the layer's input does not have (in_height of a vector)",
    "E311": "a condition where a number is needed, or a number other than 0 or 1 where a condition is needed",
    # graph and shapes
    "E400": "unknown or forward reference in inputs (a layer that reads itself or a later layer: a cycle), or a "
            "reference to a merge removed by repeat: 0",
    "E401": "duplicate layer name, or a layer listed twice in outputs",
    "E402": "shapes do not agree at a merge layer",
    "E403": "kernel larger than the padded input (output size below 1)",
    "E404": "input has the wrong rank for this layer",
    "E405": "groups do not divide the channels",
    "E406": "too many layers, or a block that instantiates itself",
    "E407": "a tensor too large (a dimension above 10^18)",
    "E410": "a transposed convolution's output_padding not below its stride or its dilation",
    "E411": "output_padding given with padding: same on a transposed convolution",
    "E430": "a layer that shares weights (shares:) with a layer of another kind, other fields or other input "
            "channels, or with one that shares them itself",
    "E420": "a size a layer must divide evenly and does not: H or W by block_size, channels by block_size², "
            "an axis by split parts",
    "E421": "a crop as large as its input or larger (nothing would be left)",
    "E422": "reshape: the new shape does not hold the input's element count",
    "E423": "upsampling2d given both size and target (they exclude each other)",
    # budgets (convcost check; docs/budgets.md)
    "E500": "budget file or section has the wrong structure (empty, not a mapping, no 'budgets' or 'path')",
    "E501": "unknown metric in a budget (metrics are the report's totals and layer keys)",
    "E502": "unknown key in a budget entry or limit",
    "E503": "bad limit: not a number, unknown or wrong unit, not a whole number",
    "E504": "negative limit or allowed increase",
    "E505": "bad level (warn, error, off) or unknown layer kind in a layer budget",
    "E506": "a budget that gives no limit, or an entry that limits nothing",
    "E507": "a layer budget selects no layer of the spec",
    "E508": "the baseline is not a convcost JSON report",
    "E509": "no budget applies to the specs checked",
    "E510": "a limit beyond convcost's bounds: above 10^18, more than 100 characters, or an exponent beyond ±400",
    # sweep grids (convcost sweep; docs/sweep.md)
    "E530": "a sweep grid with more configurations than --max-configurations allows (refused before any is built)",
    "E531": "--max-configurations is not from 1 to 1,000,000,000",
    "E532": "a table, Markdown or --plot sweep with more rows than it may hold (1,000,000)",
    # baselines and budget files against the run (issue 11; docs/budgets.md)
    "E551": "a baseline beyond a bound: JSON nested too deeply, a number too long",
    "E552": "duplicate key in a baseline",
    "E553": "a baseline without a schema_version this convcost reads",
    "E554": "a baseline total that is not a whole number of at least 0 (a float, a text, true, null, negative)",
    "E555": "unknown metric in a baseline's totals",
    "E556": "a budget file entry whose path matches no spec of the run (check --strict; W550 without)",
    # the ONNX importer (convcost.importers.onnx; docs/import.md)
    "E640": "an .onnx file that cannot be read: truncated, corrupt, or not an ONNX model",
    "E641": "ONNX ops convcost cannot map (every one listed, with its count and first node names)",
    "E642": "an ONNX node convcost cannot map exactly: an attribute value, layout or input it does not take",
    # verify --runtime onnxruntime (convcost.runtime; docs/verify.md)
    "E680": "--runtime given for a spec that is not an ONNX .onnx file",
    "E681": "--runtime onnxruntime without the onnx and onnxruntime packages (the extra convcost[runtime])",
    "E682": "a layer whose executor weights map to no ONNX constant (convcost cannot write them into the model)",
    "E683": "onnxruntime cannot run the model with the executor's weights, or the model's fixed batch is not --batch",
    # warnings: reported on standard error, the exit status unchanged (--no-warn silences them)
    "W201": "a spec parameter that nothing reads",
    "W202": "a block parameter that no layer of its block reads",
    "W210": "a 'when:' that reads no parameter nor shape: it is the same in every build",
    "W401": "a layer that no layer reads and that is not the network's output (its last layer)",
    "W402": "a block that no layer uses",
    "W403": "a layer that lists the same input twice",
    "W550": "a budget file entry whose path matches no spec of the run: its budgets check nothing",
    # importing a model file (docs/import.md): located at the file, naming the layer or node
    "E600": "an imported model's input with a dynamic size and no --input-shape (or --set) giving it",
    "E601": "a bad --input-shape: not whole numbers, not the input's rank, an unknown input name, or given for "
            "a spec",
    "E602": "a model with no input (or no input shape)",
    "E603": "a model file that cannot be read: missing, a directory, not a regular file, empty",
    "E610": "a Keras file that cannot be opened: a damaged or truncated zip or HDF5 file, no config.json or "
            "model_config",
    "E611": "a Keras config that is not valid JSON or not a model config",
    "E612": "a Keras .h5 file without the h5py package (the extra convcost[h5])",
    "E613": "a Keras model graph that does not hold together: a layer never called, reading no earlier layer, "
            "an output that is no layer, a file holding no model",
    "E614": "a Keras layer class (or keras.ops operation) that has no convcost kind",
    "E615": "a Keras layer field value that has no exact convcost meaning (data_format channels_first, an "
            "unknown activation, a ReLU threshold, …)",
    "W101": "the input looks channels-first (C, H, W): a first axis of at most 4, smaller than every other axis",
}
