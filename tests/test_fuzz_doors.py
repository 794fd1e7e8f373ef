"""Fuzzing the doors other than the spec file (issue 11): hostile values through every numeric flag
of every command, ``--set`` values, sweep grids and damaged budget files.

Each example is one command line, run like a door-corpus case (tests/test_doors.py): in a forked
child, so that a value that hangs in C code (``Fraction("1e999999999")`` never returns, and no
signal reaches it) is killed instead of hanging the suite. The contract, whatever the value: an
answer within TIME_LIMIT seconds, never exit 3 (``internal error``), never a traceback, and an exit
2 that names the flag or a ``file:line:col``.

One section per door. The default run takes 300 examples in all (about half a minute here);
``pytest -m slow tests/test_fuzz_doors.py`` runs 10,000.
"""

from __future__ import annotations

import copy
import math
import re
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from test_doors import FLAG, LOCATED, TIME_LIMIT, run_forked

import convcost.reference  # noqa: F401  (NumPy, imported once here rather than in every forked verify)
from convcost.language.loader import SHIPPED

ROOT = Path(__file__).resolve().parent.parent
SEED = str(SHIPPED / "seed_standard.yaml")  # parameters size (7) and filters (128): one small conv2d
SLOW_FACTOR = 10_000 / 300  # the slow campaign runs this many times the default examples of each door


def campaign(examples: int, slow: bool = False):
    """Hypothesis settings for a door's share of the 300 default (or 10,000 slow) examples."""
    return settings(max_examples=round(examples * SLOW_FACTOR) if slow else examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def run(args: list[str], directory: Path, monkeypatch) -> tuple[int, str]:
    """The command line in a forked child, in ``directory``; asserts the contract, returns (exit, stderr)."""
    monkeypatch.chdir(directory)
    monkeypatch.setenv("COLUMNS", "100")
    code, stdout, stderr, seconds, _ = run_forked(args, None)
    both = stdout + stderr
    shown = [a if len(a) < 80 else a[:60] + f"…({len(a)} chars)" for a in args]
    assert "Traceback" not in both, (shown, both)
    assert code != 3 and "internal error" not in both, (shown, both)
    assert code in (0, 1, 2), (shown, code, both)
    assert seconds < TIME_LIMIT, (shown, f"{seconds:.2f} s")
    if code == 2:
        assert LOCATED.search(stderr) or FLAG.search(stderr), (shown, stderr)
    assert len(stderr) < 20_000, (shown, "the value is echoed back whole")
    return code, stderr


# --- hostile numbers ----------------------------------------------------------------------------

FOREIGN_DIGITS = ["³", "²", "¹", "⁹", "٣", "۴", "३", "３", "𝟗", "½", "Ⅻ", "①", "\u00a0", "\u200b"]
HOSTILE = [
    "1e999999999", "1e-999999999", "-1e999999999", "1E+999999999", "1.0e999999999", "9" * 5000, "0." + "9" * 5000,
    "9" * 5000 + "e9", "1" * 101, "1" * 100, "1e400", "1e-400", "1e401", "1e18", "1e19", "1000000000000000000",
    "1000000000000000001", "10000000000000000000", "4294967295", "4294967296", "2147483648", "-1", "-0", "0", "+1",
    "1", "2", "64", "65", "1.5", "0.5", ".5", "5.", "1_000", "1__0", "1,000", "1,00", "", " ", "nan", "inf",
    "-inf", "infinity", "0x10", "0o7", "0b1", "1e", "e5", ".", "-", "+", "1/0", "3/4", "1:2", "--1", "1 000",
    "1e18T", "1e9TiB", "600M", "4.5M", "8MiB", "5%", "1e999999999%", "-5%", "１", "1e³", "(1)", "round(1.5)",
]
UNITS = ["", "", "", "K", "M", "G", "T", "k", "B", "KB", "MiB", "GiB", "TiB", "%", "x", "e", "M" * 300]


@st.composite
def generated_number(draw) -> str:
    """A number-like text: a sign, digits (sometimes thousands of them), a fraction, an exponent
    (sometimes astronomically large), a unit, and now and then a digit from another script."""
    whole = draw(st.one_of(st.text("0123456789", max_size=25), st.sampled_from(["9" * 150, "9" * 5000])))
    text = draw(st.sampled_from(["", "", "-", "+"])) + whole
    if draw(st.booleans()):
        text += "." + draw(st.text("0123456789", max_size=25))
    if draw(st.booleans()):
        exponent = draw(st.one_of(st.integers(-500, 500), st.integers(-10**12, 10**12)))
        text += draw(st.sampled_from(["e", "E"])) + str(exponent)
    text += draw(st.sampled_from(UNITS))
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(FOREIGN_DIGITS)) + text[at:]
    return text


