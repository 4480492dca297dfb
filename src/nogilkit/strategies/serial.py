"""Strategy ``serial``: every chunk in turn, in the calling thread."""

from .base import ChunkedSession, Strategy, run_task


class SerialSession(ChunkedSession):
    def map_tasks(self, tasks):
        return [run_task(task) for task in tasks]


class Serial(Strategy):
    name = "serial"
    summary = "every chunk in turn in the calling thread: the baseline"
    family = "serial"

    def start(self, workers, options):
        return SerialSession(1, options.chunks_per_worker)


__all__ = ["Serial"]
