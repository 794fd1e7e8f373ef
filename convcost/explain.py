"""One layer's output size, multiplications and parameters as formulas, written the way the seed
notes write them, with the layer's numbers substituted step by step:

    H_out = W_out = floor((299 − 3 + 2·1)/2) + 1 = 150
    MACs = H_out·W_out·C_out · K_h·K_w·C_in = 150·150·32 · 3·3·3 = 19,440,000

Every value is computed here from the substituted numbers and checked against the layer rules'
result (:func:`convcost.analysis.analyze`); a mismatch is a bug in convcost, raised as such.
Nothing here prints.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from convcost.analysis import Analysis, LayerRecord, analyze
from convcost.errors import Problem, SpecError, did_you_mean
from convcost.layers import (
    AdaptivePoolAttrs,
    AveragePoolAttrs,
    ConvAttrs,
    ConvTransposeAttrs,
    DenseAttrs,
    DepthwiseConvAttrs,
    GlobalPoolAttrs,
    NoAttrs,
    PoolAttrs,
    SeparableConvAttrs,
    Shape,
    conv_output_size,
    format_shape,
    same_padding,
)
from convcost.layers.base import Padding, Pads
from convcost.layers.conv import separable_steps
from convcost.layers.norm import BatchNormAttrs
from convcost.layers.resize import BILINEAR_ADDS, BILINEAR_MULTS, UpsamplingAttrs

_AXES = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}
_ACTIVATION_RULES = {
    "relu": ("max(x, 0)", {"comparisons": 1}),
    "relu6": ("min(max(x, 0), 6)", {"comparisons": 2}),
    "sigmoid": ("1 / (1 + exp(−x))", {"exponentials": 1, "adds": 1, "divisions": 1}),
    "tanh": ("(e − 1)/(e + 1), e = exp(2x)", {"mults": 1, "exponentials": 1, "adds": 2, "divisions": 1}),
}


class ExplainError(AssertionError):
    """A formula's value differs from the layer rule's: a bug in convcost."""


def n(value: int) -> str:
    return f"{value:,}"


def product(*groups: tuple[int, ...]) -> str:
    """``product((150, 150, 32), (3, 3, 3)) == '150·150·32 · 3·3·3'``"""
    return " · ".join("·".join(str(f) for f in group) for group in groups if group)


def _check(what: str, computed: int, engine: int) -> int:
    if computed != engine:
        raise ExplainError(f"explain: {what} by formula is {computed:,} but the layer rule gives {engine:,}")
    return computed


# --- output size ---------------------------------------------------------------------------------

def size_formula(size: int, kernel: int, stride: int, pads: tuple[int, int], dilation: int = 1) -> tuple[str, int]:
    """The seeds' output-size formula with numbers, and its value.

    ``size_formula(299, 3, 2, (1, 1)) == ('floor((299 − 3 + 2·1)/2) + 1', 150)``; uneven padding is
    written ``+ p_begin + p_end``; dilation d turns the kernel k into its span d·(k − 1) + 1.
    """
    k = str(kernel) if dilation == 1 else f"({dilation}·({kernel} − 1) + 1)"
    p = f"2·{pads[0]}" if pads[0] == pads[1] else f"{pads[0]} + {pads[1]}"
    value = (size - (dilation * (kernel - 1) + 1) + pads[0] + pads[1]) // stride + 1
    return f"floor(({size} − {k} + {p})/{stride}) + 1", value


def _generic_size_formula(pads: Pads, dilation: Shape) -> str:
    symmetric = all(b == e for b, e in pads)
    k = "k" if all(d == 1 for d in dilation) else "(d·(k − 1) + 1)"
    p = "2·p" if symmetric else "p_begin + p_end"
    return f"floor((n − {k} + {p})/s) + 1"


def _same_lines(sizes: Shape, kernel: Shape, stride: Shape, dilation: Shape, axes: tuple[str, ...]) -> list[str]:
    lines = ["  padding 'same' (TensorFlow): output ceil(n/s); total padding max((out − 1)·s + d·(k − 1) + 1 − n, 0),"
             " the odd one at the end"]
    for axis, size, k, s, d in zip(axes, sizes, kernel, stride, dilation):
        out = -(-size // s)
        begin, end = same_padding(size, k, s, d)
        lines.append(f"    {axis}: ceil({size}/{s}) = {out}; max(({out} − 1)·{s} + {d}·({k} − 1) + 1 − {size}, 0) = "
                     f"{begin + end} -> {begin} before, {end} after")
    return lines


def spatial_lines(sizes: Shape, kernel: Shape, stride: Shape, padding_attr: Padding, dilation: Shape,
                  out_sizes: Shape) -> list[str]:
    """Lines deriving each spatial output size (axes with the same numbers share a line)."""
    axes = _AXES.get(len(sizes), tuple(f"axis {i}" for i in range(len(sizes))))
    pads = tuple(same_padding(nn, k, s, d) for nn, k, s, d in zip(sizes, kernel, stride, dilation)) \
        if padding_attr == "same" else ((0, 0),) * len(sizes) if padding_attr == "valid" else padding_attr
    lines = [f"output size per spatial axis = {_generic_size_formula(pads, dilation)}"
             + ("   (n input, k kernel, p padding, s stride" + (", d dilation)" if any(d != 1 for d in dilation)
                                                                  else ")"))]
    if padding_attr == "same":
        lines += _same_lines(sizes, kernel, stride, dilation, axes)
    groups: dict[str, list[str]] = {}
    values: dict[str, int] = {}
    for axis, size, k, s, p, d, out in zip(axes, sizes, kernel, stride, pads, dilation, out_sizes):
        text, value = size_formula(size, k, s, p, d)
        _check(f"output {axis}", value, out)
        _check(f"output {axis}", conv_output_size(size, k, s, p, d), out)
        groups.setdefault(text, []).append(axis)
        values[text] = value
    for text, names in groups.items():
        lines.append("  " + " = ".join(f"{a}_out" for a in names) + f" = {text} = {values[text]}")
    return lines


# --- per kind ------------------------------------------------------------------------------------

def _conv_lines(record: LayerRecord, attrs: ConvAttrs) -> list[str]:
    in_shape, out_shape = record.input_shapes[0], record.output_shape
    axes = _AXES[len(out_shape) - 1]
    c_in, c_out, groups = in_shape[-1], out_shape[-1], attrs.groups
    lines = spatial_lines(in_shape[:-1], attrs.kernel, attrs.stride, attrs.padding, attrs.dilation, out_shape[:-1])
    lines.append(f"  output {format_shape(out_shape)} (C_out = filters = {c_out})")
    per_group = "C_in/groups" if groups != 1 else "C_in"
    c_text = f"({c_in}/{groups})" if groups != 1 else str(c_in)
    out_sym = "·".join(f"{a}_out" for a in axes) + "·C_out"
    k_sym = "·".join(f"K_{a.lower()}" for a in axes)
    positions = math.prod(out_shape)
    reduction = math.prod(attrs.kernel) * (c_in // groups)
    macs = _check("MACs", positions * reduction, record.cost.macs)
    lines += ["", f"multiplications (MACs) = {out_sym} · {k_sym}·{per_group}",
              f"  = {product(out_shape, attrs.kernel)}·{c_text} = {n(macs)}" if groups != 1 else
              f"  = {product(out_shape, tuple(attrs.kernel) + (c_in,))} = {n(macs)}"]
    lines += _adds_lines(record, positions, reduction, attrs.bias)
    lines += _effective_lines(record)
    weights = _check("weights", reduction * c_out, record.cost.weights)
    lines += ["", f"parameters: weights = {k_sym}·{per_group}·C_out = "
                  + (f"{product(attrs.kernel)}·{c_text}·{c_out}" if groups != 1
                     else product(tuple(attrs.kernel) + (c_in, c_out))) + f" = {n(weights)}"]
    lines += _bias_lines(record, c_out, attrs.bias)
    return lines


def _adds_lines(record: LayerRecord, outputs: int, reduction: int, bias: bool) -> list[str]:
    adds = outputs * (reduction - 1) + (outputs if bias else 0)
    _check("adds", adds, record.cost.adds)
    text = (f"adds = outputs·(terms per output − 1){' + outputs (bias)' if bias else ''} = "
            f"{n(outputs)}·({reduction} − 1)")
    text += f" + {n(outputs)}" if bias else ""
    return [f"{text} = {n(adds)}"]


def _effective_lines(record: LayerRecord) -> list[str]:
    padding = record.cost.mults - record.cost.effective_mults
    if not padding:
        return []
    return [f"of these mults, {n(padding)} multiply zero padding (effective mults {n(record.cost.effective_mults)})"]


def _bias_lines(record: LayerRecord, count: int, bias: bool) -> list[str]:
    biases = _check("biases", count if bias else 0, record.cost.biases)
    if not bias:
        return ["  no biases (bias: false)", f"  params = {n(record.cost.params)}"]
    return [f"  biases = {n(biases)} (one per output channel)",
            f"  params = {n(record.cost.weights)} + {n(biases)} = {n(record.cost.params)}"]


def _depthwise_lines(record: LayerRecord, attrs: DepthwiseConvAttrs) -> list[str]:
    in_shape, out_shape = record.input_shapes[0], record.output_shape
    axes = _AXES[len(out_shape) - 1]
    c_in, dm = in_shape[-1], attrs.depth_multiplier
    lines = spatial_lines(in_shape[:-1], attrs.kernel, attrs.stride, attrs.padding, attrs.dilation, out_shape[:-1])
    lines.append(f"  output {format_shape(out_shape)} (C_in·depth_multiplier = {c_in}·{dm})" if dm != 1 else
                 f"  output {format_shape(out_shape)} (one channel per input channel)")
    out_sym = "·".join(f"{a}_out" for a in axes) + ("·C_in·depth_multiplier" if dm != 1 else "·C_in")
    k_sym = "·".join(f"K_{a.lower()}" for a in axes)
    positions = math.prod(out_shape)
    reduction = math.prod(attrs.kernel)
    macs = _check("MACs", positions * reduction, record.cost.macs)
    lines += ["", f"multiplications (MACs) = {out_sym} · {k_sym}   (MobileNet: D_G·D_G·M · D_K·D_K)",
              f"  = {product(out_shape, attrs.kernel)} = {n(macs)}"]
    lines += _adds_lines(record, positions, reduction, attrs.bias)
    lines += _effective_lines(record)
    weights = _check("weights", reduction * out_shape[-1], record.cost.weights)
    lines += ["", f"parameters: weights = {k_sym}·C_in" + ("·depth_multiplier" if dm != 1 else "")
              + f" = {product(tuple(attrs.kernel) + (c_in,) + ((dm,) if dm != 1 else ()))} = {n(weights)}"]
    lines += _bias_lines(record, out_shape[-1], attrs.bias)
    return lines


def _separable_lines(record: LayerRecord, attrs: SeparableConvAttrs) -> list[str]:
    in_shape = record.input_shapes[0]
    steps = separable_steps(attrs, in_shape)
    lines: list[str] = []
    total_macs = total_weights = 0
    names = ("depthwise", "pointwise") if attrs.order == "depthwise_first" else ("pointwise", "depthwise")
    for number, (name, step) in enumerate(zip(names, steps), 1):
        s_in, s_out, kernel, stride, pads, dilation, groups, bias = step
        lines.append(f"step {number}: {name} {'×'.join(map(str, kernel))} on {format_shape(s_in)} -> "
                     f"{format_shape(s_out)}")
        if name == "depthwise":
            lines += ["  " + line for line in spatial_lines(s_in[:-1], kernel, stride,
                                                            attrs.padding if attrs.padding in ("same", "valid")
                                                            else pads, dilation, s_out[:-1])]
            macs = math.prod(s_out) * math.prod(kernel)
            weights = math.prod(kernel) * s_out[-1]
            lines += [f"  MACs = H_out·W_out·channels · K_h·K_w = {product(s_out, kernel)} = {n(macs)}",
                      f"  weights = K_h·K_w·channels = {product(tuple(kernel) + (s_out[-1],))} = {n(weights)}"]
        else:
            macs = math.prod(s_out) * s_in[-1]
            weights = s_in[-1] * s_out[-1]
            lines += [f"  MACs = H·W·N · C_in = {product(s_out, (s_in[-1],))} = {n(macs)}",
                      f"  weights = C_in·N = {product((s_in[-1], s_out[-1]))} = {n(weights)}"]
        total_macs += macs
        total_weights += weights
    _check("MACs", total_macs, record.cost.macs)
    _check("weights", total_weights, record.cost.weights)
    lines += ["", f"multiplications (MACs) = depthwise + pointwise = {n(total_macs)}",
              f"parameters: weights = {n(total_weights)}"]
    lines += _bias_lines(record, record.output_shape[-1], attrs.bias)
    if attrs.order == "depthwise_first" and attrs.depth_multiplier == 1 and attrs.kernel[0] == attrs.kernel[1]:
        f, filters = attrs.kernel[0], attrs.filters
        lines += ["", f"against a full {f}×{f} convolution to {filters} channels (same output): "
                      f"1/N + 1/f² = 1/{filters} + 1/{f}² = {1 / filters + 1 / f ** 2:.6g} of its MACs and weights"]
    if attrs.activation != "none":
        lines.append(f"plus {attrs.activation} between the steps (counted in this layer's other operations)")
    return lines


def _pool_lines(record: LayerRecord, attrs: PoolAttrs | AveragePoolAttrs) -> list[str]:
    in_shape, out_shape = record.input_shapes[0], record.output_shape
    if attrs.ceil_mode:  # the floor formula below does not apply (docs/conventions.md, pooling options)
        what = "comparisons" if record.kind.startswith("max") else "adds"
        return [f"output {format_shape(out_shape)} (ceil_mode: out = ceil((n + p_begin + p_end − k)/s) + 1, "
                "the last window starting inside the input or the left padding)",
                f"{what} = Σ over windows (taps inside the padded input − 1) = "
                f"{n(getattr(record.cost, what))}", *_divisor_lines(record, attrs), "no multiplications, no parameters"]
    stride = attrs.stride if attrs.stride is not None else attrs.kernel
    ones = (1,) * len(attrs.kernel)
    lines = spatial_lines(in_shape[:-1], attrs.kernel, stride, attrs.padding, ones, out_shape[:-1])
    lines.append(f"  output {format_shape(out_shape)} (channels unchanged)"
                 + ("; stride defaults to the window" if attrs.stride is None else ""))
    outputs, taps = math.prod(out_shape), math.prod(attrs.kernel)
    window = product(attrs.kernel)
    if record.kind.startswith("max"):
        comparisons = _check("comparisons", outputs * (taps - 1), record.cost.comparisons)
        lines += ["", "comparisons = outputs·(window − 1)",
                  f"  = {product(out_shape)}·({window} − 1) = {n(comparisons)}"]
    else:
        adds = _check("adds", outputs * (taps - 1), record.cost.adds)
        _check("divisions", outputs, record.cost.divisions)
        lines += ["", "adds = outputs·(window − 1), divisions = outputs",
                  f"  = {product(out_shape)}·({window} − 1) = {n(adds)} adds, {n(outputs)} divisions"]
        if isinstance(attrs, AveragePoolAttrs) and attrs.count_include_pad:
            lines += _divisor_lines(record, attrs)
    lines += ["", "no multiplications, no parameters"]
    return lines


def _divisor_lines(record: LayerRecord, attrs: PoolAttrs | AveragePoolAttrs) -> list[str]:
    """What an average pooling window's sum is divided by (one division per output either way)."""
    if not isinstance(attrs, AveragePoolAttrs):
        return []
    divisor = ("its taps inside the padded input, padding included (count_include_pad: true, PyTorch)"
               if attrs.count_include_pad else "its real input positions (count_include_pad: false, Keras/TF)")
    return [f"divisions = outputs = {n(record.cost.divisions)}, each window's sum divided by {divisor}"]


