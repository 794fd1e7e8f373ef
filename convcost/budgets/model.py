"""The records of budget checking: the metrics a budget can name, :class:`Budget` (one limit),
:class:`Finding` (its verdict on one spec), :class:`SpecCheck` and :class:`CheckRun` (a whole run).

Metric names are the report's own: the keys of ``Analysis.totals_dict()`` (the ``totals`` of
``convcost report --format json``) and, for layer budgets, the integer keys of its layer records.
A limit is an exact integer in its metric's unit (:func:`parse_limit`): bytes for ``*_bytes``
metrics, else a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from convcost.errors import Location, Problem
from convcost.units import is_percent, parse_percent, parse_quantity

# --- metrics ------------------------------------------------------------------------------------

# The keys of Analysis.totals_dict(), in the report's order (tests hold the two together).
TOTAL_METRICS = (
    "macs", "mults", "adds", "comparisons", "divisions", "exponentials", "special_functions", "flops",
    "effective_mults", "padding_mults", "params", "trainable_params", "non_trainable_params", "weights", "biases",
    "bn_trainable", "bn_non_trainable", "affine", "activation_elements", "activation_bytes",
    "peak_activation_elements", "peak_activation_bytes", "layers", "weight_bytes",
)
# The integer keys of a layer record of the JSON report (everything but names, shapes and shares).
LAYER_METRICS = (
    "macs", "mults", "adds", "comparisons", "divisions", "exponentials", "special_functions", "flops",
    "effective_mults", "params", "trainable_params", "non_trainable_params", "weights", "biases", "bn_trainable",
    "bn_non_trainable", "affine", "activation_elements", "activation_bytes", "weight_bytes",
)
BYTE_METRICS = frozenset(m for m in TOTAL_METRICS if m.endswith("_bytes"))
LEVELS = ("warn", "error", "off")
STATUSES = ("ok", "warn", "error", "skipped")



def is_bytes(metric: str) -> bool:
    """``peak_activation_bytes`` is measured in bytes (KB, MiB, ...); every other metric is a count."""
    return metric in BYTE_METRICS


# --- limits in the metric's unit -----------------------------------------------------------------

def parse_limit(metric: str, value: object, where: Location | None = None, what: str | None = None) -> int:
    """The limit of ``metric`` in its own unit: bytes for ``*_bytes`` metrics, else a count."""
    return parse_quantity(value, is_bytes(metric), where, what or metric)


def parse_increase(metric: str, value: object, where: Location | None = None,
                   what: str | None = None) -> tuple[int | Fraction, bool]:
    """A ``max_increase``: ``"5%"`` -> ``(Fraction(1, 20), True)`` (relative to the baseline), or an
    amount in the metric's unit: ``"10M"`` -> ``(10_000_000, False)``."""
    what = what or f"{metric} max_increase"
    if is_percent(value):
        return parse_percent(value, where, what), True
    return parse_limit(metric, value, where, what), False


# --- budgets and findings -----------------------------------------------------------------------

@dataclass(frozen=True)
class Budget:
    """One limit on one metric.

    ``check`` is ``"max"`` (the value may not exceed ``limit``) or ``"max_increase"`` (the value may not
    grow past the baseline by more than ``limit``: a ratio when ``relative``, else an amount).
    Layer budgets (``scope == "layer"``) apply to every layer chosen by ``select`` (name globs) and
    ``kinds``, so their value is the largest among those layers.
    """

    metric: str
    limit: int | Fraction
    check: str = "max"
    relative: bool = False
    level: str = "error"
    scope: str = "total"
    select: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    text: str = ""  # the limit as written: "600M", "5%"
    location: Location | None = None  # where it was declared (a CLI budget: its spec)
    origin: str = ""  # the budget file, "budget section" of the spec, or the command-line option

    @property
    def selection(self) -> str:
        """``"layers */pw (conv2d)"``, ``"every layer"`` or ``""`` for a total."""
        if self.scope != "layer":
            return ""
        names = ", ".join(self.select) if self.select else ""
        kinds = ", ".join(self.kinds)
        if names and kinds:
            return f"layers {names} ({kinds})"
        if names:
            return f"layers {names}"
        return f"{kinds} layers" if kinds else "every layer"

    @property
    def label(self) -> str:
        """``"macs <= 600M"``, ``"params increase <= 5%"``, ``"macs of layers */pw <= 60M"``."""
        subject = self.metric if self.scope == "total" else f"{self.metric} of {self.selection}"
        if self.check == "max_increase":
            return f"{subject} increase <= {self.text}"
        return f"{subject} <= {self.text}"


