"""A Keras model config -> convcost layers: Sequential and Functional models, nested models walked
in place, Keras 2's and 3's inbound nodes, shared layers (``shares:``), keras.ops arithmetic."""

from __future__ import annotations

from typing import Any, Iterator

from convcost.importers.keras.classes import CLASSES, IDENTITIES, Fields, KerasError, class_hint
from convcost.importers.model import ImportedInput, ImportedLayer, ImportedModel, model_error

MODELS = {"Functional", "Model", "Sequential"}
OPERATIONS = {"Add", "Subtract", "Multiply", "TrueDivide", "Divide"}  # keras.ops names of the arithmetic
FAILED = "\x00failed"  # the output of a layer that could not be imported: what reads it is not reported again


class ModelReader:
    """Walks a model config into convcost layers; nested models are walked in place."""

    def __init__(self, path: str, keras_version: str):
        self.path, self.keras_version = path, keras_version
        self.inputs: list[ImportedInput] = []
        self.layers: list[ImportedLayer] = []
        self.taken: set[str] = set()
        self.problems: list[KerasError] = []
        self.notes: list[str] = []
        self.owners: dict[int, str] = {}  # id of a layer's config -> the spec layer of its first call
        self.frozen: list[str] = []  # layers Keras does not train (trainable: false, or in a frozen model)
        self.in_frozen = 0  # depth of nested models with trainable: false being walked

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
        if self.frozen:  # convcost has no frozen layers (yet): its trainable split would not be Keras'
            shown = ", ".join(self.frozen[:5]) + (f", … ({len(self.frozen):,} in all)" if len(self.frozen) > 5 else "")
            self.notes.append(f"frozen in the model (trainable: false): {shown}; Keras counts their weights as "
                              "non-trainable, convcost by kind (trainable_params counts them)")
        return ImportedModel(self.path, "Keras", f"{kind} model", name, tuple(self.inputs), tuple(self.layers),
                             tuple(outputs), tuple(self.notes))

    def _walk(self, config: dict, model_name: str, called_with: list[str] | None) -> list[str]:
        """Add a (possibly nested) model's layers; return the names of its outputs. ``called_with``
        is what a nested model's inputs are (None at the top: its inputs are the network's)."""
        body = config["config"]
        frozen = body.get("trainable") is False
        self.in_frozen += frozen
        try:
            if config["class_name"] == "Sequential":
                return self._sequential(body, model_name, called_with)
            return self._functional(body, model_name, called_with)
        finally:
            self.in_frozen -= frozen

    def _functional(self, body: dict, model_name: str, called_with: list[str] | None) -> list[str]:
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
                                            class_hint(class_name)))
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
            raise KerasError("E614", f"{where}: unknown layer class '{class_name}'", class_hint(class_name))
        kind, fields, activation = handler(Fields(config, where, self.keras_version))
        shares = self.owners.get(identity)
        if shares is None:
            self.owners[identity] = name
            if config.get("trainable") is False or self.in_frozen:
                self.frozen.append(name)
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
