import math
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nogilkit
from nogilkit import reference
from nogilkit.kernels._histogram import CHUNK

from .gil import progress_during, releases_gil


def numpy_histogram(data, bins, range):
    # Near the float limit numpy's linspace overflows computing its last
    # edge (and then replaces it with range[1]), with a warning.
    with np.errstate(over="ignore"):
        return np.histogram(data, bins, range)


def numpy_edges(bins, range):
    return numpy_histogram(np.empty(0), bins, range)[1]


def near(values, ulps=2):
    """values and their neighbours up to ``ulps`` floats below and above."""
    values = np.asarray(values, dtype=np.float64)
    out = [values]
    down = up = values
    with np.errstate(over="ignore"):  # the float limit's neighbour is inf
        for _ in range(ulps):
            down = np.nextafter(down, -np.inf)
            up = np.nextafter(up, np.inf)
            out += [down, up]
    return np.concatenate(out)


def assert_matches_numpy(data, bins, range, threads=(1, 3)):
    """nogilkit.histogram (at each thread count) and the reference equal numpy.histogram."""
    expected = numpy_histogram(data, bins, range)[0]
    for n in threads:
        got = nogilkit.histogram(data, bins, range, threads=n)
        assert got.dtype == expected.dtype == np.intp
        np.testing.assert_array_equal(got, expected, err_msg=f"threads={n}")
    if len(data) <= 5000:
        np.testing.assert_array_equal(reference.histogram(data, bins, range), expected)
    return expected


rng = np.random.default_rng(12345)
MAX = np.finfo(np.float64).max

EDGE_CASES = {
    # name: (data, bins, range)
    "on every edge": (numpy_edges(10, (0.0, 1.0)), 10, (0.0, 1.0)),
    "next to every edge": (near(numpy_edges(10, (0.1, 0.7)), 3), 10, (0.1, 0.7)),
    "next to edges, awkward width": (near(numpy_edges(7, (-1 / 3, 2 / 3)), 3), 7, (-1 / 3, 2 / 3)),
    "next to edges, many bins": (near(numpy_edges(1000, (-3.7, 12.1))), 1000, (-3.7, 12.1)),
    "on and next to the last edge": (near([5.0], 4), 4, (1.0, 5.0)),
    "on and next to the first edge": (near([1.0], 4), 4, (1.0, 5.0)),
    "outside the range": (np.array([-1e300, -2.0, -1.0000001, 3.0000001, 1e300]), 3, (-1.0, 3.0)),
    "nan and infinities": (np.array([np.nan, np.inf, -np.inf, 0.5, -0.0, 0.0]), 2, (0.0, 1.0)),
    "first == last": (near([2.0, 1.5, 2.5], 2), 3, (2.0, 2.0)),
    "zero range": (np.array([-0.5, -0.0, 0.0, 0.25, 0.5, 0.6]), 4, (0.0, 0.0)),
    "one bin": (near([0.0, 0.5, 1.0]), 1, (0.0, 1.0)),
    "many bins": (rng.uniform(-1, 1, 20_000), 100_000, (-1.0, 1.0)),
    "empty data": (np.empty(0), 5, (0.0, 1.0)),
    "huge range": (near([-1e300, 0.0, 3e299, 1e300]), 9, (-1e300, 1e300)),
    "near the float limit": (near([-8e307, 0.0, 8e307]), 4, (-8e307, 8e307)),
    "up to the float limit": (near(numpy_edges(3, (0.0, MAX))), 3, (0.0, MAX)),
    "tiny range": (near(numpy_edges(5, (1.0, 1.0 + 2**-40))), 5, (1.0, 1.0 + 2**-40)),
    "edges a few ulps apart": (near(numpy_edges(5, (1e10, 1e10 + 2e-5))), 5, (1e10, 1e10 + 2e-5)),
    "subnormal range": (near(numpy_edges(3, (0.0, 1e-320))), 3, (0.0, 1e-320)),
    "negative range": (near(numpy_edges(6, (-10.0, -3.0))), 6, (-10.0, -3.0)),
    "range across zero": (rng.normal(size=3000), 17, (-2.5, 1.3)),
    "integer range": (near([0.0, 3.0, 7.0, 10.0]), 10, (0, 10)),
    "numpy float64 range": (near([0.1, 0.2, 0.3]), 3, (np.float64(0.1), np.float64(0.3))),
}


