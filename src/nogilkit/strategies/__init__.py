"""The comparison engine's strategies: how chunks are run concurrently."""

import dataclasses
import multiprocessing

from .cluster import Dask, DaskThreads
from .compiled import NumbaParallel, OpenMP
from .coroutines import Asyncio, AsyncioProcesses, AsyncioThreads, ThreadsToLoop
from .interpreters import Interpreters
from .processes import POOL_APIS, TRANSFERS, Processes, WithStartMethod
from .serial import Serial
from .threads import Threads

STRATEGIES = {
    s.name: s
    for s in (Serial(), Threads(), Processes(), Asyncio(), AsyncioThreads(), AsyncioProcesses(),
              ThreadsToLoop(), OpenMP(), NumbaParallel(), Dask(), DaskThreads(), Interpreters())
}


START_METHODS = ("fork", "forkserver", "spawn")
# Strategies that take a start method in their name: "processes:spawn".
WITH_START_METHOD = {f"{name}:{method}": WithStartMethod(STRATEGIES[name], method)
                     for name in ("processes", "asyncio+processes") for method in START_METHODS}


def default_start_method():
    # forkserver (Python 3.14's default on Linux) avoids forking a process
    # that already runs threads; spawn where it does not exist.
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


@dataclasses.dataclass(frozen=True)
class Options:
    """How strategies split and ship the work."""

    chunks_per_worker: int = 4
    start_method: str = dataclasses.field(default_factory=default_start_method)
    pool: str = "executor"
    chunksize: int = 1
    transfer: str = "pickle"
    scheduler: str = None  # a Dask scheduler's address for the dask strategies

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def __post_init__(self):
        if self.pool not in POOL_APIS:
            raise ValueError(f"pool must be one of {', '.join(POOL_APIS)}, got {self.pool!r}")
        if self.transfer not in TRANSFERS:
            raise ValueError(f"transfer must be one of {', '.join(TRANSFERS)}, got {self.transfer!r}")
        if self.start_method not in START_METHODS:
            raise ValueError(f"start_method must be one of {', '.join(START_METHODS)}, "
                             f"got {self.start_method!r}")
        if self.scheduler is not None and (not isinstance(self.scheduler, str)
                                           or "://" not in self.scheduler):
            raise ValueError(f"scheduler must be an address such as tcp://127.0.0.1:8786, "
                             f"got {self.scheduler!r}")
        for name in ("chunks_per_worker", "chunksize"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def get_strategy(name):
    """A strategy by name, ``processes:spawn`` style names included."""
    try:
        return STRATEGIES.get(name) or WITH_START_METHOD[name]
    except KeyError:
        raise ValueError(
            f"unknown strategy {name!r}; valid strategies: {', '.join(STRATEGIES)} "
            f"(processes and asyncio+processes also as NAME:{'|'.join(START_METHODS)})"
        ) from None


__all__ = ["START_METHODS", "STRATEGIES", "WITH_START_METHOD", "Options", "default_start_method",
           "get_strategy"]
