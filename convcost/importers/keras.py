"""Keras models as convcost layers, read from the model's config: data, never Keras itself.

Three files hold a Keras model's architecture, and all are read without importing Keras or
TensorFlow (the config is JSON; nothing in it is run, and the weights are never read):

- ``.keras`` (Keras 3's ``model.save``): a zip holding ``config.json``;
- a ``model.to_json()`` file (``.json``);
- ``.h5`` (``model.save("net.h5")``, Keras 2 and 3): the ``model_config`` attribute of the HDF5
  file, read with h5py (the optional extra ``convcost[h5]``).

Sequential and Functional models, nested models (inlined under their layers' own names) and
Keras 2's and Keras 3's ways of writing a layer's inputs are read. Each Keras class maps to a
convcost kind by the table ``CLASSES`` (docs/import.md lists it): a fused ``activation=`` on a
Conv or Dense is the kind's ``activation`` field, or a layer of its own where the kind has no
such field. A class, or a field value, that has no exact convcost meaning is an error that names
the class, the layer and the model it sits in — never a layer left out or counted as zero.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator

from convcost.importers.model import ImportedInput, ImportedLayer, ImportedModel, check_model_file, model_error

MAX_CONFIG_BYTES = 64 * 1024 * 1024  # the config of keras.applications' largest model is about 2 MB

# Keras activation names -> the convcost kind they are; "linear" is none.
ACTIVATIONS: dict[str, str | None] = {
    "linear": None, "relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
    "swish": "swish", "silu": "silu", "hard_sigmoid": "hard_sigmoid", "hard_silu": "hard_swish",
    "hard_swish": "hard_swish", "mish": "mish", "softplus": "softplus", "gelu": "gelu", "elu": "elu",
}
# The kinds a convolution's or dense layer's `activation` field takes (convcost kinds conv2d).
FUSABLE = {"relu", "relu6", "sigmoid", "tanh", "softmax", "swish", "silu", "hard_sigmoid", "hard_swish", "mish",
           "softplus"}
# Layers that are the identity at inference.
IDENTITIES = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
              "GaussianNoise", "AlphaDropout", "ActivityRegularization", "StochasticDepth"}
MODELS = {"Functional", "Model", "Sequential"}
OPERATIONS = {"Add", "Subtract", "Multiply", "TrueDivide", "Divide"}  # keras.ops names of the arithmetic
FAILED = "\x00failed"  # the output of a layer that could not be imported: what reads it is not reported again


class KerasError(Exception):
    """A layer that cannot be imported: (code, message, hint), collected so that every one is
    reported at once."""

    def __init__(self, code: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def read(path: str) -> ImportedModel:
    """The Keras model in ``path`` (.keras, .h5/.hdf5 or a model.to_json() .json file)."""
    config, keras_version = read_config(path)
    return _Reader(path, keras_version).model(config)


# -- the three files ---------------------------------------------------------------------------

def read_config(path: str) -> tuple[dict, str]:
    """The model config (``{"class_name": "Functional", "config": {...}}``) and the Keras
    version that wrote it ("" when the file does not say)."""
    suffix = Path(path).suffix.lower()
    what = {".keras": "a Keras .keras file (a zip holding config.json)", ".json": "a Keras model.to_json() file"}.get(
        suffix, "a Keras .h5 file holding a model_config")
    check_model_file(path, what)
    if suffix == ".keras":
        text = _keras_zip_config(path)
        where = "config.json in the .keras file"
        version = _keras_zip_version(path)
    elif suffix == ".json":
        with open(path, "rb") as handle:
            text = handle.read(MAX_CONFIG_BYTES + 1)
        if len(text) > MAX_CONFIG_BYTES:
            raise model_error("E610", path, f"the file is larger than {MAX_CONFIG_BYTES // 2**20} MiB: not a Keras "
                                            "model.to_json() file")
        where, version = "the file", ""
    else:
        text, version = _h5_config(path)
        where = "the model_config attribute of the .h5 file"
    try:
        config = json.loads(text)
    except UnicodeDecodeError:
        raise model_error("E611", path, f"{where} is not UTF-8 text: not a Keras model config") from None
    except json.JSONDecodeError as error:
        raise model_error("E611", path, f"{where} is not valid JSON (line {error.lineno}, column {error.colno}: "
                                        f"{error.msg}): the file is damaged or not a Keras model") from None
    except RecursionError:
        raise model_error("E611", path, f"{where} is nested too deeply to be a Keras model config") from None
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict) or "class_name" not in config:
        raise model_error("E611", path, f"{where} is JSON but not a Keras model config (expected an object with "
                                        "'class_name' and 'config')")
    return config, str(config.get("keras_version") or version)


def _keras_zip_config(path: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                entry = archive.getinfo("config.json")
            except KeyError:
                raise model_error("E610", path, "the .keras file holds no config.json (it has: "
                                                f"{', '.join(archive.namelist()[:5]) or 'nothing'})") from None
            if entry.file_size > MAX_CONFIG_BYTES:
                raise model_error("E610", path, f"config.json is {entry.file_size:,} bytes, more than a model "
                                                f"config ({MAX_CONFIG_BYTES // 2**20} MiB)")
            return archive.read(entry)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:  # truncated, corrupt, not a zip
        raise model_error("E610", path, f"cannot read the .keras file ({error}): it is damaged or not a .keras "
                                        "file (a zip holding config.json)") from None


def _keras_zip_version(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            metadata = json.loads(archive.read("metadata.json")) if "metadata.json" in archive.namelist() else {}
    except (zipfile.BadZipFile, OSError, ValueError):
        return ""
    return str(metadata.get("keras_version", "")) if isinstance(metadata, dict) else ""


def _h5_config(path: str) -> tuple[bytes, str]:
    try:
        import h5py  # type: ignore[import-untyped]
    except ImportError:
        raise model_error("E612", path, "reading a Keras .h5 file needs the h5py package",
                          "pip install 'convcost[h5]' (or save the model as .keras, or write model.to_json() "
                          "to a .json file: neither needs it)") from None
    try:
        with h5py.File(path, "r") as handle:
            config = handle.attrs.get("model_config")
            version = handle.attrs.get("keras_version", "")
    except OSError as error:
        raise model_error("E610", path, f"cannot read the .h5 file ({error}): it is damaged or not HDF5") from None
    if config is None:
        raise model_error("E610", path, "the .h5 file has no model_config: it holds weights only (saved with "
                                        "save_weights), not the architecture",
                          "save the whole model (model.save('net.keras')) or its model.to_json()")
    as_bytes = config if isinstance(config, bytes) else str(config).encode("utf-8")
    return as_bytes, version.decode() if isinstance(version, bytes) else str(version)


# -- the model graph ---------------------------------------------------------------------------

class _Reader:
    """Walks a model config into convcost layers; nested models are walked in place."""

    def __init__(self, path: str, keras_version: str):
        self.path, self.keras_version = path, keras_version
        self.inputs: list[ImportedInput] = []
        self.layers: list[ImportedLayer] = []
        self.taken: set[str] = set()
        self.problems: list[KerasError] = []
        self.notes: list[str] = []
        self.owners: dict[int, str] = {}  # id of a layer's config -> the spec layer of its first call

    def model(self, config: dict) -> ImportedModel:
        kind = str(config.get("class_name"))
        if kind not in MODELS:
            raise model_error("E613", self.path, f"the file holds a Keras '{kind}', not a model (expected a "
                                                 "Functional or Sequential model)")
        name = str(config["config"].get("name", ""))
        outputs = self._walk(config, name, None)
        if self.problems:
            from convcost.importers.model import model_errors

            raise model_errors([(p.code, p.message, p.hint) for p in self.problems], self.path)
        if not self.inputs:
            raise model_error("E602", self.path, f"the Keras model '{name}' has no input layer and no input shape",
                              "build the model on an input (keras.Input(shape=...)) before saving it")
        return ImportedModel(self.path, "Keras", f"{kind} model", name, tuple(self.inputs), tuple(self.layers),
                             tuple(outputs), tuple(self.notes))

    def _walk(self, config: dict, model_name: str, called_with: list[str] | None) -> list[str]:
        """Add a (possibly nested) model's layers; return the names of its outputs. ``called_with``
        is what a nested model's inputs are (None at the top: its inputs are the network's)."""
        body = config["config"]
        if config["class_name"] == "Sequential":
            return self._sequential(body, model_name, called_with)
        layers = body.get("layers")
        if not isinstance(layers, list):
            raise model_error("E611", self.path, f"model '{model_name}' has no list of layers")
        tensors: dict[tuple[str, int, int], str] = {}  # (layer, node, tensor) -> convcost name
        input_names = [entry[0] for entry in _entries(body.get("input_layers"))]
        for index, layer in enumerate(layers):
            self._functional_layer(layer, index, model_name, tensors, input_names, called_with)
        outputs = []
        for entry in _entries(body.get("output_layers")):
            key = (str(entry[0]), int(entry[1]) if len(entry) > 1 else 0, int(entry[2]) if len(entry) > 2 else 0)
            if key not in tensors:
                if not self.problems:
                    self.problems.append(KerasError("E613", f"model '{model_name}': its output '{key[0]}' is no "
                                                            "layer of the model"))
                continue
            outputs.append(tensors[key])
        return outputs

    def _functional_layer(self, layer: dict, index: int, model_name: str, tensors: dict, input_names: list[str],
                          called_with: list[str] | None) -> None:
        if not isinstance(layer, dict):
            self.problems.append(KerasError("E611", f"model '{model_name}', layers[{index}]: not a layer config"))
            return
        class_name = str(layer.get("class_name"))
        name = str(layer.get("name") or layer.get("config", {}).get("name") or f"layer_{index}")
        where = f"layer '{name}' ({class_name}, layers[{index}] of model '{model_name}')"
        if class_name == "InputLayer":
            if called_with is not None:  # a nested model's input: what the caller passed
                position = input_names.index(name) if name in input_names else 0
                tensors[(name, 0, 0)] = called_with[min(position, len(called_with) - 1)]
            else:
                tensors[(name, 0, 0)] = self._input(name, layer.get("config", {}), where)
            return
        nodes = layer.get("inbound_nodes") or []
        if not nodes:
            self.problems.append(KerasError("E613", f"{where} is never called: it has no inputs",
                                            "a Functional model's layers are each called on a tensor"))
            return
        if not _known(class_name, layer.get("module")):  # reported even where its input failed too
            self.problems.append(KerasError("E614", f"{where}: unknown layer class '{class_name}'",
                                            _class_hint(class_name)))
            for node_index in range(len(nodes)):
                tensors[(name, node_index, 0)] = FAILED
            return
        for node_index, node in enumerate(nodes):
            tensors[(name, node_index, 0)] = FAILED  # until the call is imported
            try:
                reads, constants = self._node_inputs(node, tensors, where)
            except KerasError as error:
                self.problems.append(error)
                continue
            if FAILED in reads:
                continue
            call_name = self._unique(name if node_index == 0 else f"{name}_call{node_index + 1}")
            if node_index == 1:
                self.notes.append(f"'{name}' is called {len(nodes)} times: each call is a layer of the spec, and "
                                  f"the later ones use the first's weights ('shares:'), counted once, as Keras does")
            if class_name in MODELS:
                outputs = self._walk(layer, name, reads)
                for tensor_index, output in enumerate(outputs):
                    tensors[(name, node_index, tensor_index)] = output
                continue
            try:
                output = self._layer(class_name, call_name, layer.get("config") or {}, reads, constants, where,
                                     layer.get("module"), id(layer))
            except KerasError as error:
                self.problems.append(error)
                continue
            tensors[(name, node_index, 0)] = output

    def _sequential(self, body: dict, model_name: str, called_with: list[str] | None) -> list[str]:
        layers = body.get("layers")
        if not isinstance(layers, list):
            raise model_error("E611", self.path, f"model '{model_name}' has no list of layers")
        previous = called_with[0] if called_with else None
        for index, layer in enumerate(layers):
            class_name = str(layer.get("class_name"))
            config = layer.get("config") or {}
            name = str(config.get("name") or f"layer_{index}")
            where = f"layer '{name}' ({class_name}, layers[{index}] of model '{model_name}')"
            if class_name == "InputLayer":
                if previous is None:
                    previous = self._input(name, config, where)
                continue
            if previous == FAILED:
                continue
            if previous is None:  # Keras 2 and built Sequential models give the shape on the first layer
                shape = config.get("batch_input_shape") or config.get("batch_shape") or body.get("build_input_shape")
                if shape is None:
                    shape = (body.get("build_config") or {}).get("input_shape")
                if shape is None:
                    raise model_error("E602", self.path, f"the Sequential model '{model_name}' has no input shape",
                                      "build it on keras.Input(shape=...) before saving it")
                previous = self._input(f"{model_name}_input", {"batch_shape": shape}, f"the input of '{model_name}'")
            if class_name in MODELS:
                previous = self._walk(layer, name, [previous])[0]
                continue
            try:
                previous = self._layer(class_name, self._unique(name), config, [previous], [], where,
                                       layer.get("module"), id(layer))
            except KerasError as error:
                self.problems.append(error)
                previous = FAILED
        return [previous] if previous is not None else []

    def _input(self, name: str, config: dict, where: str) -> str:
        shape = config.get("batch_shape") or config.get("batch_input_shape")
        if not isinstance(shape, list) or not shape:
            raise model_error("E602", self.path, f"input layer '{name}' has no shape")
        if any(not (size is None or (isinstance(size, int) and size >= 1)) for size in shape[1:]):
            raise model_error("E611", self.path, f"input layer '{name}' has shape {shape}: expected sizes ≥ 1 or null")
        spec_name = self._unique(name)
        self.inputs.append(ImportedInput(spec_name, tuple(shape[1:]), f"input layer '{name}'"))
        return spec_name

    def _unique(self, name: str) -> str:
        candidate, number = name, 1
        while candidate in self.taken:
            number += 1
            candidate = f"{name}_{number}"
        self.taken.add(candidate)
        return candidate

    def _node_inputs(self, node: Any, tensors: dict, where: str) -> tuple[list[str], list[object]]:
        """The convcost names a call reads, and its constant arguments (``x + 3.0``)."""
        reads: list[str] = []
        constants: list[object] = []
        if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
            for argument in node.get("args", []):
                for item in (argument if isinstance(argument, list) else [argument]):
                    if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
                        history = item["config"]["keras_history"]
                        reads.append(self._tensor(tensors, history, where))
                    else:
                        constants.append(item)
        elif isinstance(node, list):  # Keras 2: [[layer, node, tensor, kwargs], ...]
            for entry in node:
                reads.append(self._tensor(tensors, entry[:3], where))
        else:
            raise KerasError("E611", f"{where}: its inbound node is not a Keras node")
        if not reads:
            raise KerasError("E613", f"{where} reads no tensor")
        return reads, constants

    def _tensor(self, tensors: dict, history: list, where: str) -> str:
        key = (str(history[0]), int(history[1]), int(history[2]) if len(history) > 2 else 0)
        if key not in tensors:
            raise KerasError("E613", f"{where} reads '{key[0]}' (call {key[1]}, output {key[2]}), which is no earlier "
                                     "layer of the model")
        return tensors[key]

    def _layer(self, class_name: str, name: str, config: dict, reads: list[str], constants: list[object],
               where: str, module: object, identity: int) -> str:
        """Add the convcost layer(s) of one Keras layer call; return the name of its output.
        ``identity`` is the layer's config object: a layer met again (called twice, or inside a
        nested model called twice) uses the weights of its first call."""
        # keras.ops arithmetic (module keras.src.ops.numpy; .h5 files drop the module): with a number, rescaling
        if module == "keras.src.ops.numpy" or (class_name in OPERATIONS and constants):
            return self._operation(class_name, name, reads, constants, where)
        if class_name in IDENTITIES:
            return self._add(name, "dropout", {}, reads, where)
        handler = CLASSES.get(class_name)
        if handler is None:
            raise KerasError("E614", f"{where}: unknown layer class '{class_name}'", _class_hint(class_name))
        kind, fields, activation = handler(_Fields(config, where, self.keras_version))
        shares = self.owners.get(identity)
        if shares is None:
            self.owners[identity] = name
        output = self._add(name, kind, fields, reads, where, shares)
        if activation is not None:  # a fused activation the kind has no field for: a layer of its own
            kind_of_activation, activation_fields = activation
            output = self._add(self._unique(f"{name}_{kind_of_activation}"), kind_of_activation, activation_fields,
                               [output], where)
        return output

    def _operation(self, class_name: str, name: str, reads: list[str], constants: list[object], where: str) -> str:
        """keras.ops arithmetic in a Functional model: MobileNetV3's ``x + 3.0``, ``x * (1/6)``."""
        if not constants:
            kind = {"Add": "add", "Multiply": "multiply", "Subtract": "subtract"}.get(class_name)
            if kind is None:
                raise KerasError("E614", f"{where}: the operation '{class_name}' has no convcost kind")
            return self._add(name, kind, {}, reads, where)
        if len(constants) != 1 or len(reads) != 1 or isinstance(constants[0], bool) or \
                not isinstance(constants[0], (int, float)):
            raise KerasError("E615", f"{where}: '{class_name}' of a tensor and {constants!r}: convcost maps a tensor "
                                     "and one number")
        value = constants[0]
        fields: dict[str, object]
        if class_name == "Add":
            fields = {"offset": value}
        elif class_name == "Subtract":
            fields = {"offset": -value}
        elif class_name == "Multiply":
            fields = {"scale": value}
        else:
            raise KerasError("E614", f"{where}: the operation '{class_name}' with a constant has no convcost kind",
                             "convcost maps a tensor plus, minus or times a number (rescaling)")
        return self._add(name, "rescaling", fields, reads, where)

    def _add(self, name: str, kind: str, fields: dict, reads: list[str], where: str, shares: str | None = None) -> str:
        self.layers.append(ImportedLayer(name, kind, fields, tuple(reads), where, shares=shares))
        return name


