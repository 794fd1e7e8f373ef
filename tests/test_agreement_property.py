"""Property: for any valid network, the analytic engine and the reference executor agree on every
count of every layer (output shape, macs, mults, adds, comparisons, divisions, exponentials,
effective mults, and the four parameter groups).

Hypothesis draws random layer sequences, 2-D and 3-D, with residual adds and concats, random
kernels, strides, paddings (valid, same, symmetric and asymmetric explicit), groups, dilations and
depth multipliers, writes them as a YAML spec and runs both paths. The generator tracks shapes
itself (a third, deliberately plain implementation) so that every drawn spec is valid.
200 examples by default; ``pytest -m slow`` runs 2,000 larger ones.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convcost
from convcost.analysis import analyze
from convcost.reference import execute
from convcost.verify import FIELDS, compare

SPATIAL_KINDS = {
    2: ["conv2d", "conv2d", "depthwise_conv2d", "separable_conv2d", "max_pooling2d", "average_pooling2d",
        "zero_padding2d"],
    3: ["conv3d", "conv3d", "max_pooling3d", "average_pooling3d", "zero_padding3d"],
}
ANY_RANK_KINDS = ["batch_norm", "relu", "relu6", "sigmoid", "tanh", "softmax", "dropout", "dense", "add", "add",
                  "concat"]
TO_FLAT_KINDS = ["global_average_pooling", "global_max_pooling", "flatten"]
ACTIVATIONS = ["none", "relu", "relu6", "sigmoid", "tanh"]


def _flow(value) -> str:
    """A Python value as YAML flow text."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return str(value)


def _out_len(n: int, k: int, s: int, d: int, pads: tuple[int, int]) -> int:
    return (n + pads[0] + pads[1] - d * (k - 1) - 1) // s + 1