def _global_pool_lines(record: LayerRecord, attrs: GlobalPoolAttrs) -> list[str]:
    in_shape = record.input_shapes[0]
    positions, channels = math.prod(in_shape[:-1]), in_shape[-1]
    lines = [f"output {format_shape(record.output_shape)}: one value per channel over {product(in_shape[:-1])} "
             f"= {n(positions)} positions"]
    if record.kind == "global_max_pooling":
        comparisons = _check("comparisons", channels * (positions - 1), record.cost.comparisons)
        lines += [f"comparisons = C·(positions − 1) = {channels}·({n(positions)} − 1) = {n(comparisons)}"]
    else:
        adds = _check("adds", channels * (positions - 1), record.cost.adds)
        lines += [f"adds = C·(positions − 1) = {channels}·({n(positions)} − 1) = {n(adds)}",
                  f"divisions = C = {channels}"]
    return lines + ["no multiplications, no parameters"]


def _dense_lines(record: LayerRecord, attrs: DenseAttrs) -> list[str]:
    in_shape, out_shape = record.input_shapes[0], record.output_shape
    n_in, rows = in_shape[-1], math.prod(in_shape[:-1])
    macs = _check("MACs", rows * n_in * attrs.units, record.cost.macs)
    lead = f"{product(in_shape[:-1])}·" if in_shape[:-1] else ""
    lines = [f"output {format_shape(out_shape)} (units = {attrs.units})", "",
             "multiplications (MACs) = " + ("positions·" if lead else "") + "inputs·units = "
             + f"{lead}{n_in}·{attrs.units} = {n(macs)}"]
    lines += _adds_lines(record, rows * attrs.units, n_in, attrs.bias)
    weights = _check("weights", n_in * attrs.units, record.cost.weights)
    lines += ["", f"parameters: weights = inputs·units = {n_in}·{attrs.units} = {n(weights)}"]
    lines += _bias_lines(record, attrs.units, attrs.bias)
    return lines


