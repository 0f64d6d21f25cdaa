"""The rows of a large xlsx worksheet, read by a child process.

Why: reading a 100,000-row sheet (its XML, the cells' texts) is about six seconds of pure
Python. In the importing process those seconds add to the check and the commit; in a child
process they run on the other core while the importer validates and the database writes.
A thread would not do: the reading holds the interpreter lock, and the importer waited for
it (measured: the commit got slower).

Invariants:

- the rows are exactly those of the in-process reader: the child runs the same
  ``xlsx_rows.open_workbook`` (safety check of the archive included, with the parent's
  limits) and ``xlsx_rows.sheet_rows`` with ``cells.cell_text``, and sends each
  ``(row number, cell texts)`` pair in order;
- the child reads nothing but the file it is given and writes nothing but its rows;
- any failure in the child, or its death, reaches the reader as :class:`ReaderFailed`, never
  as a short list of rows (the last frame is an explicit end). The child's first frame says
  it is ready, sent before it opens the file: a child that never gets that far (it could not
  start) is :class:`ChildUnavailable`, and only then does the caller read in-process (a
  workbook that kills the child is refused, not read again by the parent);
- the child runs with ``-P`` (no current directory on its path) and an environment of the
  path variables only (no database address or secret key beside untrusted XML);
- the child never outlives the reading: when the caller stops early (an error, a closed
  iterator) it is killed and reaped; if the parent dies, the child's next write fails and
  it exits;
- frames go through a pipe as ``marshal`` data (lists of tuples of ints and strings): fast,
  and safe here because the bytes come from our own child, never from the user. The end
  frame carries the child's peak memory (:func:`largest_peak_mb`).
"""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tiercard

ROWS_PER_FRAME = 500
_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH")
"""What the child inherits of the environment: enough to run, nothing to leak."""
LIMITS = (
    "TIERCARD_IMPORT_MAX_UNCOMPRESSED",
    "TIERCARD_IMPORT_MAX_RATIO",
    "TIERCARD_IMPORT_MAX_SHARED_STRINGS",
)
"""The settings the child reads (the archive check and the shared strings' bound)."""


_largest_peak_kib = 0


def largest_peak_mb() -> float:
    """The largest peak memory (MiB) of the children this process has run so far: each
    reports its own high-water mark (``VmHWM``: ``ru_maxrss`` would count the parent's pages
    the child had before it started the interpreter)."""
    return _largest_peak_kib / 1024


def _record_peak(kib: int) -> None:
    global _largest_peak_kib  # a process-wide high-water mark, as ru_maxrss is
    _largest_peak_kib = max(_largest_peak_kib, kib)


def _own_peak_kib() -> int:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux: what the platform reports
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


class ReaderFailed(Exception):
    """The child could not read the sheet; ``reason`` names the exception it met."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ChildUnavailable(Exception):
    """No child could be started, or it ended before its first frame (an embedding server
    whose ``sys.executable`` is not a Python interpreter, say): read in-process instead."""


def available() -> bool:
    """Whether ``sys.executable`` looks like a Python interpreter we may start."""
    executable = sys.executable
    return (
        bool(executable)
        and Path(executable).name.startswith("python")
        and os.access(executable, os.X_OK)
    )


def sheet_rows(path: Path, limits: dict[str, int]) -> Iterator[tuple[int, list[str]]]:
    """The first visible worksheet's ``(row number, cell texts)``, read by a child process.

    ``limits``: the values of :data:`LIMITS` the parent's check used (absent ones take the
    modules' defaults). Raises :class:`ChildUnavailable` when no child gets as far as its
    first frame, :class:`ReaderFailed` when the child fails or dies after that."""
    package_root = str(Path(tiercard.__file__).resolve().parent.parent)
    env = {name: os.environ[name] for name in _ENVIRONMENT if name in os.environ}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_root, os.environ.get("PYTHONPATH")) if p
    )
    args = [f"{name}={value}" for name, value in limits.items() if name in LIMITS]
    try:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-P", "-m", __name__, str(path), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            env=env,
        )
    except OSError:
        raise ChildUnavailable() from None
    assert child.stdout is not None
    started = False
    try:
        while True:
            try:
                kind, payload, peak = marshal.load(child.stdout)  # noqa: S302 (our child's)
            except (EOFError, ValueError, TypeError):
                raise (ReaderFailed("child_ended") if started else ChildUnavailable()) from None
            started = True
            if kind == "ready":
                continue
            if kind == "error":
                raise ReaderFailed(str(payload))
            yield from payload
            if kind == "end":
                _record_peak(int(peak))
                return
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()


def _serve(path: str, limits: dict[str, int], out: Any) -> None:
    """The child's work: every row of the sheet, in frames, then an end frame."""
    from django.conf import settings

    settings.configure(**limits)  # only the limits: nothing here touches a database
    # Only the light modules (not ``reading``, whose imports load the pinyin dictionaries):
    # the child's memory is the shared strings, not the application.
    from tiercard.imports import xlsx_rows
    from tiercard.imports.cells import cell_text

    marshal.dump(("ready", [], 0), out)  # started: from here a failure refuses the file
    out.flush()
    try:
        with zipfile.ZipFile(path) as archive:
            book = xlsx_rows.open_workbook(archive)
            frame: list[tuple[int, list[str]]] = []
            for row in xlsx_rows.sheet_rows(archive, book, cell_text):
                frame.append(row)
                if len(frame) >= ROWS_PER_FRAME:
                    marshal.dump(("rows", frame, 0), out)
                    frame = []
    except Exception as exc:  # reported to the parent, which refuses the file
        marshal.dump(("error", type(exc).__name__, 0), out)
    else:
        marshal.dump(("end", frame, _own_peak_kib()), out)
    out.flush()


def main(argv: list[str]) -> int:
    limits = {}
    for arg in argv[1:]:
        name, _sep, value = arg.partition("=")
        limits[name] = int(value)
    try:
        _serve(argv[0], limits, sys.stdout.buffer)
    except BrokenPipeError:  # the parent stopped reading (or died): nothing left to do
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
