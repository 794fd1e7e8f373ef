"""Wall time of `convcost report SPEC --format json` for every shipped spec against the import floor
(issue 12: every zoo spec reports within 1.5x of `python -c "import typer, yaml"`).

    python benchmarks/zoo_speed.py [--runs 7] [--only resnet50 ...]

Each command runs in fresh processes, interleaved with the floor so that machine noise hits all of
them alike; the medians, their ratio to the floor's median and the target are printed with the
machine. Run it from an installed convcost (`pip install .`): an editable install adds its import
hook to every start-up, and the floor has none. Exits 1 when a spec misses the target.
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
ZOO = ROOT / "convcost" / "zoo"
# As an installed package runs: byte-compiled modules, so PYTHONDONTWRITEBYTECODE is dropped.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TARGET = 1.5  # x the floor


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per command (at least 3)")
    parser.add_argument("--only", nargs="*", default=None, help="spec names (default: every shipped spec)")
    args = parser.parse_args()
    names = args.only or sorted(path.stem for path in ZOO.glob("*.yaml"))
    py = sys.executable
    floor_command = [py, "-c", "import typer, yaml"]
    commands = {name: [py, "-m", "convcost", "report", str(ZOO / f"{name}.yaml"), "--format", "json"]
                for name in names}
    for command in [floor_command, *commands.values()]:  # warm the file cache and .pyc files
        wall(command)
    runs = max(args.runs, 3)
    floor: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            floor.append(wall(floor_command))
            times[name].append(wall(command))
    floor_median = statistics.median(floor)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {runs} runs each (median)")
    print(f"floor: python -c 'import typer, yaml'  median {floor_median:.3f} s")
    print(f"{'report SPEC --format json':<32} {'median s':>9} {'x floor':>8}   target <= {TARGET}x")
    missed = []
    for name, samples in times.items():
        ratio = statistics.median(samples) / floor_median
        mark = "ok" if ratio <= TARGET else "MISSED"
        if ratio > TARGET:
            missed.append(name)
        print(f"{name:<32} {statistics.median(samples):>9.3f} {ratio:>8.2f}   {mark}")
    if missed:
        print(f"{len(missed)} of {len(times)} specs over {TARGET}x the floor: {', '.join(missed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
