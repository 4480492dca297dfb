"""k-means (Lloyd's algorithm): nogil passes over fixed chunks of points.

The public, validating entry point is nogilkit.kmeans; this module holds the
compiled part only.

Every pass splits the points into chunks of CHUNK_SIZE points, which threads
claim from a shared atomic counter. Each chunk writes its partial results
(sums, counts, inertia) to a slot of its own, and the slots are merged in
chunk order once the pass is over, so the result is the same bit for bit
whatever the number of threads, and whatever the order chunks are computed in.

That order is not the points' order (see claim_order): for T threads the
chunks form T stripes of consecutive chunks, and successive claims take turns
between the stripes, so each thread walks through memory in order, far from
the others. Claimed in the points' order, two threads work on neighbouring
chunks, and on a 2-core Xeon that made each of them 45% slower (thread CPU
time of an update pass, 1M x 8 points, k=16: 15.7 ms on one thread, 22.7 ms
together on two). It is not false sharing: it stayed with the threads' slots
and scratch padded to their own 64- or 128-byte lines, and with the labels
not written at all; two threads on the two halves of the same arrays ran at
full speed. Chunks scattered over the points (a golden-ratio step) also ran
at full speed on two threads, but one thread lost 5-20% to the jumps.

As in scikit-learn, the work is done in centred coordinates (points minus
their mean): there the expanded squared distance ||c||^2 - 2 x.c, which needs
two thirds of the arithmetic of sum((x - c)^2), loses little to cancellation.
"""

from cython cimport floating
from libc.math cimport INFINITY
from libc.stdint cimport int32_t, int64_t
from libc.string cimport memset

import numpy as np

from nogilkit._ext._jobs cimport ChunkJob, Poll, end_poll, new_poll, stopped

cdef extern from "math.h" nogil:
    # The quiet comparison of C99. Unlike "<", which may trap on NaN, it lets
    # gcc turn the choice of the nearest centre into branch-free vector code.
    bint isless(double x, double y)

cdef enum:
    # Points per chunk: the unit of work a thread claims and of the partial
    # sums. A constant, so that the order of every sum is fixed.
    CHUNK = 4096
    # Points whose distances are computed side by side. A block is stored
    # transposed, so that the inner loops run over points, hold no reduction
    # and compile to vector code on baseline x86-64 (SSE2).
    BLOCK = 32
    # Features added in one sweep over a block's distances, which then go
    # through memory once per group, not per feature. Rows are padded with
    # zeros to whole groups. (gcc 12, SSE2, one update pass over 1e6 points,
    # k=16: 8 features 28 -> 25 ms, 3 features 24 -> 16 ms, against one
    # feature a sweep after the groups.)
    FEATURE_GROUP = 4

cdef extern from "simd_kmeans.h" nogil:
    ctypedef void (*nk_kmeans_nearest_f64)(const double* xt, Py_ssize_t width,
                                           Py_ssize_t n_clusters, const double* scaled,
                                           const double* norms, int32_t* nearest) noexcept nogil
    ctypedef void (*nk_kmeans_nearest_f32)(const float* xt, Py_ssize_t width,
                                           Py_ssize_t n_clusters, const float* scaled,
                                           const float* norms, int32_t* nearest) noexcept nogil
    int NK_KMEANS_BLOCK
    int NK_KMEANS_AUTO_CAP
    nk_kmeans_nearest_f64 nk_kmeans_nearest_f64_for(int level)
    nk_kmeans_nearest_f32 nk_kmeans_nearest_f32_for(int level)

if NK_KMEANS_BLOCK != BLOCK:
    raise ImportError(f"simd_kmeans.h's block ({NK_KMEANS_BLOCK}) is not BLOCK ({BLOCK})")

