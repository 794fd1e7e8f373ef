"""Speed of the reference executor's depthwise kernel (convcost/reference/kernels/conv.py
``depthwise``) on MobileNet 1.0-224's 13 depthwise layers.

    OPENBLAS_NUM_THREADS=1 python benchmarks/depthwise_speed.py [--runs 9] [--batch 1 8]

For each batch size, every layer is run ``--runs`` times through a fresh Counter (counting is part
of the kernel); the median time per layer is kept and GFLOP/s = 2 · MACs / seconds, MACs as the
Counter counted them (they are checked against the layer's k·k·C·H_out·W_out·batch). Target: at
least 5 GFLOP/s over the 13 layers with one BLAS thread.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 5.0  # GFLOP/s, one thread


def layers():
    """(name, input shape, kernel, stride, dilation, padding) of MobileNet's depthwise layers."""
    sys.path.insert(0, str(ROOT))
    import convcost

    analysis = convcost.analyze(convcost.load("mobilenet"))
    return [(r.name, r.input_shapes[0], r.attrs.kernel, r.attrs.stride, r.attrs.dilation, r.attrs.padding)
            for r in analysis.layers if r.kind == "depthwise_conv2d"]


def bench(batch: int, runs: int) -> list[tuple[str, tuple, int, float]]:
    """(name, input shape, MACs, median seconds) per layer."""
    import numpy as np

    from convcost.reference import Counter
    from convcost.reference.geometry import layer_pads
    from convcost.reference.kernels.conv import depthwise

    rng = np.random.default_rng(0)
    rows = []
    for name, shape, kernel, stride, dilation, padding in layers():
        x = rng.standard_normal((batch, *shape), dtype=np.float32)
        w = rng.standard_normal((*kernel, shape[-1], 1), dtype=np.float32)
        pads = layer_pads(padding, shape[:-1], kernel, stride, dilation)
        times, macs = [], 0
        for _ in range(runs):
            ops = Counter()
            began = time.perf_counter()
            y = depthwise(ops, x, w, stride, dilation, pads)
            times.append(time.perf_counter() - began)
            macs = ops.tally.macs
        assert macs == math.prod(kernel) * y.size, (name, macs, y.shape)
        rows.append((name, shape, macs, statistics.median(times)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per layer (the median is kept)")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 8], help="batch sizes")
    args = parser.parse_args()
    import numpy as np

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "NumPy's default")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"NumPy {np.__version__}, OPENBLAS_NUM_THREADS={threads}, load average {load}; float32, "
          f"median of {args.runs} runs per layer\n")
    for batch in args.batch:
        rows = bench(batch, args.runs)
        print(f"batch {batch}")
        print(f"  {'layer':<10}{'input':>14}{'MMACs':>9}{'ms':>9}{'GFLOP/s':>9}")
        for name, shape, macs, seconds in rows:
            print(f"  {name:<10}{'x'.join(map(str, shape)):>14}{macs / 1e6:>9.2f}{seconds * 1e3:>9.3f}"
                  f"{2 * macs / seconds / 1e9:>9.2f}")
        macs, seconds = sum(r[2] for r in rows), sum(r[3] for r in rows)
        rate = 2 * macs / seconds / 1e9
        print(f"  {'all 13':<10}{'':>14}{macs / 1e6:>9.2f}{seconds * 1e3:>9.3f}{rate:>9.2f}"
              f"   target {TARGET:g} GFLOP/s: {'ok' if rate >= TARGET else 'UNDER'}\n")


if __name__ == "__main__":
    main()
