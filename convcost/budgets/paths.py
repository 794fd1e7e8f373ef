"""Spec paths: the globs of budget entries matched against spec files (like .gitignore), spec
arguments expanded to files, and paths shown relative to the working directory.
"""

from __future__ import annotations

import glob
import os
import re
from typing import Sequence

from convcost.errors import Location, Problem


def matches(pattern: str, spec_path: str, directory: str) -> bool:
    """Does a budget entry's ``path`` pattern match ``spec_path``?

    Like .gitignore: a pattern without ``/`` matches the file name in any directory
    (``mobilenet*.yaml``); a pattern with ``/`` is relative to ``directory`` (the budget file's)
    unless absolute. ``*`` and ``?`` stay within one path segment, ``**`` spans directories.
    """
    pattern = pattern.replace("\\", "/")
    target = os.path.abspath(spec_path)
    if "/" not in pattern:
        return _glob_regex(pattern).fullmatch(os.path.basename(target)) is not None
    if pattern.startswith("./"):
        pattern = pattern[2:]
    if os.path.isabs(pattern):
        candidate = target.replace(os.sep, "/")
        pattern = os.path.normpath(pattern).replace(os.sep, "/") if "**" not in pattern else pattern
    else:
        candidate = os.path.relpath(target, directory).replace(os.sep, "/")
    return _glob_regex(pattern).fullmatch(candidate) is not None


_GLOB_CACHE: dict[str, re.Pattern] = {}


def _glob_regex(pattern: str) -> re.Pattern:
    if pattern not in _GLOB_CACHE:
        out, i, n = [], 0, len(pattern)
        while i < n:
            c = pattern[i]
            if pattern.startswith("**/", i):
                out.append("(?:[^/]*/)*")
                i += 3
            elif pattern.startswith("**", i):
                out.append(".*")
                i += 2
            elif c == "*":
                out.append("[^/]*")
                i += 1
            elif c == "?":
                out.append("[^/]")
                i += 1
            elif c == "[" and "]" in pattern[i + 2:]:
                end = pattern.index("]", i + 2)
                body = pattern[i + 1:end]
                body = "^" + body[1:] if body.startswith("!") else body
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end + 1
            else:
                out.append(re.escape(c))
                i += 1
        _GLOB_CACHE[pattern] = re.compile("".join(out))
    return _GLOB_CACHE[pattern]


def expand_specs(arguments: Sequence[str]) -> tuple[list[str], list[Problem]]:
    """Spec arguments as files: a glob that names no existing file is expanded (for shells that do
    not, and for pre-commit), shipped names resolved; duplicates dropped."""
    from convcost.language import resolve_path

    paths, problems, seen = [], [], set()
    for argument in arguments:
        if not os.path.exists(argument) and any(c in argument for c in "*?["):
            found = sorted(glob.glob(argument, recursive=True))
            if not found:
                problems.append(Problem("E100", f"no file matches '{argument}'", Location(argument, 1, 1)))
        else:
            found = [resolve_path(argument)]
        for path in found:
            key = os.path.abspath(path) if path != "-" else path
            if key not in seen:
                seen.add(key)
                paths.append(path)
    return paths, problems


def display_path(path: str) -> str:
    """``path`` relative to the working directory when it lies inside it (GitHub annotations need that)."""
    if path in ("-", "<text>") or not os.path.isabs(path):
        return path
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
