"""An imported model -> the text of a spec a person can read, sweep and edit.

The spec keeps the model's layer names (made spec names: ``/features.0/Conv`` becomes
``features.0_Conv``), writes one layer a line in flow style, leaves out ``inputs:`` where a layer
reads the one before it, and makes the input's spatial size spec parameters (``height``,
``width``; ``length`` for a sequence, ``depth`` for a volume) so that ``--set height=160`` sweeps
the resolution as with a shipped spec:

    # Imported by convcost from mobilenet.keras: Keras Functional model 'mobilenet_1.00_224'.
    name: mobilenet_1.00_224
    parameters:
      height: 224
      width: 224
    input: [height, width, 3]
    layers:
      - {name: conv1, kind: conv2d, filters: 32, kernel: [3, 3], stride: [2, 2], padding: same, bias: false}
      - {name: conv1_bn, kind: batch_norm}

A dimension the model leaves open (Keras' ``None``, an ONNX ``dim_param``) takes its size from
``--input-shape`` or from ``--set height=…``; without either it is an error naming the input.
"""

from __future__ import annotations

import math
import re
from typing import Mapping, Sequence

import yaml

from convcost.importers.model import ImportedInput, ImportedModel, model_error

# The spec parameters of an input's spatial axes, by the input's rank (channels last, no batch).
AXIS_PARAMETERS = {2: ("length",), 3: ("height", "width"), 4: ("depth", "height", "width")}

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.\-]+")
_RESERVED = {"input"}


def input_parameters(model: ImportedModel) -> dict[str, list[str | None]]:
    """Per input (by model name), the spec parameter of each axis (None: the axis is fixed, the
    channels): ``{"input_1": ["height", "width", None]}``. A single input's parameters are plain
    (``height``); with several, each is prefixed by its input's spec name (``image_height``)."""
    names = spec_names(model)
    result: dict[str, list[str | None]] = {}
    for item in model.inputs:
        axes = AXIS_PARAMETERS.get(len(item.shape), ())
        prefix = "" if len(model.inputs) == 1 else f"{names[item.name]}_"
        result[item.name] = [f"{prefix}{axis}" for axis in axes] + [None] * (len(item.shape) - len(axes))
    return result


def parse_input_shapes(texts: Sequence[str], model: ImportedModel) -> dict[str, tuple[int, ...]]:
    """``--input-shape`` values -> the shape of each input (by model name). Each is ``H,W,C``
    (``224,224,3``, or ``224x224x3``), channels last without the batch, for the first input, or
    ``NAME=H,W,C`` for the input of that name. It gives the input's open sizes and replaces its
    fixed ones (a model built at 224 reported at 160); its rank is the model's."""
    shapes: dict[str, tuple[int, ...]] = {}
    by_name = {item.name: item for item in model.inputs}
    for text in texts:
        name, sep, dims = text.rpartition("=")
        if not sep:
            if not model.inputs:
                raise model_error("E601", model.path, "the model has no input to give --input-shape to")
            name = model.inputs[0].name
        elif name not in by_name:
            from convcost.errors import did_you_mean
            from convcost.errors import names as listed

            raise model_error("E601", model.path, f"--input-shape {text}: the model has no input named '{name}'",
                              did_you_mean(name, by_name) or f"its inputs: {listed(list(by_name))}")
        parts = [part.strip() for part in re.split(r"[,x×]", dims.strip())]
        shape = tuple(int(part) for part in parts) if all(part.isascii() and part.isdigit() for part in parts) else ()
        expected = by_name[name].shape
        if not shape or any(size < 1 for size in shape):
            raise model_error("E601", model.path, f"--input-shape {text}: expected whole numbers ≥ 1 separated "
                                                  f"by commas, channels last without the batch, such as "
                                                  f"{_example(expected)}")
        if len(shape) != len(expected):  # any size may change (the model's are defaults); the rank may not
            raise model_error("E601", model.path, f"--input-shape {text}: input '{name}' is {_shown(expected)} "
                                                  f"(channels last, without the batch): give {len(expected)} sizes",
                              f"for example {_example(expected)}")
        if name in shapes:
            raise model_error("E601", model.path, f"--input-shape gives input '{name}' twice")
        shapes[name] = shape
    return shapes


