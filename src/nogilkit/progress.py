"""A progress bar on stderr for long comparisons (rich)."""

import contextlib


@contextlib.contextmanager
def progress_bar():
    """Yields a ``progress(done, total, label)`` callback drawing a bar on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("nogilkit compare", total=None)

        def progress(done, total, label):
            bar.update(task, completed=done, total=total, description=label)

        yield progress
