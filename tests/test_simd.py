"""Every instruction-set path of the vectorised kernels gives the reference's result."""
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import nogilkit
from nogilkit import reference
from nogilkit import _simd

PATHS = _simd.supported()
# Kernels without a vector version at some path run their baseline there, and
# say so: nbody's five bodies have only AVX-512's, and gcc vectorises triad's
# baseline with NEON already.
MISSING_PATHS = {"nbody": {"avx2", "neon"}, "triad": {"neon"}}


def expected_path(kernel, path):
    return "baseline" if path in MISSING_PATHS.get(kernel, ()) else path

MANDELBROT_CASES = [
    (w, 3, mi, r)
    for w in (1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 23, 24, 25, 31, 32, 33, 47, 65)
    for mi, r in [(1, (-2.0, 0.5, -1.25, 1.25)), (9, (-3.0, 3.0, -2.0, 2.0)),
                  (257, (-0.75, -0.73, 0.1, 0.12)), (30, (-1e200, 1e200, -1e200, 1e200))]
] + [(9, 2, mi, (-0.1, 0.1, -0.1, 0.1)) for mi in (7, 8, 65535, 65536, 65537, 65536 + 9)]


@pytest.fixture(params=PATHS)
def path(request):
    with _simd.forced(request.param) as paths:
        assert paths == {k: expected_path(k, request.param) for k in _simd.KERNELS}
        yield request.param


def test_mandelbrot_every_path_equals_reference(path):
    for width, height, max_iter, region in MANDELBROT_CASES:
        expected = reference.mandelbrot(width, height, max_iter, region=region)
        for threads in (1, 2):
            got = nogilkit.mandelbrot(width, height, max_iter, region=region, threads=threads)
            np.testing.assert_array_equal(got, expected, err_msg=f"{path} {width}x{height}/{max_iter} {region}")


def test_spectral_norm_every_path_equals_reference(path):
    for n, iterations in [(1, 1), (3, 2), (7, 3), (8, 2), (9, 2), (17, 4), (33, 2), (100, 10)]:
        for threads in (1, 3):
            assert nogilkit.spectral_norm(n, iterations, threads=threads) == \
                reference.spectral_norm(n, iterations), (path, n, iterations, threads)


CODE = "import nogilkit; from nogilkit import _simd; print(_simd.paths())"


def paths_with_environment(value):
    env = dict(os.environ, NOGILKIT_SIMD=value)
    done = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True,
                          check=True)
    return eval(done.stdout), done.stderr  # a dict of str printed by Python


def test_the_environment_variable_lowers_the_path():
    assert paths_with_environment("baseline")[0] == {k: "baseline" for k in _simd.KERNELS}
    # the build's widest path, which may be above the CPU's, gives its best
    paths, _ = paths_with_environment(_simd.PATHS[-1].upper())
    assert set(paths.values()) <= set(PATHS) and paths["mandelbrot"] == PATHS[-1]


def test_auto_takes_the_best_path_up_to_each_kernel_cap():
    for value in ("", "auto"):
        paths, _ = paths_with_environment(value)
        for name, module in _simd.KERNELS.items():
            assert paths[name] == expected_path(name, PATHS[min(module.SIMD_AUTO_CAP, len(PATHS) - 1)])


def test_an_unknown_path_in_the_environment_warns_and_uses_the_best():
    paths, stderr = paths_with_environment("sse9")
    assert paths == paths_with_environment("auto")[0]
    assert f"NOGILKIT_SIMD must be one of auto, {', '.join(_simd.PATHS)}; got 'sse9'" in stderr


def test_use_rejects_what_is_not_a_path():
    other_architecture = "avx2" if "neon" in _simd.PATHS else "neon"
    with pytest.raises(ValueError, match="request must be one of auto, baseline"):
        _simd.use(other_architecture)
    with pytest.raises(TypeError, match="request must be a str, got int"):
        _simd.use(2)


def test_forced_restores_the_paths_after_the_block():
    before = _simd.paths()
    with pytest.raises(RuntimeError):
        with _simd.forced("baseline"):
            raise RuntimeError
    assert _simd.paths() == before


def test_the_paths_are_those_of_the_build_architecture():
    names = {"x86_64": ("baseline", "avx2", "avx512"), "amd64": ("baseline", "avx2", "avx512"),
             "aarch64": ("baseline", "neon"), "arm64": ("baseline", "neon")}
    # MSVC (the Windows wheels) has none of GCC's target attributes or vector types.
    expected = ("baseline",) if sys.platform == "win32" else names.get(platform.machine().lower())
    assert _simd.PATHS == (expected or ("baseline",))
    assert _simd.PATHS[:len(PATHS)] == PATHS  # what this CPU supports, lowest first


