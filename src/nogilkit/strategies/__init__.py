"""The comparison engine's strategies: how chunks are run concurrently.

One module per kind of strategy; each strategy declares what it is (see
``base.Strategy``). A new strategy is its module and its line below.
"""

import dataclasses

from .._runtime import START_METHODS, default_start_method
from .base import FAMILIES, Strategy
from .cluster import Dask, DaskThreads
from .compiled import NumbaParallel, OpenMP
from .coroutines import Asyncio, AsyncioProcesses, AsyncioThreads, ThreadsToLoop
from .interpreters import Interpreters
from .joblib_backends import JoblibLoky, JoblibThreading
from .processes import POOL_APIS, Processes, WithStartMethod
from .serial import Serial
from .threads import Threads
from .transfer import TRANSFERS

STRATEGIES = {
    s.name: s
    for s in (Serial(), Threads(), Processes(), Asyncio(), AsyncioThreads(), AsyncioProcesses(),
              ThreadsToLoop(), OpenMP(), NumbaParallel(), Dask(), DaskThreads(), JoblibThreading(),
              JoblibLoky(), Interpreters())
}


# Strategies that start processes also come fixed to one start method, by
# name: "processes:spawn".
WITH_START_METHOD = {f"{s.name}:{method}": WithStartMethod(s, method)
                     for s in STRATEGIES.values() if s.start_method_variants
                     for method in START_METHODS}


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
            f"({' and '.join(s.name for s in STRATEGIES.values() if s.start_method_variants)} "
            f"also as NAME:{'|'.join(START_METHODS)})"
        ) from None


__all__ = ["FAMILIES", "POOL_APIS", "START_METHODS", "STRATEGIES", "TRANSFERS", "WITH_START_METHOD",
           "Options", "Strategy", "get_strategy"]
