"""The result of ``convcost check`` as a text table, JSON, JUnit XML, GitHub annotations or Markdown.

Every renderer takes a :class:`~convcost.budgets.CheckRun`; :func:`write_text` draws its tables with
rich on a given stream (rich is imported only there), the others return a string. None prints.
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from typing import TextIO

from convcost.budgets.model import CheckRun, Finding, SpecCheck, is_bytes
from convcost.errors import Problem, visible
from convcost.units import human, human_bytes, thousands

SCHEMA_VERSION = 1
ICONS = {"ok": "✅", "warn": "⚠️", "error": "❌", "skipped": "⏭️", "invalid": "🛑", "unbudgeted": "➖"}
SYMBOLS = {"ok": "✓", "warn": "!", "error": "✗", "skipped": "-", "invalid": "✗", "unbudgeted": "-"}


# --- numbers and sentences shared by every format -----------------------------------------------

def amount(metric: str, n: int) -> str:
    """``568,740,352`` for a count, ``6,422,528 B`` for a size."""
    return thousands(n) + (" B" if is_bytes(metric) else "")


def share(fraction: Fraction | None, signed: bool = False) -> str:
    """``Fraction(1, 20) -> '5.00%'`` (``'+5.00%'`` when ``signed``)."""
    if fraction is None:
        return "n/a"
    value = float(100 * fraction)
    if 0 < abs(value) < 0.01:  # a tiny change still shows: +0.0018%, not +0.00%
        return f"{value:{'+' if signed else ''}.2g}%"
    return f"{value:{'+' if signed else ''}.2f}%"


def headroom(finding: Finding) -> str:
    """``'31,259,648 left (5.21%)'`` or ``'68,740,352 over (+13.75%)'``."""
    return _headroom(finding, lambda n: amount(finding.budget.metric, n), " left")


def change(finding: Finding) -> str:
    """Growth since the baseline: ``'+1,024 (+0.02%)'``, ``'0 (unchanged)'``, or ``''`` without a baseline."""
    return _change(finding, lambda n: amount(finding.budget.metric, n), "0 (unchanged)")


def _headroom(finding: Finding, number, left: str) -> str:
    room = finding.headroom
    if room is None:
        return ""
    if room >= 0:
        return f"{number(room)}{left} ({share(finding.headroom_share)})"
    return f"{number(-room)} over ({share(_excess(finding), signed=True)})"


def _change(finding: Finding, number, unchanged: str) -> str:
    delta = finding.change
    if delta is None:
        return ""
    if delta == 0:
        return unchanged
    return f"{'+' if delta > 0 else '-'}{number(abs(delta))} ({share(finding.change_share, signed=True)})"


def short(metric: str, n: int, binary: bool = True) -> str:
    """``568.74M`` for a count, ``6.12 MiB`` (or ``6.42 MB``) for a size: the text table's numbers
    (JSON and Markdown keep the exact integers)."""
    if not is_bytes(metric):
        return human(n)
    if binary:
        return human_bytes(n)
    return human(n, " B").replace("K B", " KB").replace("M B", " MB").replace("G B", " GB").replace("T B", " TB")


def binary_units(finding: Finding) -> bool:
    """Sizes are shown in the units the budget was written in: MiB for 12MiB, MB for 12MB."""
    text = finding.budget.text
    return "iB" in text or not any(unit in text for unit in ("KB", "kB", "MB", "GB", "TB"))


def short_headroom(finding: Finding) -> str:
    """``'31.26M (5.21%)'`` left, or ``'+68.74M (+13.75%) over'``."""
    binary = binary_units(finding)
    return _headroom(finding, lambda n: short(finding.budget.metric, n, binary), "")


def short_change(finding: Finding) -> str:
    binary = binary_units(finding)
    return _change(finding, lambda n: short(finding.budget.metric, n, binary), "0")


def _measured(n: int | None) -> int:
    """A value a checked finding always has (a skipped one returns before it is read)."""
    if n is None:  # pragma: no cover - would be a bug in budgets.evaluate
        raise ValueError("a checked budget finding without its value")
    return n


def describe(finding: Finding) -> str:
    """One sentence: what was measured, against what, and the verdict."""
    b = finding.budget
    subject = b.metric if b.scope == "total" else f"{b.metric} of layer {finding.layer}"
    if finding.status == "skipped":
        return f"{b.label}: not checked, {finding.note}"
    if b.check == "max_increase":
        base, value, limit = _measured(finding.baseline), _measured(finding.value), finding.limit
        if value <= base:
            text = (f"{b.metric} is {amount(b.metric, value)}, "
                    + ("unchanged since the baseline" if value == base else
                       f"down by {amount(b.metric, base - value)} ({share(finding.change_share, signed=True)}) "
                       f"since the baseline ({amount(b.metric, base)})"))
        else:
            text = (f"{b.metric} grew by {amount(b.metric, value - base)} ({share(finding.change_share, signed=True)}) "
                    f"since the baseline, from {amount(b.metric, base)} to {amount(b.metric, value)}")
            if finding.exceeded and limit is not None:
                text += (f": more than the allowed {b.text} (at most {amount(b.metric, limit)}; "
                         f"{amount(b.metric, value - limit)} over)")
            else:
                text += f", within the allowed {b.text}"
    elif finding.exceeded:
        text = (f"{subject} is {amount(b.metric, _measured(finding.value))}, over its budget of {b.text} "
                f"by {amount(b.metric, -_measured(finding.headroom))} ({share(_excess(finding), signed=True)})")
        if b.scope == "layer" and len(finding.over) > 1:
            shown = ", ".join(finding.over[:5]) + (", ..." if len(finding.over) > 5 else "")
            text += f"; {len(finding.over)} layers are over: {shown}"
    else:
        text = (f"{subject} is {amount(b.metric, _measured(finding.value))}, within its budget of {b.text}: "
                f"{headroom(finding)}")
    if b.check == "max" and finding.note:
        text += f" ({finding.note})"
    if finding.status == "warn" and finding.exceeded:
        text += " [warning]"
    if finding.strict:
        text += " [a warning, made an error by --strict]"
    return text


def _excess(finding: Finding) -> Fraction | None:
    return None if finding.headroom_share is None else -finding.headroom_share


def declared(finding: Finding) -> str:
    """Where the budget was written: ``budgets.yaml:4:5`` or ``--max-macs``."""
    b = finding.budget
    if b.origin.startswith("--"):
        return b.origin
    return str(b.location) if b.location else b.origin


def summary(run: CheckRun) -> str:
    """``'2 specs, 7 budgets: 5 met, 1 warning, 1 exceeded'``."""
    counts = run.counts()
    specs = len(run.results)
    if not specs:
        return "nothing checked"
    total = sum(counts.values())
    parts = [f"{counts['ok']} met"] if total else []
    if counts["warn"]:
        parts.append(f"{counts['warn']} warning" + ("s" if counts["warn"] != 1 else ""))
    if counts["error"]:
        parts.append(f"{counts['error']} exceeded")
    if counts["skipped"]:
        parts.append(f"{counts['skipped']} not checked")
    invalid = sum(1 for r in run.results if r.problems)
    if invalid:
        parts.append(f"{invalid} spec{'s' if invalid != 1 else ''} not checked (errors)")
    head = f"{specs} spec{'s' if specs != 1 else ''}, {total} budget{'s' if total != 1 else ''}"
    return f"{head}: {', '.join(parts)}" if parts else head


def _problem_dict(problem: Problem) -> dict:
    where = problem.location
    return {"code": problem.code, "message": problem.message, "hint": problem.hint,
            "file": where.path if where else None, "line": where.line if where else None,
            "column": where.column if where else None}


# --- the text table (rich) ---------------------------------------------------------------------

STYLES = {"ok": "green", "warn": "yellow", "error": "bold red", "skipped": "dim", "invalid": "bold red",
          "unbudgeted": "dim"}


def escape(text: str) -> str:
    """User text (a spec's name, a path, a glob, a limit as written) for a rich table: shown as
    written, never read as markup (``[bold]``), control characters escaped."""
    from rich.markup import escape as markup_escape

    return markup_escape(visible(text))


def write_text(run: CheckRun, file: TextIO | None = None) -> None:
    """One table per spec to ``file`` (default: standard output): status, budget (and where it was
    declared), value, limit, headroom or excess (absolute and %), growth since the baseline; then
    the verdict. Numbers are shortened (568.74M, 6.12 MiB); --format json has the exact integers.
    Drawn with rich, imported only here: the other formats of ``check`` stay without it."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    out = Console(file=file, highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:  # CI logs and pipes: no 80-column squeeze
        out = Console(file=file, highlight=False, width=120)
    for result in run.results:
        style = STYLES[result.status]
        title = (f"[{style}]{SYMBOLS[result.status]}[/] [bold]{escape(result.name or result.path)}[/]"
                 + (f"  [dim]{escape(result.path)}[/]" if result.name else ""))
        if result.problems:
            out.print(title + f"  [{style}]not checked: {len(result.problems)} error(s), see above[/]")
            continue
        if not result.findings:
            out.print(title + "  [dim]no budget applies[/]")
            continue
        with_baseline = any(f.baseline is not None for f in result.findings)
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("", no_wrap=True)
        table.add_column("budget", overflow="fold", min_width=20)
        table.add_column("value", justify="right", no_wrap=True)
        table.add_column("limit", justify="right")
        table.add_column("headroom", justify="right")
        if with_baseline:
            table.add_column("vs baseline", justify="right")
        for f in result.findings:
            b, style = f.budget, STYLES[f.status]
            label = escape(b.metric if b.scope == "total" else f"{b.metric} of {b.selection}")
            if b.check == "max_increase":
                label += " increase"
            if b.level == "warn":
                label += " [dim](warn)[/]"
            if b.origin.startswith("--") or b.location is None:
                label += f"\n[dim]{escape(b.origin)}[/]"
            else:
                label += f"\n[dim]{escape(b.location.path)}:{b.location.line}[/]"
            if f.layer:
                over = f", {len(f.over)} over" if len(f.over) > 1 else ""
                label += f"\n[dim]largest: {escape(f.layer)}{over}[/]"
            if f.note:
                label += f"\n[dim]{escape(f.note)}[/]"
            if f.strict:
                label += "\n[dim]a warning, made an error by --strict[/]"
            limit = escape(b.text)
            if b.check == "max_increase":
                limit = f"+{limit}" + (f" = {short(b.metric, f.limit, binary_units(f))}" if f.limit is not None else "")
            room = escape(short_headroom(f))
            value = short(b.metric, f.value, binary_units(f)) if f.value is not None else ""
            row = [f"[{style}]{f.status}[/]", label, value,
                   limit, f"[{style}]{room}[/]" if f.exceeded else room]
            if with_baseline:
                row.append(escape(short_change(f)))
            table.add_row(*row)
        out.print(table)
    verdict = {"ok": "[green]✓ all budgets met[/]", "warn": "[yellow]! budgets met, with warnings[/]",
               "error": "[bold red]✗ budget exceeded[/]", "invalid": "[bold red]✗ could not check (exit 2)[/]"}
    out.print(f"{verdict[run.status]}  {escape(summary(run))}")


# --- JSON ---------------------------------------------------------------------------------------

def finding_dict(finding: Finding) -> dict:
    b = finding.budget
    where = b.location
    return {
        "metric": b.metric, "scope": b.scope, "check": b.check, "level": b.level, "status": finding.status,
        "value": finding.value, "limit": finding.limit, "limit_text": b.text,
        "headroom": finding.headroom,
        "headroom_percent": _percent(finding.headroom_share),
        "baseline": finding.baseline, "change": finding.change, "change_percent": _percent(finding.change_share),
        "layer": finding.layer, "layers_over": list(finding.over), "select": list(b.select), "kinds": list(b.kinds),
        "declared_at": ({"file": where.path, "line": where.line, "column": where.column} if where else None),
        "origin": b.origin, "strict": finding.strict, "note": finding.note, "message": describe(finding),
    }


def _percent(fraction: Fraction | None) -> float | None:
    return None if fraction is None else round(float(100 * fraction), 4)


def result_dict(result: SpecCheck) -> dict:
    return {"spec": result.spec or result.path, "name": result.name, "status": result.status,
            "baseline": result.baseline,
            "findings": [finding_dict(f) for f in result.findings],
            "problems": [_problem_dict(p) for p in result.problems],
            "totals": result.totals}


def to_json(run: CheckRun) -> str:
    """The run as JSON; its ``results[].totals`` make it usable as a later run's ``--baseline``."""
    from convcost.version import __version__

    counts = run.counts()
    data = {
        "convcost_version": __version__, "schema_version": SCHEMA_VERSION,
        "status": run.status, "exit_code": run.exit_code, "strict": run.strict,
        "summary": {"specs": len(run.results), "budgets": sum(counts.values()), **counts,
                    "invalid_specs": sum(1 for r in run.results if r.problems)},
        "problems": [_problem_dict(p) for p in run.problems],
        "results": [result_dict(r) for r in run.results],
    }
    return json.dumps(data, indent=2)


# --- JUnit XML ----------------------------------------------------------------------------------

def to_junit(run: CheckRun) -> str:
    """One ``<testsuite>`` per spec and one ``<testcase>`` per budget: an exceeded budget is a
    ``<failure>``, a spec that could not be checked an ``<error>``, an unchecked budget ``<skipped>``;
    warnings pass, with the warning in ``<system-out>``."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="convcost check")
    totals = dict(tests=0, failures=0, errors=0, skipped=0)
    suites: list[tuple[str, SpecCheck | None]] = [(r.path, r) for r in run.results]
    if run.problems:
        suites.insert(0, ("convcost check", None))
    for name, result in suites:
        suite = ET.SubElement(root, "testsuite", name=name)
        counts = dict(tests=0, failures=0, errors=0, skipped=0)
        if result is None or result.problems:
            problems = run.problems if result is None else result.problems
            case = ET.SubElement(suite, "testcase", name="load spec and budgets", classname=name)
            first = problems[0].location
            if first:
                case.set("file", first.path)
                case.set("line", str(first.line))
            error = ET.SubElement(case, "error", message=problems[0].message, type=problems[0].code)
            error.text = "\n".join(str(p) for p in problems)
            counts["tests"] += 1
            counts["errors"] += 1
        else:
            if result.name:
                props = ET.SubElement(suite, "properties")
                ET.SubElement(props, "property", name="name", value=result.name)
            for finding in result.findings:
                counts["tests"] += 1
                case = ET.SubElement(suite, "testcase", name=finding.budget.label, classname=result.path)
                where = finding.budget.location
                if where:
                    case.set("file", where.path)
                    case.set("line", str(where.line))
                message = describe(finding)
                if finding.status == "error":
                    counts["failures"] += 1
                    failure = ET.SubElement(case, "failure", message=message, type="budget exceeded")
                    failure.text = f"{message}\ndeclared at {declared(finding)}"
                elif finding.status == "skipped":
                    counts["skipped"] += 1
                    ET.SubElement(case, "skipped", message=message)
                elif finding.status == "warn":
                    ET.SubElement(case, "system-out").text = f"warning: {message}"
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- GitHub Actions annotations ------------------------------------------------------------------

def escape_data(text: str) -> str:
    """The message of a workflow command: ``%``, CR and LF are escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file, title): also ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, *, file: str | None = None, line: int | None = None,
               col: int | None = None, title: str | None = None) -> str:
    """``::error file=budgets.yaml,line=4,col=5,title=...::message`` (GitHub workflow-command syntax)."""
    props = []
    if file:
        props.append(f"file={escape_property(file)}")
        if line:
            props.append(f"line={line}")
        if col:
            props.append(f"col={col}")
    if title:
        props.append(f"title={escape_property(title)}")
    return f"::{level}{' ' + ','.join(props) if props else ''}::{escape_data(message)}"


