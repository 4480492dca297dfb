# Declarations of nogilkit._ext._jobs, kept under its package path so that every
# kernel module can cimport the base class by its full name (Cython looks a
# cimported class up, and imports its module at run time, by that name).

from libc.stdint cimport int64_t


cdef class ChunkJob:
    cdef readonly Py_ssize_t n_chunks
    cdef int64_t next_chunk

    cdef int set_chunks(self, Py_ssize_t size, Py_ssize_t chunk, str name=*) except -1
    cdef object new_scratch(self)
    cdef void run_chunk(self, Py_ssize_t index, void* scratch) noexcept nogil
