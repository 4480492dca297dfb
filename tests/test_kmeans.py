import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nogilkit
from nogilkit import reference, vectorized
from nogilkit._ext.kmeans import CHUNK_SIZE

from . import strategies
from .gil import releases_gil

IMPLEMENTATIONS = [nogilkit.kmeans, reference.kmeans, vectorized.kmeans]


def blobs(seed, n_points, n_features, k, spread=1.0, dtype=np.float64):
    """Points around k centres 10 apart, with one point of each blob last.

    The last k points make an initial set of centres (init=None) from which
    no cluster empties; ``spread`` sets how much the blobs overlap.
    """
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5, 5, size=(k, n_features)) * 10 / math.sqrt(n_features)
    blob = np.concatenate([rng.integers(0, k, n_points - k), rng.permutation(k)])
    points = centres[blob] + spread * rng.normal(size=(n_points, n_features))
    return points.astype(dtype)


def assert_same_result(got, expected):
    """Equal bit for bit, dtypes included."""
    assert got.labels.dtype == expected.labels.dtype == np.int32
    np.testing.assert_array_equal(got.labels, expected.labels)
    assert got.centers.dtype == expected.centers.dtype
    np.testing.assert_array_equal(got.centers, expected.centers)
    assert got.n_iter == expected.n_iter
    assert type(got.inertia) is type(expected.inertia)
    np.testing.assert_array_equal(got.inertia, expected.inertia)  # NaN equals NaN here


def assert_consistent(points, result):
    """The labels are the nearest centres and the inertia is theirs."""
    eps = float(np.finfo(result.centers.dtype).eps)
    points = np.asarray(points, dtype=np.float64)
    centers = result.centers.astype(np.float64)
    squared = ((points[:, np.newaxis, :] - centers[np.newaxis, :, :]) ** 2).sum(axis=2)
    own = squared[np.arange(len(points)), result.labels]
    # Nearest up to the rounding of ||c||^2 - 2 x.c, which is relative to the
    # squared norms of the (centred) points and centres, not to the distance.
    mean = points.mean(axis=0)
    scale = ((points - mean) ** 2).sum(axis=1).max() + ((centers - mean) ** 2).sum(axis=1).max()
    assert np.all(own - squared.min(axis=1) <= 100 * eps * scale)
    assert float(result.inertia) == pytest.approx(own.sum(), rel=100 * eps, abs=100 * eps * scale)


# -- exact agreement with the references -------------------------------------

SMALL_CASES = [
    # (seed, n_points, n_features, k, spread, dtype, kwargs)
    (0, 1, 1, 1, 1.0, np.float64, {}),
    (1, 12, 2, 3, 1.0, np.float64, {}),
    (2, 60, 3, 4, 3.0, np.float64, {}),
    (3, 80, 5, 6, 4.0, np.float32, {}),
    (4, 50, 1, 5, 2.0, np.float64, {}),
    (5, 40, 9, 7, 3.0, np.float64, {"tol": 1e-2}),
    (6, 30, 4, 30, 1.0, np.float64, {}),  # k == n_points
    (7, 70, 6, 5, 5.0, np.float32, {"max_iter": 2}),
    (8, 2 * CHUNK_SIZE + 37, 2, 4, 3.0, np.float64, {"tol": 1e-4}),  # three chunks
    (9, CHUNK_SIZE + 5, 3, 3, 3.0, np.float32, {}),
]


@pytest.mark.parametrize("seed,n_points,n_features,k,spread,dtype,kwargs", SMALL_CASES)
def test_kernel_equals_reference(seed, n_points, n_features, k, spread, dtype, kwargs):
    points = blobs(seed, n_points, n_features, k, spread, dtype)
    expected = reference.kmeans(points, k, **kwargs)
    assert expected.centers.dtype == dtype and expected.centers.shape == (k, n_features)
    for threads in (1, 3):
        assert_same_result(nogilkit.kmeans(points, k, threads=threads, **kwargs), expected)
    assert_consistent(points, expected)