def test_info_names_each_kernel_path():
    from nogilkit._runtime import system_info

    info = system_info()
    assert info["simd_supported"].split() == list(PATHS)
    assert info["simd"] == " ".join(f"{k}={v}" for k, v in _simd.paths().items())


KMEANS_CASES = [  # (n_points, n_features, k): features and centres around the
    # register tiles (4 and 6 centres, 8 and 16 lanes), blocks of 32 points
    (n, f, k) for n, f, k in [(1, 1, 1), (31, 3, 2), (33, 5, 7), (70, 8, 6), (97, 9, 13),
                              (64, 17, 4), (40, 64, 5), (130, 2, 25)]
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kmeans_every_path_equals_reference(path, dtype):
    rng = np.random.default_rng(7)
    for n, f, k in KMEANS_CASES:
        points = (rng.standard_normal((n, f)) * 3 + rng.integers(0, 3, (n, 1))).astype(dtype)
        points[n // 2:n // 2 + 2] = points[0]  # equal points: ties between centres
        expected = reference.kmeans(points, k, max_iter=5)
        for threads in (1, 2):
            got = nogilkit.kmeans(points, k, max_iter=5, threads=threads)
            np.testing.assert_array_equal(got.labels, expected.labels, err_msg=f"{path} {n}x{f} k={k}")
            np.testing.assert_array_equal(got.centers, expected.centers)
            assert got.n_iter == expected.n_iter and got.inertia == expected.inertia


def test_kmeans_ties_go_to_the_first_centre_on_every_path(path):
    points = np.repeat(np.arange(40.0)[:, None], 3, axis=1)
    init = np.array([points[5]] * 9)  # nine equal centres
    got = nogilkit.kmeans(points, 9, init=init, max_iter=1)
    # Centre 0 moved to the mean; 1..8, empty, stayed equal: none of 2..8 may win.
    assert set(np.unique(got.labels)) == {0, 1}
    np.testing.assert_array_equal(got.labels, reference.kmeans(points, 9, init=init, max_iter=1).labels)


@pytest.mark.parametrize("softening", [0.01, 0.0])
def test_nbody_direct_every_path_equals_reference(path, softening):
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 5, 8, 9, 13, 17):
        positions = rng.standard_normal((n, 3))
        velocities = rng.standard_normal((n, 3)) * 0.1
        masses = rng.uniform(0.5, 2.0, n)
        expected = reference.nbody_direct(positions, velocities, masses, 3, dt=0.01,
                                          softening=softening)
        for threads in (1, 2):
            got = nogilkit.nbody_direct(positions, velocities, masses, 3, dt=0.01,
                                        softening=softening, threads=threads)
            for g, e in zip(got, expected):
                np.testing.assert_array_equal(g, e, err_msg=f"{path} n={n} eps={softening}")


def test_nbody_every_path_equals_reference(path):
    # The published energies, and the reference's, bit for bit.
    for steps in (0, 1, 2, 1000, 4096 + 3):  # 4096 steps a segment between polls
        assert nogilkit.nbody(steps) == reference.nbody(steps), (path, steps)


def test_nbody_five_body_step_equals_the_baseline_on_every_path(path):
    # Any five bodies (masses, signs, scales), not only the Jovian system.
    from nogilkit._ext.nbody import advance_bodies

    rng = np.random.default_rng(5)
    for case in range(20):
        scale = 10.0 ** rng.integers(-3, 4)
        r = rng.standard_normal((5, 3)) * scale
        v = rng.standard_normal((5, 3))
        m = rng.uniform(1e-6, 50.0, 5)
        got_r, got_v = r.copy(), v.copy()
        advance_bodies(got_r, got_v, m, 50, 0.001)
        with _simd.forced("baseline"):
            advance_bodies(r, v, m, 50, 0.001)
        np.testing.assert_array_equal(got_r, r, err_msg=f"{path} case {case}")
        np.testing.assert_array_equal(got_v, v, err_msg=f"{path} case {case}")


# Lengths around the vector widths (4, 8), the sums' 8 lanes, and the tails;
# for total also around its blocks of 4096, summed 4 side by side, 16 a chunk.
SHORT = list(range(41))
BLOCK = 4096
TOTAL_LENGTHS = SHORT + [BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 7, 4 * BLOCK, 5 * BLOCK + 13,
                         16 * BLOCK, 17 * BLOCK + 1, 21 * BLOCK - 3]


def unaligned(values, offset):
    """A C-contiguous copy of ``values`` starting ``offset`` float64s past a
    64-byte boundary (a vector of 8)."""
    buffer = np.empty(len(values) + 16)
    start = (-buffer.ctypes.data % 64) // 8 + offset
    buffer[start:start + len(values)] = values
    return buffer[start:start + len(values)]


def spread(rng, n):
    """Values of very different magnitudes and signs: any other order of the
    additions would round differently."""
    return rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)


