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

import numpy as np
import onnx

import convcost
from convcost.importers.onnx import ops, read
from convcost.importers.spec_text import spec_names, spec_text


@contextlib.contextmanager
def recorded_values() -> Iterator[dict]:
    """Layer name -> the Value (ONNX shape, axes) the importer gave its output, while inside."""
    seen: dict = {}
    original = ops.Mapper.add

    def add(self, node, kind, fields, inputs, shape, axes, suffix="", note=None, **more):
        value = original(self, node, kind, fields, inputs, shape, axes, suffix, note, **more)
        seen[value.source] = value
        return value

    ops.Mapper.add = add  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        ops.Mapper.add = original  # type: ignore[method-assign]


SMALL = 4096  # constant shape arithmetic is evaluated up to this many input elements a node


def constants_folded(onnx_model):
    """A copy of ``onnx_model`` whose constant shape arithmetic (nodes reading only constants, and
    Shape of a tensor whose shape inference knows) is evaluated by onnx's own reference evaluator
    and stored as initializers under the same names; every other node is kept, names and all.
    Keras' torch exports compute Pad's pads from a ConstantOfShape, Concat, Reshape and a Slice of
    step -1, which ``infer_shapes(data_prop=True)`` does not propagate: it then leaves every later
    size unknown. Folded, strict inference gives every shape."""
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator

    folded = onnx.ModelProto()
    folded.CopyFrom(onnx_model)
    graph = folded.graph
    large = [init for init in graph.initializer if int(np.prod(init.dims)) > SMALL]
    for init in large:  # inference reads a weight's type and dims only: it becomes an input of them
        graph.initializer.remove(init)
        graph.input.append(helper.make_tensor_value_info(init.name, init.data_type, list(init.dims)))
    while True:
        inferred = onnx.shape_inference.infer_shapes(folded, strict_mode=True, data_prop=True)
        known_shapes = {info.name: [d.dim_value if d.HasField("dim_value") else None
                                    for d in info.type.tensor_type.shape.dim]
                        for info in list(inferred.graph.value_info) + list(inferred.graph.input)}
        values = {init.name: numpy_helper.to_array(init) for init in graph.initializer if
                  int(np.prod(init.dims)) <= SMALL}
        changed = []
        for node in graph.node:
            inputs = [name for name in node.input if name]
            if node.op_type == "Shape" and None not in known_shapes.get(node.input[0], [None]):
                start = next((a.i for a in node.attribute if a.name == "start"), 0)
                end = next((a.i for a in node.attribute if a.name == "end"), None)
                result = [np.array(known_shapes[node.input[0]][start:end], np.int64)]
            elif all(name in values for name in inputs) and (inputs or node.op_type == "Constant"):
                single = helper.make_model(helper.make_graph(
                    [node], "one", [], [helper.make_tensor_value_info(out, 0, None) for out in node.output],
                    [numpy_helper.from_array(values[name], name) for name in dict.fromkeys(inputs)]),
                    opset_imports=folded.opset_import, ir_version=folded.ir_version)
                result = ReferenceEvaluator(single).run(None, {})
            else:
                continue
            changed.append((node, result))
            values.update((name, np.asarray(array)) for name, array in zip(node.output, result))  # chains: one pass
        if not changed:
            return folded
        for node, result in changed:
            graph.node.remove(node)
            graph.initializer.extend(numpy_helper.from_array(np.asarray(array), name)
                                     for name, array in zip(node.output, result))


def inferred_shapes(onnx_model) -> dict[str, tuple[int, ...]]:
    """ONNX tensor name -> its shape from strict shape inference, with the constant shape arithmetic
    folded first (``constants_folded``); a symbolic batch is 1. A size inference leaves unknown is 0,
    which no layer has: it fails the comparison."""
    inferred = onnx.shape_inference.infer_shapes(constants_folded(onnx_model), strict_mode=True, data_prop=True)
    return {info.name: tuple(d.dim_value or (1 if d.dim_param else 0) for d in info.type.tensor_type.shape.dim)
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
