"""The memory guard of `convcost verify` against what a reference run really holds (issue 11, class 8).

    python benchmarks/verify_memory.py [--scale 1.0] [--batch 1]

For each layer kind, a one- or two-layer network whose activations dominate is planned and run in
a fresh process (one BLAS thread, as `convcost verify` runs). The child reads its resident set
just before it builds the network and its peak resident set (resource.getrusage's ru_maxrss) after
one forward pass; the difference, the peak growth, is what the run itself cost. It is printed
beside the guard's estimate and the exact part of it (the arrays alive at the peak, before the
safety factor and the runtime allowance of convcost/reference/memory.py): the estimate must be
at least the growth for every kind (tests/test_verify_memory.py holds this at a smaller scale).
``--scale`` multiplies every spatial size, so activations grow with its square (1.0: tens of MB
per tensor; keep the largest tensor well below the machine's memory).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, input shape, layers as spec YAML flow mappings); sizes at scale 1.0
CASES: list[tuple[str, tuple[int, ...], list[str]]] = [
    ("conv2d valid", (256, 256, 32), ["{kind: conv2d, filters: 32, kernel: 3}"]),
    ("conv2d same", (256, 256, 32), ["{kind: conv2d, filters: 32, kernel: 3, padding: same}"]),
    ("conv2d 1 channel, 1 filter, same", (1024, 1024, 1), ["{kind: conv2d, filters: 1, kernel: 3, padding: same}"]),
    ("conv2d groups 4", (256, 256, 32), ["{kind: conv2d, filters: 32, kernel: 3, padding: same, groups: 4}"]),
    ("conv2d 1x1", (256, 256, 64), ["{kind: conv2d, filters: 64, kernel: 1}"]),
    ("conv2d strided dilated", (256, 256, 32),
     ["{kind: conv2d, filters: 32, kernel: 3, stride: 2, dilation: 2, padding: same}"]),
    ("depthwise", (256, 256, 64), ["{kind: depthwise_conv2d, kernel: 3, padding: same}"]),
    ("depthwise multiplier 2", (256, 256, 32), ["{kind: depthwise_conv2d, kernel: 3, padding: same, "
                                                "depth_multiplier: 2}"]),
    ("separable", (256, 256, 64), ["{kind: separable_conv2d, filters: 64, kernel: 3, padding: same}"]),
    ("separable pointwise_first", (256, 256, 32),
     ["{kind: separable_conv2d, filters: 64, kernel: 3, padding: same, order: pointwise_first, activation: relu}"]),
    ("conv3d", (16, 64, 64, 16), ["{kind: conv3d, filters: 16, kernel: 3, padding: same}"]),
    ("dense on a feature map", (256, 256, 64), ["{kind: dense, units: 64}"]),
    ("dense, large weights", (4096,), ["{kind: dense, units: 8192}"]),
    ("max pooling same", (512, 512, 32), ["{kind: max_pooling2d, kernel: 3, stride: 1, padding: same}"]),
    ("average pooling same", (512, 512, 32), ["{kind: average_pooling2d, kernel: 3, stride: 1, padding: same}"]),
    ("average pooling 1 channel", (2048, 2048, 1), ["{kind: average_pooling2d, kernel: 3, stride: 1, "
                                                    "padding: same}"]),
    ("max pooling3d", (16, 128, 128, 16), ["{kind: max_pooling3d, kernel: 2}"]),
    ("global average pooling", (512, 512, 64), ["global_average_pooling"]),
    ("global max pooling", (512, 512, 64), ["global_max_pooling"]),
    ("batch norm", (512, 512, 32), ["batch_norm"]),
    ("relu", (512, 512, 32), ["relu"]),
    ("relu6", (512, 512, 32), ["relu6"]),
    ("sigmoid", (512, 512, 32), ["sigmoid"]),
    ("tanh", (512, 512, 32), ["tanh"]),
    ("softmax", (512, 512, 32), ["softmax"]),
    ("softmax over 1 channel", (2048, 2048, 1), ["softmax"]),
    ("add (residual)", (512, 512, 32), ["{kind: relu, name: r}", "{kind: add, inputs: [r, input]}"]),
    ("add of three", (512, 512, 32), ["{kind: relu, name: r}", "{kind: sigmoid, name: s, inputs: [input]}",
                                    "{kind: add, inputs: [r, s, input]}"]),
    ("concat", (512, 512, 32), ["{kind: relu, name: r}", "{kind: concat, inputs: [r, input]}"]),
    ("zero padding", (512, 512, 32), ["{kind: zero_padding2d, padding: 8}"]),
    ("flatten + dropout", (512, 512, 32), ["flatten", "dropout"]),
    ("input only matters: global pooling of a large input", (1024, 1024, 24), ["global_average_pooling"]),
    # issue 12
    ("conv1d", (65536, 32), ["{kind: conv1d, filters: 32, kernel: 5, padding: same}"]),
    ("average pooling ceil include pad", (511, 511, 32), ["{kind: average_pooling2d, kernel: 3, stride: 2, "
                                                          "padding: 1, ceil_mode: true, count_include_pad: true}"]),
    ("max pooling1d ceil", (1048575, 8), ["{kind: max_pooling1d, kernel: 3, stride: 2, ceil_mode: true}"]),
    ("conv2d_transpose", (128, 128, 16), ["{kind: conv2d_transpose, filters: 16, kernel: 3, stride: 2, padding: 1, "
                                          "output_padding: 1}"]),
    ("conv3d_transpose groups", (8, 32, 32, 16), ["{kind: conv3d_transpose, filters: 16, kernel: 2, stride: 2, "
                                                  "groups: 4}"]),
    ("adaptive average pooling", (500, 500, 32), ["{kind: adaptive_average_pooling2d, output_size: [7, 13]}"]),
    ("adaptive max pooling upsampling", (100, 100, 32), ["{kind: adaptive_max_pooling2d, output_size: 333}"]),
]


def spec_text(shape: tuple[int, ...], layers: list[str], scale: float) -> str:
    """A spec of ``layers`` on ``shape``, its spatial sizes (all but the channels) times ``scale``."""
    if len(shape) > 1:
        shape = tuple(max(4, round(n * scale)) for n in shape[:-1]) + shape[-1:]
    return f"name: memory probe\ninput: {list(shape)}\nlayers:\n" + "".join(f"  - {layer}\n" for layer in layers)


# The child: resident set before the network exists, one run, peak resident set, the estimate.
CHILD = """
import json, resource, sys
import convcost
from convcost.reference import ReferenceNetwork