def _entries(value: object) -> Iterator[list]:
    """Keras' input_layers/output_layers: ``[name, node, tensor]`` or a list of them."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        yield value
    elif isinstance(value, list):
        for entry in value:
            if isinstance(entry, list) and entry:
                yield entry


def _known(class_name: str, module: object) -> bool:
    return class_name in CLASSES or class_name in IDENTITIES or class_name in MODELS or \
        module == "keras.src.ops.numpy" or class_name in OPERATIONS


def _class_hint(class_name: str) -> str:
    from convcost.errors import did_you_mean

    if class_name in ("Lambda", "TFOpLambda", "SlicingOpLambda"):
        return ("a Lambda layer is Python code, and convcost never runs code from a model file; write the layer as "
                "convcost kinds in the imported spec (convcost import MODEL -o net.yaml)")
    close = did_you_mean(class_name, list(CLASSES) + sorted(IDENTITIES))
    return (close + " " if close else "") + "docs/import.md lists the Keras classes convcost maps"


# -- field by field ----------------------------------------------------------------------------

Activation = tuple[str, dict[str, object]] | None
Mapped = tuple[str, dict[str, object], Activation]


class _Fields:
    """One layer's config, read field by field; a value with no convcost meaning is a KerasError."""

    def __init__(self, config: dict, where: str, keras_version: str):
        self.config, self.where, self.keras_version = config, where, keras_version

    def get(self, key: str, default: object = None) -> object:
        return self.config.get(key, default)

    def fail(self, message: str, hint: str | None = None) -> KerasError:
        return KerasError("E615", f"{self.where}: {message}", hint)

    def channels_last(self) -> None:
        if self.config.get("data_format", "channels_last") not in (None, "channels_last"):
            raise self.fail(f"data_format '{self.config['data_format']}': convcost specs are channels last",
                            "build the model with data_format='channels_last' (the Keras default)")

    def sizes(self, key: str, rank: int, default: object = None) -> object:
        """A size field (kernel_size, strides, dilation_rate, pool_size): one int when all are equal."""
        value = self.config.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value] * rank
        if not isinstance(value, list) or len(value) != rank or \
                not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value):
            raise self.fail(f"{key} {value!r}: expected {rank} whole numbers ≥ 1")
        return value[0] if len(set(value)) == 1 else list(value)

    def padding(self, kernel: object, dilation: object, rank: int) -> object:
        padding = self.config.get("padding", "valid")
        if padding in ("valid", "same"):
            return padding
        if padding == "causal" and rank == 1:
            k = kernel if isinstance(kernel, int) else kernel[0]  # type: ignore[index]
            d = dilation if isinstance(dilation, int) else dilation[0]  # type: ignore[index]
            return [[d * (k - 1), 0]]
        raise self.fail(f"padding '{padding}': expected valid or same" + (" or causal" if rank == 1 else ""))

    def activation(self) -> str | None:
        """The kind of a fused or an Activation layer's activation; None for linear."""
        value = self.config.get("activation", "linear")
        if isinstance(value, dict):  # {"class_name": "function", "config": "relu"} in some versions
            value = value.get("config") if isinstance(value.get("config"), str) else value.get("class_name")
        if not isinstance(value, str) or value not in ACTIVATIONS:
            raise self.fail(f"activation {value!r} has no convcost kind",
                            f"convcost maps: {', '.join(sorted(ACTIVATIONS))}")
        if value == "hard_sigmoid" and self.keras_version.startswith("2."):
            raise self.fail("Keras 2's hard_sigmoid, clip(0.2·x + 0.5, 0, 1), is not convcost's hard_sigmoid "
                            "(Keras 3 and PyTorch: relu6(x + 3) / 6)")
        return ACTIVATIONS[value]