@pytest.mark.parametrize(
    "seed,n_points,n_features,k,dtype,kwargs",
    [
        (10, 20000, 3, 5, np.float64, {}),
        (11, 15000, 10, 12, np.float64, {"tol": 1e-3}),
        (12, 30000, 2, 8, np.float64, {"max_iter": 5}),
        (13, 20000, 6, 7, np.float32, {}),
    ],
)
def test_kernel_matches_numpy(seed, n_points, n_features, k, dtype, kwargs):
    points = blobs(seed, n_points, n_features, k, spread=4.0, dtype=dtype)
    got = nogilkit.kmeans(points, k, **kwargs)
    expected = vectorized.kmeans(points, k, **kwargs)
    np.testing.assert_array_equal(got.labels, expected.labels)
    assert got.n_iter == expected.n_iter
    assert got.centers.dtype == expected.centers.dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got.centers, expected.centers, rtol=rtol, atol=rtol)
    assert type(got.inertia) is type(expected.inertia)
    assert got.inertia == pytest.approx(expected.inertia, rel=rtol)


# -- agreement with scikit-learn ---------------------------------------------


@pytest.mark.parametrize(
    "seed,n_points,n_features,k,spread,kwargs",
    [
        (20, 2000, 2, 3, 2.0, {}),
        (21, 5000, 8, 16, 4.0, {}),
        (22, 3000, 5, 6, 3.0, {"tol": 1e-4}),
        (23, 4000, 3, 8, 4.0, {"tol": 1e-2}),
        (24, 3000, 12, 5, 6.0, {"max_iter": 3}),
        (25, 9000, 4, 10, 4.0, {}),
    ],
)
def test_agrees_with_scikit_learn(seed, n_points, n_features, k, spread, kwargs):
    cluster = pytest.importorskip("sklearn.cluster")
    points = blobs(seed, n_points, n_features, k, spread)
    init = points[-k:]
    got = nogilkit.kmeans(points, k, **kwargs)
    assert np.all(np.bincount(got.labels, minlength=k) > 0)  # no cluster emptied
    fitted = cluster.KMeans(
        n_clusters=k,
        init=init,
        n_init=1,
        algorithm="lloyd",
        max_iter=kwargs.get("max_iter", 300),
        tol=kwargs.get("tol", 0.0),
    ).fit(points)
    if "max_iter" not in kwargs:
        assert got.n_iter > 2  # the iterations did something
    assert got.n_iter == fitted.n_iter_
    np.testing.assert_array_equal(got.labels, fitted.labels_)
    np.testing.assert_allclose(got.centers, fitted.cluster_centers_, rtol=1e-10, atol=1e-10)
    assert got.inertia == pytest.approx(fitted.inertia_, rel=1e-10)


# -- threads -----------------------------------------------------------------


@pytest.mark.parametrize("threads", [2, 3, 8, 64])
def test_result_independent_of_threads(threads):
    points = blobs(30, 3 * CHUNK_SIZE + 11, 5, 9, spread=5.0)  # four chunks
    expected = nogilkit.kmeans(points, 9, threads=1)
    assert_same_result(nogilkit.kmeans(points, 9, threads=threads), expected)
    small = points[:100]  # one chunk
    expected = nogilkit.kmeans(small, 4, threads=1)
    assert_same_result(nogilkit.kmeans(small, 4, threads=threads), expected)


