"""Import a Keras or ONNX model as a spec: the model file is read as data, never executed.

    model_format("mobilenet.keras")            # "keras"; None for a spec
    model = read_model("mobilenet.keras")      # an ImportedModel: kinds, fields, the model's names
    text = spec_text(model, {"input_1": (160, 160, 3)})

    keras.py      .keras (a zip holding config.json), model.to_json() files, .h5 model_config
    onnx.py       .onnx graphs (the optional extra convcost[onnx]: the onnx package)
    model.py      ImportedModel, the importers' common result, and their errors (E600-E699)
    spec_text.py  ImportedModel -> the text of a readable spec

The language's loader calls :func:`imported_spec_text` for a path with a model's extension, so
every command that takes a spec takes a model file; ``convcost import`` writes the same text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

from convcost.importers.model import ImportedModel, model_error
from convcost.importers.spec_text import parse_input_shapes, spec_text

# A model file is known by its extension; a .json file is a Keras model.to_json() file when its
# top level has Keras' class_name and config, and a spec otherwise.
MODEL_SUFFIXES = {".keras": "keras", ".h5": "keras", ".hdf5": "keras", ".onnx": "onnx"}
MAX_JSON_BYTES = 64 * 1024 * 1024  # a model.to_json() file; the largest keras.applications config is 2 MB


def model_format(path: str) -> str | None:
    """``"keras"`` or ``"onnx"`` for a model file, None for anything else (a spec)."""
    suffix = Path(path).suffix.lower()
    if suffix in MODEL_SUFFIXES:
        return MODEL_SUFFIXES[suffix]
    if suffix == ".json" and _is_keras_json(path):
        return "keras"
    return None


def read_model(path: str) -> ImportedModel:
    """The model in the file at ``path``, as convcost kinds; an error naming the file and the
    layer or node for anything that cannot be read or mapped."""
    kind = model_format(path)
    if kind == "onnx":
        from convcost.importers import onnx

        return onnx.read(path)
    if kind == "keras":
        from convcost.importers import keras

        return keras.read(path)
    raise model_error("E603", path, "not a model file: expected a .keras, .h5, .onnx or Keras .json file")


def imported_spec_text(path: str, input_shapes: Sequence[str] = (),
                       overrides: Mapping[str, object] | None = None) -> str:
    """The spec text of the model at ``path``: ``input_shapes`` are ``--input-shape`` values
    (``224,224,3`` or ``NAME=224,224,3``); ``overrides`` the ``--set`` values, which can give an
    open input dimension's size (``height``)."""
    if model_format(path) == "onnx":  # ONNX maps its layers for the input's size: it needs the shapes first
        from convcost.importers import onnx

        model = onnx.read(path, input_shapes, overrides)
    else:
        model = read_model(path)
    return spec_text(model, parse_input_shapes(input_shapes, model), overrides)


def _is_keras_json(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096).lstrip()
    except OSError:
        return False
    if not head.startswith(b"{"):
        return False
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(MAX_JSON_BYTES))
    except (OSError, ValueError, RecursionError):
        return b'"class_name"' in head  # a broken Keras file still goes to the Keras reader, which says why
    return isinstance(data, dict) and "class_name" in data and "config" in data


__all__ = ["MODEL_SUFFIXES", "ImportedModel", "imported_spec_text", "model_format", "read_model", "spec_text"]
