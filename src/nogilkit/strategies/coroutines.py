"""Strategies on an asyncio event loop.

``asyncio``: each chunk is a coroutine on one event loop. Coroutines switch
only at ``await``; CPU work never awaits, so they run one after another on
one thread: cooperative switching gives no parallelism for CPU work, while
I/O (workload ``io``) overlaps, as many requests at once as the workers.
``asyncio+threads``: ``loop.run_in_executor`` with a thread pool (what
``asyncio.to_thread`` does), so nogil kernels run in parallel while the loop
stays free. ``asyncio+processes``: ``run_in_executor`` with a process pool.
``threads+loop``: threads compute chunks and hand each result to a
coroutine on the event loop with ``asyncio.run_coroutine_threadsafe``: the
loop's objects (here an ``asyncio.Queue``) are not thread-safe, and that is
the documented way for other threads to use them.
"""

import asyncio

from .base import ChunkedSession, Strategy, run_task, run_task_async
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
        return await run_task_async(task)


class _OwnLoop:
    """Mixin: the session owns an event loop, closed after its pools."""

    def __init__(self, *args):
        self.loop = None  # a pool that fails to start closes before there is one
        super().__init__(*args)
        self.loop = asyncio.new_event_loop()

    def close(self, *, abort=None):
        try:
            super().close(abort=abort)
        finally:
            if self.loop is not None:
                self.loop.close()


class CoroutineSession(_OwnLoop, ChunkedSession):
    def map_tasks(self, tasks):
        async def main():
            limit = asyncio.Semaphore(self.workers)  # "workers" coroutines at a time
            return await _gather_or_cancel([_coroutine_chunk(t, limit) for t in tasks])

        return self.loop.run_until_complete(main())


class _ExecutorOnLoop(_OwnLoop):
    """Mixin: a session's chunks go through loop.run_in_executor on its pool."""

    def executor(self):
        raise NotImplementedError

    def map_tasks(self, tasks):
        async def main():
            loop = asyncio.get_running_loop()
            return await _gather_or_cancel([loop.run_in_executor(self.executor(), run_task, t)
                                            for t in tasks])

        return self.loop.run_until_complete(main())


class LoopThreadSession(_ExecutorOnLoop, ThreadSession):
    def executor(self):
        return self.thread_pool


class HandoffSession(_OwnLoop, ThreadSession):
    """Pool threads run the chunks; each hands its outcome to the loop."""

    def map_tasks(self, tasks):
        async def main():
            arrived = asyncio.Queue()  # an asyncio object: touched only on the loop

            async def deliver(index, outcome, error):
                await arrived.put((index, outcome, error))

            def work(index, task):
                # In a pool thread: compute, then hand over through the loop.
                try:
                    outcome, error = run_task(task), None
                except BaseException as exc:  # delivered, re-raised on the loop
                    outcome, error = None, exc
                asyncio.run_coroutine_threadsafe(deliver(index, outcome, error), loop).result()

            loop = asyncio.get_running_loop()
            futures = [self.thread_pool.submit(work, i, t) for i, t in enumerate(tasks)]
            outcomes = [None] * len(tasks)
            try:
                for _ in tasks:
                    index, outcome, error = await arrived.get()
                    if error is not None:
                        raise error
                    outcomes[index] = outcome
            finally:
                for future in futures:
                    future.cancel()
                # Threads still running wait for their handoff, which needs the loop.
                await asyncio.gather(*(asyncio.wrap_future(f) for f in futures
                                       if not f.cancelled()), return_exceptions=True)
            return outcomes

        return self.loop.run_until_complete(main())


class LoopProcessSession(_ExecutorOnLoop, ProcessSession):
    def __init__(self, workers, options):
        # run_in_executor needs a concurrent.futures Executor.
        super().__init__(workers, options.replace(pool="executor"))

    def executor(self):
        return self.pool


class Asyncio(Strategy):
    name = "asyncio"
    summary = "chunks as coroutines on one event loop: no parallelism for CPU work"
    family = "asyncio"
    plot_style = (":", "x")
    phrase = "asyncio coroutines (one thread: they take turns)"

    def note(self, implementation, speedup, gil_enabled):
        # The reading of a CPU workload: coroutines on one thread compute one
        # at a time, so a gain beyond its interval is the machine's drift.
        return " (noise: one thread computes one coroutine at a time)" if speedup > 1.0 else ""

    def start(self, workers, options):
        return CoroutineSession(workers, options.chunks_per_worker)


class AsyncioThreads(Strategy):
    name = "asyncio+threads"
    summary = "loop.run_in_executor with a thread pool (as asyncio.to_thread)"
    family = "threads"
    plot_style = ("-.", "o")
    via_event_loop = True

    def start(self, workers, options):
        return LoopThreadSession(workers, options.chunks_per_worker)


class AsyncioProcesses(Processes):
    name = "asyncio+processes"
    summary = "loop.run_in_executor with a process pool"
    plot_style = ("-.", "s")
    phrase = None
    via_event_loop = True

    def start(self, workers, options):
        return LoopProcessSession(workers, options)


class ThreadsToLoop(Strategy):
    name = "threads+loop"
    summary = "threads hand each result to an event loop (asyncio.run_coroutine_threadsafe)"
    family = "threads"
    plot_style = (":", "o")
    via_event_loop = True

    def start(self, workers, options):
        return HandoffSession(workers, options.chunks_per_worker)


__all__ = ["Asyncio", "AsyncioProcesses", "AsyncioThreads", "ThreadsToLoop"]
