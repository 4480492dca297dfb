"""A small HTTP/1.1 server on loopback, for the I/O workloads: every answer
comes after a set latency, with a body of a set size whose bytes the clients
can verify.

``GET /data/<index>`` answers with ``payload(index, size)`` after ``latency``
seconds; the query parameters ``size=<bytes>`` and ``latency=<seconds>``
override the server's defaults for one request, and ``fault=stall`` (never
answer) or ``fault=truncate`` (close half-way through the body) let tests
exercise the clients' error paths. ``GET /health`` answers ``ok`` at once.
A malformed request gets 400 and the server stays up. Connections are kept
alive (HTTP/1.1) unless the client sends ``Connection: close``.

``ServerProcess`` runs the server in a process of its own, so that its
event loop never competes with the measured clients for the GIL;
``nogilkit serve`` runs it in the foreground. Standard library only.
"""

import asyncio
import hashlib
import ipaddress
import multiprocessing
import socket
import urllib.parse

from .. import _validation
from .._runtime import default_start_method

HOST = "127.0.0.1"
DEFAULT_LATENCY = 0.020
DEFAULT_SIZE = 16 * 1024
MAX_SIZE = 64 * 2**20
MAX_LATENCY = 60.0
IDLE_TIMEOUT = 30.0  # an idle keep-alive connection is closed after this
MAX_HEADERS = 100
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def payload(index, size):
    """The body of resource ``index``: ``size`` bytes, different for every index."""
    block = hashlib.blake2b(index.to_bytes(8, "little"), digest_size=64).digest()
    return (block * (size // 64 + 1))[:size]


def digest(body):
    """A short fingerprint of a body, which is what clients hand back to be checked."""
    return hashlib.blake2b(body, digest_size=16).digest()


def check_loopback(host):
    """``host`` if it is a loopback address; ValueError otherwise (this server is for tests)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"host must be a loopback IP address such as {HOST}, got {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"host must be a loopback address (127.0.0.0/8 or ::1), got {host!r}: "
                         "the test server is never exposed to a network")
    return host


def check_settings(latency, size):
    """Validated (latency, size) of a server or a request."""
    latency = _validation.finite_float("latency", latency, minimum=0.0)
    if latency > MAX_LATENCY:
        raise ValueError(f"latency must be <= {MAX_LATENCY} s, got {latency}")
    size = _validation.integer("size", size, minimum=0, maximum=MAX_SIZE)
    return latency, size


class BadRequest(Exception):
    """A request the server answers with 400 (or the status given)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def _parse_request_line(line):
    """(index or None for /health, query parameters) of a request line."""
    try:
        method, target, version = line.decode("ascii").rstrip("\r\n").split(" ")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("malformed request line") from None
    if not version.startswith("HTTP/1."):
        raise BadRequest(f"unsupported protocol {version!r}")
    if method != "GET":
        raise BadRequest(f"method {method} not allowed; use GET", status=405)
    url = urllib.parse.urlsplit(target)
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    if url.path == "/health":
        return None, query
    parts = url.path.split("/")
    if len(parts) != 3 or parts[1] != "data":
        raise BadRequest(f"no resource {url.path!r}; try /data/<index>", status=404)
    if not parts[2].isdigit():
        raise BadRequest(f"index must be a non-negative integer, got {parts[2]!r}")
    return int(parts[2]), query


def _request_settings(query, latency, size):
    """The (latency, size, fault) of one request: the server's, overridden by the query."""
    def one(name):
        values = query.get(name)
        if values is not None and len(values) != 1:
            raise BadRequest(f"{name} given {len(values)} times")
        return values[0] if values else None

    def number(name, kind, default):
        text = one(name)
        if text is None:
            return default
        try:
            return kind(text)
        except ValueError:
            raise BadRequest(f"{name} must be a{'n integer' if kind is int else ' number'}, "
                             f"got {text!r}") from None

    latency, size = number("latency", float, latency), number("size", int, size)
    try:
        latency, size = check_settings(latency, size)
    except (ValueError, TypeError) as exc:
        raise BadRequest(str(exc)) from None
    fault = one("fault")
    if fault not in (None, "stall", "truncate"):
        raise BadRequest(f"fault must be stall or truncate, got {fault!r}")
    return latency, size, fault


def _head(status, length, *, close):
    return (f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Length: {length}\r\n"
            f"Content-Type: application/octet-stream\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n").encode("ascii")


async def _read_request(reader):
    """(request line, lower-cased header names -> values), or None at end of stream."""
    line = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT)
    if not line:
        return None
    headers = {}
    while True:
        header = await asyncio.wait_for(reader.readline(), IDLE_TIMEOUT)
        if header in (b"\r\n", b"\n", b""):
            return line, headers
        if len(headers) >= MAX_HEADERS:
            raise BadRequest("too many headers")
        name, sep, value = header.decode("latin-1").partition(":")
        if not sep:
            raise BadRequest("malformed header")
        headers[name.strip().lower()] = value.strip()


def make_handler(latency, size):
    """The connection handler of ``asyncio.start_server`` for a server with these defaults."""

    async def handle(reader, writer):
        try:
            while True:
                try:
                    request = await _read_request(reader)
                    if request is None:
                        return
                    line, headers = request
                    index, query = _parse_request_line(line)
                    delay, length, fault = _request_settings(query, latency, size)
                except BadRequest as exc:
                    message = f"{exc}\n".encode()
                    writer.write(_head(exc.status, len(message), close=True) + message)
                    await writer.drain()
                    return
                close = headers.get("connection", "").lower() == "close"
                if index is None:
                    writer.write(_head(200, 3, close=close) + b"ok\n")
                else:
                    if fault == "stall":
                        # No answer: wait for the client to give up and close.
                        await asyncio.wait_for(reader.read(), IDLE_TIMEOUT)
                        return
                    await asyncio.sleep(delay)
                    body = payload(index, length)
                    if fault == "truncate":
                        writer.write(_head(200, length, close=True) + body[:length // 2])
                        await writer.drain()
                        return
                    writer.write(_head(200, length, close=close) + body)
                await writer.drain()
                if close:
                    return
        except (ConnectionError, asyncio.TimeoutError, asyncio.LimitOverrunError, ValueError):
            return  # the client went away, idled out or sent an over-long line
        finally:
            writer.close()

    return handle


async def start_server(host=HOST, port=0, *, latency=DEFAULT_LATENCY, size=DEFAULT_SIZE):
    """An ``asyncio.Server`` listening on ``host:port`` (0: a free port) on the running loop."""
    check_loopback(host)
    latency, size = check_settings(latency, size)
    port = _validation.integer("port", port, minimum=0, maximum=65535)
    return await asyncio.start_server(make_handler(latency, size), host, port)


def bound_port(server):
    return server.sockets[0].getsockname()[1]


def _serve_in_process(connection, host, port, latency, size):
    """Child process: serve until the parent says stop or goes away."""
    async def main():
        try:
            server = await start_server(host, port, latency=latency, size=size)
        except (OSError, ValueError) as exc:
            connection.send(("error", f"{type(exc).__name__}: {exc}"))
            return
        connection.send(("ready", bound_port(server)))
        try:
            # recv() returns on "stop" and raises EOFError when the parent dies.
            await asyncio.get_running_loop().run_in_executor(None, connection.recv)
        except EOFError:
            pass
        finally:
            # Not wait_closed(): since 3.12 it waits for every open connection.
            # asyncio.run cancels the connections' handlers on its way out.
            server.close()

    asyncio.run(main())


class ServerProcess:
    """The server in a process of its own; a context manager.

    >>> with ServerProcess(latency=0.005, size=1024) as server:  # doctest: +SKIP
    ...     server.url
    'http://127.0.0.1:40123'
    """

    def __init__(self, host=HOST, port=0, *, latency=DEFAULT_LATENCY, size=DEFAULT_SIZE,
                 start_timeout=20.0):
        self.host = check_loopback(host)
        self.requested_port = _validation.integer("port", port, minimum=0, maximum=65535)
        self.latency, self.size = check_settings(latency, size)
        self.start_timeout = _validation.finite_float("start_timeout", start_timeout, minimum=0.1)
        self.port = None
        self._process = None
        self._connection = None

    @property
    def url(self):
        if self.port is None:
            raise RuntimeError("the server is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    def start(self):
        if self._process is not None:
            raise RuntimeError("the server is already running")
        context = multiprocessing.get_context(default_start_method())
        self._connection, child = context.Pipe()
        self._process = context.Process(
            target=_serve_in_process, name="nogilkit-server", daemon=True,
            args=(child, self.host, self.requested_port, self.latency, self.size))
        self._process.start()
        child.close()
        try:
            if not self._connection.poll(self.start_timeout):
                raise RuntimeError(f"the server did not start within {self.start_timeout} s")
            status, value = self._connection.recv()
        except EOFError:
            self.stop()
            raise RuntimeError("the server process exited while starting") from None
        except BaseException:
            self.stop()
            raise
        if status != "ready":
            self.stop()
            raise OSError(f"the server could not listen on {self.host}:{self.requested_port}: "
                          f"{value}")
        self.port = value
        return self

    def stop(self, timeout=5.0):
        """Stop the server and reap its process; safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            self._connection.send("stop")
        except (OSError, ValueError):
            pass  # it is gone already
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join()
        process.close()
        self._connection.close()
        self.port = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


async def serve_forever(host=HOST, port=0, *, latency=DEFAULT_LATENCY, size=DEFAULT_SIZE,
                        ready=None):
    """Serve in this process until cancelled; ``ready(port)`` once listening."""
    server = await start_server(host, port, latency=latency, size=size)
    async with server:
        if ready:
            ready(bound_port(server))
        await server.serve_forever()


def free_port(host=HOST):
    """A port nothing listens on right now (for tests of refused connections)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


__all__ = ["ServerProcess", "bound_port", "check_loopback", "check_settings", "digest", "free_port",
           "payload", "serve_forever", "start_server"]
