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

Hostile clients meet bounds, so that the server's memory stays small (about
max_connections x 200 KiB at the worst, tested): a request line longer than
MAX_LINE gets 414, a head (request line and headers) larger than MAX_HEAD or
with more than MAX_HEADERS headers 431, a request body 413, a head not whole
within ``Limits.head_timeout`` 408, a connection beyond ``max_connections``
503; bodies are streamed in blocks, and a client that stops reading for
``write_timeout``, or sends nothing for ``idle_timeout``, is disconnected.

``ServerProcess`` runs the server in a process of its own, so that its
event loop never competes with the measured clients for the GIL;
``nogilkit serve`` runs it in the foreground. Standard library only.
"""

import asyncio
import dataclasses
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
MAX_INDEX = 2**64 - 1  # a resource index is 8 bytes of the payload's seed
MAX_LINE = 4096  # bytes of a request line or a header line
MAX_HEAD = 16 * 1024  # bytes of a request's head
MAX_HEADERS = 100
BLOCK = 64 * 1024  # a body is written (and a stalled client's bytes read) this much at a time


@dataclasses.dataclass(frozen=True)
class Limits:
    """How long the server waits for a client, and how many it serves at once."""

    idle_timeout: float = 30.0  # an idle keep-alive connection is closed after this
    head_timeout: float = 10.0  # a request's headers must follow its line within this
    write_timeout: float = 10.0  # a client that reads nothing for this long is dropped
    max_connections: int = 256  # at once; the next ones get 503


LIMITS = Limits()
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            408: "Request Timeout", 413: "Content Too Large", 414: "URI Too Long",
            431: "Request Header Fields Too Large", 503: "Service Unavailable"}


def payload(index, size):
    """The body of resource ``index`` (0 <= index < 2**64): ``size`` bytes,
    different for every index."""
    return b"".join(payload_blocks(index, size))


def payload_blocks(index, size):
    """``payload(index, size)`` in pieces of at most BLOCK bytes."""
    seed = hashlib.blake2b(index.to_bytes(8, "little"), digest_size=64).digest()
    block = seed * (BLOCK // 64)
    for start in range(0, size, BLOCK):
        yield block[:min(BLOCK, size - start)]


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


def check_settings(latency, size, *, size_name="size"):
    """Validated (latency, size) of a server or a request; an error names the
    size ``size_name`` (``nogilkit serve`` calls it --response-bytes)."""
    latency = _validation.finite_float("latency", latency, minimum=0.0)
    if latency > MAX_LATENCY:
        raise ValueError(f"latency must be <= {MAX_LATENCY} s, got {latency}")
    size = _validation.integer(size_name, size, minimum=0, maximum=MAX_SIZE)
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
    text = parts[2]
    if not (text.isascii() and text.isdigit()) or len(text) > 20 or int(text) > MAX_INDEX:
        raise BadRequest(f"index must be an integer from 0 to 2**64 - 1, got {text[:40]!r}")
    return int(text), query


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


async def _read_line(reader, status):
    """One line of at most MAX_LINE bytes; BadRequest(status) for a longer one."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise BadRequest(f"a line longer than {MAX_LINE} bytes", status=status) from None
    except asyncio.IncompleteReadError as exc:
        return exc.partial  # the end of the stream


async def _read_headers(reader, size):
    """Lower-cased header names -> values; ``size`` bytes of the head came before."""
    headers = {}
    while True:
        header = await _read_line(reader, 431)
        size += len(header)
        if size > MAX_HEAD:
            raise BadRequest(f"a request head larger than {MAX_HEAD} bytes", status=431)
        if header in (b"\r\n", b"\n", b""):
            return headers
        if len(headers) >= MAX_HEADERS:
            raise BadRequest(f"more than {MAX_HEADERS} headers", status=431)
        name, sep, value = header.decode("latin-1").partition(":")
        if not sep:
            raise BadRequest("malformed header")
        headers[name.strip().lower()] = value.strip()