def _fused(fields: dict[str, object], spec: _Fields) -> Mapped:
    """A layer's fields with its fused activation: the `activation` field where the kind takes it."""
    activation = spec.activation()
    if activation is None:
        return "", fields, None
    if activation in FUSABLE:
        return "", {**fields, "activation": activation}, None
    return "", fields, (activation, {})


def _conv(kind: str, rank: int, *, filters: bool = True, depthwise: bool = False) -> Callable[[_Fields], Mapped]:
    def mapped(spec: _Fields) -> Mapped:
        spec.channels_last()
        fields: dict[str, object] = {}
        if filters:
            fields["filters"] = spec.get("filters")
        kernel = spec.sizes("kernel_size", rank)
        dilation = spec.sizes("dilation_rate", rank, 1)
        fields["kernel"] = kernel
        stride = spec.sizes("strides", rank, 1)
        if stride != 1:
            fields["stride"] = stride
        padding = spec.padding(kernel, dilation, rank)
        if padding != "valid":
            fields["padding"] = padding
        if dilation != 1:
            fields["dilation"] = dilation
        if depthwise and spec.get("depth_multiplier", 1) != 1:
            fields["depth_multiplier"] = spec.get("depth_multiplier")
        if spec.get("groups", 1) not in (1, None):
            fields["groups"] = spec.get("groups")
        if not spec.get("use_bias", True):
            fields["bias"] = False
        _, fields, activation = _fused(fields, spec)
        return kind, fields, activation
    return mapped


