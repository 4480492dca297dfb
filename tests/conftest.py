import multiprocessing
import os
import sys

import pytest

from .leaks import threads

# Markers for tests that need more than every supported OS gives (the wheels
# are tested on Linux, macOS and Windows). Each names what it uses, which is
# the skip reason elsewhere: @pytest.mark.linux("reads /proc").
PLATFORM_MARKERS = {
    "linux": ("Linux", lambda platform, os_name: platform.startswith("linux")),
    "posix": ("a POSIX system", lambda platform, os_name: os_name == "posix"),
}


def platform_skip_reason(marks, nodeid, platform=sys.platform, os_name=os.name):
    """Why a test carrying ``marks`` cannot run on ``platform``, or None."""
    for mark in marks:
        if mark.name not in PLATFORM_MARKERS:
            continue
        if len(mark.args) != 1 or not isinstance(mark.args[0], str) or mark.kwargs:
            raise pytest.UsageError(f"{nodeid}: @pytest.mark.{mark.name} takes one string, "
                                    f"what the test uses, e.g. @pytest.mark.linux(\"reads /proc\")")
        needs, runs_here = PLATFORM_MARKERS[mark.name]
        if not runs_here(platform, os_name):
            return f"needs {needs}: {mark.args[0]}"
    return None


def pytest_configure(config):
    import nogilkit

    # Tests must exercise the installed build, never the source tree.
    if "/src/nogilkit" in nogilkit.__file__.replace("\\", "/"):
        raise pytest.UsageError(
            f"nogilkit was imported from the source tree ({nogilkit.__file__}); "
            "install it (pip install '.[test]') and run pytest against the installed package"
        )


def pytest_collection_modifyitems(config, items):
    for item in items:
        reason = platform_skip_reason(item.iter_markers(), item.nodeid)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def no_leaks():
    """Fails a test after which a child process or a new thread still runs."""
    before = threads()
    yield
    assert multiprocessing.active_children() == []
    assert threads() <= before
