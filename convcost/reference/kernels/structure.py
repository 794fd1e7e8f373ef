"""Reference rearrangements without arithmetic: reshape (row-major, as np.reshape),
channel_shuffle (reshape [.., g, C/g] -> transpose -> flatten) and split (a slice)."""

from __future__ import annotations

from typing import Mapping, Protocol

import numpy as np

from convcost.reference.counter import Counter
from convcost.reference.kernels.base import Kernel, Plan, PlanError, Shape, elements

Weights = Mapping[str, np.ndarray]


class Reshape(Protocol):
    @property
    def shape(self) -> tuple[int, ...]: ...


class ChannelShuffle(Protocol):
    @property
    def groups(self) -> int: ...


class Split(Protocol):
    @property
    def parts(self) -> int: ...
    @property
    def part(self) -> int: ...
    @property
    def axis(self) -> int: ...


def _reshape_plan(attrs: Reshape, inputs: tuple[Shape, ...]) -> Plan:
    total = elements(inputs[0])
    known = elements(tuple(n for n in attrs.shape if n != -1))
    if (-1 in attrs.shape and total % known) or (-1 not in attrs.shape and known != total):
        raise PlanError("E422", f"reshape: {inputs[0]} ({total} elements) does not fit {list(attrs.shape)}", "shape")
    return Plan(tuple(total // known if n == -1 else n for n in attrs.shape))


def _reshape_run(ops: Counter, attrs: Reshape, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    return x.reshape(x.shape[0], *attrs.shape)


def _channel_shuffle_plan(attrs: ChannelShuffle, inputs: tuple[Shape, ...]) -> Plan:
    if inputs[0][-1] % attrs.groups:
        raise PlanError("E405", f"channel_shuffle: groups={attrs.groups} does not divide {inputs[0][-1]} channels",
                        "groups")
    return Plan(inputs[0])


def _channel_shuffle_run(ops: Counter, attrs: ChannelShuffle, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    """out channel j·g + i = in channel i·(C/g) + j (ShuffleNet)."""
    x, g = inputs[0], attrs.groups
    grouped = x.reshape(*x.shape[:-1], g, x.shape[-1] // g)  # (.., g, C/g)
    return grouped.swapaxes(-1, -2).reshape(x.shape)  # (.., C/g, g), flattened


def _split_axis(attrs: Split, rank: int) -> int:
    axis = attrs.axis + rank if attrs.axis < 0 else attrs.axis
    if not 0 <= axis < rank:
        raise PlanError("E205", f"split axis {attrs.axis} is out of range for inputs of rank {rank}", "axis")
    return axis


def _split_plan(attrs: Split, inputs: tuple[Shape, ...]) -> Plan:
    shape = inputs[0]
    axis = _split_axis(attrs, len(shape))
    if attrs.part >= attrs.parts:
        raise PlanError("E205", f"split: part {attrs.part} of {attrs.parts} parts (numbered from 0)", "part")
    if shape[axis] % attrs.parts:
        raise PlanError("E420", f"split: {attrs.parts} parts do not divide axis {attrs.axis} of {shape}", "parts")
    return Plan(shape[:axis] + (shape[axis] // attrs.parts,) + shape[axis + 1:])


def _split_run(ops: Counter, attrs: Split, inputs: list[np.ndarray], weights: Weights) -> np.ndarray:
    x = inputs[0]
    axis = _split_axis(attrs, x.ndim - 1) + 1  # per-sample axis -> array axis after the batch
    return np.split(x, attrs.parts, axis=axis)[attrs.part]  # a view


KERNELS: dict[str, Kernel] = {
    "reshape": Kernel(_reshape_plan, _reshape_run),
    "channel_shuffle": Kernel(_channel_shuffle_plan, _channel_shuffle_run),
    "split": Kernel(_split_plan, _split_run),
}
