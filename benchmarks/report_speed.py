"""Wall time of `convcost report` against Python's unavoidable import floor (issue: core report speed).

    python benchmarks/report_speed.py [--runs 7]

Runs each command in fresh processes, interleaved so that machine noise hits all of them alike, and
prints the median wall time, its ratio to `python -c "import typer, yaml"` and the median peak RSS of
the process (its maximum resident set size, from os.wait4). Targets: JSON report of Xception <= 1.3x
the floor, table <= 1.6x; a 10,000-layer spec (through repeat) in under 1 s; a 100,000-layer spec
(the largest a spec may expand to, MAX_LAYERS) as JSON in at most 2 s and 300 MB.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# As an installed package runs: byte-compiled modules (pip writes .pyc files at install time), so
# a PYTHONDONTWRITEBYTECODE in the caller's environment must not make every run recompile.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"COLUMNS": "120"}

TEN_THOUSAND = """\
name: ten thousand layers
input: [32, 32, 16]
blocks:
  unit:
    layers:
      - {kind: conv2d, filters: 16, kernel: 3, padding: same, bias: false}
      - batch_norm
      - relu
      - {kind: add, inputs: [relu_1, input]}
layers:
  - {kind: unit, repeat: 2500}
"""
HUNDRED_THOUSAND = TEN_THOUSAND.replace("ten thousand", "hundred thousand").replace("2500", "25000")


def wall(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed (status {status})")
    return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp())
    big, huge = directory / "ten_thousand.yaml", directory / "hundred_thousand.yaml"
    big.write_text(TEN_THOUSAND)
    huge.write_text(HUNDRED_THOUSAND)
    py = sys.executable
    commands = {
        "floor: python -c 'import typer, yaml'": [py, "-c", "import typer, yaml"],
        "report xception --format json": [py, "-m", "convcost", "report", "specs/xception.yaml", "--format", "json"],
        "report xception (table)": [py, "-m", "convcost", "report", "specs/xception.yaml"],
        "report mobilenet --format json": [py, "-m", "convcost", "report", "specs/mobilenet.yaml", "--format", "json"],
        "report 10,000 layers --format json": [py, "-m", "convcost", "report", str(big), "--format", "json"],
        "report 100,000 layers --format json": [py, "-m", "convcost", "report", str(huge), "--format", "json"],
    }
    for command in commands.values():  # warm the file cache and .pyc files
        wall(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            seconds, megabytes = wall(command)
            times[name].append(seconds)
            peaks[name].append(megabytes)
    floor = statistics.median(times[next(iter(commands))])
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {args.runs} runs each (median)")
    print(f"{'command':<40} {'median s':>9} {'x floor':>8} {'peak RSS MB':>12}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<40} {median:>9.3f} {median / floor:>8.2f} {statistics.median(peaks[name]):>12.0f}")


if __name__ == "__main__":
    main()