def _separable(spec: _Fields) -> Mapped:
    """Keras applies a SeparableConv2D's activation after the pointwise step: a layer of its own
    (convcost's separable_conv2d `activation` sits between the two steps)."""
    activation = spec.activation()
    kind, fields, _ = _conv("separable_conv2d", 2, depthwise=True)(_without_activation(spec))
    return kind, fields, ((activation, {}) if activation else None)


def _without_activation(spec: _Fields) -> _Fields:
    return _Fields({**spec.config, "activation": "linear"}, spec.where, spec.keras_version)


def _transpose(spec: _Fields) -> Mapped:
    spec.channels_last()
    kind, fields, activation = _conv("conv2d_transpose", 2)(spec)
    output_padding = spec.get("output_padding")
    if output_padding is not None:
        fields = {**fields, "output_padding": spec.sizes("output_padding", 2)} if output_padding else fields
    return kind, fields, activation


def _dense(spec: _Fields) -> Mapped:
    fields: dict[str, object] = {"units": spec.get("units")}
    if not spec.get("use_bias", True):
        fields["bias"] = False
    _, fields, activation = _fused(fields, spec)
    return "dense", fields, activation


def _norm_axis(spec: _Fields) -> None:
    axis = spec.get("axis", -1)
    if isinstance(axis, list) and len(axis) == 1:
        axis = axis[0]
    if axis not in (-1, 3, 2, 4):  # the last axis of a 2-D, 1-D or 3-D input with its batch
        raise spec.fail(f"axis {spec.get('axis')!r}: convcost normalizes the channels (axis -1)")