@dataclass(frozen=True)
class Finding:
    """The verdict of one budget on one spec.

    ``value`` is the current value (for a layer budget, the largest among the selected layers, held
    by ``layer``); ``limit`` the largest value allowed (for an increase budget, the baseline plus the
    allowed growth, rounded down); ``baseline`` the saved value when a baseline was given.
    """

    budget: Budget
    status: str  # ok | warn | error | skipped
    value: int | None = None
    limit: int | None = None
    baseline: int | None = None
    layer: str | None = None
    over: tuple[str, ...] = ()  # layers above the limit (layer budgets)
    note: str = ""  # why it was skipped, or why a value within its limit is a warning
    strict: bool = False  # a warning made an error by --strict

    @property
    def exceeded(self) -> bool:
        return self.value is not None and self.limit is not None and self.value > self.limit

    @property
    def headroom(self) -> int | None:
        """``limit - value``: what is left (negative: the excess)."""
        return None if self.value is None or self.limit is None else self.limit - self.value

    @property
    def headroom_share(self) -> Fraction | None:
        """The headroom as a fraction of the limit (negative when exceeded), None for a zero limit."""
        if self.headroom is None or not self.limit:
            return None
        return Fraction(self.headroom, self.limit)

    @property
    def change(self) -> int | None:
        """Growth since the baseline (negative: it shrank)."""
        return None if self.value is None or self.baseline is None else self.value - self.baseline

    @property
    def change_share(self) -> Fraction | None:
        if self.change is None or not self.baseline:
            return None
        return Fraction(self.change, self.baseline)


# --- a whole run --------------------------------------------------------------------------------

@dataclass
class SpecCheck:
    """The verdict on one spec: its findings, or the problems that kept it from being checked."""

    path: str  # as shown: relative to the working directory when inside it
    name: str = ""
    spec: str = ""  # as JSON outputs name it: a shipped spec's name, else the path as given (display_name)
    findings: list[Finding] = field(default_factory=list)
    totals: dict | None = None
    problems: list[Problem] = field(default_factory=list)
    baseline: str | None = None  # the baseline file compared with
    warnings: list[Problem] = field(default_factory=list)  # the spec's (W codes), whatever its status

    @property
    def status(self) -> str:
        """``invalid`` (not checked), ``error``, ``warn``, ``ok`` or ``unbudgeted``."""
        if self.problems:
            return "invalid"
        statuses = {f.status for f in self.findings}
        for status in ("error", "warn"):
            if status in statuses:
                return status
        return "ok" if self.findings else "unbudgeted"


@dataclass
class CheckRun:
    results: list[SpecCheck]
    strict: bool = False
    problems: list[Problem] = field(default_factory=list)  # not tied to one spec
    warnings: list[Problem] = field(default_factory=list)  # of the budget files (W550), whatever the status

    @property
    def exit_code(self) -> int:
        """0 every budget met, 1 a budget exceeded, 2 a spec, budget or baseline could not be used."""
        if self.problems or any(r.problems for r in self.results):
            return 2
        return 1 if any(f.status == "error" for r in self.results for f in r.findings) else 0

    @property
    def status(self) -> str:
        code = self.exit_code
        if code == 2:
            return "invalid"
        if code == 1:
            return "error"
        return "warn" if any(r.status == "warn" for r in self.results) else "ok"

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            for finding in result.findings:
                counts[finding.status] += 1
        return counts
