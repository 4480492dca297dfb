"""A loopback HTTP server whose answers come after a set latency, and its clients:
the waiting side of the comparison (workload ``io``, ``nogilkit mixed``)."""
