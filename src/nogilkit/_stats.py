"""Uncertainty of measured figures: bootstrap confidence intervals.

A speedup is a ratio of two medians, each from a handful of timed runs on a
machine whose speed drifts. The percentile bootstrap resamples both sets of
runs (with replacement) and reads the interval off the resampled ratios; it
assumes nothing about the shape of the timing distribution, which on a shared
machine is skewed by runs that other processes slowed. The resampling is
seeded, so the same times always give the same interval.
"""

from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 2000
TARGET = 0.05  # relative half-width at which timing stops (+-5%)


@dataclass(frozen=True)
class Interval:
    """An estimate and its confidence interval ``[low, high]``."""

    value: float
    low: float
    high: float

    def includes(self, x):
        return self.low <= x <= self.high

    @property
    def relative_half_width(self):
        """Half the interval's width over the estimate (0.05: +-5%)."""
        return (self.high - self.low) / 2 / self.value if self.value else float("inf")

    def to_dict(self):
        return {"value": self.value, "low": self.low, "high": self.high}


def _medians(rng, times):
    times = np.asarray(times, dtype=float)
    picks = rng.integers(0, len(times), size=(RESAMPLES, len(times)))
    return np.median(times[picks], axis=1)


def _interval(value, resampled):
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(resampled, [tail, 100 - tail])
    return Interval(float(value), float(min(low, value)), float(max(high, value)))


def median_interval(times):
    """The median of ``times`` with its bootstrap interval (None for fewer than
    two times: one run says nothing about its spread)."""
    if len(times) < 2:
        return None
    rng = np.random.default_rng(0)
    return _interval(np.median(times), _medians(rng, times))


def ratio_interval(base_times, times):
    """median(base_times) / median(times) (a speedup over ``base``) with its
    bootstrap interval; None when either side has fewer than two times or a
    zero median."""
    if len(base_times) < 2 or len(times) < 2:
        return None
    base, other = float(np.median(base_times)), float(np.median(times))
    if base <= 0 or other <= 0:
        return None
    rng = np.random.default_rng(0)
    resampled = _medians(rng, base_times) / np.maximum(_medians(rng, times), 1e-300)
    return _interval(base / other, resampled)


__all__ = ["CONFIDENCE", "Interval", "TARGET", "median_interval", "ratio_interval"]
