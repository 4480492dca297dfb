"""The Benchmarks Game's n-body: five Jovian bodies, serial by nature.

The public, validating entry point is nogilkit.nbody; the many-body
integrator is nbody_direct.pyx.
"""

from libc.math cimport sqrt
from libc.stdlib cimport free, malloc

from libc.stdint cimport int64_t

from nogilkit._ext._jobs cimport Poll, end_poll, new_poll, stopped


cdef enum:
    JOVIAN_BODIES = 5  # the Sun and the four giant planets
    STEP_SEGMENT = 4096  # steps between two polls (about 0.2 ms for five bodies)

cdef inline void advance(double* r, double* v, const double* m, Py_ssize_t n,
                         Py_ssize_t steps, double dt, double* pair_buffer) noexcept nogil:
    """``steps`` steps of the Benchmarks Game's symplectic Euler, in place.

    r and v are (n, 3) C-ordered. Per step, the separations and magnitudes of
    all n(n-1)/2 pairs are computed first, in a loop without dependencies
    that the compiler vectorises (sqrt and division two at a time); the
    velocity updates then run in the reference's order, so the result is
    bitwise that of the pair-by-pair definition.
    """
    cdef Py_ssize_t n_pairs = n * (n - 1) // 2
    cdef double* dx = pair_buffer
    cdef double* dy = pair_buffer + n_pairs
    cdef double* dz = pair_buffer + 2 * n_pairs
    cdef double* mag = pair_buffer + 3 * n_pairs
    cdef Py_ssize_t step, i, j, k
    cdef double d2, mi, mj
    for step in range(steps):
        k = 0
        for i in range(n):
            for j in range(i + 1, n):
                dx[k] = r[3 * i] - r[3 * j]
                dy[k] = r[3 * i + 1] - r[3 * j + 1]
                dz[k] = r[3 * i + 2] - r[3 * j + 2]
                k += 1
        for k in range(n_pairs):
            d2 = dx[k] * dx[k] + dy[k] * dy[k] + dz[k] * dz[k]
            mag[k] = dt / (d2 * sqrt(d2))
        k = 0
        for i in range(n):
            mi = m[i]
            for j in range(i + 1, n):
                mj = m[j]
                v[3 * i] -= dx[k] * mj * mag[k]
                v[3 * i + 1] -= dy[k] * mj * mag[k]
                v[3 * i + 2] -= dz[k] * mj * mag[k]
                v[3 * j] += dx[k] * mi * mag[k]
                v[3 * j + 1] += dy[k] * mi * mag[k]
                v[3 * j + 2] += dz[k] * mi * mag[k]
                k += 1
        for i in range(3 * n):
            r[i] += dt * v[i]


cdef extern from "simd_nbody.h" nogil:
    ctypedef void (*nk_nbody5_fn)(double* r, double* v, const double* m, Py_ssize_t steps,
                                  double dt) noexcept nogil
    int NK_SIMD_AVX512
    nk_nbody5_fn nk_nbody5_for(int level)

# The instruction set of the five-body step (nogilkit_simd.h), set by nogilkit._simd.
# Only AVX-512 has a vector version: at AVX2 the baseline runs, and says so.
SIMD_AUTO_CAP = NK_SIMD_AVX512
cdef int simd_level = 0
cdef nk_nbody5_fn simd_five = NULL  # NULL: the baseline, advance()


def use_simd_level(int level):
    """Step five bodies with the function of instruction-set ``level`` if it
    has one, else the baseline (the caller checked that the CPU has it)."""
    global simd_level, simd_five
    simd_five = nk_nbody5_for(level)
    simd_level = level if simd_five != NULL else 0


def simd_level_in_use():
    return simd_level


def advance_bodies(double[:, ::1] positions not None, double[:, ::1] velocities not None,
                   const double[::1] masses not None, Py_ssize_t steps, double dt):
    """Advance the bodies ``steps`` steps in place, with the GIL released; polls
    every STEP_SEGMENT steps, so that Ctrl-C stops any number of steps."""
    if positions.shape[1] != 3 or velocities.shape[1] != 3:
        raise ValueError("positions and velocities must have shape (n, 3)")
    cdef Py_ssize_t n = positions.shape[0]
    if not (n == velocities.shape[0] == masses.shape[0]):
        raise ValueError("positions, velocities and masses must describe the same bodies")
    if n < 2 or steps < 1:
        return
    cdef Py_ssize_t done = 0, segment
    cdef int64_t stop = 0
    cdef Poll poll = new_poll(&stop)
    cdef nk_nbody5_fn five = simd_five
    cdef double* pair_buffer = <double*>malloc(4 * (n * (n - 1) // 2) * sizeof(double))
    if pair_buffer == NULL:
        raise MemoryError()
    try:
        with nogil:
            while done < steps and not stopped(&poll):
                segment = min(steps - done, <Py_ssize_t>STEP_SEGMENT)
                if n == JOVIAN_BODIES and five != NULL:
                    five(&positions[0, 0], &velocities[0, 0], &masses[0], segment, dt)
                elif n == JOVIAN_BODIES:
                    # A constant body count lets the compiler unroll every loop of
                    # the inlined advance() for the Benchmarks Game's system.
                    advance(&positions[0, 0], &velocities[0, 0], &masses[0], JOVIAN_BODIES,
                            segment, dt, pair_buffer)
                else:
                    advance(&positions[0, 0], &velocities[0, 0], &masses[0], n, segment, dt,
                            pair_buffer)
                done += segment
    finally:
        free(pair_buffer)
    end_poll(&poll)
