"""Peak resident memory of this process, resettable where the OS allows (Linux)."""

import resource
import sys


def reset_peak_rss():
    """Start a new peak-RSS measurement; False where the OS cannot (then peaks are lifetime peaks)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak resident set size
        return True
    except OSError:
        return False


def peak_rss():
    """Peak resident set size in bytes since the last reset (or since the process started)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024