@pytest.mark.parametrize("threads", [1, 2, 3, 5, 8])
def test_claims_take_turns_between_stripes_of_consecutive_chunks(threads):
    from nogilkit._ext.kmeans import claim_order

    for n_chunks in range(1, 60):
        order = claim_order(n_chunks, threads).tolist()
        assert sorted(order) == list(range(n_chunks))  # every chunk, once
        stripe = -(-n_chunks // threads)
        stripes = [[c for c in order if c // stripe == s] for s in range(threads)]
        assert all(s == sorted(s) for s in stripes)  # each stripe in order
        # The first claims start the stripes: threads that start together are
        # a stripe apart.
        starts = list(range(0, n_chunks, stripe))
        assert order[:len(starts)] == starts
    assert claim_order(7, 1).tolist() == list(range(7))
    assert claim_order(5, 2).tolist() == [0, 3, 1, 4, 2]


def test_the_order_chunks_are_computed_in_leaves_the_result_alone():
    from nogilkit._ext.kmeans import MEAN_PASS, UPDATE_PASS, FINAL_PASS, new_job

    points = blobs(33, 5 * CHUNK_SIZE + 7, 3, 5, spread=4.0)  # six chunks
    results = []
    for stripes in (1, 2, 4, 6, 9):
        labels = np.empty(len(points), np.int32)
        job = new_job(points, points[:5].copy(), labels)
        finished = []
        for mode in [MEAN_PASS] + [UPDATE_PASS] * 4 + [FINAL_PASS]:
            job.start(mode, stripes)
            job.work()  # one thread: the claims come in the stripes' order
            finished.append(job.finish())
        results.append((labels.tolist(), job.result_centres().tolist(), finished))
    assert all(r == results[0] for r in results[1:])
    with pytest.raises(ValueError, match="threads must be >= 1, got 0"):
        job.start(UPDATE_PASS, 0)


def test_threads_none_uses_available_cpus():
    points = blobs(31, 5000, 3, 4, spread=3.0)
    assert_same_result(nogilkit.kmeans(points, 4), nogilkit.kmeans(points, 4, threads=1))


def test_concurrent_callers():
    points = blobs(32, CHUNK_SIZE + 100, 4, 6, spread=4.0)
    expected = nogilkit.kmeans(points, 6, threads=1)
    with ThreadPoolExecutor(4) as callers:
        results = list(callers.map(lambda _: nogilkit.kmeans(points, 6, threads=2), range(8)))
    for result in results:
        assert_same_result(result, expected)


# -- semantics ---------------------------------------------------------------


def test_an_empty_cluster_keeps_its_centre():
    # Two pairs of points, a centre on each pair and a third far away, which
    # no point ever joins. Every value here is exact in binary (the mean is
    # (5, 0.5)), so the expected result is exact too.
    points = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    init = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 100.0]])
    for kmeans in IMPLEMENTATIONS:
        result = kmeans(points, 3, init=init)
        np.testing.assert_array_equal(result.labels, [0, 0, 1, 1])
        np.testing.assert_array_equal(result.centers, [[0.0, 0.5], [10.0, 0.5], [100.0, 100.0]])
        assert result.n_iter == 2  # labels unchanged on the second iteration
        assert result.inertia == 1.0


def test_scikit_learn_moves_an_empty_cluster_instead():
    # The one documented difference: there, agreement is not expected.
    cluster = pytest.importorskip("sklearn.cluster")
    points = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    init = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 100.0]])
    fitted = cluster.KMeans(3, init=init, n_init=1, algorithm="lloyd").fit(points)
    assert not np.array_equal(fitted.cluster_centers_[2], [100.0, 100.0])
    assert np.array_equal(nogilkit.kmeans(points, 3, init=init).centers[2], [100.0, 100.0])


def test_ties_go_to_the_first_centre():
    # Two equal centres: every point is nearest to both, and the first wins.
    points = np.array([[0.0], [1.0], [2.0], [3.0]])
    init = np.array([[1.5], [1.5]])
    for kmeans in IMPLEMENTATIONS:
        result = kmeans(points, 2, init=init)
        np.testing.assert_array_equal(result.labels, [0, 0, 0, 0])
        np.testing.assert_array_equal(result.centers, [[1.5], [1.5]])


def test_init_none_takes_the_last_k_points():
    points = blobs(40, 500, 3, 5, spread=4.0)
    assert_same_result(nogilkit.kmeans(points, 5), nogilkit.kmeans(points, 5, init=points[-5:]))
    first = points[:5]
    expected = reference.kmeans(points, 5, init=first)
    assert_same_result(nogilkit.kmeans(points, 5, init=first), expected)


@pytest.mark.parametrize("max_iter", [1, 2, 3])
def test_max_iter_is_respected(max_iter):
    points = blobs(41, 3000, 2, 8, spread=8.0)
    unlimited = nogilkit.kmeans(points, 8)
    assert unlimited.n_iter > 3
    result = nogilkit.kmeans(points, 8, max_iter=max_iter)
    assert result.n_iter == max_iter
    assert_consistent(points, result)
    assert_same_result(result, reference.kmeans(points, 8, max_iter=max_iter))