def _batch_norm(spec: _Fields) -> Mapped:
    _norm_axis(spec)
    fields: dict[str, object] = {key: False for key in ("center", "scale") if spec.get(key, True) is False}
    return "batch_norm", fields, None


def _layer_norm(spec: _Fields) -> Mapped:
    _norm_axis(spec)
    if spec.get("rms_scaling"):
        raise spec.fail("rms_scaling: RMS normalization has no convcost kind")
    fields: dict[str, object] = {key: False for key in ("center", "scale") if spec.get(key, True) is False}
    return "layer_norm", fields, None


def _activation(spec: _Fields) -> Mapped:
    kind = spec.activation()
    return kind or "linear", {}, None


def _relu(spec: _Fields) -> Mapped:
    maximum, slope, threshold = spec.get("max_value"), spec.get("negative_slope", 0) or 0, spec.get("threshold", 0) or 0
    if threshold:
        raise spec.fail(f"threshold {threshold}: convcost's ReLU kinds have none")
    if slope:
        if maximum is not None:
            raise spec.fail("a ReLU with both max_value and negative_slope has no convcost kind")
        return "leaky_relu", {"alpha": slope}, None
    if maximum is None:
        return "relu", {}, None
    if maximum == 6:
        return "relu6", {}, None
    return "clip", {"min": 0, "max": maximum}, None