def _batch_norm_lines(record: LayerRecord, attrs: BatchNormAttrs) -> list[str]:
    shape = record.output_shape
    elements = _check("mults", math.prod(shape), record.cost.mults)
    channels = shape[-1]
    kept = [w for w, present in (("gamma", attrs.scale), ("beta", attrs.center)) if present]
    learned = f"{', '.join(kept)} (trainable)" if kept else "no gamma or beta (center and scale false)"
    trainable = (attrs.center + attrs.scale) * channels
    return [f"output {format_shape(shape)} (unchanged)",
            f"at inference y = x·scale + shift: 1 mult and 1 add per element = {product(shape)} = {n(elements)} each",
            f"parameters: {learned} and moving mean, variance (non-trainable) per channel: "
            f"{2 + attrs.center + attrs.scale}·{channels} = {n(trainable + 2 * channels)} ({n(trainable)} trainable)"]


def _activation_lines(record: LayerRecord, attrs: NoAttrs) -> list[str]:
    shape = record.output_shape
    elements = math.prod(shape)
    if record.kind == "softmax":
        length = shape[-1] if shape else 1
        return [f"output {format_shape(shape)} (unchanged)",
                f"softmax over the last axis of {length}, per row: {length} − 1 comparisons, {length} subtractions, "
                f"{length} exponentials, {length} − 1 adds, {length} divisions",
                f"totals: comparisons {n(record.cost.comparisons)}, adds {n(record.cost.adds)}, "
                f"exponentials {n(record.cost.exponentials)}, divisions {n(record.cost.divisions)}",
                "no parameters"]
    formula, per_element = _ACTIVATION_RULES[record.kind]
    lines = [f"output {format_shape(shape)} (unchanged)", f"{record.kind}: {formula}, per element:"]
    for key, count in per_element.items():
        total = _check(key, count * elements, getattr(record.cost, key))
        factors = ((count,) if count != 1 else ()) + tuple(shape)
        lines.append(f"  {key} = {product(factors)} = {n(total)}" if len(factors) > 1 else f"  {key} = {n(total)}")
    return lines + ["no parameters"]


