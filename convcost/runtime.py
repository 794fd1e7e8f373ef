"""The executor proven against a production runtime: ``convcost verify MODEL.onnx --runtime onnxruntime``.

The reference executor has already run the imported graph on seeded random weights and input. This
module writes those same weights into a copy of the ONNX model (each :class:`WeightMap` of the
imported layers says which constant holds which executor array, and how it is transformed:
OIHW kernels, Gemm's transB, the rows of a dense layer after an NCHW flatten, the four arrays of a
batch norm), runs the copy with onnxruntime (CPU, one thread) on the executor's input transposed to
the ONNX layout, and holds every graph output, transposed back to channels last, against the
executor's:

    max |executor - onnxruntime| <= 1e-4 · max |onnxruntime|        (per output)

The direction (the executor's weights into the model, not the model's into the executor) keeps the
executor exactly as ``verify`` runs it — its own seeded, well-scaled weights, no loading path of
its own — and needs nothing of the model's weights but their names and dims, which the importer
already reads. Only this module imports onnx and onnxruntime (the extra ``convcost[runtime]``).
"""

from __future__ import annotations

import math
import time
from typing import Mapping, Sequence

import numpy as np

from convcost.errors import Location, Problem, SpecError
from convcost.importers import model_format, read_model
from convcost.importers.model import ImportedModel, TensorLayout, WeightMap
from convcost.importers.spec_text import spec_names
from convcost.reference import ReferenceNetwork
from convcost.reference.executor import Execution
from convcost.reference.kernels.norm import EPSILON
from convcost.verify import RUNTIME_TOLERANCE, OutputCheck, RuntimeComparison

RUNTIMES = ("onnxruntime",)
INSTALL_HINT = "pip install 'convcost[runtime]' (onnxruntime>=1.17 and onnx>=1.14)"


def runtime_error(code: str, path: str, message: str, hint: str | None = None) -> SpecError:
    return SpecError(Problem(code, message, Location(path, 0, 0), hint))