def _leaky_relu(spec: _Fields) -> Mapped:
    slope = spec.get("negative_slope", spec.get("alpha", 0.3))
    return "leaky_relu", {"alpha": slope}, None


def _prelu(spec: _Fields) -> Mapped:
    shared = spec.get("shared_axes")
    if shared not in ([1, 2], [1], [1, 2, 3]):
        raise spec.fail(f"shared_axes {shared!r}: convcost's prelu has one slope per channel (shared_axes over "
                        "every spatial axis, e.g. [1, 2])")
    return "prelu", {}, None


def _pooling(kind: str, rank: int) -> Callable[[_Fields], Mapped]:
    def mapped(spec: _Fields) -> Mapped:
        spec.channels_last()
        kernel = spec.sizes("pool_size", rank, 2)
        fields: dict[str, object] = {"kernel": kernel}
        strides = spec.get("strides")
        stride = kernel if strides is None else spec.sizes("strides", rank)
        if stride != kernel:
            fields["stride"] = stride
        padding = spec.padding(kernel, 1, rank)
        if padding != "valid":
            fields["padding"] = padding
        return kind, fields, None
    return mapped


def _global(kind: str) -> Callable[[_Fields], Mapped]:
    def mapped(spec: _Fields) -> Mapped:
        spec.channels_last()
        return kind, ({"keepdims": True} if spec.get("keepdims") else {}), None
    return mapped