def to_github(run: CheckRun) -> str:
    """An ``::error`` or ``::warning`` per budget exceeded or warned about, at the line that declares
    it (a command-line budget: its spec); errors in specs and budget files at their own location;
    then a summary line."""
    lines = []
    for problem in run.problems:
        lines.append(_problem_annotation(problem))
    for result in run.results:
        for problem in result.problems:
            lines.append(_problem_annotation(problem))
        for finding in result.findings:
            if finding.status not in ("error", "warn"):
                continue
            where = finding.budget.location
            who = f"{result.name} ({result.path})" if result.name else result.path
            title = f"convcost budget {'exceeded' if finding.status == 'error' else 'warning'}: {finding.budget.label}"
            origin = f" [{finding.budget.origin}]" if finding.budget.origin.startswith("--") else ""
            command = "error" if finding.status == "error" else "warning"
            lines.append(annotation(command, f"{who}: {describe(finding)}{origin}",
                                    file=where.path if where else None, line=where.line if where else None,
                                    col=where.column if where else None, title=title))
    lines.append(f"convcost check: {summary(run)}")
    return "\n".join(lines) + "\n"


def _problem_annotation(problem: Problem) -> str:
    where = problem.location
    message = f"{problem.code} {problem.message}" + (f" (hint: {problem.hint})" if problem.hint else "")
    return annotation("error", message, file=where.path if where else None, line=where.line if where else None,
                      col=where.column if where else None, title=f"convcost {problem.code}")


