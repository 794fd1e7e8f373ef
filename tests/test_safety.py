"""Safety: a spec never runs code, never hangs, never exhausts memory, and counts stay exact.

Specs arrive from strangers (pull requests run in CI). Language-specific YAML tags and Python
tricks in expressions must execute nothing — a sentinel file that an attack would create must not
exist afterwards — and every resource bomb (alias expansion, nested repeats, self-instantiating
blocks, deep nesting, huge numbers) must be answered with a located error in well under a second.
"""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import convcost
from convcost.cli import app
from convcost.errors import SpecError
from convcost.language.source import MAX_NODES
from convcost.layers.base import _taps_inside_closed, conv_output_size, taps_inside

from cli_runner import runner

HEADER = "input: [32, 32, 3]\nlayers:\n"


@pytest.fixture
def sentinel(tmp_path):
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "something in a spec was executed"


# "Refused at once" bounds: what they guard against (billion laughs, 10^9-digit numbers, a 3 MiB file
# parsed whole) takes minutes or never ends, so a generous bound proves the refusal without failing
# when CI's two cores are busy (these runs take 0.01-0.3 s on an idle machine). Speed itself is
# measured by benchmarks/, not here.
SLACK = 5


def problems_of(text: str, overrides=None, seconds: float = 1.0):
    """The problems of a spec that must fail, checking it failed fast (within ``seconds`` × SLACK)
    and with located problems."""
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        convcost.analyze(convcost.loads(text, "net.yaml"), overrides)
    assert time.perf_counter() - start < seconds * SLACK
    problems = caught.value.problems
    assert problems
    for problem in problems:
        assert problem.location is not None or problem.code in ("E304", "E305"), problem
    return problems


# --- no code execution ------------------------------------------------------------------------------

@pytest.mark.parametrize("template", [
    "name: !!python/object/apply:os.system ['touch {s}']\n" + HEADER + "  - relu\n",
    "name: !!python/object/apply:subprocess.check_call [['touch', '{s}']]\n" + HEADER + "  - relu\n",
    "name: !!python/object/new:os.system ['touch {s}']\n" + HEADER + "  - relu\n",
    HEADER + "  - !!python/object/apply:os.system ['touch {s}']\n",
    HEADER + "  - {kind: relu, name: !!python/name:os.system }\n",
    "? !!python/object/apply:os.system ['touch {s}']\n: 1\n" + HEADER + "  - relu\n",
    "x: !!python/module:os\n" + HEADER + "  - relu\n",
    "x: !<tag:yaml.org,2002:python/object/apply:os.system> ['touch {s}']\n" + HEADER + "  - relu\n",
])
def test_yaml_tags_construct_nothing(sentinel, template):
    problems = problems_of(template.replace("{s}", str(sentinel)))
    assert problems[0].code == "E103"
    assert "is not allowed" in problems[0].message


@pytest.mark.parametrize("expression", [
    "__import__('os').system('touch {s}')",
    "exec(\"open('{s}', 'w')\")",
    "eval(\"__import__('os').system('touch {s}')\")",
    "open('{s}', 'w')",
    "(1).__class__.__base__.__subclasses__()",
    "().__class__.__bases__[0]",
    "getattr(__builtins__, 'open')('{s}', 'w')",
    "(lambda: __import__('os').system('touch {s}'))()",
    "[__import__('os').system('touch {s}') for _ in [1]]",
    "(x := __import__('os'))",
    "f'{{__import__(\"os\").system(\"touch {s}\")}}'",
    "round.__globals__",
    "alpha if __import__('os').system('touch {s}') else 1",
    "9 ** 9 ** 9 ** 9",
    "1 << 100000000",
])
def test_expressions_execute_nothing(sentinel, expression):
    quoted = json.dumps(expression.format(s=sentinel))
    text = "parameters:\n  alpha: 1\n" + HEADER + f"  - {{kind: conv2d, filters: {quoted}, kernel: 3}}\n"
    problems = problems_of(text)
    assert problems[0].code in ("E300", "E302")
    assert (problems[0].location.line, problems[0].location.path) == (5, "net.yaml")


def test_set_expressions_execute_nothing(sentinel):
    result = runner.invoke(app, ["report", "mobilenet", "--set", f"alpha=__import__('os').system('touch {sentinel}')"])
    assert result.exit_code == 2 and "E304" in result.stderr and "Traceback" not in result.output


def test_a_tag_through_the_command_line_executes_nothing(tmp_path, sentinel):
    spec = tmp_path / "evil.yaml"
    spec.write_text(f"name: !!python/object/apply:os.system ['touch {sentinel}']\n" + HEADER + "  - relu\n")
    result = runner.invoke(app, ["report", str(spec)])
    assert result.exit_code == 2
    assert f"{spec}:1:7: E103 YAML tag '!!python/object/apply:os.system' is not allowed" in result.stderr


