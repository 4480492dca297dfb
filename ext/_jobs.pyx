"""The one skeleton of every kernel: work split into chunks that threads claim.

A kernel's job subclasses ChunkJob: its constructor checks its arrays and
calls ``set_chunks(size, chunk)``; ``run_chunk(index, scratch)`` computes one
chunk without the GIL. ``work()`` may then be called from any number of
threads at once: each call releases the GIL and claims chunks from a shared
atomic counter until none is left, so uneven chunks balance themselves and
every chunk is computed exactly once, whichever thread gets it.

A job that needs memory of its own per thread (a private histogram, a block
of points) returns it from ``new_scratch()``: each ``work()`` call gets a new
array, passes its address to ``run_chunk`` and returns it.
"""

import numpy as np

from _parallel cimport claim_chunk, count_chunks


cdef void* address_of(object array) except? NULL:
    """The first byte of a C-contiguous, writeable array (NULL when it is empty)."""
    if array.size == 0:
        return NULL
    cdef unsigned char[::1] raw = array.reshape(-1).view(np.uint8)
    return &raw[0]


cdef class ChunkJob:
    """Chunks that any number of threads claim until none is left (see the module)."""

    cdef int set_chunks(self, Py_ssize_t size, Py_ssize_t chunk, str name="chunk") except -1:
        """Cover [0, size) with chunks of ``chunk`` items (the argument ``name``),
        none claimed yet."""
        if chunk < 1:
            raise ValueError(f"{name} must be >= 1, got {chunk}")
        self.n_chunks = count_chunks(size, chunk)
        self.next_chunk = 0
        return 0

    cdef object new_scratch(self):
        """This call's private memory: a C-contiguous array, or None for none."""
        return None

    cdef void run_chunk(self, Py_ssize_t index, void* scratch) noexcept nogil:
        pass

    def restart(self):
        """Make every chunk claimable again (a job that runs several passes)."""
        self.next_chunk = 0

    def work(self):
        """Compute chunks until every one is claimed; returns this call's scratch
        array (None for a job without one)."""
        scratch = self.new_scratch()
        cdef void* memory = address_of(scratch) if scratch is not None else NULL
        cdef Py_ssize_t index
        with nogil:
            while claim_chunk(&self.next_chunk, self.n_chunks, &index):
                self.run_chunk(index, memory)
        return scratch