# --- Markdown -----------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md(text: str) -> str:
    """Plain text in Markdown: ``*/pw`` must not start emphasis."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`")


def to_markdown(run: CheckRun) -> str:
    """A summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``: a headline, then one table
    per spec (when several specs are checked, those that pass are folded in ``<details>``)."""
    verdict = {"ok": "all budgets met", "warn": "budgets met, with warnings", "error": "budget exceeded",
               "invalid": "could not check"}[run.status]
    lines = [f"## {ICONS['error' if run.status == 'invalid' else run.status]} convcost budgets: {verdict}", "",
             summary(run), ""]
    for problem in run.problems:
        lines.append(f"- 🛑 `{_cell(str(problem.location) if problem.location else 'convcost')}` "
                     f"{problem.code} {_cell(problem.message)}")
    if run.problems:
        lines.append("")
    with_baseline = any(f.baseline is not None for r in run.results for f in r.findings)
    fold = len(run.results) > 1  # in a run of several specs, those that pass are folded away
    for result in run.results:
        title = f"{result.name} — `{result.path}`" if result.name else f"`{result.path}`"
        folded = fold and result.status in ("ok", "unbudgeted")
        if folded:
            met = sum(1 for f in result.findings if f.status == "ok")
            skipped = len(result.findings) - met
            verdict = (f"{met} budget{'s' if met != 1 else ''} met" + (f", {skipped} not checked" if skipped else "")
                       if result.findings else "no budget applies")
            lines += ["<details>", f"<summary>{ICONS[result.status]} {title}: {verdict}</summary>", ""]
        else:
            lines += [f"### {ICONS[result.status]} {title}", ""]
        if result.problems:
            lines += [f"- 🛑 `{_cell(str(p.location) if p.location else result.path)}` {p.code} {_cell(p.message)}"
                      for p in result.problems] + [""]
            continue
        if not result.findings:
            lines += ["No budget applies to this spec.", ""] + (["</details>", ""] if folded else [])
            continue
        header = ("| | budget | value | limit | headroom |" + (" vs baseline |" if with_baseline else "")
                  + " declared at |")
        rule = "|:-:|---|--:|--:|--:|" + ("--:|" if with_baseline else "") + "---|"
        lines += [header, rule]
        for f in result.findings:
            metric = f.budget.metric
            label = _md(f.budget.label) + (f" (largest: `{f.layer}`)" if f.layer else "")
            if f.budget.level == "warn":
                label += " *(warn)*"
            room = headroom(f)
            room = f"**{room}**" if f.exceeded else room
            if f.status == "skipped":
                room = f"not checked: {f.note}"
            elif f.note:
                room = f"{room} — {f.note}" if room else f.note
            cells = [ICONS[f.status], label, amount(metric, f.value) if f.value is not None else "",
                     amount(metric, f.limit) if f.limit is not None else "", room]
            if with_baseline:
                cells.append(change(f))
            cells.append(f"`{declared(f)}`")
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
        if folded:
            lines += ["</details>", ""]
    return "\n".join(lines)


__all__ = ["amount", "annotation", "binary_units", "change", "describe", "escape_data", "escape_property", "headroom",
           "share", "short", "short_change", "short_headroom", "summary", "to_github", "to_json", "to_junit",
           "to_markdown"]