class _Draw:
    """Layer fields drawn with ``draw``, and the output shape they give."""

    def __init__(self, draw, max_kernel: int):
        self.draw, self.max_kernel = draw, max_kernel

    def window(self, shape, *, dilated: bool, pool: bool = False):
        """kernel, stride, dilation, padding fields for a windowed layer on ``shape`` and the output
        spatial sizes. Falls back to 'same' (which always fits) when a drawn window does not fit."""
        draw = self.draw
        rank = len(shape) - 1
        kernel = [draw(st.integers(1, self.max_kernel)) for _ in range(rank)]
        stride = [draw(st.integers(1, self.max_kernel)) for _ in range(rank)]
        dilation = [draw(st.integers(1, self.max_kernel - 1)) if dilated else 1 for _ in range(rank)]
        style = draw(st.sampled_from(["valid", "same", "int", "pairs"]))
        fields = {"kernel": kernel if len(set(kernel)) > 1 else kernel[0]}
        if not pool or draw(st.booleans()):
            fields["stride"] = stride if len(set(stride)) > 1 else stride[0]
        else:
            stride = kernel  # pooling's default stride is the window
        if dilated and any(d > 1 for d in dilation):
            fields["dilation"] = dilation
        cap = [k // 2 if pool else self.max_kernel - 1 for k in kernel]  # pools: at most half the window (E205)
        if style == "int":
            p = draw(st.integers(0, min(cap)))
            pads = [(p, p)] * rank
            fields["padding"] = p
        elif style == "pairs":
            pads = [(draw(st.integers(0, c)), draw(st.integers(0, c))) for c in cap]
            fields["padding"] = [list(p) for p in pads]
        elif style == "valid":
            pads = [(0, 0)] * rank
            fields["padding"] = "valid"
        outs = [_out_len(n, k, s, d, p) for n, k, s, d, p in zip(shape[:-1], kernel, stride, dilation, pads)] \
            if style != "same" else None
        if style == "same" or min(outs) < 1:
            fields["padding"] = "same"
            outs = [math.ceil(n / s) for n, s in zip(shape[:-1], stride)]
        return fields, tuple(outs)


@st.composite
def networks(draw, max_layers: int = 7, max_size: int = 8, max_channels: int = 6, max_kernel: int = 3):  # noqa: C901 (a branch per kind)
    """(spec text, batch, dtype) for a random valid network."""
    rank = draw(st.sampled_from([2, 2, 3]))
    size_cap = max_size if rank == 2 else max(3, max_size // 2 + 1)
    input_shape = tuple(draw(st.integers(1, size_cap)) for _ in range(rank)) + (draw(st.integers(1, max_channels)),)
    tensors = {"input": input_shape}  # every tensor so far and its per-sample shape
    order = ["input"]
    lines = []
    d = _Draw(draw, max_kernel)
    for index in range(draw(st.integers(1, max_layers))):
        # read the latest tensor most of the time, sometimes an earlier one (branches)
        source = order[-1] if draw(st.integers(0, 3)) else draw(st.sampled_from(order))
        shape = tensors[source]
        spatial = len(shape) == rank + 1 and min(shape[:-1]) >= 1
        kinds = ANY_RANK_KINDS + (2 * SPATIAL_KINDS[rank] + TO_FLAT_KINDS if spatial else ["flatten"])
        kind = draw(st.sampled_from(kinds))
        fields: dict = {}
        inputs = [source]
        c = shape[-1]
        if kind in ("conv2d", "conv3d"):
            filters = draw(st.integers(1, max_channels))
            divisors = [g for g in range(1, math.gcd(c, filters) + 1) if c % g == 0 and filters % g == 0]
            groups = draw(st.sampled_from(divisors))
            window, outs = d.window(shape, dilated=True)
            fields = {"filters": filters, **window, "bias": draw(st.booleans())}
            if groups > 1:
                fields["groups"] = groups
            out = outs + (filters,)
        elif kind == "depthwise_conv2d":
            dm = draw(st.integers(1, 2))
            window, outs = d.window(shape, dilated=True)
            fields = {**window, "depth_multiplier": dm, "bias": draw(st.booleans())}
            out = outs + (c * dm,)
        elif kind == "separable_conv2d":
            filters, dm = draw(st.integers(1, max_channels)), draw(st.integers(1, 2))
            order_ = draw(st.sampled_from(["depthwise_first", "pointwise_first"]))
            window, outs = d.window(shape, dilated=True)
            fields = {"filters": filters, **window, "depth_multiplier": dm, "order": order_,
                      "activation": draw(st.sampled_from(ACTIVATIONS)), "bias": draw(st.booleans())}
            out = outs + ((filters,) if order_ == "depthwise_first" else (filters * dm,))
        elif kind.startswith(("max_pooling", "average_pooling")):
            fields, outs = d.window(shape, dilated=False, pool=True)
            out = outs + (c,)
        elif kind.startswith("zero_padding"):
            pads = [[draw(st.integers(0, 2)), draw(st.integers(0, 2))] for _ in range(rank)]
            fields = {"padding": pads}
            out = tuple(n + b + e for n, (b, e) in zip(shape[:-1], pads)) + (c,)
        elif kind.startswith("global_"):
            keepdims = draw(st.booleans())
            fields = {"keepdims": keepdims}
            out = (1,) * (len(shape) - 1) + (c,) if keepdims else (c,)
        elif kind == "flatten":
            out = (math.prod(shape),)
        elif kind == "dense":
            units = draw(st.integers(1, max_channels))
            fields = {"units": units, "bias": draw(st.booleans())}
            out = shape[:-1] + (units,)
        elif kind == "add":
            same = [name for name in order if tensors[name] == shape]
            inputs += draw(st.lists(st.sampled_from(same), min_size=1, max_size=2))  # may repeat: x + x
            out = shape
        elif kind == "concat":
            axis = draw(st.sampled_from([-1, -1, 0] if len(shape) > 1 else [-1, 0]))
            a = axis % len(shape)
            fits = [name for name in order if len(tensors[name]) == len(shape)
                    and all(x == y for i, (x, y) in enumerate(zip(tensors[name], shape)) if i != a)]
            inputs += draw(st.lists(st.sampled_from(fits), min_size=1, max_size=2))
            fields = {"axis": axis} if axis != -1 else {}
            out = shape[:a] + (sum(tensors[name][a] for name in inputs),) + shape[a + 1:]
        else:  # batch_norm, activations, softmax, dropout
            if kind == "dropout":
                fields = {"rate": 0.25}
            out = shape
        if math.prod(out) > 4096:  # keep every example small and fast
            continue
        name = f"l{index}"
        items = [f"kind: {kind}", f"name: {name}", f"inputs: {_flow(inputs)}"]
        items += [f"{key}: {_flow(value)}" for key, value in fields.items()]
        lines.append("  - {" + ", ".join(items) + "}")
        tensors[name] = out
        order.append(name)
    if not lines:  # everything drawn was too large: one cheap layer
        lines.append("  - {kind: relu, name: only}")
    text = f"input: {_flow(input_shape)}\nlayers:\n" + "\n".join(lines) + "\n"
    return text, draw(st.integers(1, 2)), draw(st.sampled_from(["float32", "float64"]))


def check_agreement(case) -> None:
    text, batch, dtype = case
    graph = convcost.loads(text).build()
    analysis = analyze(graph, batch=batch)
    run = execute(graph, batch=batch, dtype=dtype, seed=len(text))
    result = compare(analysis, run)
    assert len(result.layers) == len(graph.nodes)
    assert all(len(layer.checks) == len(FIELDS) for layer in result.layers)  # every count of every layer
    assert result.agree, "\n".join(f"{name}: {c.field} analytic {c.analytic} != executed {c.measured}"
                                   for name, c in result.mismatches) + "\n" + text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_analytic_equals_executed(case):
    check_agreement(case)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(max_layers=14, max_size=12, max_channels=8, max_kernel=5))
def _long_run(case):
    check_agreement(case)


@pytest.mark.slow
def test_analytic_equals_executed_long():
    """2,000 larger networks (about 15 s here): ``pytest -m slow`` (deselected by default)."""
    _long_run()
