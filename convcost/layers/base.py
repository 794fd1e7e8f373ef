"""What every layer kind is made of: its fields, its output-shape rule and its cost rule.

A rule is a small pure function of the layer's normalized attributes and its input shapes that
returns integers. Shapes are channels-last tuples without the batch axis: ``(H, W, C)`` for 2-D
networks, ``(D, H, W, C)`` for 3-D ones, ``(N,)`` after flatten or global pooling.
The counting conventions behind every :class:`Cost` field are written once, in
``docs/conventions.md``; each rule's docstring says how it applies them.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Callable, Generic, Literal, Mapping, NamedTuple, TypeVar

Shape = tuple[int, ...]
# A windowed layer's normalized ``padding``: a keyword, or explicit (begin, end) pairs per spatial axis.
Pads = tuple[tuple[int, int], ...]  # (begin, end) per spatial axis
Padding = Literal["valid", "same"] | Pads


class ShapeError(Exception):
    """A layer cannot take the shapes it is given. ``field`` names the spec field to point at."""

    def __init__(self, code: str, message: str, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field, self.hint = code, message, field, hint


class Field(NamedTuple):
    """A field a layer kind accepts.

    ``type`` is one of: ``int`` (whole number within [minimum, maximum]), ``size`` (a whole number
    or a list of ``rank`` whole numbers >= minimum), ``padding`` (``valid`` | ``same`` | int |
    list of ``rank`` ints | list of ``rank`` [begin, end] pairs), ``pairs`` (int | list of ``rank``
    ints | list of ``rank`` pairs, no keywords), ``bool``, ``choice`` (one of ``choices``),
    ``number`` (any number within [minimum, maximum), e.g. a dropout rate), ``activation`` (an
    activation kind among ``choices``, ``linear`` or null: not an attribute of the layer, the spec
    language adds that activation as a layer of its own after it), ``shape`` (a list of 1 to
    ``rank`` whole numbers >= 1, one of which may be -1: reshape's target), ``numbers`` (a
    ``number`` or a non-empty list of them, one per channel: rescaling's scale and offset).
    An ``int`` or ``number`` field that is not required and whose default is None also takes
    null (none: clip's bounds, slice's stop).
    """

    type: str
    default: Any = None
    required: bool = False
    minimum: int | None = None
    maximum: Any = None
    rank: int = 0
    choices: tuple[str, ...] = ()
    doc: str = ""


class NoAttrs(NamedTuple):
    """The attributes of a kind that has none (batch_norm, the activations, flatten, add)."""


NO_ATTRS = NoAttrs()

# A kind's attribute record: a NamedTuple declared next to its rules (``ConvAttrs`` in conv.py),
# its fields the kind's spec fields in their order, fused activations left out (the spec language
# makes those layers of their own). Immutable, hashable, equal by value; ``_asdict()`` gives the
# fields as a dict.
A = TypeVar("A")


class Part(NamedTuple):
    """A share of a weight layer's cost, for the breakdown by layer type (MobileNet Table 2)."""

    category: str  # see CATEGORIES
    macs: int
    weights: int


CATEGORIES = ("conv 1x1", "depthwise", "full conv", "grouped conv", "dense")


# Cost's parameter groups: params is their sum (docs/conventions.md, "Parameters")
PARAMETER_GROUPS = ("weights", "biases", "bn_trainable", "bn_non_trainable", "affine")


class Cost(NamedTuple):
    """Exact counts of one layer at batch size 1; every field has one definition
    (docs/conventions.md)."""

    macs: int = 0  # multiply-accumulates of weight layers (conv, dense), padding included
    mults: int = 0  # every scalar multiplication (macs + batch-norm scale + ...)
    adds: int = 0  # every scalar addition or subtraction
    comparisons: int = 0  # max pooling, ReLU
    divisions: int = 0  # average pooling, sigmoid, softmax
    exponentials: int = 0  # sigmoid, tanh, softmax
    special_functions: int = 0  # sqrt, log, erf, pow evaluations (exp is counted in exponentials)
    effective_mults: int = 0  # mults whose data operand is a real input value, not padding
    weights: int = 0  # conv kernels and dense matrices
    biases: int = 0
    bn_trainable: int = 0  # batch-norm gamma and beta
    bn_non_trainable: int = 0  # batch-norm moving mean and variance
    affine: int = 0  # learned per-channel factors and offsets of other layers (layer norm, scale, PReLU)
    parts: tuple[Part, ...] = ()  # per layer; totals have none

    @property
    def flops(self) -> int:
        """Every scalar operation: mults + adds + comparisons + divisions + exponentials + special functions."""
        return (self.mults + self.adds + self.comparisons + self.divisions + self.exponentials
                + self.special_functions)

    @property
    def params(self) -> int:
        return self.weights + self.biases + self.bn_trainable + self.bn_non_trainable + self.affine

    @property
    def trainable_params(self) -> int:
        return self.weights + self.biases + self.bn_trainable + self.affine

    @property
    def non_trainable_params(self) -> int:
        return self.bn_non_trainable

    def __add__(self, other: Cost) -> Cost:  # type: ignore[override]  # field by field, not tuple concatenation
        fields: tuple[Any, ...] = self  # counts add up, parts join
        return Cost(*(a + b for a, b in zip(fields, other)))


def _no_description(attrs: Any) -> str:
    return ""


class LayerKind(NamedTuple, Generic[A]):
    """One layer kind: its spec fields, the record of its normalized attributes and its rules."""

    name: str
    summary: str  # one line for docs and --help
    fields: dict[str, Field]
    attrs_type: Callable[..., A]  # the NamedTuple its attributes are (NoAttrs for none)
    output_shape: Callable[[A, tuple[Shape, ...]], Shape]
    cost: Callable[[A, tuple[Shape, ...], Shape], Cost]
    describe: Callable[[A], str] = _no_description
    min_inputs: int = 1
    max_inputs: int | None = 1  # None: any number

    def make_attrs(self, values: Mapping[str, Any]) -> A:
        """The layer's attribute record from its normalized field values (every field except fused
        activations): the one place a record is built, for the spec language and the layer calculator."""
        return self.attrs_type(**values)


def elements(shape: Shape) -> int:
    return math.prod(shape)


def require_rank(shape: Shape, rank: int, kind: str, layout: str) -> None:
    if len(shape) != rank:
        hint = None
        if len(shape) == 1:
            hint = "its input has no spatial axes (after flatten, dense or global pooling); put it before them"
        elif rank == 4 and len(shape) == 3:
            hint = "this is a 3-D layer; for an [H, W, C] input use the 2-D kind"
        elif rank == 3 and len(shape) == 4:
            hint = "this is a 2-D layer; for a [D, H, W, C] input use the 3-D kind"
        elif rank == 2 and len(shape) in (3, 4):
            hint = "this is a 1-D layer over [L, C]; for an image or a volume use the 2-D or 3-D kind"
        elif rank in (3, 4) and len(shape) == 2:
            hint = "this input is [L, C] (1-D); use the 1-D kind (conv1d, max_pooling1d, average_pooling1d)"
        raise ShapeError("E404", f"needs an input of rank {rank} {layout}, got {format_shape(shape)} "
                                 f"(rank {len(shape)})", hint=hint)


MAX_DIMENSION = 10**18  # the largest size of any tensor axis (docs/errors.md)


def check_dimensions(shape: Shape) -> Shape:
    """``shape`` if no axis is larger than MAX_DIMENSION, else ShapeError E407 (counts would be
    meaningless and the numbers ever longer: a chain of depth multipliers grows them exponentially)."""
    for n in shape:
        if n > MAX_DIMENSION:
            shown = f"{n:,}" if len(str(n)) <= 30 else f"a {len(str(n))}-digit number"
            raise ShapeError("E407", f"the output would have an axis of {shown}, more than 10^18",
                             hint="check depth_multiplier, concat and padding values")
    return shape


def format_shape(shape: Shape) -> str:
    return "×".join(str(n) for n in shape) if shape else "scalar"


# --- spatial geometry shared by convolution and pooling ------------------------------------------

def conv_output_size(n: int, kernel: int, stride: int = 1, padding: tuple[int, int] = (0, 0), dilation: int = 1) -> int:
    """Output length along one axis: ``floor((n + p_begin + p_end - d·(k-1) - 1) / s) + 1``.

    ``conv_output_size(224, kernel=3, stride=2, padding=(0, 1)) == 112``;
    the seed notes' Xception stem: ``conv_output_size(299, 3, 2, (1, 1)) == 150``.
    """
    return (n + padding[0] + padding[1] - dilation * (kernel - 1) - 1) // stride + 1


def same_padding(n: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's ``same``: output ``ceil(n / s)``, padding split with the extra on the end.

    ``same_padding(224, 3, 2) == (0, 1)``; ``same_padding(7, 3, 1) == (1, 1)``.
    """
    out = -(-n // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def resolve_padding(padding: Padding, sizes: Shape, kernel: Shape, stride: Shape, dilation: Shape) -> Pads:
    """Explicit (begin, end) pairs per spatial axis from a normalized padding attribute."""
    if padding == "valid":
        return tuple((0, 0) for _ in sizes)
    if padding == "same":
        return tuple(same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernel, stride, dilation))
    return padding


def spatial_output(sizes: Shape, kernel: Shape, stride: Shape, pads: Pads, dilation: Shape) -> Shape:
    """Output sizes of a windowed layer, or ShapeError E403 where a window does not fit."""
    out = []
    for axis, (n, k, s, p, d) in enumerate(zip(sizes, kernel, stride, pads, dilation)):
        size = conv_output_size(n, k, s, p, d)
        if size < 1:
            span = d * (k - 1) + 1
            spans = f"{k}" if d == 1 else f"{span} ({k} taps, dilation {d})"
            raise ShapeError(
                "E403",
                f"the kernel does not fit the input along the {axis_name(axis, len(sizes))}: it spans {spans} but the "
                f"padded input is only {n + p[0] + p[1]} ({n} + padding {p[0]}+{p[1]}); the output size "
                f"would be {size}, below 1",
                field="kernel",
                hint="use padding: same, a smaller kernel, or a larger input",
            )
        out.append(size)
    return tuple(out)


# A sweep evaluates the same few windows on the same few sizes thousands of times (MobileNet over
# 1,000 widths and resolutions meets about 30 distinct (size, window) pairs per resolution), so
# the geometry of a window is kept, by value, in bounded caches. Both functions are pure.
@lru_cache(maxsize=1024)
def window_geometry(sizes: Shape, kernel: Shape, stride: Shape, padding: Padding,
                    dilation: Shape) -> tuple[Pads, Shape]:
    """(padding pairs, output sizes) of a window on ``sizes``: :func:`resolve_padding`, then
    :func:`spatial_output` (which raises ShapeError E403 where the window does not fit).

    ``window_geometry((224, 224), (3, 3), (2, 2), "same", (1, 1)) == (((0, 1), (0, 1)), (112, 112))``
    """
    pads = resolve_padding(padding, sizes, kernel, stride, dilation)
    return pads, spatial_output(sizes, kernel, stride, pads, dilation)


@lru_cache(maxsize=1024)
def real_taps(sizes: Shape, out_sizes: Shape, kernel: Shape, stride: Shape, dilation: Shape, pads: Pads) -> int:
    """(output position, kernel tap) pairs over every spatial axis whose input is a real value, not
    padding: the product of :func:`taps_inside` along each axis.

    ``real_taps((7, 7), (7, 7), (3, 3), (1, 1), (1, 1), ((1, 1), (1, 1))) == 19 * 19``
    """
    return math.prod(taps_inside(n, n_out, k, s, d, p[0])
                     for n, n_out, k, s, d, p in zip(sizes, out_sizes, kernel, stride, dilation, pads))


_AXIS_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def resolve_axis(axis: int, rank: int, of: str = "an input") -> int:
    """``axis`` (negative from the end) as an index below ``rank``, or ShapeError E205 at the
    field ``axis``: ``resolve_axis(-1, 3) == 2``."""
    index = axis + rank if axis < 0 else axis
    if not 0 <= index < rank:
        raise ShapeError("E205", f"axis {axis} is out of range for {of} of rank {rank} "
                                 f"(axes {-rank} to {rank - 1})", field="axis")
    return index


def axis_name(axis: int, rank: int) -> str:
    """``axis_name(0, 2) == 'height'``; ``axis_name(0, 3) == 'depth'``."""
    names = _AXIS_NAMES.get(rank, ())
    return names[axis] if axis < len(names) else f"axis {axis}"


def describe_padding(padding: Padding) -> str:
    """The padding part of a windowed layer's description: ``' same'``, ``' pad 3,3'``,
    ``' pad 0:1,1'`` (begin:end where they differ), ``''`` for none."""
    if padding == "same":
        return " same"
    if padding == "valid" or all(p == (0, 0) for p in padding):
        return ""
    return " pad " + ",".join(f"{b}:{e}" if b != e else str(b) for b, e in padding)


def taps_inside(n: int, n_out: int, kernel: int, stride: int, dilation: int, pad_begin: int) -> int:
    """Number of (output index, kernel tap) pairs along one axis whose input index is a real
    position (0 <= o·s + t·d - p_begin < n), i.e. not padding.

    Valid padding: every pair is inside, ``taps_inside(7, 5, 3, 1, 1, 0) == 15``;
    ``same`` on 7 with k=3: the two edge outputs each lose one tap, ``taps_inside(7, 7, 3, 1, 1, 1) == 19``.
    """
    if kernel > _LOOP_TAPS:  # a huge kernel: the same count in closed form, without a loop per tap
        return _taps_inside_closed(n, n_out, kernel, stride, dilation, pad_begin)
    total = 0
    for tap in range(kernel):
        offset = tap * dilation - pad_begin  # input index = o·s + offset
        first = -(offset // stride) if offset < 0 else 0  # ceil(-offset / s)
        last = min(n_out - 1, (n - 1 - offset) // stride) if n - 1 - offset >= 0 else -1
        if last >= first:
            total += last - first + 1
    return total


_LOOP_TAPS = 64  # kernels longer than this use the closed form (same result; tests/test_safety.py)


def _taps_inside_closed(n: int, n_out: int, kernel: int, stride: int, dilation: int, pad_begin: int) -> int:
    """:func:`taps_inside` in O(log) time, so that a kernel of 10^12 taps cannot hang the analysis.

    For tap t the data index of output o is o·s + t·d − p; it is real when 0 <= that < n. The
    number of outputs o in [0, n_out) with o·s <= x is clamp(floor(x / s) + 1, 0, n_out), so the
    count of tap t is C(n − 1 + p − t·d) − C(p − 1 − t·d), and summing C over all taps is a clamped
    floor sum over an arithmetic progression.
    """
    if n_out <= 0 or kernel <= 0:
        return 0
    return (_clamped_floor_sum(n - 1 + pad_begin, kernel, stride, dilation, n_out)
            - _clamped_floor_sum(pad_begin - 1, kernel, stride, dilation, n_out))


def _clamped_floor_sum(x0: int, taps: int, s: int, d: int, cap: int) -> int:
    """sum over t in [0, taps) of clamp(floor((x0 - t·d) / s) + 1, 0, cap)."""
    # f(t) = floor((x0 - t d) / s) + 1 does not increase with t.
    full_end = min(taps, max(0, (x0 - (cap - 1) * s) // d + 1))  # t < full_end: f(t) >= cap
    zero_start = min(taps, max(0, x0 // d + 1))  # t >= zero_start: f(t) <= 0
    total = full_end * cap
    a, b = full_end, zero_start  # here 0 < f(t) < cap
    if b > a:
        m = b - a
        c = x0 - (b - 1) * d  # >= 0: t = b - 1 - i gives (c + i d) / s
        total += _floor_sum(m, s, d, c) + m
    return total


def _floor_sum(n: int, m: int, a: int, b: int) -> int:
    """sum over i in [0, n) of floor((a·i + b) / m), for n >= 0, m >= 1, a >= 0, b >= 0."""
    total = 0
    while True:
        if a >= m:
            total += (n - 1) * n // 2 * (a // m)
            a %= m
        if b >= m:
            total += n * (b // m)
            b %= m
        y_max = a * n + b
        if y_max < m:
            return total
        n, b = divmod(y_max, m)
        m, a = a, m
