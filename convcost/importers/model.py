"""What an importer gives: a model's layers as convcost kinds and fields, still under the model's names.

An importer (``keras.py``, ``onnx.py``) reads a model file as data — nothing in it is executed —
and returns an :class:`ImportedModel`: the inputs with their shapes (channels last, without the
batch; ``None`` for a dimension the model leaves open), then the layers in an order where each
reads only what comes before it, each a convcost kind with that kind's spec fields
(``{"filters": 32, "kernel": [3, 3], "stride": [2, 2], "padding": "same", "bias": False}``). Names
are the model's own, as written in the file; :mod:`convcost.importers.spec_text` makes them spec
names and writes the spec. A class, op or field an importer cannot map is a :func:`model_error`,
never a layer left out.
"""

from __future__ import annotations

from typing import NamedTuple

from convcost.errors import Location, Problem, SpecError


class ImportedInput(NamedTuple):
    """A network input: its name in the model, its shape channels last without the batch (``None``
    for a dynamic dimension), and where it sits (``"input layer 'input_1'"``)."""

    name: str
    shape: tuple[int | None, ...]
    source: str


class ImportedLayer(NamedTuple):
    """One convcost layer: its name in the model, its kind, its spec fields in the order they are
    written, the model names of what it reads (layers or inputs, in order), where it sits in the
    model (``"layer 'conv1' (Conv2D)"``, named in messages) and an optional note for the spec."""

    name: str
    kind: str
    fields: dict[str, object]
    inputs: tuple[str, ...]
    source: str
    note: str | None = None
    shares: str | None = None  # the model name of the layer whose weights this one uses (a shared layer)
    weights: tuple[WeightMap, ...] | None = None  # ONNX: the constants holding its weights (convcost verify --runtime)


class WeightMap(NamedTuple):
    """One ONNX constant (an initializer, a ``Constant``'s output) that holds a layer's weights, and
    how it is made from the reference executor's arrays for that layer (``convcost verify --runtime``
    writes the executor's seeded weights into a copy of the model; docs/verify.md). ``tensor`` is
    the node's input name, ``dims`` its ONNX dims, ``arrays`` the executor's arrays read, ``rule``:

    - ``kernel``: a Conv weight (F, C/G, *K) from the executor's kernel (*K, C/G, F);
    - ``kernel_transpose``: a ConvTranspose weight (C, F/G, *K) from (*K, C/G, F), ``groups`` G;
    - ``matrix`` / ``matrix_t``: a dense kernel (K, U) as it is / transposed (Gemm transB); with
      ``rows`` (the ONNX dims and axes of the tensor flattened before it) the K rows are permuted
      from the executor's channels-last order to ONNX's;
    - ``vector``: a (C,) array (bias, beta, moving mean, gamma, a scale) reshaped to ``dims``;
    - ``variance``: the moving variance for an ONNX ``epsilon``: the same 1 / sqrt(variance + eps);
    - ``bn_factor``: gamma / sqrt(variance + eps), the Mul of Keras' exported batch norm.

        WeightMap("w", (8, 4, 3, 3), "kernel", ("kernel",))
    """

    tensor: str
    dims: tuple[int, ...]
    rule: str
    arrays: tuple[str, ...]
    groups: int = 1
    epsilon: float = 0.0
    rows: tuple[tuple[int, ...], tuple[int, ...]] | None = None


class TensorLayout(NamedTuple):
    """An ONNX graph input or output and the convcost tensor that holds it: ``holder`` the layer or
    input (model name), ``shape`` the ONNX shape (batch first), ``axes`` the ONNX axis held by each
    convcost axis (``(2, 3, 1)`` for NCHW)."""

    name: str
    holder: str
    shape: tuple[int, ...]
    axes: tuple[int, ...]
    output: bool


class ImportedModel(NamedTuple):
    """A model read from ``path``: ``format`` is ``"Keras"`` or ``"ONNX"``, ``kind`` says more
    (``"Functional model"``, ``"ONNX graph, opset 17"``); ``outputs`` are model names of layers;
    ``notes`` go into the spec's header comment (what the importer decided and why)."""

    path: str
    format: str
    kind: str
    name: str
    inputs: tuple[ImportedInput, ...]
    layers: tuple[ImportedLayer, ...]
    outputs: tuple[str, ...]
    notes: tuple[str, ...] = ()
    layouts: tuple[TensorLayout, ...] = ()  # ONNX: each graph input and output (convcost verify --runtime)


def model_error(code: str, path: str, message: str, hint: str | None = None) -> SpecError:
    """The error of a model file that cannot be imported: ``net.onnx: E640 node 'Conv_3' (Conv): …``.
    A model has no lines and columns (its Location is line 0); the message names the layer or node."""
    return SpecError(Problem(code, message, Location(path, 0, 0), hint))


def model_errors(problems: list[tuple[str, str, str | None]], path: str) -> SpecError:
    """Several problems of one model at once (every unsupported op, say): (code, message, hint)."""
    return SpecError([Problem(code, message, Location(path, 0, 0), hint) for code, message, hint in problems])




def check_model_file(path: str, what: str) -> int:
    """The size of the model file at ``path``, or an error (E603) that says why it cannot be read:
    missing, a directory, not a regular file (a named pipe would block the read), empty. ``what``
    names the file expected (``"a Keras .keras file"``)."""
    import os
    import stat

    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise model_error("E603", path, f"no such file, expected {what}") from None
    except (OSError, ValueError) as error:
        raise model_error("E603", path, f"cannot read the file: {getattr(error, 'strerror', None) or error}") from None
    if stat.S_ISDIR(status.st_mode):
        raise model_error("E603", path, f"is a directory, expected {what}")
    if not stat.S_ISREG(status.st_mode):
        raise model_error("E603", path, f"is not a regular file (a pipe, a device or a socket), expected {what}")
    if status.st_size == 0:
        raise model_error("E603", path, f"the file is empty, expected {what}")
    return status.st_size


__all__ = ["ImportedInput", "ImportedLayer", "ImportedModel", "TensorLayout", "WeightMap", "check_model_file",
           "model_error", "model_errors"]
