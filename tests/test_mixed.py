"""The asyncio service under CPU load: every variant runs, checks its work and reports lag."""

import json
import math
import multiprocessing
import threading

import pytest

from nogilkit.mixed import VARIANTS, service_under_load


@pytest.fixture(scope="module")
def result():
    return service_under_load(duration=0.6, rate=50)


def test_every_variant_runs_and_reports_lag_and_latency(result):
    assert [v.name for v in result.variants] == [name for name, _ in VARIANTS]
    for v in result.variants:
        assert v.bands > 0, v.name  # CPU work was done (each band checked on arrival)
        assert v.lags and v.latencies, v.name
        assert v.failed_requests == 0, v.name
        summary = v.summary()
        assert 0 <= summary["lag_p50_ms"] <= summary["lag_p99_ms"] <= summary["lag_max_ms"]
        assert 0 < summary["latency_p50_ms"] <= summary["latency_p99_ms"]
        assert all(math.isfinite(x) for x in summary.values())
    assert result["inline"].workers == 1


def test_the_table_and_json(result):
    text = str(result)
    for name, description in VARIANTS:
        assert name in text and description in text
    data = json.loads(json.dumps(result.to_dict()))
    assert [v["name"] for v in data["variants"]] == [name for name, _ in VARIANTS]
    assert {"lag_p99_ms", "latency_p99_ms", "requests_per_second"} <= set(data["variants"][0])


def test_nothing_is_left_running(result):
    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("nogilkit-mixed")]


def test_one_variant_at_a_time():
    only = service_under_load("cython-threads", duration=0.3, rate=20, workers=2)
    assert [v.name for v in only.variants] == ["cython-threads"]
    assert only.workers == 2 and only.variants[0].workers == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"variants": ["inline", "gpu"]}, "variants must name some of .*'gpu'"),
    ({"variants": []}, "variants must name"),
    ({"duration": 0}, "duration"),
    ({"rate": 0.5}, "rate"),
    ({"rate": 1000, "duration": 1000}, "rate x duration"),
    ({"workers": 0}, "workers"),
    ({"timeout": float("nan")}, "timeout"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        service_under_load(**kwargs)


def test_a_wrong_band_is_an_error_not_a_figure(monkeypatch):
    import numpy as np

    from nogilkit import mixed

    monkeypatch.setattr(mixed, "_band", lambda implementation, first: np.zeros((4, 480), np.int32))
    with pytest.raises(AssertionError, match="band 0 .inline. differs from the reference"):
        service_under_load("inline", duration=0.3, rate=20)
    assert multiprocessing.active_children() == []


def test_the_command_line(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "mixed.json"
    done = subprocess.run([sys.executable, "-m", "nogilkit", "mixed", "--variants",
                           "cython-threads,processes", "--duration", "0.3", "--rate", "20",
                           "--quiet", "--json", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "cython-threads" in done.stdout and "lag p99" in done.stdout
    assert [v["name"] for v in json.loads(path.read_text())["variants"]] == \
        ["cython-threads", "processes"]
    bad = subprocess.run([sys.executable, "-m", "nogilkit", "mixed", "--variants", "gpu"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "'gpu'" in bad.stderr
