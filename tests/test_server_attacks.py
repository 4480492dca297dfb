"""The test server under hostile clients: bounded memory, clear statuses, no hang.

Each attack is a scaled-down copy of one found by an adversarial run; the
server's peak resident memory (Linux: VmHWM) is read after them all.
"""

import os
import socket
import threading
import time

import pytest

from nogilkit.net.server import MAX_HEAD, MAX_LINE, Limits, ServerProcess

pytestmark = pytest.mark.linux("reads the server's memory and sockets from /proc")

LIMITS = Limits(idle_timeout=1.0, head_timeout=0.5, write_timeout=0.5, max_connections=64)
# The bound the server's peak memory must stay under, over its idle size:
# max_connections x (a line buffer, a body block and the transport's buffer),
# with room to spare; without the bounds each attack below took hundreds of MiB.
BOUND_MIB = 40


def peak_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def status_of(answer):
    return answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.1 ") else answer[:40]


def ask(server, request, timeout=5):
    """The status the server answers ``request`` with (the client sends it whole)."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as s:
        s.sendall(request)
        return status_of(s.recv(4096))


@pytest.fixture(scope="module")
def server():
    with ServerProcess(latency=0.0, size=1024, limits=LIMITS) as running:
        running.idle_mib = peak_mib(running.pid)
        yield running


def test_a_stalled_request_with_a_huge_body_is_read_and_dropped(server):
    block = b"x" * (1 << 20)
    with socket.create_connection((server.host, server.port), timeout=10) as s:
        s.sendall(b"GET /data/1?fault=stall HTTP/1.1\r\n\r\n")
        for _ in range(256):  # 256 MiB
            s.sendall(block)
    assert peak_mib(server.pid) - server.idle_mib < BOUND_MIB


def test_a_request_body_is_refused():
    with ServerProcess(latency=0.0, size=1024, limits=LIMITS) as server:
        assert ask(server, b"GET /data/1 HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\n") == b"413"
        assert ask(server, b"GET /data/1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") == b"413"


def sockets_held(pid):
    """How many sockets the process has open (its listener among them)."""
    held = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            held += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except FileNotFoundError:  # closed between the listing and the look: not held
            pass
    return held


def test_clients_that_never_read_a_large_answer_are_dropped(server):
    idle = sockets_held(server.pid)
    sockets = []
    try:
        for i in range(20):
            s = socket.create_connection((server.host, server.port), timeout=5)
            s.sendall(f"GET /data/{i}?size={64 << 20} HTTP/1.1\r\n\r\n".encode())
            sockets.append(s)
        time.sleep(0.2)
        assert sockets_held(server.pid) == idle + 20
        deadline = time.monotonic() + LIMITS.write_timeout * 10
        while sockets_held(server.pid) > idle and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sockets_held(server.pid) == idle  # every one dropped, none served whole
        assert peak_mib(server.pid) - server.idle_mib < BOUND_MIB
    finally:
        for s in sockets:
            s.close()


def test_huge_headers_get_431_and_a_huge_request_line_414(server):
    assert ask(server, b"GET /data/1 HTTP/1.1\r\nX: " + b"a" * 60_000 + b"\r\n\r\n") == b"431"
    many = b"".join(b"X-%d: %s\r\n" % (i, b"a" * 100) for i in range(MAX_HEAD // 100))
    assert ask(server, b"GET /data/1 HTTP/1.1\r\n" + many + b"\r\n") == b"431"
    assert ask(server, b"GET /data/" + b"1" * (MAX_LINE + 10) + b" HTTP/1.1\r\n\r\n") == b"414"

    def flood():
        for _ in range(5):
            ask(server, b"GET /data/1 HTTP/1.1\r\n" + b"X: a\r\n" * 99 + b"Y: " + b"b" * 60_000
                + b"\r\n\r\n")

    threads = [threading.Thread(target=flood) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert peak_mib(server.pid) - server.idle_mib < BOUND_MIB


def test_slow_clients_are_capped_and_timed_out(server):
    held = []
    try:
        for _ in range(LIMITS.max_connections + 20):
            s = socket.create_connection((server.host, server.port), timeout=5)
            s.sendall(b"GET /da")  # slowloris: a request line that never ends
            held.append(s)
        refused = 0
        for s in held[LIMITS.max_connections:]:
            refused += status_of(s.recv(4096)) == b"503"
        assert refused == 20
        start = time.monotonic()
        for s in held[:LIMITS.max_connections]:
            s.settimeout(10)
            assert s.recv(4096) == b""  # closed after the idle timeout, without an answer
        assert time.monotonic() - start < LIMITS.idle_timeout * 4
    finally:
        for s in held:
            s.close()
    # Served as before, once they are gone.
    assert ask(server, b"GET /health HTTP/1.1\r\n\r\n") == b"200"


def test_a_slow_head_gets_408(server):
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall(b"GET /data/1 HTTP/1.1\r\n")
        s.sendall(b"X: 1\r\n")  # ... and never the blank line
        assert status_of(s.recv(4096)) == b"408"


@pytest.mark.parametrize("index", [b"18446744073709551616", b"\xc2\xb2", b"9" * 3000, b"-1"])
def test_an_index_out_of_range_is_400(server, index):
    assert ask(server, b"GET /data/" + index + b" HTTP/1.1\r\n\r\n") == b"400"


def test_the_largest_index_is_served(server):
    assert ask(server, b"GET /data/18446744073709551615 HTTP/1.1\r\n\r\n") == b"200"