# The instruction set of nearest_centres (nogilkit_simd.h), set by nogilkit._simd.
SIMD_AUTO_CAP = NK_KMEANS_AUTO_CAP  # the level "auto" stops at
cdef int simd_level = 0
# NULL (a compiler without vector extensions): nearest_centres' own loop.
cdef nk_kmeans_nearest_f64 simd_nearest_f64 = NULL
cdef nk_kmeans_nearest_f32 simd_nearest_f32 = NULL


def use_simd_level(int level):
    """Find nearest centres with the functions of instruction-set ``level`` if
    this build has them, else the baseline (the caller checked that the CPU
    has it)."""
    global simd_level, simd_nearest_f64, simd_nearest_f32
    simd_nearest_f64 = nk_kmeans_nearest_f64_for(level)
    simd_nearest_f32 = nk_kmeans_nearest_f32_for(level)
    simd_level = level if simd_nearest_f64 != NULL else 0


def simd_level_in_use():
    return simd_level


cdef enum Pass:
    MEAN = 0
    UPDATE = 1
    FINAL = 2

CHUNK_SIZE = CHUNK
MEAN_PASS = MEAN
UPDATE_PASS = UPDATE
FINAL_PASS = FINAL


cdef struct Slots:
    # What every chunk of a pass writes, whatever the points' dtype.
    Py_ssize_t n_points, n_features, n_clusters, n_chunks
    Py_ssize_t width      # n_features rounded up to a multiple of FEATURE_GROUP
    int32_t* labels       # (n_points,)
    double* chunk_sums    # (n_chunks, n_clusters, n_features)
    int64_t* chunk_counts  # (n_chunks, n_clusters)
    double* chunk_inertia  # (n_chunks,)
    unsigned char* chunk_changed  # (n_chunks,)
    const int64_t* order  # (n_chunks,): the chunk of each claim, from claim_order


cdef void sum_points(const floating* points, Py_ssize_t start, Py_ssize_t stop,
                     Py_ssize_t n_features, double* sums) noexcept nogil:
    """sums[e] = the sum of points[start:stop, e] in point order, in float64."""
    cdef Py_ssize_t p, e
    cdef const floating* row
    memset(sums, 0, n_features * sizeof(double))
    for p in range(start, stop):
        row = points + p * n_features
        for e in range(n_features):
            sums[e] += row[e]


cdef void load_block(const floating* points, Py_ssize_t start, Py_ssize_t count,
                     Py_ssize_t n_features, const floating* mean, floating* xt) noexcept nogil:
    """Centre points[start:start+count] and store them transposed in xt.

    xt[e * BLOCK + i] is feature e of point start + i; lanes count..BLOCK-1
    are zero, so that whole blocks can be computed.
    """
    cdef Py_ssize_t i, e
    cdef const floating* row
    for i in range(count):
        row = points + (start + i) * n_features
        for e in range(n_features):
            xt[e * BLOCK + i] = row[e] - mean[e]
    for e in range(n_features):
        for i in range(count, BLOCK):
            xt[e * BLOCK + i] = 0


cdef inline floating add_group(floating start, const floating* x, Py_ssize_t i,
                               const floating* c) noexcept nogil:
    """start + x[0] c[0] + ... + x[3] c[3] from the left; x[f] is row f of a block, lane i."""
    return (start + x[i] * c[0] + x[i + BLOCK] * c[1] + x[i + 2 * BLOCK] * c[2]
            + x[i + 3 * BLOCK] * c[3])


