"""How input arrays reach worker processes: pickled with every task, or
placed once in ``multiprocessing.shared_memory`` and attached by the workers.

Pickling copies each array into every task that needs it, so its cost grows
with chunks and array size; shared memory copies an array once and sends
only a small handle. The processes strategy lets the user pick, so the cost
of IPC shows in the table.
"""

import sys
from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy as np

# How input arrays travel to worker processes (Options.transfer).
TRANSFERS = ("pickle", "shm")

# Segments this worker process has attached, by name (kept open while in use).
_attached = {}


@dataclass(frozen=True)
class SharedArray:
    """A picklable handle to an array in a shared-memory segment."""

    name: str
    shape: tuple
    dtype: str

    def attach(self):
        segment = _attached.get(self.name)
        if segment is None:
            if sys.version_info >= (3, 13):
                # The creating process owns (and unlinks) the segment.
                segment = shared_memory.SharedMemory(self.name, track=False)
            else:
                segment = shared_memory.SharedMemory(self.name)
            _attached[self.name] = segment
        return np.ndarray(self.shape, dtype=self.dtype, buffer=segment.buf)


def resolve_arrays(arrays):
    """Task arrays as ndarrays, attaching shared-memory handles."""
    return {name: a.attach() if isinstance(a, SharedArray) else a for name, a in arrays.items()}


def detach(names):
    """Close this process's mappings of the named segments (after they are unlinked)."""
    for name in names:
        segment = _attached.pop(name, None)
        if segment is not None:
            segment.close()


class SharedArrays:
    """Segments created by the parent: one per distinct array, freed on release."""

    def __init__(self):
        self._segments = {}  # id(array) -> (array, segment, handle)

    def share(self, arrays):
        shared = {}
        for name, array in arrays.items():
            entry = self._segments.get(id(array))
            if entry is None or entry[0] is not array:
                array = np.ascontiguousarray(array)
                segment = shared_memory.SharedMemory(create=True, size=max(1, array.nbytes))
                np.ndarray(array.shape, array.dtype, buffer=segment.buf)[...] = array
                entry = (array, segment, SharedArray(segment.name, array.shape, array.dtype.str))
                self._segments[id(array)] = entry
            shared[name] = entry[2]
        return shared

    def names(self):
        return [segment.name for _, segment, _ in self._segments.values()]

    def release(self, keep=()):
        """Unlink every segment except those of the arrays in ``keep``."""
        keep_ids = {id(a) for a in keep}
        for key in [k for k in self._segments if k not in keep_ids]:
            _, segment, _ = self._segments.pop(key)
            segment.close()
            segment.unlink()


__all__ = ["TRANSFERS", "SharedArray", "SharedArrays", "detach", "resolve_arrays"]