LEGAL = st.one_of(st.integers(0, 10**19).map(str), st.integers(1, 300).map(str),
                  st.decimals(0, 10**6, places=3, allow_nan=False).map(str),
                  st.tuples(st.integers(1, 999), st.sampled_from(["K", "M", "G", "MiB", "GB", "%"]))
                  .map(lambda pair: f"{pair[0]}{pair[1]}"))
numbers = st.one_of(st.sampled_from(HOSTILE), generated_number(), LEGAL)


# --- door: numeric flags of every command ---------------------------------------------------------

LIMIT_FLAGS = ["--max-macs", "--max-flops", "--max-params", "--max-trainable-params", "--max-weights",
               "--max-activation-bytes"]
METRICS = ["macs", "params", "peak_activation_bytes", "activation_bytes", "padding_mults"]
LAYER = ["layer", "conv2d", "--input", "7x7x4", "--filters", "4", "--kernel", "3"]


def flag_command(flag: str, value: str) -> list[str]:
    """A command line that gives ``value`` to ``flag`` and is otherwise valid."""
    if flag in LIMIT_FLAGS:
        return ["check", SEED, flag, value]
    if flag in ("--max", "--max-increase"):
        return ["check", SEED, flag, f"{METRICS[len(value) % len(METRICS)]}={value}"]
    if flag.startswith("check "):
        return ["check", SEED, "--max-macs", "1G", flag.split()[1], value]
    if flag.startswith("verify "):
        return ["verify", SEED, flag.split()[1], value]
    if flag.startswith("sweep "):
        return ["sweep", SEED, "--set", "size=7,9", flag.split()[1], value]
    if flag.startswith("compare "):
        return ["compare", SEED, SEED, flag.split()[1], value]
    if flag == "report --batch":
        return ["report", SEED, "--batch", value]
    if flag == "--input":
        return ["layer", "conv2d", "--input", f"7x7x{value}" if len(value) % 2 else value, "--filters", "4",
                "--kernel", "1"]
    if flag == "--depth-multiplier":
        return ["layer", "depthwise_conv2d", "--input", "7x7x4", "--kernel", "3", flag, value]
    if flag == "--units":
        return ["layer", "dense", "--input", "16", flag, value]
    if flag == "--padding-pair":
        return [*LAYER, "--padding", f"0:{value},{value}:1"]
    if flag == "--per-axis":
        return [*LAYER, "--stride", f"1x{value}"]
    return [*LAYER, flag, value]  # --filters, --kernel, --stride, --padding, --dilation, --groups


FLAGS = [*LIMIT_FLAGS, "--max", "--max-increase", "check --batch", "report --batch", "compare --batch",
         "verify --batch", "verify --seed", "verify --max-memory", "sweep --batch", "sweep --jobs",
         "sweep --baseline", "--input", "--filters", "--kernel", "--stride", "--padding", "--dilation", "--groups",
         "--depth-multiplier", "--units", "--padding-pair", "--per-axis"]


LEGAL_WORK = 1000  # a legal verify --batch above this is real work (a forward pass that long), not a hang


def legal_large_batch(value: str) -> bool:
    """Whether ``value`` is, in any spelling convcost reads (``20000``, ``2e4``, ``20,000``, ``+2.0e4``),
    a whole number above LEGAL_WORK that a batch may be (read by the product's own bounded reader)."""
    from convcost.units import NumberError, read_number

    try:
        number = read_number(value.strip(), maximum=10**18)
    except NumberError:
        return False
    return number.denominator == 1 and LEGAL_WORK < number <= 10**18


def test_legal_large_batch_reads_every_spelling():
    assert all(legal_large_batch(v) for v in ("20000", "2e4", "20,000", "+2.0e4", "1e18"))
    assert not any(legal_large_batch(v) for v in ("1000", "2.5e3x", "1e19", "2000.5", "-2e4", "abc"))


