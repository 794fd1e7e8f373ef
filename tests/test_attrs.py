"""Layer attributes are typed records: one NamedTuple per kind, declared next to its rules, built
by ``KINDS[kind].make_attrs`` from the normalized spec fields, and read by the reference kernels
through Protocols of their own (the executor never imports the analytic engine)."""

from __future__ import annotations

import typing

import pytest

import convcost
from convcost.layers import KINDS, ConvAttrs
from convcost.reference import KERNELS


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_record_has_the_kinds_fields_in_their_order(kind):
    layer = KINDS[kind]
    attributes = tuple(name for name, field in layer.fields.items() if field.type != "activation")
    assert layer.attrs_type._fields == attributes


def test_records_are_equal_and_hashable_by_value():
    graph = convcost.loads("""
name: t
input: [8, 8, 3]
layers:
  - {kind: conv2d, name: a, filters: 4, kernel: 3, padding: same}
  - {kind: conv2d, name: b, filters: 4, kernel: [3, 3], padding: same, stride: 1}
""").build()
    made = KINDS["conv2d"].make_attrs({"filters": 4, "kernel": (3, 3), "stride": (1, 1), "padding": "same",
                                       "dilation": (1, 1), "groups": 1, "bias": True})
    assert isinstance(made, ConvAttrs)
    assert made == ConvAttrs(4, (3, 3), (1, 1), "same", (1, 1), 1, True) and hash(made) == hash(made._replace())
    assert made._asdict() == {"filters": 4, "kernel": (3, 3), "stride": (1, 1), "padding": "same",
                              "dilation": (1, 1), "groups": 1, "bias": True}
    with pytest.raises(AttributeError):
        made.filters = 5
    assert graph.nodes[0].attrs == graph.nodes[1].attrs == made
    assert graph.nodes[0].attrs != KINDS["conv2d"].make_attrs({**made._asdict(), "bias": False})


def _protocol_members(protocol: type) -> set[str]:
    return {name for klass in protocol.__mro__ if getattr(klass, "_is_protocol", False)
            for name, value in vars(klass).items() if isinstance(value, property)}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_kernels_read_only_attributes_the_record_has(kind):
    """Each kernel declares what it reads as a Protocol; the kind's record must have all of it."""
    fields = set(KINDS[kind].attrs_type._fields)
    for function in (KERNELS[kind].plan, KERNELS[kind].run):
        hints = typing.get_type_hints(function) if function.__name__ != "<lambda>" else {}
        protocol = hints.get("attrs", object)
        assert _protocol_members(protocol) <= fields, (kind, function.__name__)