def _add_lines(record: LayerRecord, attrs: NoAttrs) -> list[str]:
    shape = record.output_shape
    k = len(record.input_shapes)
    adds = _check("adds", (k - 1) * math.prod(shape), record.cost.adds)
    return [f"output {format_shape(shape)}: every input has this shape",
            f"adds = (inputs − 1)·elements = ({k} − 1)·{product(shape)} = {n(adds)}", "no parameters"]


def _transpose_lines(record: LayerRecord, attrs: ConvTransposeAttrs) -> list[str]:
    """A transposed convolution (layers/transpose.py): scatter, then crop."""
    in_shape, out_shape = record.input_shapes[0], record.output_shape
    c_in, c_out, groups = in_shape[-1], out_shape[-1], attrs.groups
    rule = ("n·s (padding: same)" if attrs.padding == "same" else
            "(n − 1)·s − p_begin − p_end + d·(k − 1) + output_padding + 1")
    cost = record.cost
    return [f"output {format_shape(out_shape)}: per axis out = {rule}",
            "", "multiplications (MACs) = input positions · C_in · taps · C_out/groups (each input value times every "
                "tap of its group's filters, those landing in cropped padding included)",
            f"  = {product(in_shape[:-1])}·{c_in}·{product(attrs.kernel)}·{c_out}/{groups} = {n(cost.macs)}",
            f"adds = per full-output element (contributions − 1) where it has any"
            f"{' + outputs (bias)' if attrs.bias else ''} = {n(cost.adds)}",
            f"effective mults = MACs = {n(cost.effective_mults)} (the input is not padded)",
            "", f"parameters: weights = taps·C_in/groups·C_out = {n(cost.weights)}",
            *_bias_lines(record, c_out, attrs.bias)]


