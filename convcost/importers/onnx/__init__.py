"""ONNX graphs (``.onnx``) as convcost kinds: read as data (:mod:`.wire`), never run, weights never read.

    model = read("resnet50.onnx")                   # ImportedModel: layers channels last, node names kept
    model = read("dynamic.onnx", ["224,224,3"])     # a dynamic size given as --input-shape would give it

``wire.py`` reads the file (structure only); ``layout.py`` tracks, per ONNX tensor, the convcost
layer holding it and how its ONNX axes sit in convcost's channels-last axes, and folds the
constant shape arithmetic; ``ops.py`` maps each op. docs/import.md has the op table.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from convcost.importers.model import ImportedModel, check_model_file, model_error
from convcost.importers.onnx.ops import map_graph
from convcost.importers.onnx.wire import Corrupt, read_model_file


def read(path: str, input_shapes: Sequence[str] = (), overrides: Mapping[str, object] | None = None) -> ImportedModel:
    """The ONNX model at ``path``. An input with a dynamic size (other than the batch) takes it
    from ``input_shapes`` (``--input-shape`` values) or ``overrides`` (``--set height=224``), as
    the spec writer does; the layers are then mapped for that size."""
    check_model_file(path, "an ONNX .onnx file")
    try:
        model = read_model_file(path)
    except Corrupt as error:
        where = f" (in {error.where})" if error.where else ""
        raise model_error("E640", path, f"cannot read the ONNX file{where}: {error}",
                          "the file may be truncated or not an ONNX model; re-export it") from None
    except OSError as error:
        raise model_error("E603", path, f"cannot read the file: {error.strerror or error}") from None
    except RecursionError:
        raise model_error("E640", path, "cannot read the ONNX file: nesting too deep (corrupt data)") from None
    return map_graph(path, model, input_shapes, overrides or {})


__all__ = ["read"]