def test_tol_scales_with_the_variance_of_the_features():
    points = blobs(42, 3000, 3, 6, spread=6.0)
    exact = nogilkit.kmeans(points, 6)
    loose = nogilkit.kmeans(points, 6, tol=1e-2)
    assert loose.n_iter < exact.n_iter
    # The same problem at another scale stops at the same iteration.
    scaled = nogilkit.kmeans(points * 1000.0, 6, tol=1e-2)
    assert scaled.n_iter == loose.n_iter
    np.testing.assert_array_equal(scaled.labels, loose.labels)


def test_result_is_consistent_and_typed():
    points = blobs(43, 2000, 4, 5, spread=5.0)
    result = nogilkit.kmeans(points, 5, max_iter=4)
    assert isinstance(result, nogilkit.KMeansResult)
    labels, centers, n_iter, inertia = result
    assert labels.shape == (2000,) and centers.shape == (5, 4)
    assert isinstance(n_iter, int) and isinstance(inertia, float)
    assert_consistent(points, result)


def test_input_conversions():
    points = blobs(44, 300, 3, 4, spread=3.0)
    expected = nogilkit.kmeans(points, 4)
    fortran = np.asfortranarray(points)
    assert_same_result(nogilkit.kmeans(fortran, 4), expected)
    assert_same_result(nogilkit.kmeans(points.tolist(), 4), expected)
    strided = np.repeat(points, 2, axis=0)[::2]
    assert_same_result(nogilkit.kmeans(strided, 4), expected)
    read_only = points.copy()
    read_only.flags.writeable = False
    assert_same_result(nogilkit.kmeans(read_only, 4), expected)
    assert_same_result(nogilkit.kmeans(points, np.int64(4), max_iter=np.int32(300)), expected)
    # float32 stays float32; integers become float64.
    assert nogilkit.kmeans(points.astype(np.float32), 4).centers.dtype == np.float32
    integers = np.rint(points).astype(np.int16)
    expected = nogilkit.kmeans(integers.astype(np.float64), 4)
    assert_same_result(nogilkit.kmeans(integers, 4), expected)
    # init is converted to the points' dtype.
    single = points.astype(np.float32)
    expected = nogilkit.kmeans(single, 4, init=points[:4].astype(np.float32))
    assert_same_result(nogilkit.kmeans(single, 4, init=points[:4]), expected)


def test_points_are_not_modified():
    points = blobs(45, 500, 2, 3)
    copy = points.copy()
    nogilkit.kmeans(points, 3)
    np.testing.assert_array_equal(points, copy)


# -- the GIL is released -----------------------------------------------------

# Uniform points: k-means creeps on for many iterations. ~0.1-0.5 s per call.
GIL_POINTS = np.random.default_rng(50).uniform(size=(200_000, 8))


@pytest.mark.parametrize("threads", [1, 2])
def test_kernel_releases_the_gil(threads):
    result = nogilkit.kmeans(GIL_POINTS, 16, max_iter=20, threads=threads)
    assert result.n_iter == 20  # no early stop: the probe needs a long call
    assert releases_gil(lambda: nogilkit.kmeans(GIL_POINTS, 16, max_iter=20, threads=threads))


# -- bad input ---------------------------------------------------------------

GOOD = {"points": [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], "k": 2}