@pytest.mark.parametrize("data,bins,range", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_equals_numpy_on_edge_cases(data, bins, range):
    assert_matches_numpy(data, bins, range)


def test_counts_follow_numpy_rules():
    # A hand-checked case, so that matching numpy is not the only evidence.
    data = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.0, -0.1, 1.1, np.nan, np.inf])
    counts = nogilkit.histogram(data, 4, (0.0, 1.0))
    np.testing.assert_array_equal(counts, [1, 1, 1, 3])  # the last bin holds 1.0


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_equals_numpy_on_arbitrary_input(data):
    finite = st.floats(allow_nan=False, allow_infinity=False)
    first, last = sorted([data.draw(finite, "first"), data.draw(finite, "last")])
    assume(math.isfinite(last - first))
    bins = data.draw(st.integers(1, 300), "bins")
    values = data.draw(
        hnp.arrays(
            np.float64,
            st.integers(0, 300),
            elements=st.floats() | st.floats(first, last) | st.sampled_from([first, last]),
        ),
        "values",
    )
    try:
        edges = numpy_edges(bins, (first, last))
    except ValueError:
        # numpy cannot make that many distinct edges; nor can nogilkit.
        with pytest.raises(ValueError, match="bins"):
            nogilkit.histogram(values, bins, (first, last))
        return
    # Values on and around a few edges, where the bin estimate is off by one.
    picked = data.draw(st.lists(st.sampled_from(edges), max_size=10), "edges")
    values = np.concatenate([values, near(picked)])
    assert_matches_numpy(values, bins, (first, last), threads=(1, 2))


@settings(max_examples=40, deadline=None)
@given(size=st.integers(0, 3 * CHUNK), seed=st.integers(0, 2**32 - 1), threads=st.integers(1, 9))
def test_equals_numpy_across_chunks(size, seed, threads):
    values = np.random.default_rng(seed).normal(size=size)
    values[::97] = np.nan  # uncounted values in every chunk
    assert_matches_numpy(values, 37, (-1.5, 1.5), threads=(threads,))


@pytest.mark.parametrize("threads", [1, 2, 3, 8, 64])
def test_independent_of_threads(threads):
    data = rng.normal(size=10 * CHUNK + 123)  # 11 chunks, the last one short
    assert_matches_numpy(data, 50, (-3.0, 3.0), threads=(threads,))
    assert_matches_numpy(data[:100], 50, (-3.0, 3.0), threads=(threads,))  # 1 chunk


def test_threads_none_uses_available_cpus():
    data = rng.normal(size=3 * CHUNK)
    np.testing.assert_array_equal(
        nogilkit.histogram(data, 10, (-1.0, 1.0)), np.histogram(data, 10, (-1.0, 1.0))[0]
    )


def test_concurrent_callers():
    data = rng.normal(size=4 * CHUNK)
    expected = np.histogram(data, 30, (-2.0, 2.0))[0]
    with ThreadPoolExecutor(4) as callers:
        results = list(
            callers.map(lambda _: nogilkit.histogram(data, 30, (-2.0, 2.0), threads=3), range(12))
        )
    for result in results:
        np.testing.assert_array_equal(result, expected)


# -- data layouts ----------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda a: a[::3], id="strided"),
        pytest.param(lambda a: a[::-1], id="reversed"),
        pytest.param(lambda a: np.asfortranarray(np.stack([a, a]))[0], id="fortran row"),
        pytest.param(
            lambda a: np.frombuffer(b"\0" + a.tobytes(), dtype=np.float64, offset=1), id="unaligned"
        ),
        pytest.param(lambda a: a.tolist(), id="list"),
    ],
)
def test_other_layouts_are_read_correctly(make):
    assert_matches_numpy(make(rng.normal(size=2 * CHUNK + 7)), 25, (-2.0, 2.0), threads=(1, 2))


