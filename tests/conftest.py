import multiprocessing

import pytest

from .leaks import threads


def pytest_configure(config):
    import nogilkit

    # Tests must exercise the installed build, never the source tree.
    if "/src/nogilkit" in nogilkit.__file__.replace("\\", "/"):
        raise pytest.UsageError(
            f"nogilkit was imported from the source tree ({nogilkit.__file__}); "
            "install it (pip install '.[test]') and run pytest against the installed package"
        )


@pytest.fixture
def no_leaks():
    """Fails a test after which a child process or a new thread still runs."""
    before = threads()
    yield
    assert multiprocessing.active_children() == []
    assert threads() <= before
