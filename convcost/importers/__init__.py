"""Import a Keras or ONNX model as a spec: the model file is read as data, never executed.

    model_format("mobilenet.keras")            # "keras"; None for a spec
    model = read_model("mobilenet.keras")      # an ImportedModel: kinds, fields, the model's names
    text = imported_spec_text("mobilenet.keras", ["160,160,3"])   # the spec (spec_text.py writes it)

    keras/        .keras (a zip holding config.json), model.to_json() files, .h5 model_config
    onnx/         .onnx graphs, read from the protobuf wire format itself (no onnx package), weights skipped
    model.py      ImportedModel, the importers' common result, and their errors (E600-E699)
    spec_text.py  ImportedModel -> the text of a readable spec

The language's loader calls :func:`imported_spec_text` for a path with a model's extension, so
every command that takes a spec takes a model file; ``convcost import`` writes the same text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

if TYPE_CHECKING:
    from convcost.importers.model import ImportedModel

# Every spec a command loads asks model_format() first: this module imports nothing more at the top
# (json, the records, the writer), so that a report of a spec pays nothing for the importers
# (benchmarks/report_speed.py).

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


def read_model(path: str, input_shapes: Sequence[str] = (),
               overrides: Mapping[str, object] | None = None) -> ImportedModel:
    """The model in the file at ``path``, as convcost kinds; an error naming the file and the
    layer or node for anything that cannot be read or mapped. An ONNX graph is mapped for its
    input's size (a SAME_LOWER padding, a Reshape's target depend on it): ``input_shapes`` and
    ``overrides`` give the sizes it leaves open, as for :func:`imported_spec_text`."""
    from convcost.importers.model import model_error

    kind = model_format(path)
    if kind == "onnx":
        from convcost.importers.onnx import read as read_onnx

        return read_onnx(path, input_shapes, overrides)
    if kind == "keras":
        from convcost.importers.keras import read as read_keras

        return read_keras(path)
    raise model_error("E603", path, "not a model file: expected a .keras, .h5, .onnx or Keras .json file",
                      "a spec needs no import: give it to report, check or verify as it is")


def imported_spec_text(path: str, input_shapes: Sequence[str] = (),
                       overrides: Mapping[str, object] | None = None) -> str:
    """The spec text of the model at ``path``: ``input_shapes`` are ``--input-shape`` values
    (``224,224,3`` or ``NAME=224,224,3``); ``overrides`` the ``--set`` values, which can give an
    open input dimension's size (``height``)."""
    from convcost.importers.spec_text import parse_input_shapes, spec_text

    model = read_model(path, input_shapes, overrides)
    return spec_text(model, parse_input_shapes(input_shapes, model), overrides)


def _is_keras_json(path: str) -> bool:
    import json

    try:
        with open(path, "rb") as handle:
            text = handle.read(MAX_JSON_BYTES)
    except OSError:
        return False
    if not text.lstrip().startswith(b"{"):
        return False
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return b'"class_name"' in text[:4096]  # a broken Keras file still goes to the Keras reader, which says why
    return isinstance(data, dict) and "class_name" in data and "config" in data


__all__ = ["MODEL_SUFFIXES", "imported_spec_text", "model_format", "read_model"]
