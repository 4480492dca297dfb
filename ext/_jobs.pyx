"""The one skeleton of every kernel: work split into chunks that threads claim,
and stopped within a fraction of a second by Ctrl-C.

A kernel's job subclasses ChunkJob: its constructor checks its arrays and
calls ``set_chunks(size, chunk)``; ``run_chunk(index, scratch, poll)``
computes one chunk without the GIL. ``work()`` may then be called from any
number of threads at once: each call releases the GIL and claims chunks from a
shared atomic counter until none is left, so uneven chunks balance themselves
and every chunk is computed exactly once, whichever thread gets it.

A job that needs memory of its own per thread (a private histogram, a block
of points) returns it from ``new_scratch()``: each ``work()`` call gets a new
array, passes its address to ``run_chunk`` and returns it.

Stopping. Python runs signal handlers (Ctrl-C's KeyboardInterrupt) in the
main thread, between bytecodes: never while a kernel runs without the GIL.
So every thread polls between chunks (and a kernel whose one chunk may run
long, such as a Mandelbrot pixel of 2**31 iterations, polls inside it too):
the main thread takes the GIL back about every CHECK_SECONDS to run the
handlers (``PyErr_CheckSignals``); when one raises, the work's stop flag is
set, every thread stops at its next poll, and ``work()`` re-raises the
handler's exception in the main thread. ``interrupt_all()`` stops every
kernel running in any thread (the comparison engine calls it on Ctrl-C, for
kernels in its worker threads, which never see a signal); those raise
KeyboardInterrupt. Polls read the clock only every ``stride`` calls, the
stride adjusted so that a look comes about every 5 ms of work, whatever a
poll's cost.
"""

import threading

import numpy as np

from libc.stdint cimport int64_t

from _parallel cimport claim_chunk, count_chunks

cdef extern from "Python.h":
    # Without an error value, so that Cython leaves the handler's exception pending.
    int check_signals "PyErr_CheckSignals" () noexcept
    void* PyErr_Occurred()

cdef extern from *:
    """
    #if defined(_WIN32)
    #include <windows.h>
    static double nogilkit_monotonic(void) {
        LARGE_INTEGER count, frequency;
        QueryPerformanceCounter(&count);
        QueryPerformanceFrequency(&frequency);
        return (double)count.QuadPart / (double)frequency.QuadPart;
    }
    static int64_t nogilkit_load(int64_t *p) { return InterlockedCompareExchange64(p, 0, 0); }
    static void nogilkit_store(int64_t *p, int64_t v) { InterlockedExchange64(p, v); }
    #else
    #include <time.h>
    static double nogilkit_monotonic(void) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
    }
    static int64_t nogilkit_load(int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
    static void nogilkit_store(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
    #endif
    """
    double nogilkit_monotonic() noexcept nogil
    int64_t nogilkit_load(int64_t* p) noexcept nogil
    void nogilkit_store(int64_t* p, int64_t v) noexcept nogil

cdef extern from *:
    # A build-time switch for the tests only (tests/test_gil_variant.py): built
    # with NOGILKIT_HOLD_GIL defined, this module's `with nogil:` blocks keep
    # the GIL, as if they had been deleted, so that the GIL-release signal can
    # be shown to fail a kernel that lost its nogil section. Never set by setup.py.
    """
    #ifdef NOGILKIT_HOLD_GIL
    #define PyEval_SaveThread() ((PyThreadState *)NULL)
    #define PyEval_RestoreThread(state) ((void)(state))
    #endif
    """

cdef double CHECK_SECONDS = 0.02  # signal handlers run this often during a kernel
cdef double LOOK_SECONDS = 0.005  # the clock is read about this often
cdef int64_t MAX_STRIDE = 1 << 30

# interrupt_all() counts up; work that started at another count stops.
cdef int64_t interrupts = 0


def interrupt_all():
    """Stop every kernel now running, in any thread: each raises KeyboardInterrupt
    within a fraction of a second. Kernels started afterwards are not affected."""
    global interrupts
    nogilkit_store(&interrupts, nogilkit_load(&interrupts) + 1)


cdef Poll new_poll(int64_t* stop) noexcept:
    """A poll for the calling thread (which holds the GIL) over the work of ``stop``."""
    cdef Poll poll
    poll.stop = stop
    poll.epoch = nogilkit_load(&interrupts)
    poll.main = threading.current_thread() is threading.main_thread()
    poll.raised = False
    poll.last = nogilkit_monotonic()
    poll.next_signals = poll.last + CHECK_SECONDS
    poll.count = 0
    poll.stride = 1
    return poll


cdef bint stopped(Poll* poll) noexcept nogil:
    """Whether the work must stop: another thread saw a signal, interrupt_all()
    was called, or (main thread) a signal handler raises now."""
    cdef double now
    if nogilkit_load(poll.stop) or nogilkit_load(&interrupts) != poll.epoch:
        return True
    poll.count += 1
    if poll.count < poll.stride:
        return False
    poll.count = 0
    now = nogilkit_monotonic()
    if now - poll.last < LOOK_SECONDS / 4 and poll.stride < MAX_STRIDE:
        poll.stride *= 2
    elif now - poll.last > LOOK_SECONDS * 4 and poll.stride > 1:
        poll.stride //= 2
    poll.last = now
    if poll.main and now >= poll.next_signals:
        poll.next_signals = now + CHECK_SECONDS
        with gil:
            # Declared without an error value: the exception the handler raised
            # stays pending, and end_poll() raises it once the work is stopped.
            if check_signals() != 0:
                poll.raised = True
                nogilkit_store(poll.stop, 1)
                return True
    return False


cdef int end_poll(Poll* poll) except -1:
    """After the work (GIL held): re-raise what a signal handler raised, or raise
    KeyboardInterrupt if the work was stopped from elsewhere; 0 if it ran whole."""
    if poll.raised or PyErr_Occurred() != NULL:
        return -1  # a handler's exception is pending: Cython raises it
    if nogilkit_load(poll.stop) or nogilkit_load(&interrupts) != poll.epoch:
        raise KeyboardInterrupt("the kernel was interrupted")
    return 0


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
        self.stop = 0
        return 0

    cdef object new_scratch(self):
        """This call's private memory: a C-contiguous array, or None for none."""
        return None

    cdef void run_chunk(self, Py_ssize_t index, void* scratch, Poll* poll) noexcept nogil:
        pass

    def restart(self):
        """Make every chunk claimable again (a job that runs several passes)."""
        self.next_chunk = 0

    def cancel(self):
        """Make every thread stop claiming chunks (the work is abandoned)."""
        nogilkit_store(&self.stop, 1)

    def work(self):
        """Compute chunks until every one is claimed; returns this call's scratch
        array (None for a job without one). Raises KeyboardInterrupt (or what a
        signal handler raised) when the work was stopped."""
        scratch = self.new_scratch()
        cdef void* memory = address_of(scratch) if scratch is not None else NULL
        cdef Py_ssize_t index
        cdef Poll poll = new_poll(&self.stop)
        with nogil:
            while not stopped(&poll) and claim_chunk(&self.next_chunk, self.n_chunks, &index):
                self.run_chunk(index, memory, &poll)
        end_poll(&poll)
        return scratch
