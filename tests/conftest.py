import pytest


def pytest_configure(config):
    import nogilkit

    # Tests must exercise the installed build, never the source tree.
    if "/src/nogilkit" in nogilkit.__file__.replace("\\", "/"):
        raise pytest.UsageError(
            f"nogilkit was imported from the source tree ({nogilkit.__file__}); "
            "install it (pip install '.[test]') and run pytest against the installed package"
        )
