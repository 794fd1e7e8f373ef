"""The dependency bounds in pyproject.toml and the lowest-versions pins CI installs agree.

CI runs the suite twice (README, "Development"): on the newest versions pyproject.toml allows and
on its lower bounds, pinned in .ci/lowest-constraints.txt. A bound changed in one place and not
the other would make the second run test something else than what users can install.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(.*)$")


def _version(text: str) -> tuple[int, ...]:
    parts = tuple(int(part) for part in text.split("."))
    return parts + (0,) * (3 - len(parts))


def lower_bounds() -> dict[str, tuple[int, ...]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in ("test", "plot"):  # what the lowest-versions run installs ('.[test]'), and plot, its subset
        requirements += project["optional-dependencies"][extra]
    bounds = {}
    for requirement in requirements:
        name, specifiers = REQUIREMENT.match(requirement).groups()
        name = name.lower()
        if name == "convcost":
            continue
        lowest = re.search(r">=\s*([0-9.]+)", specifiers)
        assert lowest, f"{requirement!r} in pyproject.toml has no lower bound (>=): CI cannot test it"
        bounds[name] = _version(lowest.group(1))
    return bounds


def lowest_pins() -> dict[str, tuple[int, ...]]:
    pins = {}
    for line in (ROOT / ".ci" / "lowest-constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r}: every line of the constraints file pins one version with =="
            pins[name.strip().lower()] = _version(version.strip())
    return pins


def test_every_lower_bound_is_pinned_in_the_lowest_versions_run():
    assert lowest_pins() == lower_bounds()



def test_the_linters_are_pinned_exactly():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["lint"]
    assert {r.split("==")[0] for r in lint} == {"ruff", "mypy"} and all("==" in r for r in lint)


def test_the_version_module_and_pyproject_agree():
    from convcost.version import __version__

    assert __version__ == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_version_answers_without_loading_any_command():
    """``convcost --version`` is answered by the root callback: no command module is imported."""
    import subprocess
    import sys

    probe = ("import sys; sys.argv = ['convcost', '--version']\n"
             "import convcost.cli as cli\n"
             "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m in cli.COMMANDS.values()))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    from convcost.version import __version__

    assert done.stdout.splitlines()[0] == f"convcost {__version__}"
    assert done.stdout.splitlines()[1] == "[]"