def check_flag(flag: str, value: str, tmp_path, monkeypatch) -> None:
    if flag == "verify --batch" and legal_large_batch(value):
        value = str(LEGAL_WORK)  # the executor runs that batch: its time grows with it, by design
    code, stderr = run(flag_command(flag, value), tmp_path, monkeypatch)
    event(f"{flag}: exit {code}")


@campaign(120)
@given(flag=st.sampled_from(FLAGS), value=numbers)
def test_numeric_flags(flag, value, tmp_path, monkeypatch):
    check_flag(flag, value, tmp_path, monkeypatch)


@pytest.mark.slow
@campaign(120, slow=True)
@given(flag=st.sampled_from(FLAGS), value=numbers)
def test_numeric_flags_long_campaign(flag, value, tmp_path, monkeypatch):
    check_flag(flag, value, tmp_path, monkeypatch)


@pytest.mark.parametrize("flag", FLAGS)
def test_every_numeric_flag_refuses_a_huge_exponent_naming_itself(flag, tmp_path, monkeypatch):
    """The issue's example through each door, deterministically: 1e999999999 answers at once."""
    code, stderr = run(flag_command(flag, "1e999999999"), tmp_path, monkeypatch)
    name = {"--padding-pair": "--padding", "--per-axis": "--stride"}.get(flag, flag.split()[-1])
    assert code == 2 and name in stderr, stderr


# --- door: --set values (report, check, verify, compare, explain) -------------------------------------

SET_COMMANDS = [["report", SEED], ["check", SEED, "--max-macs", "1G"], ["verify", SEED], ["compare", SEED, SEED],
                ["explain", SEED, "conv"]]


def check_set(command: list[str], name: str, value: str, tmp_path, monkeypatch) -> None:
    code, _ = run([*command, "--set", f"{name}={value}"], tmp_path, monkeypatch)
    event(f"{command[0]} --set: exit {code}")


set_values = st.one_of(numbers, st.builds(lambda a, op, b: f"{a}{op}{b}", numbers, st.sampled_from("+-*/%"), numbers))


@campaign(40)
@given(command=st.sampled_from(SET_COMMANDS), name=st.sampled_from(["size", "filters"]), value=set_values)
def test_set_values(command, name, value, tmp_path, monkeypatch):
    check_set(command, name, value, tmp_path, monkeypatch)


@pytest.mark.slow
@campaign(40, slow=True)
@given(command=st.sampled_from(SET_COMMANDS), name=st.sampled_from(["size", "filters"]), value=set_values)
def test_set_values_long_campaign(command, name, value, tmp_path, monkeypatch):
    check_set(command, name, value, tmp_path, monkeypatch)


# --- door: sweep grids ----------------------------------------------------------------------------

# Range ends and steps: small legal ones, so that a legal range stays a short sweep (how long a huge
# legal grid takes is the grid-size bound's business, not the number reader's), and hostile ones.
RANGE_PARTS = st.one_of(st.sampled_from(["7", "9", "8", "1", "0.5", "-1", "0", "11"]), numbers)


_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,2})?", re.ASCII)
LONG_GRID = 200  # configurations: a legal sweep longer than this is left to the grid-size bound's tests


def _legal_length(parts: list[str]) -> int:
    """How many values a range of plain, modest numbers holds (0 when it is not one), computed here
    with Fraction on short ASCII text only, never by the code under test."""
    if not all(len(p) < 30 and _PLAIN.fullmatch(p) for p in parts):
        return 0
    start, stop, *rest = (Fraction(p) for p in parts)
    step = rest[0] if rest else Fraction(1)
    return max(0, math.floor((stop - start) / step) + 1) if step else 0


@st.composite
def grid(draw) -> str:
    """A --set value of a sweep: a list of values and START:STOP[:STEP] ranges, whose legal
    configurations stay few enough (at most LONG_GRID) to run within the time limit."""
    items, length = [], 0
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            items.append(draw(numbers))
            length += 1
        else:
            parts = draw(st.lists(RANGE_PARTS, min_size=2, max_size=3))
            length += _legal_length(parts)
            items.append(":".join(parts))
    assume(length <= LONG_GRID or length > 100_000)  # a long legal sweep is slow by design, not a hang
    return ",".join(items)


def check_grid(value: str, zip_: bool, tmp_path, monkeypatch) -> None:
    code, _ = run(["sweep", SEED, "--set", f"size={value}", *(["--zip"] if zip_ else []), "--format", "csv"],
                  tmp_path, monkeypatch)
    event(f"sweep: exit {code}")


