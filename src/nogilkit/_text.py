"""Results as text and files: aligned tables, seconds in readable units, errors
on one line, lookup by name, JSON, and files written whole or not at all."""

import json
import math
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


SECONDS_UNITS = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))


def format_seconds(value, fixed=False):
    """Seconds in the unit that suits them, to three significant digits: '5.02 ms',
    '120 µs', '1.5 s' ('1.50 s' with ``fixed``, as table cells are written, so
    that every cell shows the same precision); "-" for None, '0 s' for zero,
    'nan s' for NaN (no sample).
    The unit is chosen after rounding: 0.99996 ms is '1 ms', never '1e+03 µs'."""
    if value is None:
        return "-"
    if value == 0:
        return "0 s"
    if not math.isfinite(value):
        return f"{value} s"
    sign, value = ("-", -value) if value < 0 else ("", value)
    for unit, scale in SECONDS_UNITS:
        scaled = float(f"{value / scale:.3g}")
        if scaled >= 1 or unit == "ns":
            break
    if scaled >= 1000:  # a thousand seconds and more: whole seconds
        text = f"{value:.0f}"
    elif fixed:
        text = f"{scaled:#.3g}".rstrip(".")
    else:
        text = f"{scaled:.3g}"
    return f"{sign}{text} {unit}"


def one_line(text, limit=300):
    """``text`` (an error message, a reason) as one line: of a message holding a
    traceback, what comes before it and the traceback's last line (the
    exception and its message); of any other, its lines joined. Longer than
    ``limit`` characters (None: no limit), it is cut with an ellipsis."""
    text = str(text)
    if "\n" in text or "\r" in text:
        marker = "Traceback (most recent call last)"
        if marker in text:
            before, _, rest = text.partition(marker)
            # The exception's line is the traceback's last unindented one with
            # words; what follows it without words (a closing bracket) stays.
            rest = rest.splitlines()[1:]
            named = [i for i, line in enumerate(rest)
                     if line[:1].strip() and any(c.isalnum() for c in line)]
            kept = ([rest[named[-1]]] + [line for line in rest[named[-1] + 1:]
                                         if not any(c.isalnum() for c in line)]) if named else []
            text = "\n".join([before, *kept])
        text = " ".join(line.strip() for line in text.splitlines() if line.strip())
    if limit is not None and len(text) > limit:
        text = text[:limit - 1].rstrip() + "…"
    return text


def describe_exception(exc):
    """'ValueError: bad item 3': an exception's type and message, on one line."""
    message = one_line(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


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
