"""Importing and reporting a ResNet50-sized ONNX file, and Keras' ResNet50 as a .keras file: time and peak memory.

Builds, in a temporary directory, a ResNet50-shaped graph (its 53 convolutions, batch norms,
residual adds and the 1000-way Gemm) with about 100 MB of embedded float32 weights, then runs
``convcost report FILE --format json`` as a subprocess five times and prints the median wall time
and the peak resident memory of the children. The target (issue 13): under 1 s and 200 MB, which
holds because the importer seeks past the weights (convcost/importers/onnx/wire.py). With Keras
installed (KERAS_BACKEND=torch, the interop extra), it also saves keras.applications.ResNet50
(weights=None: 25.6M parameters, a 100 MB .keras zip) and times the same command on it: convcost
reads config.json from the zip and never the weights file beside it.

    python benchmarks/import_speed.py
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def build(path: str) -> int:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = iter(range(10_000))

    def const(*dims: int) -> str:
        name = f"w{next(counter)}"
        inits.append(numpy_helper.from_array(np.ones(dims, np.float32), name))
        return name

    def conv_bn(x: str, cin: int, cout: int, k: int, s: int, relu: bool = True) -> str:
        out = f"t{next(counter)}"
        nodes.append(helper.make_node("Conv", [x, const(cout, cin, k, k)], [out], kernel_shape=[k, k],
                                      strides=[s, s], pads=[k // 2] * 4, name=f"conv{out}"))
        bn = f"t{next(counter)}"
        nodes.append(helper.make_node("BatchNormalization", [out, const(cout), const(cout), const(cout),
                                                             const(cout)], [bn], name=f"bn{bn}"))
        if not relu:
            return bn
        act = f"t{next(counter)}"
        nodes.append(helper.make_node("Relu", [bn], [act], name=f"relu{act}"))
        return act

    x = conv_bn("x", 3, 64, 7, 2)
    nodes.append(helper.make_node("MaxPool", [x], ["pool"], kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4,
                                  name="pool"))
    x, cin = "pool", 64
    for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for block in range(blocks):
            s = stride if block == 0 else 1
            y = conv_bn(conv_bn(conv_bn(x, cin, width, 1, 1), width, width, 3, s), width, 4 * width, 1, 1, False)
            short = conv_bn(x, cin, 4 * width, 1, s, False) if block == 0 else x
            out = f"t{next(counter)}"
            nodes.append(helper.make_node("Add", [y, short], [out], name=f"add{out}"))
            x, cin = f"t{next(counter)}", 4 * width
            nodes.append(helper.make_node("Relu", [out], [x], name=f"relu{x}"))
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"))
    nodes.append(helper.make_node("Gemm", ["flat", const(1000, 2048), const(1000)], ["y"], transB=1, name="fc"))
    # pad the weights to ~100 MB as ResNet50's file is (25.6M parameters, float32)
    graph = helper.make_graph(nodes, "resnet50", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                                [1, 3, 224, 224])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1000])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return os.path.getsize(path)


def build_keras(path: str) -> int:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    keras.applications.ResNet50(weights=None).save(path)
    return os.path.getsize(path)


def measure(path: str) -> None:
    """Run in a fresh small process: a child's ru_maxrss starts from its parent's at fork, so the
    process that built the graph (500 MB with onnx and NumPy) must not be the one that forks."""
    command = [sys.executable, "-m", "convcost", "report", path, "--format", "json"]
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"file: {os.path.getsize(path) / 1e6:.1f} MB; convcost report --format json: median "
          f"{statistics.median(times):.3f} s of 5, peak RSS {peak_mb:.1f} MB (targets: 1 s, 200 MB)")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
        return
    here = os.path.dirname(__file__)
    with tempfile.TemporaryDirectory() as folder:
        for name, builder in (("resnet50.onnx", "build"), ("resnet50.keras", "build_keras")):
            path = os.path.join(folder, name)
            made = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {here!r}); "
                                                         f"import import_speed; import_speed.{builder}({path!r})"])
            if made.returncode != 0:
                print(f"{name}: could not be built here (needs onnx, or Keras with torch): skipped")
                continue
            subprocess.run([sys.executable, __file__, "--measure", path], check=True)


if __name__ == "__main__":
    main()