def test_read_only_data_is_accepted_and_data_is_not_modified():
    data = rng.normal(size=1000)
    copy = data.copy()
    data.flags.writeable = False
    assert_matches_numpy(data, 8, (-1.0, 1.0))
    np.testing.assert_array_equal(data, copy)


# -- the GIL is released ---------------------------------------------------

GIL_TEST_DATA = rng.normal(size=4_000_000)  # ~10-30 ms a call on one core


@pytest.mark.parametrize("threads", [1, 2])
def test_releases_the_gil(threads):
    def run():
        for _ in range(10):
            nogilkit.histogram(GIL_TEST_DATA, 100, (-4.0, 4.0), threads=threads)

    assert releases_gil(run)


def test_gil_probe_detects_a_gil_holding_call():
    # The control: the pure-Python reference holds the GIL, and the probe must see it.
    data = GIL_TEST_DATA[:100_000]
    assert progress_during(lambda: reference.histogram(data, 100, (-4.0, 4.0))) < 0.05


# -- bad input ---------------------------------------------------------------

BAD_ARGUMENTS = [
    # (kwargs, error, match)
    ({"data": np.arange(5)}, TypeError, "data must have dtype float64, got int64"),
    ({"data": [1, 2, 3]}, TypeError, "data must have dtype float64"),
    ({"data": np.ones(5, dtype=np.float32)}, TypeError, "dtype float64, got float32"),
    ({"data": np.ones(5, dtype=">f8")}, TypeError, "data must have dtype float64"),
    ({"data": np.ones(5, dtype=object)}, TypeError, "data must be an array of real numbers, got dtype object"),
    ({"data": "abc"}, TypeError, "data must be an array of real numbers"),
    ({"data": None}, TypeError, "data must be an array of real numbers, got dtype object"),
    ({"data": [[1.0], [2.0, 3.0]]}, ValueError, "data must be a 1-D array of real numbers"),
    ({"data": np.ones((2, 3))}, ValueError, "data must be a 1-D array, got 2 dimension"),
    ({"data": np.float64(1.0)}, ValueError, "data must be a 1-D array, got 0 dimension"),
    ({"bins": 0}, ValueError, "bins must be >= 1"),
    ({"bins": -3}, ValueError, "bins must be >= 1"),
    ({"bins": 2**31}, ValueError, "bins must be <= 2147483647"),
    ({"bins": 2.0}, TypeError, "bins must be an integer"),
    ({"bins": "10"}, TypeError, "bins must be an integer"),
    ({"bins": True}, TypeError, "bins must be an integer"),
    ({"bins": None}, TypeError, "bins must be an integer"),
    ({"bins": [0.0, 1.0]}, TypeError, "bins must be an integer"),
    ({"range": None}, TypeError, "range must be a sequence"),
    ({"range": 1.0}, TypeError, "range must be a sequence"),
    ({"range": (1.0,)}, ValueError, r"range must have 2 items \(first, last\), got 1"),
    ({"range": (0.0, 1.0, 2.0)}, ValueError, "range must have 2 items"),
    ({"range": (2.0, 1.0)}, ValueError, "range must have first <= last"),
    ({"range": (math.nan, 1.0)}, ValueError, r"range\[0\] \(first\) must be finite"),
    ({"range": (0.0, math.inf)}, ValueError, r"range\[1\] \(last\) must be finite"),
    ({"range": (-math.inf, 0.0)}, ValueError, r"range\[0\] \(first\) must be finite"),
    ({"range": (0, 10**400)}, ValueError, r"range\[1\] \(last\) must be finite"),
    ({"range": ("0", 1.0)}, TypeError, r"range\[0\] \(first\) must be a real number"),
    ({"range": (-1e308, 1e308)}, ValueError, "range must have a finite width"),
    ({"range": (1.0, 1.0 + 2**-52), "bins": 3}, ValueError, "bins=3 is too many for range"),
    ({"range": (1e300, 1e300)}, ValueError, "bins=4 is too many for range"),
    ({"threads": 0}, ValueError, "threads must be >= 1"),
    ({"threads": 2.0}, TypeError, "threads must be an integer"),
]


