"""The streamed JSON of compare and verify is byte for byte ``json.dumps(..., indent=2)`` (issue 11,
class 8: a 100,000-layer `compare --format json` took 14.6 s and 1.36 GB, `verify` 18.6 s)."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

import convcost
from convcost.analysis import analyze
from convcost.compare import compare
from convcost.reference import ReferenceNetwork
from convcost.render import compare as render_compare
from convcost.render import json_text
from convcost.render import verify as render_verify
from convcost.verify import LayerVerdict, Verification
from convcost.verify import compare as verify

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner,
                                                                                                max_size=4),
                      max_leaves=20)


@given(values, st.integers(0, 3))
def test_indented_is_json_dumps_indent_2(value, level):
    encode = json.JSONEncoder(ensure_ascii=False).encode
    expected = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)
    assert json_text.indented(value, level, encode) == expected


@given(st.dictionaries(st.text(), values, max_size=3), st.lists(values, max_size=2500))
def test_a_streamed_document_is_json_dumps_indent_2(header, items):
    encode = json.JSONEncoder().encode
    out = io.StringIO()
    json_text.write_indented(out, header, "layers", (json_text.indented(v, 2, encode) for v in items), encode)
    assert out.getvalue() == json.dumps({**header, "layers": items}, indent=2) + "\n"


def _comparisons():
    mobilenet = analyze(convcost.load("mobilenet").build({}))
    yield compare(analyze(convcost.load("mobilenet_conv").build({})), mobilenet), True
    yield compare(mobilenet, analyze(convcost.load("mobilenet").build({"alpha": 0.5}))), False
    yield compare(mobilenet, mobilenet, "A é", "B ✓"), False  # nothing differs: no layers listed
    yield compare(mobilenet, analyze(convcost.load("xception").build({}))), True


def test_compare_json_is_its_dict_as_json_dumps_writes_it():
    for comparison, all_layers in _comparisons():
        expected = json.dumps(comparison.to_dict(all_layers=all_layers), indent=2, ensure_ascii=False)
        assert render_compare.to_json(comparison, all_layers) == expected


def test_verify_json_is_its_dict_as_json_dumps_writes_it_agreeing_or_not():
    graph = convcost.load("seed_separable").build({})
    run = ReferenceNetwork(graph).forward()
    result = verify(analyze(graph), run)
    assert render_verify.to_json(graph, run, result) == json.dumps(render_verify.to_dict(graph, run, result), indent=2)
    first = result.layers[0]
    broken = Verification((first._replace(measured=(first.measured[0], first.measured[1] + 1, *first.measured[2:])),
                           *result.layers[1:], LayerVerdict("ghost", "relu", ("missing",), ("present",), ("layer",))),
                          result.totals)
    assert not broken.agree and len(broken.mismatches) == 2
    assert render_verify.to_json(graph, run, broken) == json.dumps(render_verify.to_dict(graph, run, broken), indent=2)
