"""Wall time of a 1,000-configuration MobileNet sweep (issue #5).

    python benchmarks/sweep_speed.py [--runs 7]

Targets: `convcost sweep specs/mobilenet.yaml --set alpha=0.025:1:0.025 --set resolution=128:224:4
--format json` (40 widths × 25 resolutions = 1,000 configurations, JSON to /dev/null) takes at most
1 s of wall time for the whole process, start-up included, and at most 0.6 s with --jobs 1 (issue
10): the spec is parsed once, and each configuration is built (Spec.build: the layers that read
none of the swept parameters, and block instances already made with the same values, are reused)
and summarized (analysis.summarize) once, without reading files.

The command runs in fresh processes, by default (two processes on a machine with two or more CPUs)
and with --jobs 1 (one process); the medians are printed with the machine. As an installed package
runs, modules are byte-compiled (pip writes .pyc files at install): a PYTHONDONTWRITEBYTECODE in the
caller's environment is dropped, and one warm-up run writes the .pyc files. Then, in this process,
the time per configuration of each step (build, summarize, a full analyze for comparison) shows
where the time goes.
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
TARGET = 1.0  # seconds, --jobs auto
TARGET_SERIAL = 0.6  # seconds, --jobs 1
GRID = ["--set", "alpha=0.025:1:0.025", "--set", "resolution=128:224:4"]


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()}")
    return elapsed


def steps() -> dict[str, float]:
    """Milliseconds per configuration of each step, measured in this process."""
    sys.path.insert(0, str(ROOT))
    import convcost
    from convcost.analysis import analyze, summarize
    from convcost.sweep import configurations, parse_axes

    spec = convcost.load(str(ROOT / "specs" / "mobilenet.yaml"))
    configs = configurations(parse_axes(dict(item.split("=", 1) for item in GRID[1::2])))
    count = len(configs)
    start = time.perf_counter()
    for config in configs:  # graphs dropped at once, as the sweep does
        spec.build(config)
    built = time.perf_counter()
    memo: dict = {}
    for config in configs:
        summarize(spec.build(config), memo=memo)
    summarized = time.perf_counter()
    sample = [spec.build(config) for config in configs[::5]]
    between = time.perf_counter()
    for graph in sample:
        analyze(graph)
    analyzed = time.perf_counter()
    build = (built - start) / count
    return {"Spec.build": build * 1e3, "summarize (shared memo)": ((summarized - built) / count - build) * 1e3,
            "analyze (full records, for comparison)": (analyzed - between) / len(sample) * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes (at least 5)")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    command = [sys.executable, "-m", "convcost", "sweep", "specs/mobilenet.yaml", *GRID, "--format", "json"]
    serial = command + ["--jobs", "1"]
    startup = [sys.executable, "-m", "convcost", "kinds"]
    for warm_up in (command, serial, startup):  # warm the file cache and write .pyc files
        wall(warm_up)
    times, serial_times, startups = [], [], []
    for _ in range(runs):  # interleaved, so that machine noise hits each alike
        times.append(wall(command))
        serial_times.append(wall(serial))
        startups.append(wall(startup))
    median = statistics.median(times)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (nproc), "
          f"Python {platform.python_version()}, {runs} fresh processes each (median)")
    print(f"convcost sweep specs/mobilenet.yaml {' '.join(GRID)} --format json  (1,000 configurations)")
    print(f"  default (--jobs auto: {min(2, os.cpu_count() or 1)})  median {median:.3f} s   min {min(times):.3f} s   "
          f"max {max(times):.3f} s   (target <= {TARGET} s)")
    print(f"  --jobs 1 (one process)   median {statistics.median(serial_times):.3f} s   "
          f"min {min(serial_times):.3f} s   max {max(serial_times):.3f} s   (target <= {TARGET_SERIAL} s)")
    print(f"  start-up alone (convcost kinds): median {statistics.median(startups):.3f} s")
    print("per configuration, in this process:")
    for name, ms in steps().items():
        print(f"  {name:<40} {ms:.3f} ms")
    if median > TARGET or statistics.median(serial_times) > TARGET_SERIAL:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