@pytest.mark.parametrize(
    "kwargs,error,match", BAD_ARGUMENTS, ids=[m.replace("\\", "") for _, _, m in BAD_ARGUMENTS]
)
def test_bad_arguments_raise(kwargs, error, match):
    args = {"data": np.linspace(0.0, 1.0, 11), "bins": 4, "range": (0.0, 1.0)} | kwargs
    with pytest.raises(error, match=match):
        nogilkit.histogram(**args)
    if "threads" not in args:
        with pytest.raises(error, match=match):
            reference.histogram(**args)


@pytest.mark.parametrize("range", [(1.0, 1.0 + 2**-52), (1e300, 1e300)])
def test_too_many_bins_is_refused_as_numpy_refuses_it(range):
    with pytest.raises(ValueError, match="Too many bins"):
        np.histogram(np.ones(3), 4, range)
    with pytest.raises(ValueError, match="too many"):
        nogilkit.histogram(np.ones(3), 4, range)


def test_infinitely_wide_range_is_refused_where_numpy_fails():
    # numpy overflows computing the edges (and with 2 or more bins refuses them).
    with np.errstate(all="ignore"), pytest.raises(ValueError):
        np.histogram(np.ones(3), 4, (-1e308, 1e308))
    with pytest.raises(ValueError, match="range must have a finite width"):
        nogilkit.histogram(np.ones(3), 4, (-1e308, 1e308))


anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=3),
    st.lists(st.floats(), max_size=5),
    st.tuples(st.floats(), st.floats()),
    hnp.arrays(hnp.scalar_dtypes(), st.integers(0, 5)),
)


@settings(max_examples=300, deadline=None)
@given(data=anything, bins=anything, range=anything, threads=anything)
def test_arbitrary_arguments_never_crash(data, bins, range, threads):
    """Any argument either works or raises TypeError/ValueError; nothing crashes."""
    # Keep accidental valid sizes small enough to run quickly.
    for value in (bins, threads):
        if isinstance(value, int) and not isinstance(value, bool) and value > 1000:
            return
    try:
        counts = nogilkit.histogram(data, bins, range, threads=threads)
    except (TypeError, ValueError):
        return
    np.testing.assert_array_equal(counts, numpy_histogram(data, bins, range)[0])


def test_private_job_rejects_what_would_crash():
    from nogilkit._ext.histogram import HistogramJob

    data = np.ones(10)
    for edges, match in [
        (np.array([0.0]), "at least 2"),
        (np.array([0.0, 1.0, 1.0]), "increase strictly"),
        (np.array([1.0, 0.0]), "increase strictly"),
        (np.array([0.0, np.nan, 1.0]), "finite"),
        (np.array([0.0, np.inf]), "finite"),
        (np.array([-1e308, 1e308]), "finite width"),
    ]:
        with pytest.raises(ValueError, match=match):
            HistogramJob(data, edges, 4)
    with pytest.raises(ValueError, match="chunk"):
        HistogramJob(data, np.array([0.0, 1.0]), 0)
    # A chunk larger than the data is one chunk, however large (no overflow).
    job = HistogramJob(data, np.array([0.0, 0.5, 1.0]), sys.maxsize)
    np.testing.assert_array_equal(job.work() + job.work(), [0, 10])
    with pytest.raises(TypeError):
        HistogramJob(None, np.array([0.0, 1.0]), 4)
    with pytest.raises(ValueError):  # the buffer dtype mismatch
        HistogramJob(data.astype(np.float32), np.array([0.0, 1.0]), 4)