@pytest.mark.parametrize("kmeans", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"points": [[1.0, 2.0], [3.0]]}, ValueError, "points must be a 2-D array"),
        ({"points": [1.0, 2.0, 3.0]}, ValueError, "points must be a 2-D array, got 1"),
        ({"points": np.zeros((2, 2, 2))}, ValueError, "points must be a 2-D array, got 3"),
        ({"points": np.zeros((0, 2))}, ValueError, "points must contain at least one point"),
        ({"points": np.zeros((3, 0))}, ValueError, "points must have at least one feature"),
        ({"points": [[0.0, math.nan], [1.0, 1.0]]}, ValueError, "points must contain only finite"),
        ({"points": [[0.0, math.inf], [1.0, 1.0]]}, ValueError, "points must contain only finite"),
        ({"points": np.ones((3, 2), dtype=complex)}, TypeError, "points must be an array of real"),
        ({"points": np.ones((3, 2), dtype=bool)}, TypeError, "points must be an array of real"),
        ({"points": [["a", "b"], ["c", "d"]]}, TypeError, "points must be an array of real"),
        ({"points": None}, TypeError, "points must be an array of real"),
        ({"points": [[2**70, 1]]}, TypeError, "points must be an array of real"),
        ({"k": 0}, ValueError, "k must be >= 1"),
        ({"k": -1}, ValueError, "k must be >= 1"),
        ({"k": 4}, ValueError, r"k must be <= the number of points \(3\), got 4"),
        ({"k": 2.0}, TypeError, "k must be an integer"),
        ({"k": True}, TypeError, "k must be an integer"),
        ({"k": None}, TypeError, "k must be an integer"),
        ({"k": 2**31}, ValueError, "k must be <= 2147483647"),
        ({"init": [[0.0, 0.0]]}, ValueError, r"init must have shape \(k, n_features\) = \(2, 2\)"),
        ({"init": [[0.0, 0.0, 0.0]] * 2}, ValueError, r"init must have shape .* got \(2, 3\)"),
        ({"init": [0.0, 0.0]}, ValueError, "init must be a 2-D array"),
        ({"init": [[0.0, math.nan], [1.0, 1.0]]}, ValueError, "init must contain only finite"),
        ({"init": [[0.0, 1j], [1.0, 1.0]]}, TypeError, "init must be an array of real"),
        ({"init": "centres"}, TypeError, "init must be an array of real"),
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
        ({"max_iter": 1.5}, TypeError, "max_iter must be an integer"),
        ({"max_iter": "10"}, TypeError, "max_iter must be an integer"),
        ({"tol": -1e-4}, ValueError, "tol must be >= 0"),
        ({"tol": math.nan}, ValueError, "tol must be finite"),
        ({"tol": math.inf}, ValueError, "tol must be finite"),
        ({"tol": "0.1"}, TypeError, "tol must be a real number"),
        ({"tol": None}, TypeError, "tol must be a real number"),
    ],
)
def test_bad_arguments_raise(kmeans, kwargs, error, match):
    args = GOOD | kwargs
    with pytest.raises(error, match=match):
        kmeans(args.pop("points"), args.pop("k"), **args)