async def _read_request(reader, limits):
    """(request line, headers), or None at end of stream: the request line within
    the idle timeout (a keep-alive connection may idle that long), the headers
    within the head timeout after it."""
    line = await asyncio.wait_for(_read_line(reader, 414), limits.idle_timeout)
    if not line:
        return None
    try:
        headers = await asyncio.wait_for(_read_headers(reader, len(line)), limits.head_timeout)
    except asyncio.TimeoutError:
        raise BadRequest(f"the request head did not arrive within {limits.head_timeout:g} s",
                         status=408) from None
    if headers.get("content-length", "0").strip() not in ("", "0") or "transfer-encoding" in headers:
        raise BadRequest("request bodies are not accepted", status=413)
    return line, headers


async def _send(writer, limits, *parts):
    """Write ``parts`` and wait until the client has taken them (at most the write
    timeout for each)."""
    for part in parts:
        writer.write(part)
        await asyncio.wait_for(writer.drain(), limits.write_timeout)


def make_handler(latency, size, limits=LIMITS):
    """The connection handler of ``asyncio.start_server`` for a server with these defaults."""
    connections = 0

    async def handle(reader, writer):
        nonlocal connections
        connections += 1
        try:
            if connections > limits.max_connections:
                message = (f"more than {limits.max_connections} connections at once; "
                           "try again\n").encode()
                await _send(writer, limits, _head(503, len(message), close=True) + message)
                return
            await serve_connection(reader, writer)
        except (ConnectionError, asyncio.TimeoutError, ValueError):
            writer.transport.abort()  # gone, idle, or not reading: free its buffers now
        finally:
            connections -= 1
            writer.close()

    async def serve_connection(reader, writer):
        while True:
            try:
                request = await _read_request(reader, limits)
                if request is None:
                    return
                line, headers = request
                index, query = _parse_request_line(line)
                delay, length, fault = _request_settings(query, latency, size)
            except BadRequest as exc:
                message = f"{exc}\n".encode()
                await _send(writer, limits, _head(exc.status, len(message), close=True) + message)
                return
            close = headers.get("connection", "").lower() == "close"
            if index is None:
                await _send(writer, limits, _head(200, 3, close=close) + b"ok\n")
            elif fault == "stall":
                # No answer: read (and drop) what the client sends until it gives up.
                while await asyncio.wait_for(reader.read(BLOCK), limits.idle_timeout):
                    pass
                return
            else:
                await asyncio.sleep(delay)
                if fault == "truncate":  # announce the whole body, send half of it
                    await _send(writer, limits, _head(200, length, close=True),
                                *payload_blocks(index, length // 2))
                    return
                await _send(writer, limits, _head(200, length, close=close),
                            *payload_blocks(index, length))
            if close:
                return

    return handle


async def start_server(host=HOST, port=0, *, latency=DEFAULT_LATENCY, size=DEFAULT_SIZE,
                       limits=LIMITS):
    """An ``asyncio.Server`` listening on ``host:port`` (0: a free port) on the running loop."""
    check_loopback(host)
    latency, size = check_settings(latency, size)
    port = _validation.integer("port", port, minimum=0, maximum=65535)
    # limit: a line longer than MAX_LINE is refused, not buffered.
    return await asyncio.start_server(make_handler(latency, size, limits), host, port,
                                      limit=MAX_LINE)


def bound_port(server):
    return server.sockets[0].getsockname()[1]


def _serve_in_process(connection, host, port, latency, size, limits):
    """Child process: serve until the parent says stop or goes away."""
    async def main():
        try:
            server = await start_server(host, port, latency=latency, size=size, limits=limits)
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
                 start_timeout=20.0, limits=LIMITS):
        self.host = check_loopback(host)
        self.limits = limits
        self.requested_port = _validation.integer("port", port, minimum=0, maximum=65535)
        self.latency, self.size = check_settings(latency, size)
        self.start_timeout = _validation.finite_float("start_timeout", start_timeout, minimum=0.1)
        self.port = None
        self._process = None
        self._connection = None

    @property
    def pid(self):
        """The server process's pid (None when it is not running)."""
        return self._process.pid if self._process is not None else None

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
            args=(child, self.host, self.requested_port, self.latency, self.size, self.limits))
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


__all__ = ["LIMITS", "Limits", "ServerProcess", "bound_port", "check_loopback", "check_settings", "digest", "free_port",
           "payload", "payload_blocks", "serve_forever", "start_server"]
