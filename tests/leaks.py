"""What tests count as left behind."""

import threading

# Threads meant to live as long as the process: the kernels' shared pool, and
# the offload thread distributed starts once and keeps by design.
LIFELONG = ("nogilkit_", "Dask-Offload")


def threads():
    """The running threads, less the lifelong ones."""
    return {t for t in threading.enumerate() if not t.name.startswith(LIFELONG)}
