"""Every file convcost writes goes through here: written whole or not at all.

:func:`atomic_output` writes to a temporary file in the target's directory and renames it over
the target (``os.replace``, atomic on one file system) only once the content is complete, so a
reader, a concurrent writer or an interrupt never sees a half-written file: twenty runs writing
the same path leave one of their files, whole; Ctrl-C leaves the old file (or none) and no
temporary behind. :func:`check_output_path` refuses, before any work is done, a path that cannot
be written (a directory, a missing directory, no permission), naming the option it came from.

    check_output_path(Path("pareto.svg"), "--plot")
    with atomic_output(Path("pareto.svg"), "--plot") as handle:
        figure.savefig(handle, format="svg")
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from convcost.errors import ConvcostError


class OutputFileError(ConvcostError):
    """An output file cannot be written (an input problem: exit code 2)."""


def check_output_path(path: Path, option: str) -> None:
    """OutputFileError, naming ``option`` and the path, when ``path`` cannot be written as a file:
    it is a directory or another thing than a regular file (a named pipe, a device), its directory
    is missing or is not a directory, or no file may be created
    there (found by creating and removing one)."""
    target = _resolved(path)
    if target.is_dir():
        raise OutputFileError(f"{option}: '{path}' is a directory; give a file name, such as '{path / 'plot.svg'}'")
    if target.exists() and not target.is_file():  # a named pipe, a device, a socket: not replaced by a file
        raise OutputFileError(f"{option}: '{path}' is not a regular file (a pipe, a device or a socket); give the "
                              "name of a file to write")
    parent = target.parent
    if not parent.exists():
        raise OutputFileError(f"{option}: cannot write '{path}': the directory '{parent}' does not exist")
    if not parent.is_dir():
        raise OutputFileError(f"{option}: cannot write '{path}': '{parent}' is not a directory")
    try:  # permission bits do not tell (root, read-only mounts, /sys): try, as the write will
        descriptor, probe = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputFileError(f"{option}: cannot write '{path}': {_reason(error)}") from None
    os.close(descriptor)
    os.unlink(probe)


@contextlib.contextmanager
def atomic_output(path: Path, option: str) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new content to; on leaving the block without an
    exception it replaces ``path`` whole. On any exception, KeyboardInterrupt included, the
    temporary is removed and ``path`` is left as it was. The new file keeps the old one's
    permissions, or gets the usual ones for a new file (0666 less the umask). A path that is a
    symbolic link writes the file it points to. OSError becomes OutputFileError naming ``option``."""
    target = _resolved(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        check_output_path(path, option)  # the precise reason, when it is one of those
        raise OutputFileError(f"{option}: cannot write '{path}': {_reason(error)}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())  # the content is on disk before the name points to it
        os.chmod(temporary, _mode_for(target))
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise OutputFileError(f"{option}: cannot write '{path}': {_reason(error)}") from None
        raise


def _resolved(path: Path) -> Path:
    """The file a write to ``path`` should change: a symbolic link's target, else ``path``."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask (Linux reports it in /proc; elsewhere it is read by setting it back)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    return error.strerror or str(error)


__all__ = ["OutputFileError", "atomic_output", "check_output_path"]
