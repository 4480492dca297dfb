"""nogilkit where Linux's extras are missing: no resource, fcntl, termios, pwd or
grp module (Windows), no CPU affinity, load average or SIGHUP (Windows), no
/proc or /sys (macOS, Windows). Each is taken away here, on Linux, and what
reads it falls back instead of failing."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import nogilkit
from nogilkit import _control, _measure, _provenance, _runtime, cli

UNIX_ONLY = ("sched_getaffinity", "sched_setaffinity", "getloadavg")


def test_import_and_a_compare_without_unix_only_modules_and_functions():
    # As on Windows: the modules do not import, the functions do not exist.
    code = textwrap.dedent(f"""
        import os, signal, sys
        for name in ("resource", "fcntl", "termios", "pwd", "grp"):
            sys.modules[name] = None  # import fails, as for a missing module
        for name in {UNIX_ONLY!r}:
            delattr(os, name)
        if hasattr(os, "process_cpu_count"):  # Python >= 3.13: where there is no
            os.process_cpu_count = os.cpu_count  # affinity, os makes it cpu_count
        del signal.SIGHUP, signal.SIGKILL
        import nogilkit, nogilkit.strategies, nogilkit.engine, nogilkit.cli
        from nogilkit._measure import peak_rss
        from nogilkit._provenance import check, provenance

        assert isinstance(peak_rss(), int)
        assert check(provenance()) == []
        report = nogilkit.compare(["total"], ["numpy"], ["serial", "threads"], workers=[2],
                                  size="tiny", repeats=1)
        assert [r.status for r in report.rows] == ["ok", "ok"], report.rows
        assert nogilkit.cli.main(["info"]) == 0
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "ok"


@pytest.fixture
def no_affinity_nor_load(monkeypatch):
    for name in ("process_cpu_count", "sched_getaffinity", "getloadavg"):
        monkeypatch.delattr(os, name, raising=False)


def test_without_affinity_the_cpus_are_the_cpu_count(no_affinity_nor_load):
    assert _runtime.available_cpus() == (os.cpu_count() or 1)
    assert 1 <= nogilkit.default_threads() <= _runtime.available_cpus()


def test_without_affinity_or_load_average_provenance_says_null(no_affinity_nor_load):
    data = _provenance.provenance()
    assert data["affinity"] is None and data["load_average"] is None
    assert data["available_cpus"] == (os.cpu_count() or 1)
    assert _provenance.check(data) == []
    assert _control.load_average() is None


def no_such_file(path, *args, **kwargs):
    raise FileNotFoundError(2, "No such file or directory", path)


def test_without_proc_and_sys_the_os_facts_fall_back(monkeypatch):
    # The modules' own name open, found before the builtin: their reads fail.
    monkeypatch.setattr(_runtime, "open", no_such_file, raising=False)
    monkeypatch.setattr(_runtime, "_quota_read", (-float("inf"), None))
    assert _runtime.cgroup_cpu_quota() is None
    assert _runtime.thread_limits()["cgroup_cpu_quota"] is None
    assert _runtime.cpu_model()  # the platform module's answer


def test_without_proc_the_peak_memory_is_the_lifetime_peak(monkeypatch):
    pytest.importorskip("resource", reason="Windows: no peak memory without /proc nor resource")
    monkeypatch.setattr(_measure, "open", no_such_file, raising=False)
    assert _measure.reset_peak_rss() is False
    assert _measure.peak_rss() > 0  # resource's, as on macOS


def test_without_sighup_sigterm_alone_stops_the_command_line(monkeypatch):
    monkeypatch.delattr(signal, "SIGHUP", raising=False)  # Windows has none
    before = signal.getsignal(signal.SIGTERM)
    with cli._termination_stops():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
