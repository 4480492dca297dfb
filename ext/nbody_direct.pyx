"""nbody_direct's compiled part: a direct-sum integrator for many bodies,
parallel over bodies.

The public, validating entry point is nogilkit.nbody_direct.
"""

from libc.math cimport sqrt

from libc.stdint cimport int64_t

from nogilkit._ext._jobs cimport ChunkJob, Poll, end_poll, new_poll, stopped


cdef extern from "simd_nbody_direct.h" nogil:
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
        # Bodies side by side (simd_nbody_direct.h), each one's sum still in j order.
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
