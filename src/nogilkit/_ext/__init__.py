"""Compiled kernels (built from the top-level ext/ folder)."""
