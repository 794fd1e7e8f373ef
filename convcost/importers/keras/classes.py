"""Keras layer classes and their fields -> convcost kinds and spec fields (the table ``CLASSES``).

Each entry reads one layer's config through :class:`Fields` and returns (kind, fields, the
activation to add as a layer of its own or None); a value with no exact convcost meaning is a
:class:`KerasError` (E615), an unknown class E614. docs/import.md shows the table.
"""

from __future__ import annotations

from typing import Callable

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


class KerasError(Exception):
    """A layer that cannot be imported: (code, message, hint), collected so that every one is
    reported at once."""

    def __init__(self, code: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def class_hint(class_name: str) -> str:
    from convcost.errors import did_you_mean

    if class_name in ("Lambda", "TFOpLambda", "SlicingOpLambda"):
        return ("a Lambda layer is Python code, and convcost never runs code from a model file; write the layer as "
                "convcost kinds in the imported spec (convcost import MODEL -o net.yaml)")
    close = did_you_mean(class_name, list(CLASSES) + sorted(IDENTITIES))
    return (close + " " if close else "") + "docs/import.md lists the Keras classes convcost maps"



# -- field by field ----------------------------------------------------------------------------

Activation = tuple[str, dict[str, object]] | None
Mapped = tuple[str, dict[str, object], Activation]


class Fields:
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


def _fused(fields: dict[str, object], spec: Fields) -> Mapped:
    """A layer's fields with its fused activation: the `activation` field where the kind takes it."""
    activation = spec.activation()
    if activation is None:
        return "", fields, None
    if activation in FUSABLE:
        return "", {**fields, "activation": activation}, None
    return "", fields, (activation, {})


def _conv(kind: str, rank: int, *, filters: bool = True, depthwise: bool = False) -> Callable[[Fields], Mapped]:
    def mapped(spec: Fields) -> Mapped:
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


def _separable(spec: Fields) -> Mapped:
    """Keras applies a SeparableConv2D's activation after the pointwise step: a layer of its own
    (convcost's separable_conv2d `activation` sits between the two steps)."""
    activation = spec.activation()
    kind, fields, _ = _conv("separable_conv2d", 2, depthwise=True)(_without_activation(spec))
    return kind, fields, ((activation, {}) if activation else None)


def _without_activation(spec: Fields) -> Fields:
    return Fields({**spec.config, "activation": "linear"}, spec.where, spec.keras_version)


def _transpose(spec: Fields) -> Mapped:
    spec.channels_last()
    kind, fields, activation = _conv("conv2d_transpose", 2)(spec)
    output_padding = spec.get("output_padding")
    if output_padding is not None:
        fields = {**fields, "output_padding": spec.sizes("output_padding", 2)} if output_padding else fields
    return kind, fields, activation


def _dense(spec: Fields) -> Mapped:
    fields: dict[str, object] = {"units": spec.get("units")}
    if not spec.get("use_bias", True):
        fields["bias"] = False
    _, fields, activation = _fused(fields, spec)
    return "dense", fields, activation


def _norm_axis(spec: Fields) -> None:
    axis = spec.get("axis", -1)
    if isinstance(axis, list) and len(axis) == 1:
        axis = axis[0]
    if axis not in (-1, 3, 2, 4):  # the last axis of a 2-D, 1-D or 3-D input with its batch
        raise spec.fail(f"axis {spec.get('axis')!r}: convcost normalizes the channels (axis -1)")


def _batch_norm(spec: Fields) -> Mapped:
    _norm_axis(spec)
    fields: dict[str, object] = {key: False for key in ("center", "scale") if spec.get(key, True) is False}
    return "batch_norm", fields, None


def _layer_norm(spec: Fields) -> Mapped:
    _norm_axis(spec)
    if spec.get("rms_scaling"):
        raise spec.fail("rms_scaling: RMS normalization has no convcost kind")
    fields: dict[str, object] = {key: False for key in ("center", "scale") if spec.get(key, True) is False}
    return "layer_norm", fields, None


def _activation(spec: Fields) -> Mapped:
    kind = spec.activation()
    return kind or "linear", {}, None


def _relu(spec: Fields) -> Mapped:
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


def _leaky_relu(spec: Fields) -> Mapped:
    slope = spec.get("negative_slope", spec.get("alpha", 0.3))
    return "leaky_relu", {"alpha": slope}, None


def _prelu(spec: Fields) -> Mapped:
    shared = spec.get("shared_axes")
    if shared not in ([1, 2], [1], [1, 2, 3]):
        raise spec.fail(f"shared_axes {shared!r}: convcost's prelu has one slope per channel (shared_axes over "
                        "every spatial axis, e.g. [1, 2])")
    return "prelu", {}, None


def _pooling(kind: str, rank: int) -> Callable[[Fields], Mapped]:
    def mapped(spec: Fields) -> Mapped:
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


def _global(kind: str) -> Callable[[Fields], Mapped]:
    def mapped(spec: Fields) -> Mapped:
        spec.channels_last()
        return kind, ({"keepdims": True} if spec.get("keepdims") else {}), None
    return mapped


def _padding(kind: str, rank: int) -> Callable[[Fields], Mapped]:
    def mapped(spec: Fields) -> Mapped:
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


def _concat(spec: Fields) -> Mapped:
    axis = spec.get("axis", -1)
    if not isinstance(axis, int) or axis == 0:
        raise spec.fail(f"axis {axis!r}: convcost joins along an axis of the sample, not the batch")
    return "concat", ({} if axis == -1 else {"axis": axis - 1 if axis > 0 else axis}), None


def _reshape(spec: Fields) -> Mapped:
    shape = spec.get("target_shape")
    if not isinstance(shape, list) or not shape:
        raise spec.fail(f"target_shape {shape!r}: expected a list of sizes")
    return "reshape", {"shape": list(shape)}, None


def _softmax(spec: Fields) -> Mapped:
    axis = spec.get("axis", -1)
    if axis not in (-1, [-1]):
        raise spec.fail(f"axis {axis!r}: convcost's softmax is over the last axis")
    return "softmax", {}, None


def _upsampling(spec: Fields) -> Mapped:
    spec.channels_last()
    interpolation = spec.get("interpolation", "nearest")
    if interpolation not in ("nearest", "bilinear"):
        raise spec.fail(f"interpolation '{interpolation}': convcost resizes by nearest or bilinear")
    fields: dict[str, object] = {"size": spec.sizes("size", 2, 2)}
    if interpolation != "nearest":
        fields["interpolation"] = interpolation
    return "upsampling2d", fields, None


def _rescaling(spec: Fields) -> Mapped:
    fields = {key: spec.get(key) for key, default in (("scale", 1.0), ("offset", 0.0))
              if spec.get(key, default) != default}
    return "rescaling", fields, None


def _normalization(spec: Fields) -> Mapped:
    _norm_axis(spec)
    if spec.get("invert"):
        raise spec.fail("invert: true (de-normalization) has no convcost kind")
    if spec.get("mean") is not None:  # constants of the layer, not weights: Keras counts no parameters
        return "normalization", {"stored": False}, None
    return "normalization", {}, None  # adapted or loaded: mean, variance and count are weights (2C + 1)


def _simple(kind: str) -> Callable[[Fields], Mapped]:
    return lambda spec: (kind, {}, None)


def _elu(spec: Fields) -> Mapped:
    alpha = spec.get("alpha", 1.0)
    return "elu", ({} if alpha == 1.0 else {"alpha": alpha}), None


# Keras class -> its mapping to a convcost kind (docs/import.md shows the table).
CLASSES: dict[str, Callable[[Fields], Mapped]] = {
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

__all__ = ["ACTIVATIONS", "CLASSES", "FUSABLE", "IDENTITIES", "KerasError"]
