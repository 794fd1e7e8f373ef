"""A sweep drawn as MACs against parameters, one labelled point per configuration, with the Pareto
front (the configurations no other one beats on both) joined by a line.

matplotlib is an optional extra (``pip install 'convcost[plot]'``) and is imported only here, only
when a plot is asked for. The figure is drawn on a :class:`matplotlib.figure.Figure` without
pyplot, so no GUI backend and no global state are involved; the file type follows the suffix
(.png or .svg). In SVG output the labels stay text (not outlines), the markers are grouped under
``id="points"`` and each label has ``id="label-N"`` (N = row number from 1), so the file can be
checked and searched.
"""

from __future__ import annotations

from pathlib import Path

from convcost.errors import ConvcostError
from convcost.files import atomic_output
from convcost.sweep import COLUMN_LABELS, SweepResult, pareto_front

INSTALL_HINT = "pip install 'convcost[plot]'"
SUFFIXES = (".png", ".svg")
LABEL_ALL_UP_TO = 60  # more points than this: label the Pareto front and the baseline only


class PlotUnavailable(ConvcostError):
    """matplotlib is not installed."""


def require_matplotlib():
    """The matplotlib module, or PlotUnavailable saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable(f"--plot needs matplotlib, which is not installed. Install it with: {INSTALL_HINT}"
                              ) from None
    return matplotlib


def _axis_label(key: str) -> str:
    notes = {"weights": "weights: conv and dense kernels (the MobileNet paper's parameters)",
             "params": "params: Keras total", "macs": "MACs (mult-adds)"}
    return notes.get(key, COLUMN_LABELS.get(key, key)) + ", millions"


def plot_sweep(result: SweepResult, path: str | Path, *, x: str = "weights", y: str = "macs") -> Path:
    """Write the plot of ``result`` to ``path`` (.png or .svg) and return the path."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ConvcostError(f"the plot file must end in .png or .svg, got '{path.name}'")
    for key in (x, y):
        if key not in COLUMN_LABELS:
            raise ConvcostError(f"cannot plot '{key}': not a total of the report")
    matplotlib = require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    rows = result.rows
    xs = [row.totals[x] / 1e6 for row in rows]
    ys = [row.totals[y] / 1e6 for row in rows]
    front = pareto_front(rows, x, y)
    labelled = range(len(rows)) if len(rows) <= LABEL_ALL_UP_TO else sorted(set(front) | {result.baseline_index})

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "convcost", "font.size": 9}):
        figure = Figure(figsize=(8, 6), dpi=100, layout="constrained")
        axes = figure.add_subplot()
        points = axes.scatter(xs, ys, s=28, color="#1f77b4", zorder=3)
        points.set_gid("points")
        if len(front) > 1:
            ordered = sorted(front, key=lambda i: (xs[i], ys[i]))
            axes.plot([xs[i] for i in ordered], [ys[i] for i in ordered], color="#ff7f0e", linewidth=1,
                      zorder=2, label="Pareto front (fewer MACs and parameters)")
            axes.legend(loc="lower right")
        base = result.baseline_index
        axes.scatter([xs[base]], [ys[base]], s=90, facecolors="none", edgecolors="#d62728", zorder=4)
        for i in labelled:
            text = axes.annotate(rows[i].label or f"row {i + 1}", (xs[i], ys[i]), xytext=(4, 4),
                                 textcoords="offset points", fontsize=7)
            text.set_gid(f"label-{i + 1}")
        positive = all(v > 0 for v in xs + ys)
        for axis, set_scale, values in ((axes.xaxis, axes.set_xscale, xs), (axes.yaxis, axes.set_yscale, ys)):
            if positive and max(values) / min(values) > 10:  # a wide range: log scale, ticks at 1, 2, 5
                set_scale("log")
                axis.set_major_locator(LogLocator(subs=(1, 2, 5)))
                axis.set_minor_formatter(NullFormatter())
            axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axes.set_xlabel(_axis_label(x))
        axes.set_ylabel(_axis_label(y))
        title = f"{result.name}: {len(rows)} configurations"
        if len(labelled) < len(rows):
            title += " (labels on the Pareto front and the baseline)"
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
        with atomic_output(path, "--plot") as handle:  # whole or not at all: concurrent runs, Ctrl-C
            figure.savefig(handle, format=path.suffix.lower()[1:], metadata={"Software": "convcost"}
                           if path.suffix.lower() == ".png" else None)
    return path


__all__ = ["INSTALL_HINT", "PlotUnavailable", "plot_sweep", "require_matplotlib"]
