import numpy as np
import pytest

import nogilkit
from nogilkit import demos
from nogilkit._ext.histogram_demos import SharedHistogramJob
from nogilkit._text import format_seconds
from nogilkit.kernels._histogram import CHUNK, uniform_edges
from nogilkit.kernels._pool import run_job

rng = np.random.default_rng(7)
DATA = rng.normal(size=5 * CHUNK)
# Values that are not counted, in every chunk: they must be skipped, never indexed.
DATA[::101] = np.nan
DATA[1::103] = np.inf
DATA[2::107] = -1e300
BINS, RANGE = 10, (-2.0, 2.0)
TRUTH = np.histogram(DATA, BINS, RANGE)[0]


def shared_counts(increment, threads, chunk=CHUNK):
    counts = np.zeros(BINS, dtype=np.int64)
    job = SharedHistogramJob(DATA, uniform_edges(BINS, RANGE), counts, increment, chunk)
    run_job(job, threads)
    return counts


@pytest.mark.parametrize("increment", ["atomic", "mutex"])
@pytest.mark.parametrize("threads", [1, 2, 4])
def test_synchronised_shared_increments_are_exact(increment, threads):
    np.testing.assert_array_equal(shared_counts(increment, threads), TRUTH)


def test_racy_increments_are_exact_on_one_thread():
    np.testing.assert_array_equal(shared_counts("racy", 1), TRUTH)


@pytest.mark.parametrize("threads", [2, 4, 8])
def test_racy_increments_lose_but_never_gain_counts(threads):
    # Small chunks, so that the threads interleave as much as they can.
    for _ in range(3):
        counts = shared_counts("racy", threads, chunk=1024)
        assert np.all((0 <= counts) & (counts <= TRUTH))


def test_shared_job_rejects_what_would_crash():
    edges = uniform_edges(BINS, RANGE)
    counts = np.zeros(BINS, dtype=np.int64)
    with pytest.raises(ValueError, match="counts must have 10 items"):
        SharedHistogramJob(DATA, edges, counts[1:], "atomic", CHUNK)
    with pytest.raises(ValueError, match="increment must be one of"):
        SharedHistogramJob(DATA, edges, counts, "relaxed", CHUNK)
    with pytest.raises(ValueError, match="chunk"):
        SharedHistogramJob(DATA, edges, counts, "atomic", 0)
    with pytest.raises(ValueError, match="increase strictly"):
        SharedHistogramJob(DATA, edges[::-1].copy(), counts, "atomic", CHUNK)
    with pytest.raises(ValueError):  # the buffer dtype mismatch
        SharedHistogramJob(DATA, edges, counts.astype(np.int32), "atomic", CHUNK)


@pytest.fixture(scope="module")
def race():
    return demos.histogram_race(DATA, BINS, RANGE, threads=2, repeats=3)


def test_race_result_describes_the_run(race):
    assert (race.size, race.bins, race.threads, race.repeats) == (len(DATA), BINS, 2, 3)
    assert race.available_cpus == nogilkit.available_cpus()
    assert [v.name for v in race.variants] == [name for name, _ in demos.VARIANTS]
    for variant in race.variants:
        assert race[variant.name] is variant
        assert len(variant.timing.times) == 3 and variant.timing.median > 0
        assert variant.expected == TRUTH.sum()
        assert len(variant.counted) == len(variant.wrong_bins) == 3
    with pytest.raises(KeyError):
        race["nonexistent"]


@pytest.mark.parametrize("name", ["atomic", "mutex", "private"])
def test_race_exact_variants(race, name):
    variant = race[name]
    assert variant.exact
    assert variant.lost == (0, 0, 0) and variant.counted == (TRUTH.sum(),) * 3


def test_race_racy_variant_accounts_for_its_losses(race):
    racy = race["racy"]
    assert all(0 <= counted <= racy.expected for counted in racy.counted)
    assert racy.lost == tuple(racy.expected - counted for counted in racy.counted)
    # A run that lost counts has at least one wrong bin, and the reverse.
    assert [lost > 0 for lost in racy.lost] == [wrong > 0 for wrong in racy.wrong_bins]
    assert racy.exact == (racy.lost == (0, 0, 0))


def test_race_table(race):
    table = str(race)
    lines = table.splitlines()
    assert f"{len(DATA):,} values in {BINS} bins, 2 threads" in lines[0]
    assert f"{race.available_cpus} CPUs available" in lines[0]
    for variant, line in zip(race.variants, lines[2:]):
        assert line.startswith(variant.name)
        assert format_seconds(variant.timing.median, fixed=True) in line
        assert f"{max(variant.lost):,}" in line
    assert len(lines) == 2 + len(race.variants) + (race.available_cpus < 2)


def test_race_on_one_thread_loses_nothing_and_says_why():
    race = demos.histogram_race(DATA[:CHUNK], 5, RANGE, threads=1, repeats=1)
    assert all(variant.exact for variant in race.variants)
    assert "note: with one thread or one CPU" in str(race)


def test_race_default_range_is_numpys():
    data = rng.uniform(3.0, 4.0, size=1000)
    race = demos.histogram_race(data, 7, threads=2, repeats=1)
    assert race["private"].expected == len(data)  # (min, max) covers every value
    assert demos.histogram_race(np.empty(0), 3, threads=2, repeats=1)["atomic"].expected == 0


def test_race_default_data():
    race = demos.histogram_race(repeats=1)
    assert race.size == demos.DEFAULT_SIZE and race.bins == 100 and race.threads == 2
    assert race["private"].exact


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"data": np.arange(10)}, TypeError, "data must have dtype float64"),
        ({"bins": 0}, ValueError, "bins must be >= 1"),
        ({"range": (1.0, 0.0)}, ValueError, "range must have first <= last"),
        ({"threads": 0}, ValueError, "threads must be >= 1"),
        ({"repeats": 0}, ValueError, "repeats must be >= 1"),
        ({"repeats": 1.5}, TypeError, "repeats must be an integer"),
    ],
)
def test_race_bad_arguments_raise(kwargs, error, match):
    args = {"data": DATA[:100], "range": RANGE} | kwargs
    with pytest.raises(error, match=match):
        demos.histogram_race(**args)
