"""The design rules of docs/architecture.md, held as tests: what each part of convcost may import.

Data flows one way: spec file -> spec (language/) -> graph -> analysis -> renderers, with the
executor (reference/) a second, independent path from the graph. Every import statement of every
module (those inside functions too) is read from its source, so a lazy import that runs against
the flow fails here as surely as one at the top of a file.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "convcost"

# Each part of convcost -> the parts it may import (besides itself and the standard library).
# A part is a top-level module or package of convcost; docs/architecture.md shows the same table.
FOUNDATION = {"errors", "version", "units"}
ALLOWED: dict[str, set[str]] = {
    "version": set(),
    "errors": set(),
    "units": {"errors"},
    # writing output files whole (temporary file, then rename): for whoever writes a file
    "files": {"errors"},
    "layers": {"errors", "units"},
    "graph": {"errors", "layers"},
    # model files (Keras, ONNX) read as data and written as spec text, which the language loads
    "importers": FOUNDATION | {"layers"},  # an imported layer's fields as its kind's defaults leave them
    "language": FOUNDATION | {"layers", "graph", "importers"},
    "analysis": FOUNDATION | {"layers", "graph", "language"},
    # the executor reads the graph and never the analytic rules: it counts what it computed
    "reference": FOUNDATION | {"graph"},
    "single_layer": FOUNDATION | {"layers", "graph", "language", "analysis"},
    "explain": FOUNDATION | {"layers", "graph", "analysis"},
    "compare": FOUNDATION | {"layers", "graph", "language", "analysis"},
    "sweep": FOUNDATION | {"layers", "graph", "language", "analysis"},
    "verify": FOUNDATION | {"graph", "analysis", "reference"},
    # verify --runtime onnxruntime: the executor's weights written into the ONNX model, run by onnxruntime
    # (the importer's weight maps, the executor's arrays, verify's result records)
    "runtime": FOUNDATION | {"graph", "importers", "reference", "verify"},
    "budgets": FOUNDATION | {"layers", "graph", "language", "analysis", "files", "importers"},
    "plot": FOUNDATION | {"sweep", "files"},
    "render": FOUNDATION | {"layers", "graph", "language", "analysis", "single_layer", "explain", "compare", "sweep",
                            "verify", "budgets", "files"},
    "cli": FOUNDATION | {"layers", "graph", "language", "analysis", "reference", "single_layer", "explain",
                         "compare", "sweep", "verify", "budgets", "plot", "render", "files", "__init__", "importers",
                         "runtime"},
    "__main__": {"cli"},
    "__init__": FOUNDATION | {"layers", "graph", "language", "analysis", "reference", "single_layer",
                              "explain", "compare", "sweep", "verify", "budgets"},
}
# Third-party packages and the parts of convcost that may import them.
THIRD_PARTY = {
    "typer": {"cli"},
    "click": {"cli"},
    "rich": {"cli", "render"},
    "numpy": {"reference", "runtime"},  # runtime: only for verify --runtime, never on the report path
    "matplotlib": {"plot"},
    "yaml": {"language", "importers"},
    "onnx": {"importers", "runtime"},
    "onnxruntime": {"runtime"},
    "h5py": {"importers"},
}


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def part_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in ``path``; relative imports resolved."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(("convcost",) + path.relative_to(PACKAGE).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module == "convcost":  # from convcost import x: x is a part
                found += [(node.lineno, f"convcost.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return found


def test_every_part_of_the_package_is_in_the_table():
    assert {part_of(p) for p in modules()} - {"zoo"} <= set(ALLOWED), \
        "a new top-level module: add it to ALLOWED here and to docs/architecture.md"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_flow(path):
    part = part_of(path)
    wrong = []
    for line, name in imports(path):
        top, _, rest = name.partition(".")
        if top == "convcost":
            target = rest.split(".")[0] or "__init__"
            if target != part and target not in ALLOWED[part]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name} ({part} may import "
                             f"{', '.join(sorted(ALLOWED[part])) or 'nothing of convcost'})")
        elif top in THIRD_PARTY and part not in THIRD_PARTY[top]:
            wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}, which only "
                         f"{', '.join(sorted(THIRD_PARTY[top]))} may import")
    assert not wrong, "\n".join(wrong)


def test_the_architecture_doc_lists_every_part():
    doc = (ROOT / "docs" / "architecture.md").read_text()
    for part in ALLOWED:
        if part in ("__init__", "__main__"):
            continue
        shown = f"`{part}/`" if (PACKAGE / part).is_dir() else f"`{part}.py`"
        assert shown in doc, f"docs/architecture.md does not describe {shown}"


def test_the_report_path_imports_neither_numpy_nor_rich_nor_dataclasses():
    code = ("import sys, runpy; sys.argv = ['convcost', 'report', 'xception', '--format', 'json'];\n"
            "try:\n    runpy.run_module('convcost', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'rich', 'dataclasses') if m in sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr[-2000:]
