"""`compare --format json` and `verify` of a 100,000-layer spec (issue 11, class 8): wall time and
peak RSS, median of several fresh processes.

    python benchmarks/large_compare_verify.py [--runs 3]

The spec is benchmarks/report_speed.py's 100,000-layer case (a conv, batch norm, relu, residual
add block through ``repeat: 25000``) with a width parameter, on a small input so that verify's
executor does little arithmetic and the per-layer overhead shows. compare sets ``--set-b
width=8``, so every layer changes and every one is written, both sides. Targets: compare JSON
<= 4 s and <= 300 MB; verify <= 8 s and <= 300 MB (report JSON of the same spec: ~1.9 s, 94 MB).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

HUNDRED_THOUSAND = """\
name: hundred thousand layers
parameters:
  width: 4
input: [4, 4, width]
blocks:
  unit:
    layers:
      - {kind: conv2d, filters: width, kernel: 3, padding: same, bias: false}
      - batch_norm
      - relu
      - {kind: add, inputs: [relu_1, input]}
layers:
  - {kind: unit, repeat: 25000}
"""


def run(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of one run of ``command`` (output discarded)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed (status {status})")
    return elapsed, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    spec = Path(tempfile.mkdtemp()) / "hundred_thousand.yaml"
    spec.write_text(HUNDRED_THOUSAND)
    py = sys.executable
    commands = {
        "report --format json": [py, "-m", "convcost", "report", str(spec), "--format", "json"],
        "compare --set-b width=8 --format json": [py, "-m", "convcost", "compare", str(spec), "--set-b", "width=8",
                                                  "--format", "json"],
        "verify --format json": [py, "-m", "convcost", "verify", str(spec), "--format", "json", "-q"],
        "verify (table)": [py, "-m", "convcost", "verify", str(spec), "-q"],
    }
    print(f"{'100,000 layers':40} {'median s':>9} {'peak MB':>9}")
    for name, command in commands.items():
        results = [run(command) for _ in range(args.runs)]
        seconds = statistics.median(r[0] for r in results)
        megabytes = statistics.median(r[1] for r in results)
        print(f"{name:40} {seconds:9.2f} {megabytes:9.0f}", flush=True)


if __name__ == "__main__":
    main()
