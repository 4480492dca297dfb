"""k-means (Lloyd's algorithm): nogil passes over fixed chunks of points.

The public, validating entry point is nogilkit.kmeans; this module holds the
compiled part only.

Every pass splits the points into chunks of CHUNK_SIZE points, which threads
claim from a shared atomic counter. Each chunk writes its partial results
(sums, counts, inertia) to a slot of its own, and the slots are merged in
chunk order once the pass is over, so the result is the same bit for bit
whatever the number of threads.

As in scikit-learn, the work is done in centred coordinates (points minus
their mean): there the expanded squared distance ||c||^2 - 2 x.c, which needs
two thirds of the arithmetic of sum((x - c)^2), loses little to cancellation.
"""

from cython cimport floating
from libc.math cimport INFINITY
from libc.stdint cimport int32_t, int64_t
from libc.string cimport memset

import numpy as np

from _parallel cimport claim_chunk, count_chunks

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

cdef enum Pass:
    MEAN = 0
    UPDATE = 1
    FINAL = 2

CHUNK_SIZE = CHUNK
MEAN_PASS = MEAN
UPDATE_PASS = UPDATE
FINAL_PASS = FINAL


cdef struct Run:
    # Everything a chunk of a pass reads or writes, for the nogil functions.
    Py_ssize_t n_points, n_features, n_clusters, n_chunks
    Py_ssize_t width      # n_features rounded up to a multiple of FEATURE_GROUP
    # Arrays of the points' dtype (float or double):
    const void* points    # (n_points, n_features)
    void* mean            # (n_features,)
    void* centres         # (n_clusters, n_features), centred
    void* scaled          # (n_clusters, width): -2 * centres, then zeros
    void* norms           # (n_clusters,): squared norms of the centres
    # Outputs and per-chunk slots:
    int32_t* labels       # (n_points,)
    double* chunk_sums    # (n_chunks, n_clusters, n_features)
    int64_t* chunk_counts  # (n_chunks, n_clusters)
    double* chunk_inertia  # (n_chunks,)
    unsigned char* chunk_changed  # (n_chunks,)


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
    """
    cdef floating dist[BLOCK]
    cdef floating best[BLOCK]
    cdef floating value
    cdef const floating* c
    cdef const floating* last = xt + (width - FEATURE_GROUP) * BLOCK
    cdef Py_ssize_t i, j, g, e
    cdef bint closer
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


cdef bint update_chunk(const Run* run, Py_ssize_t chunk, floating* xt) noexcept nogil:
    """Label the chunk's points and sum them per cluster; True if a label changed."""
    cdef const floating* points = <const floating*>run.points
    cdef const floating* mean = <const floating*>run.mean
    cdef Py_ssize_t n_features = run.n_features
    cdef Py_ssize_t n_clusters = run.n_clusters
    cdef Py_ssize_t start = chunk * CHUNK
    cdef Py_ssize_t stop = min(start + CHUNK, run.n_points)
    cdef double* sums = run.chunk_sums + chunk * n_clusters * n_features
    cdef int64_t* counts = run.chunk_counts + chunk * n_clusters
    cdef int32_t nearest[BLOCK]
    cdef Py_ssize_t b, block, count, i, p, e, j
    cdef const floating* row
    cdef double* total
    cdef bint changed = False
    memset(sums, 0, n_clusters * n_features * sizeof(double))
    memset(counts, 0, n_clusters * sizeof(int64_t))
    for b in range((stop - start + BLOCK - 1) // BLOCK):
        block = start + b * BLOCK
        count = min(<Py_ssize_t>BLOCK, stop - block)
        load_block(points, block, count, n_features, mean, xt)
        nearest_centres(xt, run.width, n_clusters, <const floating*>run.scaled,
                        <const floating*>run.norms, nearest)
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


cdef double final_chunk(const Run* run, Py_ssize_t chunk, floating* xt) noexcept nogil:
    """Label the chunk's points; return the sum of their squared distances (float64)."""
    cdef const floating* points = <const floating*>run.points
    cdef const floating* mean = <const floating*>run.mean
    cdef const floating* centres = <const floating*>run.centres
    cdef Py_ssize_t n_features = run.n_features
    cdef Py_ssize_t start = chunk * CHUNK
    cdef Py_ssize_t stop = min(start + CHUNK, run.n_points)
    cdef int32_t nearest[BLOCK]
    cdef Py_ssize_t b, block, count, i, p, e
    cdef const floating* row
    cdef const floating* centre
    cdef double diff, inertia = 0.0
    for b in range((stop - start + BLOCK - 1) // BLOCK):
        block = start + b * BLOCK
        count = min(<Py_ssize_t>BLOCK, stop - block)
        load_block(points, block, count, n_features, mean, xt)
        nearest_centres(xt, run.width, run.n_clusters, <const floating*>run.scaled,
                        <const floating*>run.norms, nearest)
        for i in range(count):
            p = block + i
            run.labels[p] = nearest[i]
            row = points + p * n_features
            centre = centres + nearest[i] * n_features
            for e in range(n_features):
                diff = <double>(row[e] - mean[e]) - centre[e]
                inertia += diff * diff
    return inertia


cdef void run_chunk(Run* run, int mode, Py_ssize_t chunk, floating* xt) noexcept nogil:
    if mode == MEAN:
        sum_points(<const floating*>run.points, chunk * CHUNK,
                   min((chunk + 1) * CHUNK, run.n_points), run.n_features,
                   run.chunk_sums + chunk * run.n_clusters * run.n_features)
    elif mode == UPDATE:
        run.chunk_changed[chunk] = update_chunk(run, chunk, xt)
    else:
        run.chunk_inertia[chunk] = final_chunk(run, chunk, xt)


cdef void centre_on_mean(Run* run, floating* mean) noexcept nogil:
    """Merge the chunks' sums into the mean, then centre the initial centres."""
    cdef floating* centres = <floating*>run.centres
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


cdef void prepare_centres(Run* run, floating* centres) noexcept nogil:
    """What nearest_centres needs: -2 * centres and the squared norms."""
    cdef floating* scaled = <floating*>run.scaled
    cdef floating* norms = <floating*>run.norms
    cdef Py_ssize_t j, e, k
    cdef floating norm
    for j in range(run.n_clusters):
        norm = 0
        for e in range(run.n_features):
            k = j * run.n_features + e
            scaled[j * run.width + e] = -2 * centres[k]
            norm = norm + centres[k] * centres[k]
        norms[j] = norm


cdef double move_centres(Run* run, floating* centres, double* sums,
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


cdef const void* read_address(object array) except NULL:
    """Address of the first item of a non-empty C-contiguous array."""
    cdef const unsigned char[::1] raw = array.reshape(-1).view(np.uint8)
    return &raw[0]


cdef void* write_address(object array) except NULL:
    """Address of the first item of a non-empty, writeable C-contiguous array."""
    cdef unsigned char[::1] raw = array.reshape(-1).view(np.uint8)
    return &raw[0]


def _check_array(name, array, dtype, ndim):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype)}, got {array.dtype}")
    if array.ndim != ndim or array.size == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}-D array, got shape {array.shape}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")


