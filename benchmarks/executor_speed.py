"""Speed and memory of the NumPy reference executor (issue #3).

    python benchmarks/executor_speed.py [--runs 9]

Times one forward pass (batch 1, float32, counting on: counting is part of every kernel and
cannot be turned off) of MobileNet 1.0-224 and Xception-299: the median over --runs passes of one
prepared network (weights allocated once, as `convcost verify` does), the best pass and the first
(cold) one, and the achieved GFLOP/s per layer type (flops as the executor counted them: mults +
adds + comparisons + divisions + exponentials, over each layer's median time).

Each configuration runs in a fresh process: with one BLAS thread (what `convcost verify` uses
unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS is set) and with NumPy's default (one thread per
core). Then it measures the peak resident memory of `convcost verify specs/xception.yaml`.
Targets: MobileNet <= 0.1 s, Xception <= 0.8 s, peak RSS of verify xception <= 1.5 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = {"MobileNet 1.0-224": ("mobilenet", 0.1), "Xception-299": ("xception", 0.8)}
RSS_TARGET = 1.5 * 2**30


def layer_type(node) -> str:
    """The benchmark's grouping of layers (it reads the graph only to label the rows)."""
    kind, attrs = node.kind, node.attrs
    if kind in ("conv2d", "conv3d"):
        if attrs.groups > 1:
            return "conv, grouped"
        return "conv 1×1 (pointwise)" if all(k == 1 for k in attrs.kernel) else "conv k×k (full)"
    if kind in ("relu", "relu6"):
        return "relu"
    if "pooling" in kind:
        return "pooling (global)" if kind.startswith("global") else "pooling (windowed)"
    return {"separable_conv2d": "separable conv (dw + pw)", "depthwise_conv2d": "depthwise conv"}.get(kind, kind)


def bench(spec: str, runs: int) -> dict:
    """In this process: time ``runs`` forward passes of one prepared network."""
    sys.path.insert(0, str(ROOT))
    import convcost
    from convcost.reference import ReferenceNetwork

    graph = convcost.load(spec).build()
    began = time.perf_counter()
    net = ReferenceNetwork(graph, batch=1, dtype="float32", seed=0)
    setup = time.perf_counter() - began
    executions = [net.forward() for _ in range(runs)]
    seconds = [e.seconds for e in executions]
    warm = seconds[1:] if len(seconds) > 2 else seconds
    per_layer = [statistics.median(e.layers[i].seconds for e in executions) for i in range(len(graph.nodes))]
    by_type: dict[str, list] = defaultdict(lambda: [0, 0.0, 0])
    for node, measured, t in zip(graph.nodes, executions[0].layers, per_layer):
        row = by_type[layer_type(node)]
        row[0] += measured.flops
        row[1] += t
        row[2] += 1
    return {"median": statistics.median(warm), "best": min(seconds), "cold": seconds[0], "setup": setup,
            "flops": sum(m.flops for m in executions[0].layers), "macs": sum(m.ops.macs for m in executions[0].layers),
            "layers": len(graph.nodes), "by_type": dict(by_type)}


def run_child(threads: str | None, runs: int) -> dict:
    """Both networks in a fresh process with OPENBLAS_NUM_THREADS = threads (None: NumPy's default)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                             "MKL_NUM_THREADS")}
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = env["MKL_NUM_THREADS"] = threads
    proc = subprocess.run([sys.executable, __file__, "--child", "--runs", str(runs)], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def verify_rss() -> tuple[int, float, int]:
    """(peak RSS in bytes, wall seconds, exit code) of `convcost verify specs/xception.yaml`, run
    before any other child so that RUSAGE_CHILDREN holds it alone."""
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "convcost", "verify", "specs/xception.yaml", "--quiet"],
                          cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, wall, proc.returncode  # KiB on Linux


def machine() -> str:
    import numpy as np

    cpu = platform.processor() or "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{info.get('name')} {info.get('version')}"
    except Exception:  # noqa: BLE001 - only a label
        blas = "?"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{cpu}, {os.cpu_count()} cores, load average {load}; Python {platform.python_version()}, "
            f"NumPy {np.__version__}, BLAS {blas}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9,
                        help="forward passes per network (median of all but the first)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({name: bench(spec, args.runs) for name, (spec, _) in NETWORKS.items()}))
        return

    rss, rss_wall, rss_code = verify_rss()
    configs = {"1 BLAS thread (verify's default)": run_child("1", args.runs),
               f"{os.cpu_count()} BLAS threads (NumPy's default)": run_child(None, args.runs)}

    print(f"machine: {machine()}")
    print(f"forward pass, batch 1, float32, counting on; median of {args.runs - 1} warm passes, best, and the "
          "first (cold) pass\n")
    print(f"{'network':<19}{'BLAS':<34}{'GMACs':>7}{'GFLOP':>7}{'median s':>10}{'best s':>8}{'cold s':>8}"
          f"{'GFLOP/s':>9}{'target':>8}")
    for name, (_, target) in NETWORKS.items():
        for config, results in configs.items():
            r = results[name]
            verdict = "ok" if r["median"] <= target else "OVER"
            rate = r["flops"] / r["median"] / 1e9
            print(f"{name:<19}{config:<34}{r['macs'] / 1e9:>7.3f}{r['flops'] / 1e9:>7.2f}{r['median']:>10.4f}"
                  f"{r['best']:>8.4f}{r['cold']:>8.4f}{rate:>9.1f}{target:>6.2f} s  {verdict}")
    labels = list(configs)
    for name in NETWORKS:
        print(f"\n{name}: per layer type (median time per layer; GFLOP/s with 1 and with "
              f"{os.cpu_count()} BLAS threads)")
        print(f"  {'layer type':<26}{'layers':>7}{'GFLOP':>9}{'ms (1)':>9}{'share':>7}{'GFLOP/s (1)':>13}"
              f"{'GFLOP/s (n)':>13}")
        one, many = configs[labels[0]][name], configs[labels[1]][name]
        total = sum(row[1] for row in one["by_type"].values())
        for label, (flops, seconds, count) in sorted(one["by_type"].items(), key=lambda kv: -kv[1][1]):
            other = many["by_type"][label][1]
            print(f"  {label:<26}{count:>7}{flops / 1e9:>9.4f}{seconds * 1e3:>9.2f}{seconds / total:>7.1%}"
                  f"{flops / seconds / 1e9 if seconds else 0:>13.2f}{flops / other / 1e9 if other else 0:>13.2f}")
        print(f"  (set-up before the passes: plan, memory check, weights and input: {one['setup']:.3f} s)")
    verdict = "ok" if rss <= RSS_TARGET and rss_code == 0 else "OVER" if rss_code == 0 else f"exit {rss_code}"
    print(f"\npeak RSS of `convcost verify specs/xception.yaml` (fresh process): {rss / 2**20:.0f} MiB "
          f"(target {RSS_TARGET / 2**30:.1f} GiB) {verdict}; wall {rss_wall:.2f} s, exit {rss_code}")


if __name__ == "__main__":
    main()