def _padding(kind: str, rank: int) -> Callable[[_Fields], Mapped]:
    def mapped(spec: _Fields) -> Mapped:
        spec.channels_last()
        key = "padding" if kind.startswith("zero") else "cropping"
        value = spec.get(key)
        if isinstance(value, int):
            value = [[value, value]] * rank
        if not isinstance(value, list) or len(value) != rank:
            raise spec.fail(f"{key} {value!r}: expected {rank} [begin, end] pairs")
        pairs = [list(pair) if isinstance(pair, list) else [pair, pair] for pair in value]
        return kind, {key: pairs}, None
    return mapped


def _concat(spec: _Fields) -> Mapped:
    axis = spec.get("axis", -1)
    if not isinstance(axis, int) or axis == 0:
        raise spec.fail(f"axis {axis!r}: convcost joins along an axis of the sample, not the batch")
    return "concat", ({} if axis == -1 else {"axis": axis - 1 if axis > 0 else axis}), None


def _reshape(spec: _Fields) -> Mapped:
    shape = spec.get("target_shape")
    if not isinstance(shape, list) or not shape:
        raise spec.fail(f"target_shape {shape!r}: expected a list of sizes")
    return "reshape", {"shape": list(shape)}, None


def _softmax(spec: _Fields) -> Mapped:
    axis = spec.get("axis", -1)
    if axis not in (-1, [-1]):
        raise spec.fail(f"axis {axis!r}: convcost's softmax is over the last axis")
    return "softmax", {}, None


