"""convcost: exact output shapes, multiplications and parameters of convolutional networks.

The Python API, also used by the command line::

    import convcost

    spec = convcost.load("mobilenet")                 # a path, '-' or a shipped spec's name
    result = convcost.analyze(spec, {"alpha": 0.5})   # parameter overrides, as with --set
    result.totals.macs                                 # 149_497_088
    result.layer("conv1").output_shape                 # (112, 112, 16); UnknownNameError (a KeyError) if none
    result.to_dict()                                   # the JSON report

``convcost.report("mobilenet", alpha=0.5)`` does both steps at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from convcost.analysis import Analysis, LayerRecord
from convcost.analysis import analyze as analyze_graph
from convcost.errors import ConvcostError, Location, Problem, SpecError, UnknownNameError
from convcost.graph import Graph, LayerNode
from convcost.language import Spec, load, loads, shipped_specs
from convcost.version import __version__


def analyze(spec: Spec | Graph | str | Path, overrides: Mapping[str, object] | None = None, *,
            batch: int = 1, dtype: str = "float32", weight_dtype: str = "float32") -> Analysis:
    """Analyse a spec (a loaded :class:`Spec`, a built :class:`Graph`, or a path/shipped name);
    ``dtype`` is the activations' element type, ``weight_dtype`` the stored parameters'."""
    if isinstance(spec, (str, Path)):
        spec = load(spec)
    graph = spec if isinstance(spec, Graph) else spec.build(overrides)
    return analyze_graph(graph, batch=batch, dtype=dtype, weight_dtype=weight_dtype)


def report(source: str | Path, **overrides) -> Analysis:
    """Load and analyse in one call: ``report("mobilenet", alpha=0.75)``."""
    return analyze(load(source), overrides)


__all__ = ["Analysis", "ConvcostError", "Graph", "LayerNode", "LayerRecord", "Location", "Problem", "Spec",
           "SpecError", "UnknownNameError", "analyze", "load", "loads", "report", "shipped_specs", "__version__"]
