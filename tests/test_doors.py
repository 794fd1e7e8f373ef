"""The door corpus: bad or suspicious input through every door the command line has.

Every file in tests/data/doors/ is one case (issue 11): a command line, the files it reads, and
what must come back. The spec-file corpus (tests/data/bad_specs/) covers mistakes inside a spec;
this one covers everything else a hostile or careless user can hand the tool: ``--set`` values
and every numeric flag, budget files, baseline files, sweep grids, special files, and specs
whose content is legal but suspicious (they get a located warning, not an error).

A case file is YAML::

    # One line saying what the case is about.
    class: 1                 # the class of issue 11 it belongs to (1-9)
    door: flag               # spec, set, flag, budget, baseline, sweep or file
    args: [check, tiny.yaml, --max-macs, 1e999999999]
    files:                   # written to a fresh directory, which is the working directory
      tiny.yaml: |
        input: [8, 8, 3]
        layers:
          - {kind: conv2d, filters: 4, kernel: 3}
    fifos: [pipe.yaml]       # optional: named pipes made in that directory
    exit: 2                  # the exit code (0 or 1 for a legal input that only warns)
    stderr:                  # regular expressions that must each match somewhere in stderr
      - "--max-macs"
    stdout: []               # the same for standard output (optional)
    absent: ["\\x1b"]        # strings that must appear in neither output (optional)

``{specs}`` in an argument is the directory of the shipped specs. Every case must answer within
TIME_LIMIT seconds, with no traceback and never ``internal error`` (exit 3); a case that exits 2
must say why on stderr, naming a file:line:col or a flag. The subprocess run (``-m slow``) also
bounds each case's peak memory at MEMORY_LIMIT.
"""

from __future__ import annotations

import json
import os
import re
import resource
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from convcost.cli import app
from convcost.language.loader import SHIPPED

from cli_runner import runner

CORPUS = Path(__file__).parent / "data" / "doors"
CASES = sorted(CORPUS.glob("*.yaml"))
DOORS = {"spec", "set", "flag", "budget", "baseline", "sweep", "file"}
KEYS = {"class", "door", "args", "files", "fifos", "exit", "stderr", "stdout", "absent", "stdin"}
TIME_LIMIT = 2.0  # seconds, however bad the input
MEMORY_LIMIT = 300 * 2**20  # bytes of peak resident memory (subprocess run)
LOCATED = re.compile(r"^\S[^\n]*:\d+:\d+: [EW]\d{3} ", re.MULTILINE)
STARTUP = 1.0  # seconds a fresh process may take to import convcost on a loaded machine
FLAG = re.compile(r"(?<![\w-])--?[a-z][\w-]*")


def load_case(path: Path) -> dict:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict), f"{path.name}: a case is a mapping"
    assert set(case) <= KEYS, f"{path.name}: unknown keys {sorted(set(case) - KEYS)}"
    assert case.get("class") in range(1, 10), f"{path.name}: class must be 1-9"
    assert case.get("door") in DOORS, f"{path.name}: door must be one of {sorted(DOORS)}"
    assert isinstance(case.get("args"), list) and case["args"], f"{path.name}: args is a list"
    assert case.get("exit") in (0, 1, 2), f"{path.name}: exit must be 0, 1 or 2"
    return case


def prepare(case: dict, directory: Path) -> list[str]:
    """Write the case's files into ``directory`` and return its arguments, placeholders filled."""
    for name, content in (case.get("files") or {}).items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_bytes(str(content).encode("utf-8", "surrogatepass"))
    for name in case.get("fifos") or []:
        os.mkfifo(directory / name)
    return [str(arg).replace("{specs}", str(SHIPPED)) for arg in case["args"]]


