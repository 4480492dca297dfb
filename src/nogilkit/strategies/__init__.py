"""The comparison engine's strategies: how chunks are run concurrently."""

import dataclasses
import multiprocessing

from .cluster import Dask, DaskThreads
from .compiled import NumbaParallel, OpenMP
from .coroutines import Asyncio, AsyncioProcesses, AsyncioThreads, ThreadsToLoop
from .interpreters import Interpreters
from .processes import POOL_APIS, TRANSFERS, Processes
from .serial import Serial
from .threads import Threads

STRATEGIES = {
    s.name: s
    for s in (Serial(), Threads(), Processes(), Asyncio(), AsyncioThreads(), AsyncioProcesses(),
              ThreadsToLoop(), OpenMP(), NumbaParallel(), Dask(), DaskThreads(), Interpreters())
}


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
        methods = ("fork", "spawn", "forkserver")
        if self.start_method not in methods:
            raise ValueError(f"start_method must be one of {', '.join(methods)}, got {self.start_method!r}")
        if self.scheduler is not None and (not isinstance(self.scheduler, str)
                                           or "://" not in self.scheduler):
            raise ValueError(f"scheduler must be an address such as tcp://127.0.0.1:8786, "
                             f"got {self.scheduler!r}")
        for name in ("chunks_per_worker", "chunksize"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def get_strategy(name):
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(
            f"unknown strategy {name!r}; valid strategies: {', '.join(STRATEGIES)}"
        ) from None


__all__ = ["STRATEGIES", "Options", "default_start_method", "get_strategy"]
