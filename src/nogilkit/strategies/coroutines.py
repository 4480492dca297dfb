"""Strategies on an asyncio event loop.

``asyncio``: each chunk is a coroutine on one event loop. Coroutines switch
only at ``await``; CPU work never awaits, so they run one after another on
one thread: cooperative switching gives no parallelism for CPU work.
``asyncio+threads``: ``loop.run_in_executor`` with a thread pool (what
``asyncio.to_thread`` does), so nogil kernels run in parallel while the loop
stays free. ``asyncio+processes``: ``run_in_executor`` with a process pool.
"""

import asyncio

from .base import ChunkedSession, Strategy, run_task
from .processes import Processes, ProcessSession
from .threads import ThreadSession


async def _gather_or_cancel(awaitables):
    """gather(); on the first error, cancel and await the rest, so that no
    coroutine is left pending on a loop about to close."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def _coroutine_chunk(task, limit):
    async with limit:
        await asyncio.sleep(0)  # a switch point, as a real coroutine would have
        return run_task(task)


class CoroutineSession(ChunkedSession):
    def __init__(self, workers, chunks_per_worker):
        super().__init__(workers, chunks_per_worker)
        self.loop = asyncio.new_event_loop()

    def map_tasks(self, tasks):
        async def main():
            limit = asyncio.Semaphore(self.workers)  # "workers" coroutines at a time
            return await _gather_or_cancel([_coroutine_chunk(t, limit) for t in tasks])

        return self.loop.run_until_complete(main())

    def close(self, *, abort=False):
        self.loop.close()


class _ExecutorOnLoop:
    """Mixin: a session's chunks go through loop.run_in_executor on its pool."""

    def executor(self):
        raise NotImplementedError

    def map_tasks(self, tasks):
        async def main():
            loop = asyncio.get_running_loop()
            return await _gather_or_cancel([loop.run_in_executor(self.executor(), run_task, t)
                                            for t in tasks])

        return self.loop.run_until_complete(main())

    def close(self, *, abort=False):
        try:
            super().close(abort=abort)
        finally:
            self.loop.close()


class LoopThreadSession(_ExecutorOnLoop, ThreadSession):
    def __init__(self, workers, chunks_per_worker):
        super().__init__(workers, chunks_per_worker)
        self.loop = asyncio.new_event_loop()

    def executor(self):
        return self.thread_pool


class LoopProcessSession(_ExecutorOnLoop, ProcessSession):
    def __init__(self, workers, options):
        # run_in_executor needs a concurrent.futures Executor.
        super().__init__(workers, options.replace(pool="executor"))
        self.loop = asyncio.new_event_loop()

    def executor(self):
        return self.pool


class Asyncio(Strategy):
    name = "asyncio"
    summary = "chunks as coroutines on one event loop: no parallelism for CPU work"

    def start(self, workers, options):
        return CoroutineSession(workers, options.chunks_per_worker)


class AsyncioThreads(Strategy):
    name = "asyncio+threads"
    summary = "loop.run_in_executor with a thread pool (as asyncio.to_thread)"

    def start(self, workers, options):
        return LoopThreadSession(workers, options.chunks_per_worker)


class AsyncioProcesses(Processes):
    name = "asyncio+processes"
    summary = "loop.run_in_executor with a process pool"

    def start(self, workers, options):
        return LoopProcessSession(workers, options)