def test_init_too_large_for_float32_raises():
    points = np.ones((3, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="init must contain only finite"):
        nogilkit.kmeans(points, 2, init=[[1e300, 0.0], [0.0, 0.0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("where, values", [
    (-1, [math.nan]),                       # the last point of the last chunk
    (CHUNK_SIZE + 5, [math.inf]),
    (2 * CHUNK_SIZE, [math.inf, -math.inf]),  # one chunk's sum is NaN, not inf
])
def test_a_nan_or_inf_anywhere_among_many_points_raises(where, values, dtype):
    # The kernel leaves this check to its mean's pass: every chunk must see it.
    points = blobs(34, 3 * CHUNK_SIZE, 2, 3, spread=2.0).astype(dtype)
    points[where:where + len(values) or None, 1] = values
    for threads in (1, 2):
        with pytest.raises(ValueError, match="points must contain only finite"):
            nogilkit.kmeans(points, 3, threads=threads)


def test_finite_points_whose_sum_overflows_are_accepted():
    # 4096 values of 1e305 sum to inf: the mean's pass cannot vouch for them,
    # and the full check then finds them finite, so they are accepted (what
    # k-means makes of an infinite mean is another matter).
    points = np.full((CHUNK_SIZE, 1), 1e305)
    with np.errstate(over="ignore"):
        assert np.sum(points) == math.inf
    with np.errstate(all="ignore"):
        result = nogilkit.kmeans(points, 1, max_iter=1)
    assert result.labels.tolist() == [0] * CHUNK_SIZE


def test_private_job_rejects_what_would_crash():
    from nogilkit._ext.kmeans import new_job

    points = np.zeros((4, 2))
    centres = np.zeros((2, 2))
    labels = np.zeros(4, dtype=np.int32)
    bad = [
        ((points.astype(int), centres, labels), TypeError, "points must be a float32 or float64"),
        (([[0.0]], centres, labels), TypeError, "points must be a float32 or float64"),
        ((np.zeros((0, 2)), centres, labels), ValueError, "points must be a non-empty 2-D"),
        ((np.zeros((4, 4))[:, ::2], centres, labels), ValueError, "points must be C-contiguous"),
        ((points, centres.astype("f4"), labels), TypeError, "centres must have dtype float64"),
        ((points, np.zeros((2, 3)), labels), ValueError, "centres must have 2 features"),
        ((points, np.zeros((0, 2)), labels), ValueError, "centres must be a non-empty 2-D"),
        ((points, centres, labels.astype(np.int64)), TypeError, "labels must have dtype int32"),
        ((points, centres, labels[:3]), ValueError, "labels must have 4 items"),
        ((points, centres, None), TypeError, "labels must be a numpy.ndarray"),
    ]
    for args, error, match in bad:
        with pytest.raises(error, match=match):
            new_job(*args)
    job = new_job(points, centres, labels)
    with pytest.raises(ValueError, match="mode must be"):
        job.start(7)


# -- properties --------------------------------------------------------------


@st.composite
def problems(draw):
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    n_points = draw(st.integers(1, 40))
    n_features = draw(st.integers(1, 6))
    # Small integers make equal points and exact ties frequent.
    values = st.one_of(st.integers(-3, 3).map(float), st.floats(-1e3, 1e3, width=32))
    points = draw(hnp.arrays(dtype, (n_points, n_features), elements=values))
    k = draw(st.integers(1, n_points))
    init = None
    if draw(st.booleans()):
        init = draw(hnp.arrays(dtype, (k, n_features), elements=values))
    max_iter = draw(st.integers(1, 12))
    tol = draw(st.sampled_from([0.0, 1e-4, 0.5]))
    return points, k, {"init": init, "max_iter": max_iter, "tol": tol}


@settings(max_examples=150, deadline=None)
@given(problem=problems(), threads=st.integers(1, 4))
def test_kernel_equals_reference_on_arbitrary_problems(problem, threads):
    points, k, kwargs = problem
    result = nogilkit.kmeans(points, k, threads=threads, **kwargs)
    assert_same_result(result, reference.kmeans(points, k, **kwargs))
    assert 1 <= result.n_iter <= kwargs["max_iter"]
    assert result.labels.min() >= 0 and result.labels.max() < k
    assert np.isfinite(result.centers).all() and result.inertia >= 0


# Besides anything, lists of rows, well formed or ragged.
anything = (
    strategies.anything
    | st.lists(st.lists(st.floats(), min_size=2, max_size=2), max_size=4)
    | st.lists(st.lists(st.integers(-5, 5), max_size=3), max_size=4)
)


@settings(max_examples=300, deadline=None)
@given(
    points=anything, k=anything, init=anything, max_iter=anything, tol=anything, threads=anything
)
def test_arbitrary_arguments_never_crash(points, k, init, max_iter, tol, threads):
    """Any argument either works or raises TypeError/ValueError; nothing crashes."""
    if isinstance(max_iter, int) and max_iter > 100:
        return  # valid but slow
    try:
        result = nogilkit.kmeans(points, k, init=init, max_iter=max_iter, tol=tol, threads=threads)
    except (TypeError, ValueError):
        return
    assert_same_result(result, reference.kmeans(points, k, init=init, max_iter=max_iter, tol=tol))


@settings(max_examples=40, deadline=None)
@given(scale=st.floats(1e-160, 1e160), shift=st.floats(-1e160, 1e160))
def test_extreme_magnitudes_never_crash(scale, shift):
    """Finite points whose squares overflow give some result, never a crash or a bad label."""
    points = blobs(60, 50, 3, 4) * scale + shift
    result = nogilkit.kmeans(points, 4, max_iter=5)
    assert result.labels.min() >= 0 and result.labels.max() < 4
    assert_same_result(result, reference.kmeans(points, 4, max_iter=5))
