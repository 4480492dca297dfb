"""The loopback test server and its two clients: answers, bad requests, faults, no leaks."""

import asyncio
import multiprocessing
import os
import socket
import threading
import time

import pytest

from nogilkit.net import client
from nogilkit.net.server import ServerProcess, free_port, payload


@pytest.fixture(scope="module")
def server():
    with ServerProcess(latency=0.001, size=2048) as running:
        yield running


def open_fds():
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


@pytest.fixture
def no_leaks():
    """Threads, child processes and file descriptors are as many after as before."""
    threads, children, fds = threading.active_count(), multiprocessing.active_children(), open_fds()
    yield
    deadline = time.monotonic() + 5
    while (threading.active_count() > threads or multiprocessing.active_children() != children) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() == threads
    assert multiprocessing.active_children() == children
    assert open_fds() == fds


def raw(server, request):
    """The server's whole answer to raw request bytes."""
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_the_server_reports_its_port_and_answers(server):
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert client.fetch(server.host, server.port, "/health") == b"ok\n"
    assert client.fetch(server.host, server.port, client.resource(7)) == payload(7, 2048)


def test_per_request_size_and_latency(server):
    assert client.fetch(server.host, server.port, client.resource(3, size=10, latency=0)) \
        == payload(3, 10)
    start = time.perf_counter()
    client.fetch(server.host, server.port, client.resource(3, size=0, latency=0.2))
    assert time.perf_counter() - start >= 0.2


def test_payloads_differ_by_index_and_have_the_size_asked_for():
    assert payload(1, 1000) != payload(2, 1000)
    assert [len(payload(5, n)) for n in (0, 1, 64, 65, 100_000)] == [0, 1, 64, 65, 100_000]
    assert payload(5, 100) == payload(5, 200)[:100]


def test_the_async_client_gets_the_same_bodies(server):
    async def main():
        return await asyncio.gather(*(client.fetch_async(server.host, server.port,
                                                         client.resource(i)) for i in range(20)))

    assert asyncio.run(main()) == [payload(i, 2048) for i in range(20)]


@pytest.mark.parametrize("request_bytes, status", [
    (b"garbage\r\n\r\n", b"400"),
    (b"GET /data/abc HTTP/1.1\r\n\r\n", b"400"),
    (b"GET /data/1?size=-1 HTTP/1.1\r\n\r\n", b"400"),
    (b"GET /data/1?latency=1e9 HTTP/1.1\r\n\r\n", b"400"),
    (b"GET /data/1?fault=explode HTTP/1.1\r\n\r\n", b"400"),
    (b"GET /data/1?size=1&size=2 HTTP/1.1\r\n\r\n", b"400"),
    (b"GET /data/1 SPDY/3\r\n\r\n", b"400"),
    (b"GET /elsewhere HTTP/1.1\r\n\r\n", b"404"),
    (b"POST /data/1 HTTP/1.1\r\n\r\n", b"405"),
    (b"GET /data/1 HTTP/1.1\r\nno colon here\r\n\r\n", b"400"),
])
def test_malformed_requests_get_an_error_status_and_the_server_stays_up(server, request_bytes,
                                                                        status):
    answer = raw(server, request_bytes)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:80]
    assert client.fetch(server.host, server.port, "/health") == b"ok\n"


def test_an_error_status_is_a_clear_fetch_error(server):
    with pytest.raises(client.FetchError, match="HTTP 404.*no resource"):
        client.fetch(server.host, server.port, "/elsewhere")

    with pytest.raises(client.FetchError, match="HTTP 400.*size"):
        asyncio.run(client.fetch_async(server.host, server.port, "/data/1?size=x"))


def test_keep_alive_serves_several_requests_on_one_connection(server):
    answer = raw(server, b"GET /data/1?size=5 HTTP/1.1\r\n\r\n"
                         b"GET /data/2?size=5 HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    assert answer.endswith(payload(2, 5))


def test_a_given_port_is_used_and_a_busy_one_is_a_clear_error(no_leaks):
    port = free_port()
    with ServerProcess(port=port, latency=0) as first:
        assert first.port == port
        with pytest.raises(OSError, match=f"could not listen on 127.0.0.1:{port}"):
            ServerProcess(port=port).start()


def test_stop_ends_the_process_and_is_idempotent(no_leaks):
    server = ServerProcess(latency=0).start()
    process = server._process
    server.stop()
    server.stop()
    assert process._closed
    with pytest.raises(RuntimeError, match="not running"):
        server.url


@pytest.mark.parametrize("kwargs, message", [
    ({"host": "0.0.0.0"}, "loopback"),
    ({"host": "example.org"}, "loopback IP address"),
    ({"port": 70000}, "port"),
    ({"latency": -1}, "latency"),
    ({"latency": 1e6}, "latency"),
    ({"size": -5}, "size"),
])
def test_bad_settings_are_refused_before_anything_starts(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ServerProcess(**kwargs)


# -- faults: each client fails clearly, in bounded time, leaving nothing behind ---------------

def fetch_both(host, port, target, timeout):
    """The FetchError messages of the blocking and the asyncio client."""
    messages = []
    with pytest.raises(client.FetchError) as blocking:
        client.fetch(host, port, target, timeout=timeout)
    messages.append(str(blocking.value))
    with pytest.raises(client.FetchError) as coroutine:
        asyncio.run(client.fetch_async(host, port, target, timeout=timeout))
    messages.append(str(coroutine.value))
    return messages


def test_connection_refused(no_leaks):
    port = free_port()
    for message in fetch_both("127.0.0.1", port, "/data/1", 5):
        assert "connection refused" in message and str(port) in message


def test_a_stalled_server_times_out(server, no_leaks):
    start = time.monotonic()
    for message in fetch_both(server.host, server.port, client.resource(1, fault="stall"), 0.3):
        assert "no response within 0.3 s" in message
    assert time.monotonic() - start < 5  # bounded: two timeouts of 0.3 s, not a hang


def test_a_response_cut_short(server, no_leaks):
    for message in fetch_both(server.host, server.port, client.resource(1, fault="truncate"), 5):
        assert "closed the connection after 1024 of 2048 bytes" in message


@pytest.mark.posix("stops the server with SIGINT")
def test_nogilkit_serve_runs_until_interrupted(tmp_path):
    import signal
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "nogilkit", "serve", "--latency", "0",
                                "--size", "100"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("serving on http://127.0.0.1:"), line
        port = int(line.split(":")[2].split("/")[0])
        assert client.fetch("127.0.0.1", port, "/data/4") == payload(4, 100)
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
    finally:
        process.kill()
        process.wait()
        process.stdout.close()


@pytest.mark.parametrize("args, message", [
    (["--host", "10.0.0.1"], "loopback"),
    (["--latency", "-1"], "latency"),
])
def test_nogilkit_serve_refuses_bad_settings(args, message):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "nogilkit", "serve", *args], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2 and message in done.stderr