def test_total_every_path_equals_reference(path):
    rng = np.random.default_rng(5)
    for n in TOTAL_LENGTHS:
        values = spread(rng, n)
        for offset in (0, 1, 5, 7):
            x = unaligned(values, offset)
            expected = reference.total(x)
            for threads in (1, 2):
                assert nogilkit.total(x, threads=threads) == expected, (path, n, offset, threads)


@pytest.mark.parametrize("special", [np.nan, np.inf, -np.inf])
def test_total_propagates_nan_and_infinities_on_every_path(path, special):
    rng = np.random.default_rng(6)
    for n in (1, 7, 8, 9, 17, BLOCK + 5, 5 * BLOCK + 1):
        for where in {0, n // 2, n - 1}:
            x = spread(rng, n)
            x[where] = special
            expected = reference.total(x)
            for threads in (1, 2):
                np.testing.assert_equal(nogilkit.total(x, threads=threads), expected)


def test_triad_every_path_equals_reference(path):
    rng = np.random.default_rng(8)
    for n in SHORT + [1000, 65536 + 9]:
        b, c = spread(rng, n), spread(rng, n)
        b[::7], c[3::11] = np.nan, -np.inf
        expected = reference.triad(np.empty(n), b, c, -1.25)
        for offset in (0, 1, 3):
            for threads in (1, 2):
                a = unaligned(np.zeros(n), offset)
                nogilkit.triad(a, unaligned(b, 2), unaligned(c, offset), -1.25, threads=threads)
                np.testing.assert_array_equal(a, expected, err_msg=f"{path} n={n} offset={offset}")
                inplace = unaligned(b, offset)  # a is b
                nogilkit.triad(inplace, inplace, c, -1.25, threads=threads)
                np.testing.assert_array_equal(inplace, expected)


HISTOGRAM_BINS = [(1, (0.0, 1.0)), (3, (-1.0, 2.0)), (7, (0.1, 0.7)), (100, (-5.0, 5.0)),
                  (1000, (-3.0, 1e3)), (64, (0.0, 1e308))]


def histogram_values(rng, n, bins, range):
    """n values in and around ``range``: its edges and their neighbours, NaN,
    infinities, values outside, every kind at every lane of a vector."""
    edges = np.linspace(*range, bins + 1)
    near = np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf)])
    low, high = range
    pool = np.concatenate([near, [np.nan, np.inf, -np.inf, low - 1.0, high * 2 + 1.0],
                           rng.uniform(low, high, 64)])
    return rng.choice(pool, n)


def test_histogram_every_path_equals_numpy(path):
    rng = np.random.default_rng(9)
    for bins, range_ in HISTOGRAM_BINS:
        for n in SHORT + [100, 65536 + 3]:
            values = histogram_values(rng, n, bins, range_)
            expected = np.histogram(values, bins, range_)[0]
            if n <= 40:
                np.testing.assert_array_equal(reference.histogram(values, bins, range_), expected)
            for offset in (0, 1, 3):
                for threads in (1, 2):
                    got = nogilkit.histogram(unaligned(values, offset), bins, range_,
                                             threads=threads)
                    np.testing.assert_array_equal(
                        got, expected, err_msg=f"{path} bins={bins} {range_} n={n} +{offset}")


def test_total_of_doubles_off_their_alignment_on_every_path(path):
    # Not 8-byte aligned: the vector sums, which load from 64-byte boundaries,
    # leave such an array to the baseline loop.
    values = spread(np.random.default_rng(4), 3 * BLOCK + 5)
    raw = bytearray(values.nbytes + 1)
    x = np.frombuffer(raw, dtype=np.float64, offset=1, count=values.size)
    x[:] = values
    assert not x.flags.aligned
    for threads in (1, 2):
        assert nogilkit.total(x, threads=threads) == reference.total(values)
