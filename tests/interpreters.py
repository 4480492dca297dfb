"""The CPython builds of tools/build_cpython.sh, when this machine has them."""

import os
import pathlib


def cache():
    return pathlib.Path(os.environ.get("NOGILKIT_CPYTHON_CACHE",
                                       pathlib.Path.home() / ".cache" / "nogilkit-cpython"))


def built_pythons():
    """[with the GIL, free-threaded] interpreter paths, or [] when not built."""
    pythons = [cache() / variant / "bin" / "python3" for variant in ("gil", "nogil")]
    return [str(p) for p in pythons] if all(p.exists() for p in pythons) else []