cdef void nearest_centres(const floating* xt, Py_ssize_t width, Py_ssize_t n_clusters,
                          const floating* scaled, const floating* norms,
                          int32_t* nearest) noexcept nogil:
    """nearest[i]: the first centre at the least distance from lane i of block xt.

    The distance to centre j, up to the point's own squared norm, is
    ``norms[j] + x[0]*scaled[j, 0] + x[1]*scaled[j, 1] + ...``, added from
    left to right. Rows of xt and of scaled have ``width`` features, a
    multiple of FEATURE_GROUP, zero past the real ones (adding 0 changes no
    distance). A NaN distance never wins; if all are, the label is 0.
    simd_kmeans.h computes the same in vector registers; this loop is its
    definition, and what runs where the compiler has no vector extensions.
    """
    cdef floating dist[BLOCK]
    cdef floating best[BLOCK]
    cdef floating value
    cdef const floating* c
    cdef const floating* last = xt + (width - FEATURE_GROUP) * BLOCK
    cdef Py_ssize_t i, j, g, e
    cdef bint closer
    if floating is double:
        if simd_nearest_f64 != NULL:
            simd_nearest_f64(xt, width, n_clusters, scaled, norms, nearest)
            return
    else:
        if simd_nearest_f32 != NULL:
            simd_nearest_f32(xt, width, n_clusters, scaled, norms, nearest)
            return
    for i in range(BLOCK):
        best[i] = INFINITY
        nearest[i] = 0
    for j in range(n_clusters):
        c = scaled + j * width
        # Each group of features is one sweep over the block; the first
        # starts from the norm and the last is compared at once, so that
        # the distances go through memory as little as possible.
        if width == FEATURE_GROUP:
            for i in range(BLOCK):
                dist[i] = norms[j]
        else:
            for i in range(BLOCK):
                dist[i] = add_group(norms[j], xt, i, c)
            for g in range(1, width // FEATURE_GROUP - 1):
                e = g * FEATURE_GROUP
                for i in range(BLOCK):
                    dist[i] = add_group(dist[i], xt + e * BLOCK, i, c + e)
        c += width - FEATURE_GROUP
        for i in range(BLOCK):
            value = add_group(dist[i], last, i, c)
            closer = isless(value, best[i])
            best[i] = value if closer else best[i]
            nearest[i] = <int32_t>j if closer else nearest[i]


cdef bint update_points(const Slots* run, const floating* points, const floating* mean,
                        const floating* scaled, const floating* norms,
                        Py_ssize_t start, Py_ssize_t stop, double* sums, int64_t* counts,
                        floating* xt, Poll* poll) noexcept nogil:
    """Label points [start, stop) and sum them, centred, per cluster into sums and
    counts (zeroed first); True if a label changed. Polls after each block."""
    cdef Py_ssize_t n_features = run.n_features
    cdef int32_t nearest[BLOCK]
    cdef Py_ssize_t b, block, count, i, p, e, j
    cdef const floating* row
    cdef double* total
    cdef bint changed = False
    memset(sums, 0, run.n_clusters * n_features * sizeof(double))
    memset(counts, 0, run.n_clusters * sizeof(int64_t))
    for b in range((stop - start + BLOCK - 1) // BLOCK):
        if b > 0 and stopped(poll):
            return changed
        block = start + b * BLOCK
        count = min(<Py_ssize_t>BLOCK, stop - block)
        load_block(points, block, count, n_features, mean, xt)
        nearest_centres(xt, run.width, run.n_clusters, scaled, norms, nearest)
        for i in range(count):
            p = block + i
            j = nearest[i]
            changed |= run.labels[p] != j
            run.labels[p] = <int32_t>j
            counts[j] += 1
            row = points + p * n_features
            total = sums + j * n_features
            for e in range(n_features):
                total[e] += row[e] - mean[e]
    return changed


cdef double final_points(const Slots* run, const floating* points, const floating* mean,
                         const floating* centres, const floating* scaled,
                         const floating* norms, Py_ssize_t start, Py_ssize_t stop,
                         floating* xt, Poll* poll) noexcept nogil:
    """Label points [start, stop); return the sum of their squared distances (float64).
    Polls after each block."""
    cdef Py_ssize_t n_features = run.n_features
    cdef int32_t nearest[BLOCK]
    cdef Py_ssize_t b, block, count, i, p, e
    cdef const floating* row
    cdef const floating* centre
    cdef double diff, inertia = 0.0
    for b in range((stop - start + BLOCK - 1) // BLOCK):
        if b > 0 and stopped(poll):
            return inertia
        block = start + b * BLOCK
        count = min(<Py_ssize_t>BLOCK, stop - block)
        load_block(points, block, count, n_features, mean, xt)
        nearest_centres(xt, run.width, run.n_clusters, scaled, norms, nearest)
        for i in range(count):
            p = block + i
            run.labels[p] = nearest[i]
            row = points + p * n_features
            centre = centres + nearest[i] * n_features
            for e in range(n_features):
                diff = <double>(row[e] - mean[e]) - centre[e]
                inertia += diff * diff
    return inertia


cdef void pass_chunk(Slots* run, int mode, Py_ssize_t claim, const floating* points,
                     const floating* mean, const floating* centres, const floating* scaled,
                     const floating* norms, floating* xt, Poll* poll) noexcept nogil:
    """The chunk of claim number ``claim`` of a pass, its results in the chunk's own slots."""
    cdef Py_ssize_t chunk = run.order[claim]
    cdef Py_ssize_t start = chunk * CHUNK
    cdef Py_ssize_t stop = min(start + CHUNK, run.n_points)
    cdef Py_ssize_t size = run.n_clusters * run.n_features
    if mode == MEAN:
        sum_points(points, start, stop, run.n_features, run.chunk_sums + chunk * size)
    elif mode == UPDATE:
        run.chunk_changed[chunk] = update_points(
            run, points, mean, scaled, norms, start, stop, run.chunk_sums + chunk * size,
            run.chunk_counts + chunk * run.n_clusters, xt, poll)
    else:
        run.chunk_inertia[chunk] = final_points(run, points, mean, centres, scaled, norms,
                                                start, stop, xt, poll)


cdef void centre_on_mean(const Slots* run, floating* mean, floating* centres) noexcept nogil:
    """Merge the chunks' sums into the mean, then centre the initial centres."""
    cdef Py_ssize_t n_features = run.n_features
    cdef Py_ssize_t chunk, j, e
    cdef double total
    for e in range(n_features):
        total = 0.0
        for chunk in range(run.n_chunks):
            total += run.chunk_sums[chunk * run.n_clusters * n_features + e]
        mean[e] = <floating>(total / run.n_points)
    for j in range(run.n_clusters):
        for e in range(n_features):
            centres[j * n_features + e] = centres[j * n_features + e] - mean[e]


cdef void prepare_centres(const Slots* run, const floating* centres, floating* scaled,
                          floating* norms) noexcept nogil:
    """What nearest_centres needs: -2 * centres (rows of ``width``) and the squared norms."""
    cdef Py_ssize_t j, e, k
    cdef floating norm
    for j in range(run.n_clusters):
        norm = 0
        for e in range(run.n_features):
            k = j * run.n_features + e
            scaled[j * run.width + e] = -2 * centres[k]
            norm = norm + centres[k] * centres[k]
        norms[j] = norm


cdef double move_centres(const Slots* run, floating* centres, double* sums,
                         int64_t* counts) noexcept nogil:
    """Merge the chunks' sums in chunk order and move each centre to its cluster's mean.

    An empty cluster keeps its centre. ``sums`` and ``counts`` are scratch
    space of the sizes of one chunk's slots. Returns the sum over centres of
    their squared shifts.
    """
    cdef Py_ssize_t n_features = run.n_features
    cdef Py_ssize_t size = run.n_clusters * n_features
    cdef Py_ssize_t chunk, j, e, k
    cdef floating moved
    cdef double diff, shift = 0.0
    memset(sums, 0, size * sizeof(double))
    memset(counts, 0, run.n_clusters * sizeof(int64_t))
    for chunk in range(run.n_chunks):
        for k in range(size):
            sums[k] += run.chunk_sums[chunk * size + k]
        for j in range(run.n_clusters):
            counts[j] += run.chunk_counts[chunk * run.n_clusters + j]
    for j in range(run.n_clusters):
        if counts[j] == 0:
            continue
        for e in range(n_features):
            k = j * n_features + e
            moved = <floating>(sums[k] / counts[j])
            diff = <double>moved - centres[k]
            shift += diff * diff
            centres[k] = moved
    return shift


def _check_array(name, array, dtype, ndim):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}, got {array.dtype}")
    if array.ndim != ndim or array.size == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}-D array, got shape {array.shape}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")


def claim_order(n_chunks, threads):
    """The chunk each claim of a pass computes, for ``threads`` threads.

    The chunks are cut into ``threads`` stripes of consecutive chunks, and
    claims take turns between the stripes: with two threads, 0, s, 1, s + 1,
    2, ... (s = ceil(n_chunks / 2)). One thread computes them in order.
    """
    stripe = -(-n_chunks // threads)
    order = np.arange(threads * stripe, dtype=np.int64).reshape(threads, stripe).T.ravel()
    return order[order < n_chunks]


def _width(n_features):
    """n_features rounded up to whole groups of features."""
    return -(-n_features // FEATURE_GROUP) * FEATURE_GROUP


cdef class KMeansJob(ChunkJob):
    """One k-means run: its state, and the passes over the points that threads share.

    Made by ``new_job(points, centres, labels)``, which picks the subclass of
    the points' dtype (float64 or float32); this base holds what does not
    depend on it. A pass is started with ``start(mode)``, run by calling
    ``work()`` from any number of threads at once, and concluded with
    ``finish()``, which merges the chunks' partial results in chunk order:

    - MEAN_PASS, first: the points' mean; the initial centres are centred on it.
      ``finish()`` returns whether every chunk's sums are finite: True
      proves that no point holds a NaN or an infinity (either would make its
      chunk's sum one); False, that one may (or that a sum overflowed).
    - UPDATE_PASS: each point is labelled with its nearest centre, then each
      centre moves to the mean of its points (an empty cluster keeps its
      centre). ``finish()`` returns (any label changed, total squared shift).
    - FINAL_PASS: labels for the current centres. ``finish()`` returns the
      inertia (a float64 sum).

    Sums are accumulated in float64 whatever the dtype; everything else is
    computed in the points' dtype.
    """

    cdef Slots run
    cdef int mode
    cdef readonly object dtype
    # The arrays behind the pointers (run's and the subclasses' views), kept here.
    cdef object points, labels, mean, centres, scaled, norms
    cdef object chunk_sums, chunk_counts, chunk_inertia, chunk_changed, order

    def __cinit__(self, points, centres, labels):
        if not (isinstance(points, np.ndarray) and points.dtype in (np.float32, np.float64)):
            raise TypeError("points must be a float32 or float64 numpy.ndarray")
        _check_array("points", points, points.dtype, 2)
        _check_array("centres", centres, points.dtype, 2)
        if centres.shape[1] != points.shape[1]:
            raise ValueError(
                f"centres must have {points.shape[1]} features, got {centres.shape[1]}"
            )
        _check_array("labels", labels, np.int32, 1)
        if labels.shape[0] != points.shape[0]:
            raise ValueError(f"labels must have {points.shape[0]} items, got {labels.shape[0]}")
        if not labels.flags.writeable:
            raise ValueError("labels must be writeable")

        n_points, n_features = points.shape
        n_clusters = centres.shape[0]
        self.set_chunks(n_points, CHUNK)
        self.dtype = points.dtype
        self.points = points
        self.labels = labels
        labels.fill(-1)  # no point has a label yet: the first update changes them all
        self.mean = np.zeros(n_features, dtype=self.dtype)
        self.centres = np.array(centres, dtype=self.dtype, order="C")
        self.scaled = np.zeros((n_clusters, _width(n_features)), dtype=self.dtype)
        self.norms = np.zeros(n_clusters, dtype=self.dtype)
        self.chunk_sums = np.zeros((self.n_chunks, n_clusters, n_features))
        self.chunk_counts = np.zeros((self.n_chunks, n_clusters), dtype=np.int64)
        self.chunk_inertia = np.zeros(self.n_chunks)
        self.chunk_changed = np.zeros(self.n_chunks, dtype=np.uint8)

        cdef int32_t[::1] label_view = labels
        cdef double[:, :, ::1] sums_view = self.chunk_sums
        cdef int64_t[:, ::1] counts_view = self.chunk_counts
        cdef double[::1] inertia_view = self.chunk_inertia
        cdef unsigned char[::1] changed_view = self.chunk_changed
        self.run.n_points = n_points
        self.run.n_features = n_features
        self.run.n_clusters = n_clusters
        self.run.n_chunks = self.n_chunks
        self.run.width = _width(n_features)
        self.run.labels = &label_view[0]
        self.run.chunk_sums = &sums_view[0, 0, 0]
        self.run.chunk_counts = &counts_view[0, 0]
        self.run.chunk_inertia = &inertia_view[0]
        self.run.chunk_changed = &changed_view[0]
        self.set_order(1)
        self.mode = MEAN

    cdef set_order(self, Py_ssize_t threads):
        self.order = claim_order(self.n_chunks, threads)
        cdef const int64_t[::1] order = self.order
        self.run.order = &order[0]

    cdef object new_scratch(self):
        # A block of points, transposed; rows past n_features stay 0.
        return np.zeros(self.run.width * BLOCK, dtype=self.dtype)

    # The dtype's own steps, in the subclasses.
    cdef void prepare(self) noexcept nogil:
        pass

    cdef void merge_mean(self) noexcept nogil:
        pass

    cdef double move(self, double* sums, int64_t* counts) noexcept nogil:
        return 0.0

    def start(self, int mode, Py_ssize_t threads=1):
        """Begin a pass: MEAN_PASS, UPDATE_PASS or FINAL_PASS, for ``threads``
        threads (the order of the chunks, see claim_order; not the result)."""
        if mode not in (MEAN, UPDATE, FINAL):
            raise ValueError(f"mode must be MEAN_PASS, UPDATE_PASS or FINAL_PASS, got {mode}")
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self.set_order(threads)
        if mode != MEAN:
            with nogil:
                self.prepare()
        self.mode = mode
        self.restart()

    def finish(self):
        """Merge the pass's chunks, in chunk order; see the class docstring for what it returns."""
        cdef Py_ssize_t chunk
        cdef double shift, inertia = 0.0
        cdef double[::1] sums
        cdef int64_t[::1] counts
        if self.mode == MEAN:
            with nogil:
                self.merge_mean()
            return bool(np.isfinite(self.chunk_sums[:, 0, :]).all())
        if self.mode == UPDATE:
            sums = np.empty(self.run.n_clusters * self.run.n_features)
            counts = np.empty(self.run.n_clusters, dtype=np.int64)
            with nogil:
                shift = self.move(&sums[0], &counts[0])
            return bool(self.chunk_changed.any()), shift
        for chunk in range(self.run.n_chunks):
            inertia += self.run.chunk_inertia[chunk]
        return inertia

    def result_centres(self):
        """The current centres, back in the points' coordinates (a new array)."""
        return self.centres + self.mean


cdef class KMeansJob64(KMeansJob):
    """KMeansJob of float64 points."""

    cdef const double[:, ::1] x
    cdef double[::1] m, n
    cdef double[:, ::1] c, s

    def __cinit__(self, points, centres, labels):
        self.x, self.m, self.c, self.s, self.n = (
            self.points, self.mean, self.centres, self.scaled, self.norms)

    cdef void run_chunk(self, Py_ssize_t chunk, void* scratch, Poll* poll) noexcept nogil:
        pass_chunk(&self.run, self.mode, chunk, &self.x[0, 0], &self.m[0], &self.c[0, 0],
                   &self.s[0, 0], &self.n[0], <double*>scratch, poll)

    cdef void prepare(self) noexcept nogil:
        prepare_centres(&self.run, &self.c[0, 0], &self.s[0, 0], &self.n[0])

    cdef void merge_mean(self) noexcept nogil:
        centre_on_mean(&self.run, &self.m[0], &self.c[0, 0])

    cdef double move(self, double* sums, int64_t* counts) noexcept nogil:
        return move_centres(&self.run, &self.c[0, 0], sums, counts)


cdef class KMeansJob32(KMeansJob):
    """KMeansJob of float32 points."""

    cdef const float[:, ::1] x
    cdef float[::1] m, n
    cdef float[:, ::1] c, s

    def __cinit__(self, points, centres, labels):
        self.x, self.m, self.c, self.s, self.n = (
            self.points, self.mean, self.centres, self.scaled, self.norms)

    cdef void run_chunk(self, Py_ssize_t chunk, void* scratch, Poll* poll) noexcept nogil:
        pass_chunk(&self.run, self.mode, chunk, &self.x[0, 0], &self.m[0], &self.c[0, 0],
                   &self.s[0, 0], &self.n[0], <float*>scratch, poll)

    cdef void prepare(self) noexcept nogil:
        prepare_centres(&self.run, &self.c[0, 0], &self.s[0, 0], &self.n[0])

    cdef void merge_mean(self) noexcept nogil:
        centre_on_mean(&self.run, &self.m[0], &self.c[0, 0])

    cdef double move(self, double* sums, int64_t* counts) noexcept nogil:
        return move_centres(&self.run, &self.c[0, 0], sums, counts)


def new_job(points, centres, labels):
    """The KMeansJob of the points' dtype (see KMeansJob for the arguments)."""
    if isinstance(points, np.ndarray) and points.dtype == np.float32:
        return KMeansJob32(points, centres, labels)
    return KMeansJob64(points, centres, labels)


def label_points(const floating[:, ::1] points not None, const floating[::1] mean not None,
                 const floating[:, ::1] centres not None, int32_t[::1] labels not None,
                 double[:, ::1] sums not None, int64_t[::1] counts not None):
    """One chunk of a Lloyd iteration for the comparison engine, by the code of
    nogilkit.kmeans's update pass, GIL released.

    ``centres`` are centred on ``mean``. Each point gets the label of its
    nearest centre (``||c||**2 - 2 (x - mean).c``, the first on a tie) and is
    added, centred, to its cluster's row of ``sums`` and to its count.
    Returns whether any label changed (``labels`` holds the previous ones,
    -1 for none).
    """
    cdef Slots run
    cdef Py_ssize_t n_points = points.shape[0], n_features = points.shape[1]
    cdef Py_ssize_t k = centres.shape[0]
    cdef bint changed
    if mean.shape[0] != n_features or centres.shape[1] != n_features:
        raise ValueError(f"mean and centres must have {n_features} features")
    if labels.shape[0] != n_points:
        raise ValueError(f"labels must have {n_points} items, got {labels.shape[0]}")
    if sums.shape[0] != k or sums.shape[1] != n_features or counts.shape[0] != k:
        raise ValueError("sums must have shape (k, n_features) and counts (k,)")
    if k == 0 or n_points == 0:
        raise ValueError("points and centres must not be empty")
    dtype = np.float32 if floating is float else np.float64
    cdef floating[:, ::1] scaled = np.zeros((k, _width(n_features)), dtype=dtype)
    cdef floating[::1] norms = np.zeros(k, dtype=dtype)
    cdef floating[::1] xt = np.zeros(_width(n_features) * BLOCK, dtype=dtype)
    run.n_points, run.n_features, run.n_clusters = n_points, n_features, k
    run.width = _width(n_features)
    run.labels = &labels[0]
    cdef int64_t stop = 0
    cdef Poll poll = new_poll(&stop)
    with nogil:
        prepare_centres(&run, &centres[0, 0], &scaled[0, 0], &norms[0])
        changed = update_points(&run, &points[0, 0], &mean[0], &scaled[0, 0], &norms[0],
                                0, n_points, &sums[0, 0], &counts[0], &xt[0], &poll)
    end_poll(&poll)
    return changed
