"""One check of an imported ONNX graph in any layout, for tests/test_import_onnx_more.py and
tests/test_import_onnx_keras_apps.py (Keras' exports hold most tensors NHWC, so the NCHW-only
``check`` of tests/test_import_onnx.py cannot read them).

Every layer holds one ONNX tensor, the output of the node it came from: ``held_shapes`` compares
that tensor's shape from ``onnx.shape_inference.infer_shapes(strict_mode=True)`` with the ONNX
shape the importer worked out for it, and convcost's output shape (from the spec's rules) with
that tensor's axes as the importer lays them out (the ``axes`` of its Value: which ONNX axis each
convcost axis holds) — so a wrong layout shows as a wrong shape.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Iterator

import onnx

import convcost
from convcost.importers.onnx import ops, read
from convcost.importers.spec_text import spec_names, spec_text


@contextlib.contextmanager
def recorded_values() -> Iterator[dict]:
    """Layer name -> the Value (ONNX shape, axes) the importer gave its output, while inside."""
    seen: dict = {}
    original = ops.Mapper.add

    def add(self, node, kind, fields, inputs, shape, axes, suffix="", note=None):
        value = original(self, node, kind, fields, inputs, shape, axes, suffix, note)
        seen[value.source] = value
        return value

    ops.Mapper.add = add  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        ops.Mapper.add = original  # type: ignore[method-assign]


def inferred_shapes(onnx_model) -> dict[str, tuple[int, ...]]:
    """ONNX tensor name -> its shape from strict shape inference; a symbolic batch is 1."""
    inferred = onnx.shape_inference.infer_shapes(onnx_model, strict_mode=True, data_prop=True)
    return {info.name: tuple(d.dim_value or 1 for d in info.type.tensor_type.shape.dim)
            for info in list(inferred.graph.value_info) + list(inferred.graph.output)}


def held_shapes(path: Path, onnx_model=None):
    """Import ``path``; assert every layer's shapes as the module docstring says. Returns
    (imported model, analysis, spec names)."""
    onnx_model = onnx_model if onnx_model is not None else onnx.load(str(path), load_external_data=False)
    shapes = inferred_shapes(onnx_model)
    with recorded_values() as values:
        imported = read(str(path))
    analysis = convcost.analyze(convcost.loads(spec_text(imported)))
    names = spec_names(imported)
    nodes = {node.name: node for node in onnx_model.graph.node}
    wrong = []
    for layer in imported.layers:
        node = nodes[re.match(r"node '(.*)' \(", layer.source).group(1)]
        part = int(layer.name.rsplit("_", 1)[1]) if node.op_type == "Split" else 0
        value = values[layer.name]
        ours = analysis.layer(names[layer.name]).output_shape
        if shapes[node.output[part]] != value.shape or ours != value.cc_shape:
            wrong.append((layer.name, shapes[node.output[part]], value.shape, value.axes, ours))
    assert not wrong, wrong[:5]
    assert imported.layers
    return imported, analysis, names