cdef class KMeansJob:
    """One k-means run: its state, and the passes over the points that threads share.

    Parameters
    ----------
    points : numpy.ndarray
        C-contiguous float32 or float64 array of shape (n_points, n_features).
        Read, never written; it must stay unchanged while the job runs.
    centres : numpy.ndarray
        The initial centres, shape (n_clusters, n_features), points' dtype.
        Copied.
    labels : numpy.ndarray
        int32 array of shape (n_points,), the output labels; set to -1 here.

    A pass is started with ``start(mode)``, run by calling ``work()`` from
    any number of threads at once, and concluded with ``finish()``, which
    merges the chunks' partial results in chunk order:

    - MEAN_PASS, first: the points' mean; the initial centres are centred on it.
    - UPDATE_PASS: each point is labelled with its nearest centre, then each
      centre moves to the mean of its points (an empty cluster keeps its
      centre). ``finish()`` returns (any label changed, total squared shift).
    - FINAL_PASS: labels for the current centres. ``finish()`` returns the
      inertia (a float64 sum).

    Sums are accumulated in float64 whatever the dtype; everything else is
    computed in the points' dtype.
    """

    cdef Run run
    cdef int mode
    cdef int64_t next_chunk
    cdef bint single  # float32 points, else float64
    cdef readonly object dtype
    # The arrays behind run's pointers, kept alive here.
    cdef object points, labels, mean, centres, scaled, norms
    cdef object chunk_sums, chunk_counts, chunk_inertia, chunk_changed

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
        n_chunks = count_chunks(n_points, CHUNK)
        self.dtype = points.dtype
        self.single = points.dtype == np.float32
        self.points = points
        self.labels = labels
        labels.fill(-1)  # no point has a label yet: the first update changes them all
        self.mean = np.zeros(n_features, dtype=self.dtype)
        self.centres = np.array(centres, dtype=self.dtype, order="C")
        width = -(-n_features // FEATURE_GROUP) * FEATURE_GROUP
        self.scaled = np.zeros((n_clusters, width), dtype=self.dtype)
        self.norms = np.zeros(n_clusters, dtype=self.dtype)
        self.chunk_sums = np.zeros((n_chunks, n_clusters, n_features))
        self.chunk_counts = np.zeros((n_chunks, n_clusters), dtype=np.int64)
        self.chunk_inertia = np.zeros(n_chunks)
        self.chunk_changed = np.zeros(n_chunks, dtype=np.uint8)

        self.run.n_points = n_points
        self.run.n_features = n_features
        self.run.n_clusters = n_clusters
        self.run.n_chunks = n_chunks
        self.run.width = width
        self.run.points = read_address(points)
        self.run.mean = write_address(self.mean)
        self.run.centres = write_address(self.centres)
        self.run.scaled = write_address(self.scaled)
        self.run.norms = write_address(self.norms)
        self.run.labels = <int32_t*>write_address(labels)
        self.run.chunk_sums = <double*>write_address(self.chunk_sums)
        self.run.chunk_counts = <int64_t*>write_address(self.chunk_counts)
        self.run.chunk_inertia = <double*>write_address(self.chunk_inertia)
        self.run.chunk_changed = <unsigned char*>write_address(self.chunk_changed)
        self.mode = MEAN
        self.next_chunk = 0

    @property
    def n_chunks(self):
        return self.run.n_chunks

    def start(self, int mode):
        """Begin a pass: MEAN_PASS, UPDATE_PASS or FINAL_PASS."""
        if mode not in (MEAN, UPDATE, FINAL):
            raise ValueError(f"mode must be MEAN_PASS, UPDATE_PASS or FINAL_PASS, got {mode}")
        if mode != MEAN:
            with nogil:
                if self.single:
                    prepare_centres(&self.run, <float*>self.run.centres)
                else:
                    prepare_centres(&self.run, <double*>self.run.centres)
        self.mode = mode
        self.next_chunk = 0

    def work(self):
        """Process chunks of the current pass until none is left; returns how many this call did."""
        # This call's transposed block of points; rows past n_features stay 0.
        block = np.zeros(self.run.width * BLOCK, dtype=self.dtype)
        cdef void* xt = write_address(block)
        cdef int mode = self.mode
        cdef Py_ssize_t chunk, done = 0
        with nogil:
            while claim_chunk(&self.next_chunk, self.run.n_chunks, &chunk):
                if self.single:
                    run_chunk(&self.run, mode, chunk, <float*>xt)
                else:
                    run_chunk(&self.run, mode, chunk, <double*>xt)
                done += 1
        return done

    def finish(self):
        """Merge the pass's chunks, in chunk order; see the class docstring for what it returns."""
        cdef Py_ssize_t chunk
        cdef double shift, inertia = 0.0
        cdef double* sums_address
        cdef int64_t* counts_address
        if self.mode == MEAN:
            with nogil:
                if self.single:
                    centre_on_mean(&self.run, <float*>self.run.mean)
                else:
                    centre_on_mean(&self.run, <double*>self.run.mean)
            return None
        if self.mode == UPDATE:
            sums = np.empty(self.run.n_clusters * self.run.n_features)
            counts = np.empty(self.run.n_clusters, dtype=np.int64)
            sums_address = <double*>write_address(sums)
            counts_address = <int64_t*>write_address(counts)
            with nogil:
                if self.single:
                    shift = move_centres(&self.run, <float*>self.run.centres,
                                         sums_address, counts_address)
                else:
                    shift = move_centres(&self.run, <double*>self.run.centres,
                                         sums_address, counts_address)
            return bool(self.chunk_changed.any()), shift
        for chunk in range(self.run.n_chunks):
            inertia += self.run.chunk_inertia[chunk]
        return inertia

    def result_centres(self):
        """The current centres, back in the points' coordinates (a new array)."""
        return self.centres + self.mean


def lloyd_chunk(const double[:, ::1] points not None, const double[:, ::1] centres not None,
                double[:, ::1] sums not None, int64_t[::1] counts not None):
    """One chunk of a Lloyd iteration for the comparison engine, GIL released.

    Each point goes to its nearest centre (squared distance summed feature
    by feature, ties to the lowest index) and is added to that centre's row
    of ``sums`` and to its count: the plain definition, which the workload's
    pure-Python version follows operation for operation.
    """
    cdef Py_ssize_t n = points.shape[0]
    cdef Py_ssize_t k = centres.shape[0]
    cdef Py_ssize_t f = points.shape[1]
    cdef Py_ssize_t p, j, e, nearest
    cdef double best, distance, diff
    if centres.shape[1] != f or sums.shape[0] != k or sums.shape[1] != f or counts.shape[0] != k:
        raise ValueError("centres and sums must have shape (k, n_features) and counts (k,)")
    if k == 0:
        raise ValueError("centres must hold at least one centre")
    with nogil:
        for p in range(n):
            best = INFINITY
            nearest = 0
            for j in range(k):
                distance = 0.0
                for e in range(f):
                    diff = points[p, e] - centres[j, e]
                    distance = distance + diff * diff
                if distance < best:
                    best = distance
                    nearest = j
            counts[nearest] += 1
            for e in range(f):
                sums[nearest, e] += points[p, e]
