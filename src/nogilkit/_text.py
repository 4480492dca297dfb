"""Results as text: aligned tables, seconds in readable units, lookup by name, JSON."""

import json


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
        """The result as indented JSON, also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2)
        if path is not None:
            with open(path, "w") as f:
                f.write(text)
        return text
