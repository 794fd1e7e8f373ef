"""Time to the first row, wall time and peak memory of a 100,000-configuration sweep (issue 11).

    python benchmarks/sweep_memory.py [--runs 5] [--configurations 100000] [--spec seed_standard|mobilenet|both]
                                      [--format csv] [--jobs 1]

A sweep writes each row as it is computed (csv and json; docs/sweep.md, "Large sweeps"), so the
first row comes out after one configuration, not after all of them, and what the process holds does
not grow with the grid. Targets (seed_standard, 100,000 configurations): the first row within 1 s of
the start, start-up included, and a peak resident memory below 100 MiB.

Each run is a fresh process (``python -m convcost sweep ... --format csv``, standard output read
through a pipe and thrown away); the peak resident memory is the operating system's figure for
that process and its workers (the largest of them: ``ru_maxrss`` from wait4). Medians of the runs
are printed with the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TARGET_FIRST_ROW = 1.0  # seconds, seed_standard
TARGET_PEAK = 100 * 2**20  # bytes, seed_standard
DEFAULT_LIMIT = 100_000  # configurations a sweep runs without --max-configurations


def grid(spec: str, count: int) -> list[str]:
    """``--set`` options giving ``count`` configurations (a multiple of 100 or of 4) of a shipped spec."""
    if spec == "seed_standard":  # sizes 3..102 (a 3×3 kernel fits every one) × filters 1..count/100
        return ["--set", "size=3:102", "--set", f"filters=1:{count // 100}"]
    # MobileNet: widths 0.25..1 in steps of 0.25 × resolutions from 32, one apart
    return ["--set", "alpha=0.25:1:0.25", "--set", f"resolution=32:{32 + count // 4 - 1}"]


def is_row(number: int, line: bytes, format: str) -> bool:
    """Whether output line ``number`` (from 0) is a configuration's row: csv's lines after the
    header, json's lines indented by four spaces (docs/sweep.md)."""
    return line.startswith(b"    {") if format == "json" else number > 0


def measure(command: list[str], format: str) -> tuple[float, float, int]:
    """(seconds to the first data row, seconds in all, peak resident bytes) of one fresh process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=ENV)
    assert process.stdout is not None
    first = None
    for number, line in enumerate(process.stdout):
        if first is None and is_row(number, line, format):
            first = time.perf_counter() - start
    stderr = process.stderr.read() if process.stderr else b""
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or first is None:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{stderr.decode()}")
    return first, elapsed, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per spec (median)")
    parser.add_argument("--configurations", type=int, default=100_000)
    parser.add_argument("--spec", choices=("seed_standard", "mobilenet", "both"), default="seed_standard")
    parser.add_argument("--format", choices=("csv", "json"), default="csv")
    parser.add_argument("--jobs", type=int, default=None, help="--jobs for the sweep (default: its own choice)")
    args = parser.parse_args()
    specs = ("seed_standard", "mobilenet") if args.spec == "both" else (args.spec,)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (nproc), "
          f"Python {platform.python_version()}, {args.runs} fresh processes each (median)")
    failed = False
    for spec in specs:
        command = [sys.executable, "-m", "convcost", "sweep", f"specs/{spec}.yaml", *grid(spec, args.configurations),
                   "--format", args.format]
        if args.configurations > DEFAULT_LIMIT:
            command += ["--max-configurations", str(args.configurations)]
        if args.jobs is not None:
            command += ["--jobs", str(args.jobs)]
        runs = [measure(command, args.format) for _ in range(max(1, args.runs))]
        first = statistics.median(r[0] for r in runs)
        total = statistics.median(r[1] for r in runs)
        peak = statistics.median(r[2] for r in runs)
        print(f"{' '.join(command[3:])}")
        print(f"  first row {first:.3f} s   all rows {total:.2f} s   peak resident memory {peak / 2**20:.0f} MiB")
        if spec == "seed_standard" and (first > TARGET_FIRST_ROW or peak > TARGET_PEAK):
            failed = True
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
