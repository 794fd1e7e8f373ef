"""The examples in docs/spec.md and README.md work as written."""

import re
from pathlib import Path

import pytest

import convcost

ROOT = Path(__file__).resolve().parent.parent
SPEC_DOC = (ROOT / "docs" / "spec.md").read_text()
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", SPEC_DOC, re.S)


def layer_examples():
    for block in YAML_BLOCKS:
        for line in block.splitlines():
            item = line.split("  #")[0].strip()
            if item.startswith("- ") and not line.startswith(" "):
                yield item


def test_the_first_example_is_a_complete_spec():
    result = convcost.analyze(convcost.loads(YAML_BLOCKS[0]))
    assert result.layers[-1].output_shape == (10,)


@pytest.mark.parametrize("item", sorted(set(layer_examples())))
def test_every_layer_example_builds(item):
    three_d, one_d = "3d" in item, "1d" in item
    shape = "[8, 16, 16, 8]" if three_d else "[32, 8]" if one_d else "[16, 16, 8]"
    preamble = ("  - {kind: conv2d, name: branch_a, filters: 8, kernel: 1}\n"
                "  - {kind: conv2d, name: branch_b, inputs: input, filters: 8, kernel: 1}\n"
                ) if not (three_d or one_d) else ""
    text = f"input: {shape}\nlayers:\n{preamble}  {item}\n"
    if "kind: dense" in item and "3d" not in item:
        text = f"input: [64]\nlayers:\n  {item}\n"
    convcost.analyze(convcost.loads(text))


def test_every_layer_kind_has_an_example():
    from convcost.layers import KINDS

    documented = set(re.findall(r"kind: (\w+)", SPEC_DOC)) | set(re.findall(r"^- (\w+)\s*(?:#|$)", SPEC_DOC, re.M))
    missing = [kind for kind in KINDS if kind not in documented and f"- {kind}" not in SPEC_DOC
               and f"**{kind}**" not in SPEC_DOC]
    assert not missing


def test_every_shipped_spec_is_listed_and_reports():
    for name in convcost.shipped_specs():
        assert f"`{name}`" in SPEC_DOC, name
        assert convcost.report(name).totals.macs > 0


README = (ROOT / "README.md").read_text()


def test_readme_spec_example():
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if b.startswith("name: tiny net"))
    result = convcost.analyze(convcost.loads(block))
    assert result.layer("add_1").output_shape == (16, 16, 32)


def test_readme_python_example(capsys):
    block = re.findall(r"```python\n(.*?)```", README, re.S)[0]
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)  # the README's own example code, nothing else
    assert "result" in namespace
    for line in block.splitlines():  # every "# 123_456" comment after an expression is its value
        match = re.match(r"^(result[^#]*?)\s+#\s+([\d_]+|\([\d, ]+\))\s*$", line)
        if match:
            assert eval(match.group(1), namespace) == eval(match.group(2)), line  # test-only check of README text


@pytest.mark.parametrize("command", ["pip install '.[test]' && python -m pytest",
                                     "pip install -c .ci/lowest-constraints.txt '.[test]' && python -m pytest",
                                     "pip install '.[test,interop]' torch==2.13.0 && "
                                     "python -m pytest -m 'interop and not slow'",
                                     "pip install -q '.[plot,lint]' && ruff check . && mypy"])
def test_readme_test_commands_match_ci(command):
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"\n{command}\n" in README
    assert f"\n{command}\n" in ci  # verbatim


def documented_command(line: str) -> tuple[list[str], str | None]:
    """A ``convcost ...`` line as the docs or a --help epilog write it -> (the arguments after
    ``convcost``, the file its standard output is redirected to or None). Comments are dropped:
    ``# ...`` (the README) and ``(...)`` after two or more spaces (the --help examples).

    ``documented_command("convcost report x --format markdown > x.md   # note")
    == (["report", "x", "--format", "markdown"], "x.md")``
    """
    import shlex

    line = re.sub(r"\s{2,}\(.*\)\s*$", "", line.split("#")[0]).strip()
    words = shlex.split(line)
    assert words[0] == "convcost", line
    if ">" in words:
        at = words.index(">")
        return words[1:at], words[at + 1]
    return words[1:], None


OUTPUT_OPTIONS = ("--plot", "--output", "-o")  # options whose value is a file the command writes


def run_documented(line: str, *, cwd: Path, out_dir: Path):
    """Run a documented ``convcost ...`` line in-process, from ``cwd``; return click's result.

    What it writes goes to ``out_dir``: its redirected standard output and the FILE of --plot. A
    later command that names one of those files reads it from there, so a sequence of examples
    (save a baseline, then check against it) runs as written."""
    import contextlib

    from convcost.cli import app

    from cli_runner import make_runner

    args, target = documented_command(line)
    if "--plot" in args:
        pytest.importorskip("matplotlib")
    for i, word in enumerate(args):
        if (i and args[i - 1] in OUTPUT_OPTIONS) or (out_dir / word).is_file():
            args[i] = str(out_dir / word)
        elif "/" in word and not Path(word).is_absolute() and (ROOT / word).is_file():  # tests/data/models/…
            args[i] = str(ROOT / word)
    with contextlib.chdir(cwd):
        result = make_runner().invoke(app, args)
    if target is not None:
        (out_dir / target).write_text(result.stdout)
    return result


@pytest.mark.parametrize("line", [line for block in re.findall(r"```sh\n(.*?)```", README, re.S)
                                  for line in block.splitlines() if line.startswith("convcost ")])
def test_readme_commands_run(line, tmp_path):
    """Every `convcost ...` line of the README's shell examples runs and exits 0."""
    result = run_documented(line, cwd=tmp_path, out_dir=tmp_path)
    assert result.exit_code == 0, (line, result.output)
