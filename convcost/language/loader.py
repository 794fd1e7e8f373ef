"""Load a spec: a path, ``-`` or a shipped spec's name -> a checked :class:`~convcost.language.spec.Spec`.

Reading and YAML (:mod:`convcost.language.source`) and the structural checks
(:func:`convcost.language.spec.check`) happen once; :func:`convcost.language.build.build` (or
``Spec.build``) then makes a graph for any parameter values, as often as needed, without reading
the file again.

A run reports every independent mistake in a file at once: when loading finds structural
problems, what can be built of the spec is still built with its defaults (skipping the broken
parts), and the shapes of what could be built are checked, so that a wrong field value or a shape
mismatch elsewhere is reported in the same run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from convcost.errors import Location, Problem, SpecError, did_you_mean, finish
from convcost.graph import shape_problems
from convcost.language.build import build
from convcost.language.source import STDIN, parse_yaml, read_text, through_aliases
from convcost.language.spec import SHIPPED, Spec, check

__all__ = ["SHIPPED", "Spec", "display_name", "load", "loads", "resolve_path", "shipped_specs"]


def load(source: str | Path, *, text: str | None = None, input_shapes: Sequence[str] = (),
         overrides: Mapping[str, object] | None = None) -> Spec:
    """Read and check a spec: ``source`` is a path, ``-`` for standard input, the name of a
    shipped spec (``mobilenet``), or a Keras or ONNX model file (``.keras``, ``.h5``, ``.onnx``,
    a Keras ``.json``), imported as ``convcost import`` would write it (convcost.importers): its
    open input sizes come from ``input_shapes`` (``--input-shape`` values) or from ``overrides``
    (``--set height=224``). With ``text``, ``source`` only names it in messages."""
    path = str(source)
    if text is None:
        path = resolve_path(path)
        from convcost.importers import imported_spec_text, model_format

        if model_format(path):
            text, path = imported_spec_text(path, input_shapes, overrides), imported_label(path)
        else:
            if input_shapes:
                raise SpecError(Problem("E601", "--input-shape is for a model file (.keras, .h5, .onnx); a spec "
                                                "gives its input's shape itself", Location(path, 0, 0),
                                        "set the spec's parameters instead, e.g. --set resolution=160"))
            try:
                text = read_text(path)
            except SpecError as error:
                raise _with_shipped_hint(error, path) from None
        if path == "-":
            path = STDIN
    spec, problems = check(parse_yaml(text, path), path)
    if problems:
        raise SpecError(finish(through_aliases(problems, spec.root) + _other_problems(spec), spec.in_blocks))
    return spec


def imported_label(path: str) -> str:
    """How messages name the spec imported from the model at ``path``: ``net.onnx (imported)``;
    ``convcost import net.onnx -o net.yaml`` writes the text its line numbers refer to."""
    return f"{path} (imported)"


def loads(text: str, path: str = "<text>") -> Spec:
    """Check a spec given as YAML text."""
    return load(path, text=text)


def resolve_path(name: str) -> str:
    """A path as given, or the shipped spec of that name (``mobilenet`` -> specs/mobilenet.yaml)."""
    try:
        if name == "-" or Path(name).exists() or "/" in name or "\\" in name:
            return name
        for candidate in (SHIPPED / name, SHIPPED / f"{name}.yaml"):
            if candidate.is_file():
                return str(candidate)
    except (OSError, ValueError):  # a NUL byte or an over-long name: read_text reports it
        pass
    return name  # read_text reports that it does not exist


def display_name(path: str) -> str:
    """How outputs name the spec read from ``path``: a shipped spec's name for the path
    :func:`resolve_path` gives it (``…/convcost/zoo/mobilenet.yaml`` -> ``mobilenet``), the model
    file's path for an imported model, else ``path`` as the user typed it (``specs/mobilenet.yaml``
    stays as it is)."""
    path = path.removesuffix(" (imported)")
    shipped = Path(path)
    return shipped.stem if shipped.parent == SHIPPED and shipped.suffix == ".yaml" else path


def _with_shipped_hint(error: SpecError, path: str) -> SpecError:
    """A missing file whose name is close to a shipped spec's: suggest it."""
    problem = error.problems[0]
    if problem.hint or not problem.message.startswith("no such file") or "/" in path or "\\" in path:
        return error
    hint = did_you_mean(Path(path).stem, shipped_specs())
    hint = (hint[:-1] + " (a shipped spec)?") if hint else "shipped specs: " + ", ".join(shipped_specs())
    return SpecError([Problem(problem.code, problem.message, problem.location, hint)] + error.problems[1:])


def shipped_specs() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def _other_problems(spec: Spec) -> list[Problem]:
    """The problems of a spec that failed its structural checks, beyond those: building what can be
    built with the defaults, then the shapes when everything could be built."""
    try:
        graph = build(spec)
    except SpecError as error:
        return error.problems
    return through_aliases(shape_problems(graph.nodes, graph.input_shapes()), spec.root)
