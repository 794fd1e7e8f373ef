"""Wall time of `convcost check` over every shipped spec against one `convcost report` (issue #4).

    python benchmarks/check_speed.py [--runs 7]

Target: checking all of specs/*.yaml against docs/examples/budgets.yaml takes at most 1.5x the time of
`convcost report specs/xception.yaml --format json` (the largest shipped network): each spec is parsed
and analysed once, in one process, so the start-up is paid once.

Each command runs in fresh processes, interleaved so that machine noise hits both alike; the medians
and their ratio are printed. As an installed package runs, modules are byte-compiled (pip writes .pyc
files at install): a PYTHONDONTWRITEBYTECODE in the caller's environment is dropped, and one warm-up
run of each command writes the .pyc files.
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
TARGET = 1.5


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1 is a verdict, not a failure of the benchmark
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per command (at least 5)")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    specs = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").glob("*.yaml"))
    py = sys.executable
    commands = {
        "report specs/xception.yaml --format json":
            [py, "-m", "convcost", "report", "specs/xception.yaml", "--format", "json"],
        f"check specs/*.yaml ({len(specs)} specs) --budget ... --format json":
            [py, "-m", "convcost", "check", *specs, "--budget", "docs/examples/budgets.yaml", "--format", "json"],
    }
    for command in commands.values():  # warm the file cache and write .pyc files
        wall(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(wall(command))
    medians = {name: statistics.median(samples) for name, samples in times.items()}
    report, check = medians.values()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {runs} fresh processes each (median)")
    width = max(map(len, medians))
    for name, median in medians.items():
        print(f"{name:<{width}}  {median:.3f} s")
    ratio = check / report
    print(f"ratio check / report: {ratio:.2f} (target <= {TARGET})")
    if ratio > TARGET:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