def _upsampling(spec: _Fields) -> Mapped:
    spec.channels_last()
    interpolation = spec.get("interpolation", "nearest")
    if interpolation not in ("nearest", "bilinear"):
        raise spec.fail(f"interpolation '{interpolation}': convcost resizes by nearest or bilinear")
    fields: dict[str, object] = {"size": spec.sizes("size", 2, 2)}
    if interpolation != "nearest":
        fields["interpolation"] = interpolation
    return "upsampling2d", fields, None


def _rescaling(spec: _Fields) -> Mapped:
    fields = {key: spec.get(key) for key, default in (("scale", 1.0), ("offset", 0.0))
              if spec.get(key, default) != default}
    return "rescaling", fields, None


def _normalization(spec: _Fields) -> Mapped:
    _norm_axis(spec)
    if spec.get("invert"):
        raise spec.fail("invert: true (de-normalization) has no convcost kind")
    if spec.get("mean") is not None:  # constants of the layer, not weights: Keras counts no parameters
        return "normalization", {"stored": False}, None
    return "normalization", {}, None  # adapted or loaded: mean, variance and count are weights (2C + 1)


def _simple(kind: str) -> Callable[[_Fields], Mapped]:
    return lambda spec: (kind, {}, None)


def _elu(spec: _Fields) -> Mapped:
    alpha = spec.get("alpha", 1.0)
    return "elu", ({} if alpha == 1.0 else {"alpha": alpha}), None


# Keras class -> its mapping to a convcost kind (docs/import.md shows the table).
CLASSES: dict[str, Callable[[_Fields], Mapped]] = {
    "Conv1D": _conv("conv1d", 1),
    "Conv2D": _conv("conv2d", 2),
    "Conv3D": _conv("conv3d", 3),
    "DepthwiseConv2D": _conv("depthwise_conv2d", 2, filters=False, depthwise=True),
    "SeparableConv2D": _separable,
    "Conv2DTranspose": _transpose,
    "Dense": _dense,
    "BatchNormalization": _batch_norm,
    "LayerNormalization": _layer_norm,
    "Activation": _activation,
    "ReLU": _relu,
    "LeakyReLU": _leaky_relu,
    "PReLU": _prelu,
    "ELU": _elu,
    "Softmax": _softmax,
    "MaxPooling1D": _pooling("max_pooling1d", 1),
    "AveragePooling1D": _pooling("average_pooling1d", 1),
    "MaxPooling2D": _pooling("max_pooling2d", 2),
    "AveragePooling2D": _pooling("average_pooling2d", 2),
    "MaxPooling3D": _pooling("max_pooling3d", 3),
    "AveragePooling3D": _pooling("average_pooling3d", 3),
    "GlobalAveragePooling1D": _global("global_average_pooling"),
    "GlobalAveragePooling2D": _global("global_average_pooling"),
    "GlobalAveragePooling3D": _global("global_average_pooling"),
    "GlobalMaxPooling1D": _global("global_max_pooling"),
    "GlobalMaxPooling2D": _global("global_max_pooling"),
    "GlobalMaxPooling3D": _global("global_max_pooling"),
    "ZeroPadding2D": _padding("zero_padding2d", 2),
    "ZeroPadding3D": _padding("zero_padding3d", 3),
    "Cropping2D": _padding("cropping2d", 2),
    "Cropping3D": _padding("cropping3d", 3),
    "Flatten": _simple("flatten"),
    "Reshape": _reshape,
    "Add": _simple("add"),
    "Subtract": _simple("subtract"),
    "Multiply": _simple("multiply"),
    "Concatenate": _concat,
    "UpSampling2D": _upsampling,
    "Rescaling": _rescaling,
    "Normalization": _normalization,
    "LayerScale": _simple("scale"),  # keras.applications.convnext: x · gamma, one per channel
    "Identity": _simple("linear"),
}

__all__ = ["ACTIVATIONS", "CLASSES", "read", "read_config"]