def _adaptive_lines(record: LayerRecord, attrs: AdaptivePoolAttrs) -> list[str]:
    """Adaptive pooling (layers/pooling.py): PyTorch's bins, taps per axis n + o − gcd(n, o)."""
    in_shape, out_shape = record.input_shapes[0], record.output_shape
    what = "comparisons" if "max" in record.kind else "adds"
    taps = [n_ + o - math.gcd(n_, o) for n_, o in zip(in_shape[:-1], attrs.output_size)]
    lines = [f"output {format_shape(out_shape)}: bin i of o over n covers [floor(i·n/o), ceil((i + 1)·n/o))",
             "taps in all bins per axis = n + o − gcd(n, o) = "
             + ", ".join(f"{n_} + {o} − {math.gcd(n_, o)} = {t}"
                         for n_, o, t in zip(in_shape[:-1], attrs.output_size, taps)),
             f"{what} = C·(Π taps per axis) − outputs = {in_shape[-1]}·{product(tuple(taps))} − "
             f"{n(math.prod(out_shape))} = {n(getattr(record.cost, what))}"]
    if what == "adds":
        lines.append(f"divisions = outputs = {n(record.cost.divisions)}")
    return lines + ["no multiplications, no parameters"]


def _plain_lines(record: LayerRecord, attrs: object) -> list[str]:
    shapes = " + ".join(format_shape(s) for s in record.input_shapes)
    notes = {"concat": "joins its inputs along one axis", "flatten": "reshapes to one axis",
             "dropout": "is the identity at inference", "zero_padding2d": "adds zeros around H and W",
             "zero_padding3d": "adds zeros around D, H and W", "upsampling2d": "copies the nearest input pixel",
             "depth_to_space": "moves channel blocks into pixel blocks",
             "space_to_depth": "moves pixel blocks into the channels", "cropping2d": "cuts off H and W borders",
             "cropping3d": "cuts off D, H and W borders", "reshape": "reshapes (row-major order)",
             "channel_shuffle": "reorders the channels", "split": "takes one equal part along an axis"}
    return [f"{shapes} -> {format_shape(record.output_shape)}: {record.kind} {notes.get(record.kind, 'moves data')}",
            "no arithmetic, no parameters"]


