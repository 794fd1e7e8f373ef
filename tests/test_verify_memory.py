"""verify's memory guard bounds what a reference run really holds (issue 11, class 8).

Before, the guard counted the arrays NumPy allocates but not the float64 draw of the input (a
1024×1024×960 network was estimated at 3,840 MiB and peaked at 11,560 MiB), nor the int64 masks
of real positions, nor softmax's row statistics, nor what a process pays for NumPy's first use.
Here every layer kind of benchmarks/verify_memory.py runs in a child process, and its peak
resident-memory growth must stay within the estimate.
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
from pathlib import Path

import pytest

import convcost

_BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "verify_memory.py"
_spec = importlib.util.spec_from_file_location("verify_memory", _BENCHMARK)
assert _spec is not None and _spec.loader is not None
verify_memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(verify_memory)

SCALE = 0.5  # tensors of 4-16 MiB: activations dominate, a case takes a fraction of a second
KINDS = [pytest.param(shape, layers, id=name) for name, shape, layers in verify_memory.CASES]


def _resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def measure_forked(text: str, batch: int = 1) -> dict[str, int]:
    """The estimate and the peak RSS growth of one run in a forked child of this process (a fresh
    address space for the run's arrays, without paying for a new interpreter)."""
    from convcost.reference import ReferenceNetwork

    graph = convcost.loads(text).build({})
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, report, and leave without running pytest's exit handlers
        try:
            before = _resident()
            net = ReferenceNetwork(graph, batch=batch, max_memory=None)
            net.forward()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            os.write(write, json.dumps({"estimate": net.memory.total, "growth": peak - before}).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(report)


@pytest.mark.parametrize("shape, layers", KINDS)
def test_the_estimate_bounds_the_peak_growth_of_every_kind(shape, layers):
    result = measure_forked(verify_memory.spec_text(shape, layers, SCALE))
    assert result["growth"] > 0 and result["estimate"] >= result["growth"], result


def test_a_batch_is_bounded_too():
    shape, layers = (128, 128, 16), ["{kind: conv2d, filters: 16, kernel: 3, padding: same}", "softmax"]
    result = measure_forked(verify_memory.spec_text(shape, layers, 1.0), batch=4)
    assert result["estimate"] >= result["growth"], result


@pytest.mark.slow
@pytest.mark.parametrize("name, source, overrides", verify_memory.NETWORKS)
def test_the_estimate_bounds_whole_networks_in_fresh_processes(name, source, overrides):
    result = verify_memory.measure(None, 1, source, overrides)
    assert result["estimate"] >= result["growth"], result


@pytest.mark.slow
@pytest.mark.parametrize("shape, layers", KINDS)
def test_the_estimate_bounds_every_kind_in_fresh_processes(shape, layers):
    result = verify_memory.measure(verify_memory.spec_text(shape, layers, SCALE))
    assert result["estimate"] >= result["growth"], result


def test_the_input_is_not_drawn_through_a_float64_copy_of_itself():
    """The input and the weights are drawn a chunk at a time: the guard's estimate for a large input
    is about 1.25 × (input + output) + the runtime allowance, not the 3 × input it took before."""
    from convcost.reference.memory import RUNTIME_ALLOWANCE

    text = verify_memory.spec_text((1024, 1024, 24), ["global_average_pooling"], 1.0)  # a 96 MiB input
    result = measure_forked(text)
    assert result["growth"] < 1.5 * 96 * 2**20 + RUNTIME_ALLOWANCE, result


def test_drawing_in_chunks_gives_the_values_drawn_at_once():
    import numpy as np

    from convcost.reference import executor

    rng = np.random.default_rng(3)
    drawn = executor._draw(rng.standard_normal, (3, executor.DRAW_CHUNK + 17), np.dtype("float32"), scale=0.5)
    expected = (np.random.default_rng(3).standard_normal((3, executor.DRAW_CHUNK + 17)) * 0.5).astype(np.float32)
    assert drawn.dtype == np.float32 and np.array_equal(drawn, expected)


@pytest.mark.parametrize("environ, threads", [({"OPENBLAS_NUM_THREADS": "1"}, 1), ({"OMP_NUM_THREADS": "3"}, 3),
                                              ({"OPENBLAS_NUM_THREADS": "", "MKL_NUM_THREADS": "2"}, 2)])
def test_the_factor_follows_the_blas_threads(environ, threads):
    from convcost.reference.memory import SAFETY_FACTOR, THREADED_SAFETY_FACTOR, blas_threads, safety_factor

    assert blas_threads(environ) == threads
    assert safety_factor(environ) == (SAFETY_FACTOR if threads == 1 else THREADED_SAFETY_FACTOR)


def test_the_refusal_names_the_flag_and_the_estimate_before_allocating(tmp_path):
    """The issue's 1024×1024×960 input (3,840 MiB as float32) is over the default 4 GiB once the
    estimate bounds the run; verify refuses in a fraction of a second, having allocated nothing big."""
    from convcost.cli import app

    from cli_runner import runner

    spec = tmp_path / "big.yaml"
    spec.write_text(verify_memory.spec_text((1024, 1024, 960), ["global_average_pooling"], 1.0))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = runner.invoke(app, ["verify", str(spec), "-q"])
    assert result.exit_code == 2, result.output
    assert "--max-memory" in result.stderr and "needs an estimated" in result.stderr
    assert "over the limit of 4.00 GiB" in result.stderr
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 2**10  # KiB: under 100 MiB
