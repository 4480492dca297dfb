"""``nogilkit compare --baseline OLD.json``: this comparison beside a saved one.

The same combinations (workload, implementation, strategy, workers and, across
Pythons, interpreter) side by side: each one's median then and now, the time
ratio with its 95% bootstrap interval, and a verdict that only calls a change
a change when the interval excludes "no difference". Two machines, two
Pythons or two versions of one's own code compare the same way. A side whose
contention control saw a busy machine is named, since its times are then
slower than the code.
"""

import json
import os

from .._control import busy, describe
from .._stats import ratio_interval
from .._text import JsonReport, format_seconds, format_table
from .report import Report

__all__ = ["BaselineComparison", "load_report"]


def load_report(path, name="--baseline"):
    """The Report saved at ``path`` by ``compare --json``; ValueError naming
    ``name`` for a file that is missing, not JSON, or not such a report."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"{name}: no file {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{name}: {path} is not a JSON report ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ValueError(f"{name}: {path} has no rows: give a report saved by "
                         "'nogilkit compare --json'")
    try:
        return Report.from_dict(data)
    except (TypeError, KeyError) as exc:
        raise ValueError(f"{name}: {path} has rows nogilkit cannot read ({exc})") from None


def _key(row):
    return row.interpreter, row.workload, row.implementation, row.strategy, row.workers


class BaselineComparison(JsonReport):
    """``report`` (now) against ``baseline`` (then), row by row."""

    def __init__(self, report, baseline, label="baseline"):
        self.report, self.baseline, self.label = report, baseline, label

    def pairs(self):
        """(then, now) for every combination measured in both."""
        then = {_key(r): r for r in self.baseline.rows if r.ok}
        return [(then[_key(r)], r) for r in self.report.rows if r.ok and _key(r) in then]

    def entries(self):
        """One dict per pair: the medians, the speedup of now over then (then's
        time / now's) with its interval, and the verdict."""
        entries = []
        for then, now in self.pairs():
            change = ratio_interval(then.times, now.times)
            if change is None:
                verdict = "not comparable"
            elif change.high < 1.0:
                verdict = "slower"
            elif change.low > 1.0:
                verdict = "faster"
            else:
                verdict = "no clear difference"
            entries.append({
                "interpreter": now.interpreter, "workload": now.workload,
                "implementation": now.implementation, "strategy": now.strategy,
                "workers": now.workers, "then_median": then.median, "now_median": now.median,
                "speedup": change.to_dict() if change else None, "verdict": verdict,
                "then_vs_serial": self.baseline.figures(then)["vs_serial"],
                "now_vs_serial": self.report.figures(now)["vs_serial"],
            })
        return entries

    def regressions(self):
        return [e for e in self.entries() if e["verdict"] == "slower"]

    def _warnings(self):
        lines = []
        for side, report in (("then", self.baseline), ("now", self.report)):
            if busy(report.control()):
                lines.append(f"{side}: {describe(report.control())}: its times are "
                             "slower than the code and its scaling inconclusive")
        mine, theirs = self.report.provenance or {}, self.baseline.provenance or {}
        for key in ("cpu_model", "python", "nogilkit", "available_cpus"):
            if theirs.get(key) is not None and mine.get(key) != theirs.get(key):
                lines.append(f"{key}: {theirs.get(key)} then, {mine.get(key)} now")
        return lines

    def __str__(self):
        entries = self.entries()
        if not entries:
            return (f"against {self.label}: no combination measured in both; it holds "
                    + ", ".join(sorted({f"{r.implementation}+{r.strategy}"
                                        for r in self.baseline.rows})) + ".")
        cells = []
        for e in entries:
            change = e["speedup"]
            cells.append([
                (f"{e['interpreter']} " if e["interpreter"] else "") + e["workload"],
                e["implementation"], e["strategy"], str(e["workers"]),
                format_seconds(e["then_median"], fixed=True),
                format_seconds(e["now_median"], fixed=True),
                "-" if change is None else f"{change['value']:.2f}x",
                "-" if change is None else f"{change['low']:.2f}-{change['high']:.2f}",
                "REGRESSION" if e["verdict"] == "slower" else e["verdict"],
            ])
        lines = [f"== against {self.label} (now vs then: then's time / now's; above 1x is faster"
                 " now) =="]
        lines += format_table(["workload", "implementation", "strategy", "workers", "then",
                               "now", "now vs then", "95% CI", "verdict"], cells,
                              left=[0, 1, 2, 8])
        lines += [f"note: {w}" for w in self._warnings()]
        n = len(self.regressions())
        lines.append(f"{n} regression(s): slower now, the interval excluding no difference."
                     if n else "No regression: no combination is slower beyond its interval.")
        return "\n".join(lines)

    def to_dict(self):
        return {"baseline": self.label, "baseline_provenance": self.baseline.provenance,
                "entries": self.entries(), "notes": self._warnings()}
