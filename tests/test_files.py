"""Output files are written whole or not at all (issue 11, class 8: twenty concurrent `sweep --plot
same.svg` runs left a corrupt file, and an interrupt during the write a truncated SVG)."""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from convcost.cli import app
from convcost.files import OutputFileError, atomic_output, check_output_path

from cli_runner import runner

CHUNK = b"x" * 65536


def _write_slowly(path: str, marker: int, chunks: int) -> None:
    """One writer: ``chunks`` blocks of its own byte, then its marker line, in many small writes."""
    with atomic_output(Path(path), "--plot") as handle:
        block = bytes([65 + marker % 26]) * len(CHUNK)
        for _ in range(chunks):
            handle.write(block)
        handle.write(f"\nwriter {marker}\n".encode())


def test_twenty_concurrent_writers_leave_one_complete_file(tmp_path):
    target = tmp_path / "same.svg"
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_slowly, args=(str(target), marker, 40)) for marker in range(20)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert all(writer.exitcode == 0 for writer in writers)
    data = target.read_bytes()
    body, _, tail = data.rpartition(b"\nwriter ")
    marker = int(tail.decode().strip())
    assert body == bytes([65 + marker % 26]) * (40 * len(CHUNK))  # one writer's content, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.svg"]  # no temporary left


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, RuntimeError])
def test_an_interrupt_mid_write_leaves_the_old_file_and_no_temporary(tmp_path, interrupt):
    target = tmp_path / "plot.svg"
    target.write_bytes(b"<svg>old</svg>")
    with pytest.raises(interrupt):
        with atomic_output(target, "--plot") as handle:
            handle.write(b"<svg>half")
            raise interrupt()
    assert target.read_bytes() == b"<svg>old</svg>"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.svg"]


def test_an_interrupt_before_the_first_write_leaves_no_file(tmp_path):
    target = tmp_path / "plot.svg"
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target, "--plot") as handle:
            handle.write(b"<svg")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_the_new_file_keeps_the_old_permissions_or_follows_the_umask(tmp_path):
    old = tmp_path / "old.svg"
    old.write_bytes(b"old")
    old.chmod(0o640)
    with atomic_output(old, "--plot") as handle:
        handle.write(b"new")
    assert stat.S_IMODE(old.stat().st_mode) == 0o640 and old.read_bytes() == b"new"
    mask = os.umask(0o027)
    try:
        fresh = tmp_path / "fresh.svg"
        with atomic_output(fresh, "--plot") as handle:
            handle.write(b"new")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640  # 0666 less the umask, not mkstemp's 0600


def test_a_symbolic_link_writes_the_file_it_points_to(tmp_path):
    real = tmp_path / "real.svg"
    real.write_bytes(b"old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    with atomic_output(link, "--plot") as handle:
        handle.write(b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


@pytest.mark.parametrize("make, expected", [
    (lambda d: ((d / "out.svg").mkdir(), d / "out.svg")[1], "is a directory"),
    (lambda d: d / "missing" / "out.svg", "does not exist"),
    (lambda d: ((d / "file").write_text(""), d / "file" / "out.svg")[1], "is not a directory"),
    (lambda d: Path("/sys/out.svg"), "permission denied"),  # not writable even by root
])
def test_an_unwritable_path_is_refused_naming_the_option(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(OutputFileError, match=expected) as raised:
        check_output_path(path, "--plot")
    assert str(raised.value).startswith("--plot: ") and str(path) in str(raised.value)
    with pytest.raises(OutputFileError, match="--plot"):
        with atomic_output(path, "--plot") as handle:
            handle.write(b"never")


SPEC = ("name: tiny\nparameters: {alpha: 1}\ninput: [8, 8, 3]\n"
        "layers:\n  - {kind: conv2d, filters: alpha * 8, kernel: 3}\n")


@pytest.mark.parametrize("where, expected", [("out.svg", "is a directory"), ("missing/out.svg", "does not exist"),
                                             ("/sys/out.svg", "permission denied")])
def test_sweep_plot_to_an_unwritable_path_exits_2_before_sweeping(tmp_path, monkeypatch, where, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(SPEC)
    (tmp_path / "out.svg").mkdir()
    result = runner.invoke(app, ["sweep", "tiny.yaml", "--set", "alpha=1,2", "--plot", where])
    assert result.exit_code == 2, result.output
    assert "--plot" in result.stderr and where in result.stderr and expected in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""


def test_sweep_plot_writes_through_a_temporary_file(tmp_path, monkeypatch):
    """A plot whose drawing is interrupted leaves the previous plot intact."""
    pytest.importorskip("matplotlib")
    import matplotlib.figure

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(SPEC)
    assert runner.invoke(app, ["sweep", "tiny.yaml", "--set", "alpha=1,2", "--plot", "p.svg"]).exit_code == 0
    before = (tmp_path / "p.svg").read_bytes()
    real_savefig = matplotlib.figure.Figure.savefig

    def interrupted(self, handle, **kwargs):
        real_savefig(self, handle, **kwargs)
        raise KeyboardInterrupt  # Ctrl-C after the plot's bytes were written, before the rename

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", interrupted)
    result = runner.invoke(app, ["sweep", "tiny.yaml", "--set", "alpha=1,2,3", "--plot", "p.svg"])
    assert result.exit_code == 130
    assert (tmp_path / "p.svg").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.svg", "tiny.yaml"]


@pytest.mark.slow
def test_twenty_concurrent_sweeps_plotting_one_file_leave_a_complete_svg(tmp_path):
    pytest.importorskip("matplotlib")
    (tmp_path / "tiny.yaml").write_text(SPEC)
    runs = [subprocess.Popen([sys.executable, "-m", "convcost", "sweep", "tiny.yaml", "--set",
                              f"alpha={','.join(str(a) for a in range(1, 2 + i))}", "--plot", "same.svg"],
                             cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(20)]
    assert [run.wait() for run in runs] == [0] * 20
    text = (tmp_path / "same.svg").read_text()
    assert text.startswith("<?xml") and text.rstrip().endswith("</svg>")
    points = text.count('id="label-')
    assert f"{points} configurations" in text  # the plot of one run, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.svg", "tiny.yaml"]
