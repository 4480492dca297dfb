"""What tests count as left behind."""

import os
import threading
import time

# Threads meant to live as long as the process: the kernels' shared pool, and
# the offload thread distributed starts once and keeps by design.
LIFELONG = ("nogilkit_", "Dask-Offload")


def threads():
    """The running threads, less the lifelong ones."""
    return {t for t in threading.enumerate() if not t.name.startswith(LIFELONG)}


# Processes started for a test, found again by a tag in their environment (Linux: /proc).

def tagged(tag):
    """Pids of the live processes whose environment holds NOGILKIT_TEST_TAG=tag."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if f"NOGILKIT_TEST_TAG={tag}".encode() in f.read().split(b"\0"):
                    with open(f"/proc/{entry}/stat") as stat:
                        if stat.read().split(") ")[-1].split()[0] != "Z":  # reaped soon
                            found.append(int(entry))
        except OSError:
            continue
    return found


def descendants(pid):
    """Pids of the live descendants of ``pid``."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().split(") ")[-1].split()[1])
            except (OSError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pids):
    live = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[-1].split()[0] != "Z":
                    live.append(pid)
        except OSError:
            pass
    return live


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def gone(tag, timeout=15.0):
    """Every tagged process has exited (a process may take a moment to be reaped)."""
    return wait_for(lambda: not tagged(tag), timeout)