def check_runtime_target(path: str, runtime: str) -> None:
    """E680 unless ``path`` is an ONNX file; E681 unless onnx and onnxruntime import. Called before
    anything runs, so a wrong use fails at once."""
    if runtime not in RUNTIMES:  # the CLI's choices keep this out; a caller from Python may not
        raise runtime_error("E680", path, f"--runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
    if model_format(path) != "onnx":
        raise runtime_error("E680", path, "--runtime onnxruntime runs an ONNX model, and this is not an .onnx file",
                            "give the .onnx file itself (convcost verify MODEL.onnx --runtime onnxruntime), or "
                            "leave out --runtime to check the counts only")
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as error:
        raise runtime_error("E681", path, f"--runtime onnxruntime needs the packages onnx and onnxruntime "
                                          f"({error.name or error} is not installed)", INSTALL_HINT) from None


def weight_arrays(imported: ImportedModel, net: ReferenceNetwork) -> dict[str, np.ndarray]:
    """Each ONNX constant that holds weights, made from the executor's arrays of its layer. E682 for
    a layer whose executor weights no constant receives (an op mapping without a weight map)."""
    names = spec_names(imported)
    arrays: dict[str, np.ndarray] = {}
    for layer in imported.layers:
        own = net.parameters.get(names[layer.name], {})
        maps = layer.weights or ()
        used = {name for item in maps for name in item.arrays}
        missing = sorted(set(own) - used)
        if missing:
            raise runtime_error("E682", imported.path, f"{layer.source}: the executor's {', '.join(missing)} for "
                                                       f"layer '{layer.name}' ({layer.kind}) map to no ONNX constant",
                                "convcost cannot write these weights into the model; docs/verify.md lists the "
                                "weights --runtime maps")
        for item in maps:
            arrays[item.tensor] = onnx_array(item, own)
    return arrays


def onnx_array(item: WeightMap, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """The ONNX constant ``item`` describes, from the executor's arrays of its layer (float64)."""
    first = np.asarray(arrays[item.arrays[0]], dtype=np.float64)
    if item.rule == "kernel":  # (*K, C/G, F) -> (F, C/G, *K)
        rank = first.ndim - 2
        value = first.transpose(rank + 1, rank, *range(rank))
    elif item.rule == "kernel_transpose":  # (*K, C/G, F) -> (C, F/G, *K): group g's channels, its filters
        rank = first.ndim - 2
        per_group, filters = first.shape[rank], first.shape[rank + 1]
        grouped = first.reshape(*first.shape[:rank], per_group, item.groups, filters // item.groups)
        value = grouped.transpose(rank + 1, rank, rank + 2, *range(rank)).reshape(
            item.groups * per_group, filters // item.groups, *first.shape[:rank])
    elif item.rule in ("matrix", "matrix_t"):  # (K, U), the rows in ONNX's flatten order
        value = first[onnx_row_order(item.rows)] if item.rows is not None else first
        value = value.T if item.rule == "matrix_t" else value
    elif item.rule == "vector":
        value = first
    elif item.rule == "variance":  # the same 1 / sqrt(variance + eps) with ONNX's epsilon
        value = first + EPSILON - item.epsilon
    elif item.rule == "bn_factor":  # gamma / sqrt(variance + eps), Keras' exported batch norm
        value = first / np.sqrt(np.asarray(arrays[item.arrays[1]], dtype=np.float64) + EPSILON)
    else:
        raise ValueError(f"unknown weight rule {item.rule!r}")
    if math.prod(value.shape) != math.prod(item.dims):
        raise ValueError(f"{item.tensor}: {value.shape} does not fill the ONNX dims {item.dims}")
    return np.ascontiguousarray(value).reshape(item.dims)


def onnx_row_order(rows: tuple[tuple[int, ...], tuple[int, ...]]) -> np.ndarray:
    """For each row of ONNX's flattened tensor, the executor's row: ONNX flattens its axes in order
    (C, H, W), the executor its channels-last axes (H, W, C). ``rows`` is the flattened tensor's
    ONNX dims without the batch and the ONNX axis of each convcost axis.

        onnx_row_order(((2, 1, 3), (2, 3, 1)))   # C=2, H=1, W=3 -> [0, 2, 4, 1, 3, 5]
    """
    dims, axes = rows
    cc_shape = tuple(dims[axis - 1] for axis in axes)
    executor_rows = np.arange(math.prod(cc_shape)).reshape(cc_shape)  # executor's row index at each position
    return executor_rows.transpose(np.argsort(axes)).reshape(-1)  # laid out in ONNX's axis order


def to_onnx_layout(array: np.ndarray, layout: TensorLayout) -> np.ndarray:
    """(N, *channels last) -> (N, *ONNX shape): convcost axis i holds ONNX axis layout.axes[i]."""
    order = [0] + [1 + layout.axes.index(axis) for axis in range(1, len(layout.axes) + 1)]
    return np.ascontiguousarray(array.transpose(order))


def from_onnx_layout(array: np.ndarray, layout: TensorLayout) -> np.ndarray:
    """(N, *ONNX shape) -> (N, *channels last)."""
    return array.transpose(0, *layout.axes)


def written_model(path: str, weights: Mapping[str, np.ndarray]):
    """A copy of the ONNX model at ``path`` with ``weights`` in place of its constants: an
    initializer's data replaced; a constant a node makes (Constant, a folded Identity or Reshape)
    becomes an initializer of that name and the node goes."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    graph = model.graph
    left = dict(weights)
    for index, init in enumerate(graph.initializer):
        if init.name in left:
            value = left.pop(init.name)
            dtype = onnx.helper.tensor_dtype_to_np_dtype(init.data_type)
            graph.initializer[index].CopyFrom(numpy_helper.from_array(value.astype(dtype), init.name))
    if left:
        keep = [node for node in graph.node if not any(output in left for output in node.output)]
        del graph.node[:]
        graph.node.extend(keep)
        for name, value in left.items():
            graph.initializer.append(numpy_helper.from_array(value.astype(np.float32), name))
    return model


def compare_outputs(executor: Mapping[str, np.ndarray], runtime: Mapping[str, np.ndarray],
                    layers: Mapping[str, str]) -> tuple[OutputCheck, ...]:
    """Per graph output: max |a - b| against 1e-4 · max |b| (b: onnxruntime's, channels last)."""
    checks = []
    for name, b in runtime.items():
        a = executor[name]
        finite = bool(np.isfinite(a).all() and np.isfinite(b).all())
        same_shape = a.shape == b.shape
        diff = float(np.max(np.abs(a - b))) if same_shape and a.size and finite else math.inf
        scale = float(np.max(np.abs(b))) if b.size and np.isfinite(b).all() else math.inf
        tolerance = RUNTIME_TOLERANCE * scale
        agree = same_shape and finite and diff <= tolerance
        checks.append(OutputCheck(name, layers[name], tuple(b.shape), diff, scale, tolerance, agree))
    return tuple(checks)


def run_onnxruntime(path: str, net: ReferenceNetwork, execution: Execution, input_shapes: Sequence[str] = (),
                    overrides: Mapping[str, object] | None = None) -> RuntimeComparison:
    """Write the executor's weights into a copy of the model at ``path``, run it with onnxruntime on
    the executor's input and compare every graph output with the executor's (``execution`` must hold
    the network's outputs, as every run does)."""
    import onnxruntime

    imported = read_model(path, input_shapes, overrides)
    names = spec_names(imported)
    model = written_model(path, weight_arrays(imported, net))
    import onnx

    inputs = {info.name: info for info in model.graph.input}
    feeds = {}
    for layout in (item for item in imported.layouts if not item.output):
        info = inputs[layout.name]
        batch_dim = info.type.tensor_type.shape.dim[0] if info.type.tensor_type.shape.dim else None
        if batch_dim is not None and batch_dim.HasField("dim_value") and batch_dim.dim_value not in (0, net.batch):
            raise runtime_error("E683", path, f"graph input '{layout.name}' has a fixed batch of "
                                              f"{batch_dim.dim_value}, and the run's is {net.batch}",
                                f"use --batch {batch_dim.dim_value}")
        given = net.input if len(imported.inputs) == 1 else net.inputs[names[layout.holder]]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(info.type.tensor_type.elem_type)
        feeds[layout.name] = to_onnx_layout(np.asarray(given), layout).astype(dtype)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: its warnings (an unused initializer) are not findings
    began = time.perf_counter()
    try:
        session = onnxruntime.InferenceSession(model.SerializeToString(), options,
                                               providers=["CPUExecutionProvider"])
        outputs = [item for item in imported.layouts if item.output]
        results = session.run([item.name for item in outputs], feeds)
    except Exception as error:  # onnxruntime raises its own exception types, not exported in one place
        raise runtime_error("E683", path, f"onnxruntime could not run the model with the executor's weights: "
                                          f"{type(error).__name__}: {str(error).strip()[:500]}") from None
    seconds = time.perf_counter() - began
    ours = {item.name: np.asarray(execution.heads[names[item.holder]], dtype=np.float64) for item in outputs}
    theirs = {item.name: from_onnx_layout(np.asarray(result, dtype=np.float64), item)
              for item, result in zip(outputs, results)}
    checks = compare_outputs(ours, theirs, {item.name: names[item.holder] for item in outputs})
    return RuntimeComparison("onnxruntime", onnxruntime.__version__, RUNTIME_TOLERANCE, checks, seconds)


__all__ = ["RUNTIMES", "check_runtime_target", "compare_outputs", "onnx_array", "onnx_row_order",
           "run_onnxruntime", "weight_arrays", "written_model"]