def spec_text(model: ImportedModel, input_shapes: Mapping[str, tuple[int, ...]] | None = None,
              overrides: Mapping[str, object] | None = None) -> str:
    """The spec of ``model``: its inputs' open dimensions filled from ``input_shapes`` (by model
    input name) or, where a parameter of that axis is overridden (``--set height=224``), from the
    override; any dimension left open is an error (E600) naming the input and how to give it."""
    input_shapes = input_shapes or {}
    overrides = overrides or {}
    if not model.inputs:
        raise model_error("E602", model.path, f"the {model.format} model has no input", "a network needs an input "
                                                                                     "of a known shape")
    names = spec_names(model)
    axis_parameters = input_parameters(model)
    parameters: dict[str, int] = {}
    input_lines: list[str] = []
    for item in model.inputs:
        shape = _filled(item, input_shapes.get(item.name), axis_parameters[item.name], overrides, model)
        written = []
        for size, parameter in zip(shape, axis_parameters[item.name]):
            if parameter is None:
                written.append(str(size))
            else:
                parameters[parameter] = size
                written.append(parameter)
        input_lines.append(f"[{', '.join(written)}]")
    lines = [f"# Imported by convcost from {_comment(model.path)}: {model.format} {_comment(model.kind)} "
             f"'{_comment(model.name)}'."]
    lines += [f"# {_comment(note)}" for note in model.notes]
    lines.append(f"name: {_scalar(model.name or 'imported')}")
    lines.append(f"description: {_scalar(f'imported from {model.format} ({model.kind})')}")
    classes = classifier(model)
    if classes is not None and "classes" not in parameters:
        parameters["classes"] = classes[1]
    if parameters:
        lines.append("parameters:")
        lines += [f"  {name}: {value}" for name, value in parameters.items()]
    if len(model.inputs) == 1:
        lines.append(f"input: {input_lines[0]}")
    else:
        lines.append("inputs:")
        lines += [f"  {names[item.name]}: {shape}" for item, shape in zip(model.inputs, input_lines)]
    lines.append("layers:")
    previous = model.inputs[0].name
    single = len(model.inputs) == 1  # the one network input is 'input' in the spec
    for layer in model.layers:
        entries = [f"name: {names[layer.name]}", f"kind: {layer.kind}"]
        entries += [f"{field}: {'classes' if classes and (layer.name, field) == classes[0] else _value(value)}"
                    for field, value in tidy(layer.kind, layer.fields).items()]
        reads = ["input" if single and source == model.inputs[0].name else names[source] for source in layer.inputs]
        if list(layer.inputs) != [previous]:
            entries.append(f"inputs: {reads[0] if len(reads) == 1 else '[' + ', '.join(reads) + ']'}")
        if layer.shares is not None:
            entries.append(f"shares: {names[layer.shares]}")
        note = f"   # {_comment(layer.note)}" if layer.note else ""
        renamed = f"   # '{_comment(layer.name)}' in the model" if names[layer.name] != layer.name else ""
        lines.append(f"  - {{{', '.join(entries)}}}{note or renamed}")
        previous = layer.name
    if list(model.outputs) != [previous]:
        lines.append(f"outputs: [{', '.join(names[output] for output in model.outputs)}]")
    return "\n".join(lines) + "\n"


# Kinds a classifier's output may pass through after its last dense layer (softmax, a dropout).
_AFTER_CLASSIFIER = {"softmax", "sigmoid", "dropout", "linear", "flatten"}


def classifier(model: ImportedModel) -> tuple[tuple[str, str], int] | None:
    """((layer, "units"), units) of the dense layer that makes a single-output model's classes —
    the output itself or read by it through a softmax, sigmoid or dropout — else None. Its units
    become the spec parameter ``classes`` (``--set classes=10``), as in the shipped specs."""
    if len(model.outputs) != 1:
        return None
    by_name = {layer.name: layer for layer in model.layers}
    layer = by_name.get(model.outputs[0])
    while layer is not None and layer.kind in _AFTER_CLASSIFIER and len(layer.inputs) == 1:
        layer = by_name.get(layer.inputs[0])
    if layer is None or layer.kind != "dense" or layer.shares is not None:
        return None
    units = layer.fields.get("units")
    return ((layer.name, "units"), units) if isinstance(units, int) and not isinstance(units, bool) else None


def tidy(kind: str, fields: dict[str, object]) -> dict[str, object]:
    """The fields as a person writes them: a size or padding the same along every axis as one
    number (``[3, 3]`` -> 3, ``[[1, 1], [1, 1]]`` -> 1), padding 0 as ``valid``, and a field at
    its kind's default left out (``stride: 1``, ``bias: true``; a pooling stride equal to its
    kernel). The same attributes once the spec is read: only the writing changes."""
    from convcost.layers import KINDS

    known = KINDS[kind].fields if kind in KINDS else {}
    result: dict[str, object] = {}
    for name, value in fields.items():
        spec = known.get(name)
        if spec is None:  # not a field of the kind: written as given, and the spec reports it
            result[name] = value
            continue
        if spec.type in ("size", "padding", "pairs") and isinstance(value, (list, tuple)) and value:
            flat = [v[0] if isinstance(v, (list, tuple)) and len(v) == 2 and v[0] == v[1] else v for v in value]
            if all(not isinstance(v, (list, tuple, bool)) for v in flat) and len(set(flat)) == 1:
                value = flat[0]
        if spec.type == "padding" and value == 0:
            value = "valid"
        default = spec.default if spec.default is not None or name != "stride" else result.get("kernel")
        same_type = isinstance(value, bool) == isinstance(default, bool)  # 1 is not true
        if not spec.required and same_type and value == default:
            continue
        result[name] = value
    return result