# --- resource bounds --------------------------------------------------------------------------------

def billion_laughs(levels: int = 9) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n" + HEADER + "  - relu\n"


def test_billion_laughs_is_stopped_before_expansion():
    tracemalloc.start()
    try:
        problems = problems_of(billion_laughs(), seconds=0.5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problems[0].code == "E103" and f"more than {MAX_NODES:,} values through its aliases" in problems[0].message
    assert peak < 20 * 2**20


def test_a_recursive_alias_is_rejected():
    assert problems_of(HEADER.replace("layers:\n", "layers: &x\n") + "  - relu\n  - *x\n")[0].code == "E103"


# Two layers can refuse deep nesting: convcost's composer (at MAX_DEPTH levels) and, since libyaml
# 0.2.6 (the PyYAML 6.0.4 wheels), libyaml's scanner (at 1000 levels, before any event reaches the
# composer). The promise holds whichever answers first: E103, located, says "nesting", fast, small.
YAML_LOADERS = [pytest.param(yaml.SafeLoader, id="pure-python")]
if hasattr(yaml, "CSafeLoader"):
    YAML_LOADERS.append(pytest.param(yaml.CSafeLoader, id="libyaml"))


class _LibyamlThatRefusesDepth(yaml.SafeLoader):
    """A loader that fails as libyaml 0.2.6 does on deep flow nesting, whichever libyaml is here."""

    def check_event(self, *choices):
        mark = yaml.Mark("<unicode string>", 1002, 0, 1002, None, None)
        raise yaml.scanner.ScannerError("while increasing flow level", mark, "exceeded maximum nesting depth", mark)


@pytest.mark.parametrize("loader", YAML_LOADERS + [pytest.param(_LibyamlThatRefusesDepth, id="refusing-scanner")])
@pytest.mark.parametrize("depth", [150, 10_000, 900_000])
def test_deep_nesting_cannot_overflow_the_stack(monkeypatch, loader, depth):
    monkeypatch.setattr("convcost.language.source._Loader", loader)
    tracemalloc.start()
    try:
        problems = problems_of("x: " + "[" * depth + "]" * depth + "\n" + HEADER + "  - relu\n", seconds=2.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [p.code for p in problems] == ["E103"]
    assert "nesting is deeper than" in problems[0].message
    assert problems[0].location.path == "net.yaml" and problems[0].location.line == 1
    assert peak < 64 * 2**20


def test_deep_nesting_through_the_command_line_exits_2_without_a_traceback(tmp_path):
    spec = tmp_path / "deep.yaml"
    spec.write_text("x: " + "[" * 10_000 + "]" * 10_000 + "\n" + HEADER + "  - relu\n")
    result = runner.invoke(app, ["report", str(spec)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith(f"{spec}:1:") and "E103 YAML nesting is deeper than" in result.stderr


def test_too_many_values_in_a_file():
    text = HEADER + "  - {kind: conv2d, filters: 8, kernel: 1, bias: false}\n" * 20_000
    problems = problems_of(text)
    assert problems[0].code == "E103" and f"more than {MAX_NODES:,} values" in problems[0].message


@pytest.mark.parametrize("text, message", [
    (HEADER + "  - {kind: relu, repeat: 1000000000000}\n", "repeat: 1,000,000,000,000 makes too many layers"),
    (HEADER + "  - {kind: relu, repeat: 100001}\n", "too many layers"),
    ("input: [8, 8, 3]\nblocks:\n  a:\n    layers: [{kind: relu, repeat: 1000}]\n  b:\n"
     "    layers: [{kind: a, repeat: 1000}]\n  c:\n    layers: [{kind: b, repeat: 1000}]\n"
     "layers:\n  - {kind: c, repeat: 1000}\n", "makes 1,000,000 layers"),
    ("input: [8, 8, 3]\nparameters:\n  n: 400\nblocks:\n  a:\n    layers: [{kind: relu, repeat: n}]\n"
     "layers:\n  - {kind: a, repeat: n}\n", "makes 160,000 layers"),
])
def test_layer_count_bombs(text, message):
    problems = problems_of(text, seconds=0.5)
    assert problems[0].code == "E406" and message in problems[0].message


@pytest.mark.parametrize("blocks, path", [
    ("  me:\n    layers: [relu, me]\n", "me -> me"),
    ("  ping:\n    layers: [relu, pong]\n  pong:\n    layers: [relu, ping]\n", "ping -> pong -> ping"),
    ("  a:\n    layers: [{kind: b, repeat: 1000}]\n  b:\n    layers: [{kind: a, repeat: 1000}]\n", "a -> b -> a"),
])
def test_self_instantiating_blocks(blocks, path):
    first = blocks.split(":")[0].strip()
    problems = problems_of("input: [8, 8, 3]\nblocks:\n" + blocks + f"layers:\n  - {first}\n")
    assert [p.code for p in problems] == ["E406"]
    assert path in problems[0].message


@pytest.mark.parametrize("value, code", [
    ("1.0e999999999", "E205"), ("1.0e-999999999", "E205"), ("'1e999999999'", "E205"),
    ("'round(1.5, 999999999)'", "E303"), ("9" * 5000, "E205"), ("'" + "9" * 99 + " * " + "9" * 99 + "'", "E205"),
    ("'1e300 / 3'", "E205"), (".inf", "E204"), (".nan", "E204"), ("100000000000000000000", "E205"),
])
def test_huge_numbers_are_refused_quickly(value, code):
    problems = problems_of(HEADER + f"  - {{kind: conv2d, filters: {value}, kernel: 3}}\n")
    assert problems[0].code == code


def test_parameter_chains_cannot_grow_numbers_without_bound():
    params = "".join(f"  p{i + 1}: p{i} * p{i} / 7\n" for i in range(40))
    problems = problems_of(f"parameters:\n  p0: 3\n{params}" + HEADER + "  - relu\n")
    assert problems[0].code == "E205" and "more than 100 digits" in problems[0].message
    assert len(problems) == 1  # the parameters that read it fail silently


def test_a_tensor_too_large_is_refused():
    layer = "  - {kind: depthwise_conv2d, kernel: 1, depth_multiplier: 1000000000, repeat: 3}\n"
    problems = problems_of(HEADER + layer)
    assert problems[0].code == "E407"


def test_the_file_size_is_bounded(tmp_path):
    spec = tmp_path / "huge.yaml"
    spec.write_bytes(b"#" * (3 * 2**20))
    start = time.perf_counter()
    result = runner.invoke(app, ["report", str(spec)])
    assert time.perf_counter() - start < 1.0 * SLACK
    assert result.exit_code == 2 and "E100" in result.stderr and "larger than 2 MiB" in result.stderr


def test_many_problems_are_listed_once_each_and_capped():
    text = HEADER + "".join(f"  - {{kind: conv2d, name: c{i}, filters: 0, kernel: 3, inputs: input}}\n"
                            for i in range(300))
    result = runner.invoke(app, ["report", "-"], input=text)
    assert result.exit_code == 2
    assert "300 problems found" in result.stderr and "… and 250 more" in result.stderr


# --- exact counts for giant networks ----------------------------------------------------------------

def test_giant_networks_count_exactly():
    text = ("input: [1000000, 1000000, 1000]\nlayers:\n"
            "  - {kind: conv2d, filters: 10000, kernel: 3, padding: same}\n"
            "  - {kind: depthwise_conv2d, kernel: 1000, padding: same, depth_multiplier: 1000}\n"
            "  - global_average_pooling\n  - {kind: dense, units: 1000000}\n")
    result = convcost.analyze(convcost.loads(text))
    conv = 10**6 * 10**6 * 10**4 * 9 * 1000
    depthwise = 10**6 * 10**6 * 10**7 * 1000 * 1000
    dense = 10**7 * 10**6
    assert result.totals.macs == conv + depthwise + dense  # far above 2**63, exact
    assert result.totals.macs > 2**63 and isinstance(result.totals.macs, int)
    for fmt in ("json", "table", "csv", "markdown"):
        out = runner.invoke(app, ["report", "-", "--format", fmt], input=text)
        assert out.exit_code == 0, out.output
    data = json.loads(runner.invoke(app, ["report", "-", "--format", "json"], input=text).stdout)
    assert data["totals"]["macs"] == conv + depthwise + dense


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 60), kernel=st.integers(1, 200), stride=st.integers(1, 9), dilation=st.integers(1, 6),
       begin=st.integers(0, 80), end=st.integers(0, 80))
def test_closed_form_taps_agree_with_the_loop(n, kernel, stride, dilation, begin, end):
    n_out = conv_output_size(n, kernel, stride, (begin, end), dilation)
    if n_out < 1:
        return
    loop = sum(1 for o in range(n_out) for t in range(kernel) if 0 <= o * stride + t * dilation - begin < n)
    assert _taps_inside_closed(n, n_out, kernel, stride, dilation, begin) == loop
    assert taps_inside(n, n_out, kernel, stride, dilation, begin) == loop


def test_a_huge_kernel_does_not_hang():
    text = ("input: [1000000000000, 1000000000000, 3]\nlayers:\n"
            "  - {kind: conv2d, filters: 8, kernel: 1000000000000, padding: same}\n")
    start = time.perf_counter()
    result = convcost.analyze(convcost.loads(text))
    assert time.perf_counter() - start < 1.0 * SLACK
    assert result.totals.macs == 10**24 * 8 * 10**24 * 3
    assert 0 < result.totals.effective_mults < result.totals.mults