def _upsampling_lines(record: LayerRecord, attrs: UpsamplingAttrs) -> list[str]:
    if attrs.interpolation == "nearest":
        return _plain_lines(record, attrs)
    shape = record.output_shape
    outputs = math.prod(shape)
    mults = _check("mults", BILINEAR_MULTS * outputs, record.cost.mults)
    adds = _check("adds", BILINEAR_ADDS * outputs, record.cost.adds)
    where = "o·(n_in − 1)/(n_out − 1)" if attrs.align_corners else "(o + 0.5)·n_in/n_out − 0.5 (half-pixel)"
    return [f"{format_shape(record.input_shapes[0])} -> {format_shape(shape)}: bilinear, source position {where}",
            "per output element: top = a + tx·(b − a), bottom = c + tx·(d − c), out = top + ty·(bottom − top)",
            f"  mults = 3·outputs = 3·{product(shape)} = {n(mults)}",
            f"  adds = 6·outputs = 6·{product(shape)} = {n(adds)} (subtractions counted as adds)",
            "no parameters"]


_EXPLAINERS: dict[str, Callable[[LayerRecord, Any], list[str]]] = {
    "conv2d": _conv_lines, "conv3d": _conv_lines, "depthwise_conv2d": _depthwise_lines,
    "separable_conv2d": _separable_lines, "max_pooling2d": _pool_lines, "average_pooling2d": _pool_lines,
    "max_pooling3d": _pool_lines, "average_pooling3d": _pool_lines, "global_average_pooling": _global_pool_lines,
    "global_max_pooling": _global_pool_lines, "dense": _dense_lines, "batch_norm": _batch_norm_lines,
    "relu": _activation_lines, "relu6": _activation_lines, "sigmoid": _activation_lines,
    "tanh": _activation_lines, "softmax": _activation_lines, "add": _add_lines,
    "upsampling2d": _upsampling_lines,
    "conv1d": _conv_lines, "max_pooling1d": _pool_lines, "average_pooling1d": _pool_lines,
    "conv2d_transpose": _transpose_lines, "conv3d_transpose": _transpose_lines,
    "adaptive_average_pooling2d": _adaptive_lines, "adaptive_max_pooling2d": _adaptive_lines,
    "adaptive_average_pooling1d": _adaptive_lines, "adaptive_max_pooling1d": _adaptive_lines,
}


