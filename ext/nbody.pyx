"""N-body integrators: the Benchmarks Game's five Jovian bodies (serial) and a
direct-sum integrator for many bodies, parallel over bodies.

The public, validating entry points are nogilkit.nbody and nogilkit.nbody_direct.
"""

from libc.math cimport sqrt
from libc.stdlib cimport free, malloc

from libc.stdint cimport int64_t

from nogilkit._ext._jobs cimport ChunkJob, Poll, end_poll, new_poll, stopped


# -- five bodies, the Benchmarks Game ------------------------------------------

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
    cdef double* pair_buffer = <double*>malloc(4 * (n * (n - 1) // 2) * sizeof(double))
    if pair_buffer == NULL:
        raise MemoryError()
    try:
        with nogil:
            while done < steps and not stopped(&poll):
                segment = min(steps - done, <Py_ssize_t>STEP_SEGMENT)
                if n == JOVIAN_BODIES:
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


# -- many bodies, direct sum ------------------------------------------------------

cdef extern from "simd_nbody.h" nogil:
    ctypedef void (*nk_nbody_group_fn)(const double* r, const double* m, double* a,
                                       Py_ssize_t n, Py_ssize_t start, Py_ssize_t count,
                                       double eps2) noexcept nogil
    int NK_NBODY_AUTO_CAP
    nk_nbody_group_fn nk_nbody_group_for(int level)
    Py_ssize_t nk_nbody_group_bodies(int level)

# The instruction set of accelerations() (nogilkit_simd.h), set by nogilkit._simd.
SIMD_AUTO_CAP = NK_NBODY_AUTO_CAP  # the level "auto" stops at
cdef int simd_level = 0
cdef nk_nbody_group_fn simd_group = NULL  # NULL: the baseline, accelerations' own loop
cdef Py_ssize_t simd_group_bodies = 1


def use_simd_level(int level):
    """Compute accelerations with the functions of instruction-set ``level``
    (the caller checked that the CPU has it)."""
    global simd_level, simd_group, simd_group_bodies
    simd_level, simd_group = level, nk_nbody_group_for(level)
    simd_group_bodies = nk_nbody_group_bodies(level)


def simd_level_in_use():
    return simd_level


cdef void accelerations(const double* r, const double* m, double* a, Py_ssize_t n,
                        Py_ssize_t start, Py_ssize_t stop, double eps2, Poll* poll) noexcept nogil:
    """a[i - start] = sum_{j != i} m[j] (r[j] - r[i]) / (|r[j] - r[i]|^2 + eps2)^(3/2)
    for the bodies i in [start, stop); ``a`` points at body start's row.

    The sum over j runs in index order, so a body's acceleration never
    depends on which thread computed it. Polls after each body (n pairs).
    """
    cdef Py_ssize_t i, j
    cdef double xi, yi, zi, dx, dy, dz, d2, inv, ax, ay, az
    cdef nk_nbody_group_fn group = simd_group
    cdef Py_ssize_t bodies = simd_group_bodies
    if group != NULL:
        # Bodies side by side (simd_nbody.h), each one's sum still in j order.
        i = start
        while i < stop:
            if i > start and stopped(poll):
                return
            group(r, m, a + 3 * (i - start), n, i, min(bodies, stop - i), eps2)
            i += bodies
        return
    for i in range(start, stop):
        if i > start and stopped(poll):
            return
        xi = r[3 * i]
        yi = r[3 * i + 1]
        zi = r[3 * i + 2]
        ax = 0.0
        ay = 0.0
        az = 0.0
        for j in range(n):
            if j == i:
                continue
            dx = r[3 * j] - xi
            dy = r[3 * j + 1] - yi
            dz = r[3 * j + 2] - zi
            d2 = dx * dx + dy * dy + dz * dz + eps2
            inv = m[j] / (d2 * sqrt(d2))
            ax = ax + dx * inv
            ay = ay + dy * inv
            az = az + dz * inv
        a[3 * (i - start)] = ax
        a[3 * (i - start) + 1] = ay
        a[3 * (i - start) + 2] = az


cdef class AccelerationJob(ChunkJob):
    """accelerations of every body, in chunks of bodies claimed by any number of threads."""

    cdef const double[:, ::1] r
    cdef const double[::1] m
    cdef double[:, ::1] a
    cdef double eps2
    cdef Py_ssize_t chunk

    def __cinit__(self, const double[:, ::1] positions not None,
                  const double[::1] masses not None, double[:, ::1] out not None,
                  double softening, Py_ssize_t chunk):
        n = positions.shape[0]
        if positions.shape[1] != 3 or out.shape[1] != 3 or out.shape[0] != n:
            raise ValueError("positions and out must have the same shape (n, 3)")
        if masses.shape[0] != n:
            raise ValueError(f"masses must have length {n}, got {masses.shape[0]}")
        self.r = positions
        self.m = masses
        self.a = out
        self.eps2 = softening * softening
        self.chunk = chunk
        self.set_chunks(n, chunk)

    cdef void run_chunk(self, Py_ssize_t index, void* scratch, Poll* poll) noexcept nogil:
        cdef Py_ssize_t n = self.r.shape[0]
        cdef Py_ssize_t start = index * self.chunk
        accelerations(&self.r[0, 0], &self.m[0], &self.a[start, 0], n, start,
                      min(start + self.chunk, n), self.eps2, poll)


def accelerations_band(const double[:, ::1] positions not None, const double[::1] masses not None,
                       double[:, ::1] out not None, Py_ssize_t start, double softening):
    """Accelerations of bodies [start, start + len(out)) into out, GIL released.

    One chunk of work for the comparison engine's strategies.
    """
    cdef Py_ssize_t n = positions.shape[0]
    cdef Py_ssize_t rows = out.shape[0]
    if positions.shape[1] != 3 or out.shape[1] != 3:
        raise ValueError("positions and out must have shape (n, 3)")
    if masses.shape[0] != n:
        raise ValueError(f"masses must have length {n}, got {masses.shape[0]}")
    if start < 0 or start + rows > n:
        raise ValueError(f"bodies [{start}, {start + rows}) are not among the {n} bodies")
    if rows == 0:
        return
    cdef int64_t stop = 0
    cdef Poll poll = new_poll(&stop)
    with nogil:
        accelerations(&positions[0, 0], &masses[0], &out[0, 0], n, start, start + rows,
                      softening * softening, &poll)
    end_poll(&poll)