def spec_names(model: ImportedModel) -> dict[str, str]:
    """Model name -> spec name, for every input and layer: the name itself where it is a spec
    name, else with each run of other characters made ``_`` (leading ones dropped), ``input``
    (reserved) made ``input_``, and a clash resolved by a numeric suffix."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for original in [item.name for item in model.inputs] + [layer.name for layer in model.layers]:
        if original in result:
            continue
        name = original if _NAME.match(original) else _NOT_NAME.sub("_", original).strip("_") or "layer"
        if not _NAME.match(name):
            name = f"_{name}"
        if name in _RESERVED:
            name = f"{name}_"
        candidate, number = name, 1
        while candidate in taken:
            number += 1
            candidate = f"{name}_{number}"
        taken.add(candidate)
        result[original] = candidate
    return result


def _filled(item: ImportedInput, given: tuple[int, ...] | None, parameters: list[str | None],
            overrides: Mapping[str, object], model: ImportedModel) -> tuple[int, ...]:
    if given is not None:
        return given
    shape: list[int] = []
    open_axes: list[str] = []
    for axis, (size, parameter) in enumerate(zip(item.shape, parameters)):
        if size is not None:
            shape.append(size)
        elif parameter is not None and (overridden := _whole(overrides.get(parameter))) is not None:
            shape.append(overridden)
        else:
            open_axes.append(parameter or f"axis {axis + 1}")
            shape.append(1)
    if open_axes:
        example = _example(item.shape)
        sets = " ".join(f"--set {axis}=224" for axis in open_axes if not axis.startswith("axis"))
        raise model_error("E600", model.path, f"{item.source} has a dynamic {' and '.join(open_axes)} "
                                              f"({_shown(item.shape)}, channels last without the batch): "
                                              f"convcost needs every size",
                          f"give it with --input-shape {example}" + (f" (or {sets})" if sets else ""))
    return tuple(shape)


def _whole(value: object) -> int | None:
    """An override's value as a whole number ≥ 1, when it is one (``"224"``), else None."""
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if number >= 1 else None


def _shown(shape: tuple[int | None, ...]) -> str:
    return "[" + ", ".join("?" if size is None else str(size) for size in shape) + "]"


def _example(shape: tuple[int | None, ...]) -> str:
    defaults = {2: (16000,), 3: (224, 224), 4: (16, 112, 112)}.get(len(shape), ())
    return ",".join(str(size if size is not None else (defaults[axis] if axis < len(defaults) else 1))
                    for axis, size in enumerate(shape))


def _comment(text: str) -> str:
    """Text for a ``#`` comment: on one line."""
    return " ".join(str(text).split())


def _scalar(value: object) -> str:
    """A YAML scalar that reads back as ``value``: plain where YAML would read it back so, quoted
    otherwise (a name like ``yes`` or ``1e3`` stays a string)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf, allow_unicode=True)
    return text.removesuffix("\n").removesuffix("\n...").removesuffix("...").strip()


def _value(value: object) -> str:
    """A field's value in flow style: numbers, booleans, keywords, lists of them."""
    if isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "null"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"an importer passed {value!r} as a field value")  # a bug: they pass finite numbers
        text = repr(value)  # the shortest text that reads back as the same double
        mantissa, e, exponent = text.partition("e")
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text  # YAML 1.1 wants the dot
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, str):
        text = _scalar(value)
        return text if not any(char in text for char in ",{}[]#") or text.startswith(("'", '"')) \
            else "'" + text.replace("'", "''") + "'"
    raise TypeError(f"cannot write {type(value).__name__} as a spec value")


def filled_input_shapes(model: ImportedModel, input_shapes: Mapping[str, tuple[int, ...]],
                        overrides: Mapping[str, object]) -> dict[str, tuple[int, ...]]:
    """Every input's shape with its open dimensions filled as :func:`spec_text` fills them (an
    importer that needs the sizes to map its layers, ONNX's, asks first); E600 for one left open."""
    axis_parameters = input_parameters(model)
    return {item.name: _filled(item, input_shapes.get(item.name), axis_parameters[item.name], overrides, model)
            for item in model.inputs}


__all__ = ["AXIS_PARAMETERS", "filled_input_shapes", "input_parameters", "parse_input_shapes", "spec_names",
           "spec_text"]