_COUNT_NAMES = ("mults", "adds", "comparisons", "divisions", "exponentials", "special_functions")


def _per_element_lines(record: LayerRecord, attrs: object) -> list[str]:
    """The kinds of issue 12: the form counted (the kind's summary), each count the rule gives and
    what it is per output element, and the parameters (docs/conventions.md writes the forms)."""
    from convcost.layers import KINDS

    shape = record.output_shape
    elements = math.prod(shape)
    lines = [f"output {format_shape(shape)}", f"{record.kind}: {KINDS[record.kind].summary}"]
    for key in _COUNT_NAMES:
        total = getattr(record.cost, key)
        if total:
            each = f" = {n(total // elements)} per element" if total % elements == 0 else ""
            lines.append(f"  {key.replace('_', ' ')} = {n(total)}{each}")
    if not any(getattr(record.cost, key) for key in _COUNT_NAMES):
        lines.append("  no arithmetic")
    if record.cost.affine:
        lines.append(f"parameters: {n(record.cost.affine)} affine (gamma, beta, slopes or factors per channel)")
    elif record.cost.bn_non_trainable:  # normalization's statistics
        lines.append(f"parameters: {n(record.cost.bn_non_trainable)} non-trainable (mean and variance per channel, "
                     "and a count)")
    else:
        lines.append("no parameters")
    return lines


_EXPLAINERS.update({kind: _per_element_lines for kind in (
    "multiply", "subtract", "scale", "swish", "silu", "hard_sigmoid", "hard_swish", "mish", "softplus", "linear",
    "leaky_relu", "elu", "prelu", "gelu", "layer_norm", "group_norm", "instance_norm", "local_response_norm")})
_EXPLAINERS.update({kind: _per_element_lines for kind in ("rescaling", "normalization", "clip")})


def explain(analysis: Analysis, layer: str) -> list[str]:
    """The explanation of layer ``layer`` (a full name such as ``ds2/dw``) as lines of text;
    SpecError when there is no such layer."""
    names = [r.name for r in analysis.layers]
    if layer not in names:
        hint = did_you_mean(layer, names) or (
            "layers: " + ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
            + "; 'convcost report SPEC' lists them all")
        raise SpecError(Problem("E400", f"no layer named '{layer}' in {analysis.graph.name}", None, hint))
    if analysis.batch != 1:  # the formulas are per sample
        analysis = analyze(analysis.graph, dtype=analysis.dtype, weight_dtype=analysis.weight_dtype)
    record = analysis.layer(layer)
    node = next(nd for nd in analysis.graph.nodes if nd.name == layer)
    description = f"{record.kind} {record.description}".strip()
    sources = " + ".join(f"{format_shape(s)} (from '{i}')" for s, i in zip(record.input_shapes, record.inputs))
    lines = [f"layer '{layer}': {description}   [{node.location}]", f"input {sources}", ""]
    explainer = _EXPLAINERS.get(record.kind, _plain_lines)
    lines += explainer(record, node.attrs)
    return lines


__all__ = ["ExplainError", "explain", "size_formula", "spatial_lines", "product"]
