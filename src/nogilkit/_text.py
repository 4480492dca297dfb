"""Results as text and files: aligned tables, seconds in readable units, lookup by
name, JSON, and files written whole or not at all."""

import json
import os
import stat
import tempfile


def format_table(header, rows, left=(0,)):
    """Aligned lines: the columns numbered in ``left`` left-aligned, the rest right.

    A negative number counts from the end, as in a list (``-1``: the last column).
    """
    n = len(header)
    left = {i % n for i in left}
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(n)]

    def line(row):
        cells = [cell.ljust(width) if i in left else cell.rjust(width)
                 for i, (cell, width) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    return [line(header), *map(line, rows)]


def format_seconds(value):
    """'5.02 ms', '120 µs', '1.5 s'."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


class ByName:
    """Mixin for a result whose ``variants`` have names: ``result["lock"]``."""

    def __getitem__(self, name):
        for variant in self.variants:
            if variant.name == name:
                return variant
        raise KeyError(name)


class JsonReport:
    """Mixin for a result with ``to_dict()``: ``to_json(path=None)``."""

    def to_json(self, path=None):
        """The result as indented JSON, also written to ``path`` (whole or not at all)
        when given."""
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            write_atomically(path, lambda f: f.write(text.encode()))
        return text


def check_output(name, path):
    """Raise ValueError now, before any work, if ``path`` cannot take an output
    file: its folder must exist and be writable, and the path must be a regular
    file or nothing (not a folder, a device such as /dev/full, or a FIFO, on
    which a write would fail or block)."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{name}: the folder {folder} does not exist")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise ValueError(f"{name}: {path} is a folder")
    if mode is not None and not stat.S_ISREG(mode):
        raise ValueError(f"{name}: {path} is not a regular file (a device or a pipe): "
                         "give a file's path")
    try:
        if mode is not None:
            with open(path, "ab"):  # appends nothing: only asks
                pass
        # The file is written beside its place, then moved there: the folder must take it.
        handle, probe = tempfile.mkstemp(prefix=".nogilkit-check.", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"{name}: {path} is not writable ({exc.strerror})") from None


def write_atomically(path, write):
    """Call ``write(file)`` on a new file beside ``path``, then put it in place of
    ``path`` in one step: a full disk or an error mid-way leaves whatever
    ``path`` held before, never a partial file."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part",
                                         dir=folder)
    try:
        with os.fdopen(handle, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if os.path.exists(path):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        else:  # as open() would have made it
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
