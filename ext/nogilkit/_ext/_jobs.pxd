# Declarations of nogilkit._ext._jobs, kept under its package path so that every
# kernel module can cimport the base class by its full name (Cython looks a
# cimported class up, and imports its module at run time, by that name).

from libc.stdint cimport int64_t


cdef struct Poll:
    # One thread's view of whether its work must stop (see _jobs.pyx).
    int64_t* stop       # the work's stop flag, shared by its threads
    int64_t epoch       # interrupt_all()'s count when the work started
    bint main           # this thread may handle signals (Python's main thread)
    bint raised         # a signal handler raised here: its exception is pending
    double last         # monotonic seconds of the last look at the clock
    double next_signals  # when to run the signal handlers next
    int64_t count, stride  # polls since the last look at the clock, and between looks


cdef Poll new_poll(int64_t* stop) noexcept
cdef bint stopped(Poll* poll) noexcept nogil
cdef int end_poll(Poll* poll) except -1


cdef class ChunkJob:
    cdef readonly Py_ssize_t n_chunks
    cdef int64_t next_chunk
    cdef int64_t stop

    cdef int set_chunks(self, Py_ssize_t size, Py_ssize_t chunk, str name=*) except -1
    cdef object new_scratch(self)
    cdef void run_chunk(self, Py_ssize_t index, void* scratch, Poll* poll) noexcept nogil