def check_outcome(case: dict, name: str, code: int, stdout: str, stderr: str, seconds: float) -> None:
    both = stdout + stderr
    assert "Traceback" not in both, f"{name}: a traceback\n{both}"
    assert code != 3 and "internal error" not in both, f"{name}: internal error\n{both}"
    assert code == case["exit"], f"{name}: exit {code}, expected {case['exit']}\n{both}"
    assert seconds < TIME_LIMIT, f"{name}: took {seconds:.2f} s"
    for pattern in case.get("stderr") or []:
        assert re.search(pattern, stderr), f"{name}: stderr does not match {pattern!r}\n{stderr}"
    for pattern in case.get("stdout") or []:
        assert re.search(pattern, stdout), f"{name}: stdout does not match {pattern!r}\n{stdout}"
    for text in case.get("absent") or []:
        assert text not in both, f"{name}: {text!r} in the output\n{both!r}"
    if code == 2:
        assert LOCATED.search(stderr) or FLAG.search(stderr), f"{name}: exit 2 names no location or flag\n{stderr}"


def test_the_corpus_is_large_and_covers_every_class_and_door():
    cases = [load_case(path) for path in CASES]
    assert len(cases) >= 120
    assert {case["class"] for case in cases} == set(range(1, 10))
    assert {case["door"] for case in cases} == DOORS


def run_forked(args: list[str], stdin: str | None) -> tuple[int, str, str, float, int]:
    """Run the command line in a forked child of this process, so that a case that hangs (in C
    code, where no signal reaches it) is killed at the time limit instead of hanging the suite.
    Returns (exit code, stdout, stderr, seconds, growth of peak resident memory in bytes)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report as JSON through the pipe, and leave without cleanup
        try:
            os.close(read_end)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            start = time.perf_counter()
            result = runner.invoke(app, args, input=stdin)
            seconds = time.perf_counter() - start
            growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
            message = [result.exit_code, result.stdout, result.stderr, seconds, growth]
            with os.fdopen(write_end, "w", encoding="utf-8", errors="surrogateescape") as out:
                json.dump(message, out)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8", errors="surrogateescape") as source:
        ready, _, _ = select.select([source], [], [], TIME_LIMIT + 3)
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"no answer within {TIME_LIMIT + 3} s: {args}")
        text = source.read()
    os.waitpid(pid, 0)
    assert text, f"the child died without an answer: {args}"
    code, stdout, stderr, seconds, growth = json.loads(text)
    return code, stdout, stderr, seconds, growth


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path, tmp_path, monkeypatch):
    case = load_case(path)
    args = prepare(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    code, stdout, stderr, seconds, growth = run_forked(args, case.get("stdin"))
    check_outcome(case, path.stem, code, stdout, stderr, seconds)
    assert growth < MEMORY_LIMIT, f"{path.stem}: memory grew by {growth / 2**20:.0f} MiB"


# Runs convcost as ``python -m convcost`` does and, at exit, writes its peak resident memory (KiB on
# Linux) to the file named by the environment: Popen reaps the child itself, so wait4 cannot.
MEASURED = """
import atexit, os, resource, runpy, sys
def _peak():
    with open(os.environ["CONVCOST_TEST_PEAK"], "w") as out:
        out.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
atexit.register(_peak)
sys.argv[0] = "convcost"
runpy.run_module("convcost", run_name="__main__", alter_sys=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_in_a_fresh_process_within_the_memory_bound(path, tmp_path):
    """The same case as a user runs it: its own process (start-up not counted in its time),
    whose peak resident memory the operating system reports."""
    case = load_case(path)
    work = tmp_path / "work"
    work.mkdir()
    args = prepare(case, work)
    peak_file = tmp_path / "peak"
    env = {**os.environ, "CONVCOST_TEST_PEAK": str(peak_file), "COLUMNS": "100"}
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", MEASURED, *args], cwd=work, env=env, capture_output=True,
                              input=(case.get("stdin") or "").encode(), timeout=TIME_LIMIT + 5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path.stem}: no answer within {TIME_LIMIT + 5} s")
    seconds = time.perf_counter() - start
    check_outcome(case, path.stem, done.returncode, done.stdout.decode(errors="replace"),
                  done.stderr.decode(errors="replace"), max(0.0, seconds - STARTUP))
    assert int(peak_file.read_text()) * 1024 < MEMORY_LIMIT, f"{path.stem}: peak {peak_file.read_text()} KiB"