@campaign(60)
@given(value=grid(), zip_=st.booleans())
def test_sweep_grids(value, zip_, tmp_path, monkeypatch):
    check_grid(value, zip_, tmp_path, monkeypatch)


@pytest.mark.slow
@campaign(60, slow=True)
@given(value=grid(), zip_=st.booleans())
def test_sweep_grids_long_campaign(value, zip_, tmp_path, monkeypatch):
    check_grid(value, zip_, tmp_path, monkeypatch)


# --- door: budget files ---------------------------------------------------------------------------

BUDGET_FILES = [*sorted((ROOT / "tests" / "data" / "budgets").glob("*.yaml")),
                ROOT / "docs" / "examples" / "budgets.yaml"]


def _loaded(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:  # malformed.yaml: broken on purpose, nothing to mutate as data
        return None


BUDGETS = {("docs-example" if path.parent.name == "examples" else path.stem): data
           for path in BUDGET_FILES if isinstance(data := _loaded(path), dict)}
TINY = "input: [8, 8, 3]\nlayers:\n  - {kind: conv2d, name: conv, filters: 4, kernel: 3}\n"
SPEC_NAMES = ["mobilenet.yaml", "xception.yaml", "small.yaml", "tiny.yaml"]  # the paths the budget files name
BUDGET_KEYS = ["macs", "params", "max", "max_increase", "level", "per_layer", "select", "kind", "path", "budgets",
               "peak_activation_bytes", "flops", "mac", "levl", "", "1e999999999", "³"]


def _numbers_in(data, at=()):
    """The place of every scalar that is not a key (where a limit, a level or a glob is written)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _numbers_in(value, at + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _numbers_in(value, at + (index,))
    else:
        yield at


def _parent_of(data, at):
    for step in at[:-1]:
        data = data[step]
    return data


@st.composite
def damaged_budget_file(draw) -> str:
    """A budget file of the repository, its values swapped for hostile numbers (written bare, so
    that YAML reads them as it will, or quoted) and its keys damaged, as YAML text."""
    data = copy.deepcopy(BUDGETS[draw(st.sampled_from(sorted(BUDGETS)))])
    raw: dict[str, str] = {}  # placeholders, replaced by values written bare after dumping
    for _ in range(draw(st.integers(1, 4))):
        places = [at for at in _numbers_in(data) if at]
        if not places:
            break
        at = draw(st.sampled_from(places))
        parent, last = _parent_of(data, at), at[-1]
        action = draw(st.sampled_from(["bare", "bare", "quoted", "rename", "delete"]))
        if action == "bare":
            token = f"__raw{len(raw)}__"
            raw[token] = draw(numbers).replace("\n", " ")
            parent[last] = token
        elif action == "quoted":
            parent[last] = draw(numbers)
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(BUDGET_KEYS))] = parent.pop(last)
        elif isinstance(parent, (dict, list)):
            del parent[last]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**9)
    for token, value in raw.items():
        text = text.replace(token, value if value.strip() and not value.startswith(("*", "&", "!", "%", "@", "`",
                                                                                    "|", ">", "{", "[", ",", "#"))
                            and ": " not in value and " #" not in value else repr(value))
    return text


def check_budget_file(text: str, tmp_path, monkeypatch) -> None:
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    for name in SPEC_NAMES:
        (tmp_path / name).write_text(TINY, encoding="utf-8")
    code, stderr = run(["check", "tiny.yaml", "mobilenet.yaml", "--budget", "b.yaml"], tmp_path, monkeypatch)
    event(f"budget file: exit {code}")
    if code == 2 and "b.yaml" in stderr:  # a budget file's problems are located (E509: its entries match no spec,
        # each entry then located by a W550 warning)
        assert re.search(r"b\.yaml:\d+:\d+: E\d{3} ", stderr) or (
            "E509 " in stderr and re.search(r"b\.yaml:\d+:\d+: W550 ", stderr)), stderr


@campaign(80)
@given(text=damaged_budget_file())
def test_damaged_budget_files(text, tmp_path, monkeypatch):
    check_budget_file(text, tmp_path, monkeypatch)


@pytest.mark.slow
@campaign(80, slow=True)
@given(text=damaged_budget_file())
def test_damaged_budget_files_long_campaign(text, tmp_path, monkeypatch):
    check_budget_file(text, tmp_path, monkeypatch)