def resident():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()

batch, source, overrides = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
graph = (convcost.loads(sys.stdin.read()) if source == "-" else convcost.load(source)).build(overrides)
before = resident()
net = ReferenceNetwork(graph, batch=batch, max_memory=None)
net.forward()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"estimate": net.memory.total, "arrays": net.memory.arrays, "growth": peak - before}))
"""

# whole networks (shipped specs at reduced sizes): many layers, tensors freed and reused
NETWORKS: list[tuple[str, str, dict[str, float]]] = [
    ("network: mobilenet 1.0-224", "mobilenet", {}),
    ("network: mobilenet_conv rho 0.5", "mobilenet_conv", {"rho": 0.5}),
    ("network: xception size 150", "xception", {"size": 150}),
    ("network: modified_separable", "modified_separable", {}),
    ("network: conv3d_example size 56", "conv3d_example", {"size": 56}),
]


def measure(text: str | None, batch: int = 1, source: str = "-",
            overrides: dict[str, float] | None = None, blas_threads: int = 1) -> dict[str, int]:
    """The guard's estimate, the exact arrays part of it and the measured peak RSS growth, in
    bytes, of one run of the spec ``text`` (or of ``source``, a spec name or path) in a fresh process."""
    threads = str(blas_threads)
    env = os.environ | {"OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
    done = subprocess.run([sys.executable, "-c", CHILD, str(batch), source, json.dumps(overrides or {})],
                          input=text or "", capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--blas-threads", type=int, default=1, help="as OPENBLAS_NUM_THREADS (verify's default: 1)")
    args = parser.parse_args()
    mib = 2**20
    print(f"{'kind':52} {'arrays':>12} {'estimate':>12} {'peak growth':>12} {'ratio':>7}")
    short = []
    runs = [(name, spec_text(shape, layers, args.scale), "-", {}) for name, shape, layers in CASES]
    runs += [(name, None, source, overrides) for name, source, overrides in NETWORKS]
    for name, text, source, overrides in runs:
        result = measure(text, args.batch, source, overrides, args.blas_threads)
        estimate, growth = result["estimate"], result["growth"]
        ratio = estimate / growth if growth > 0 else float("inf")
        flag = "" if estimate >= growth else "   UNDER"
        if flag:
            short.append(name)
        print(f"{name:52} {result['arrays'] / mib:8.1f} MiB {estimate / mib:8.1f} MiB {growth / mib:8.1f} MiB "
              f"{ratio:7.2f}{flag}")
    print("every estimate bounds the measured peak" if not short else f"estimate below the peak: {', '.join(short)}")


if __name__ == "__main__":
    main()
