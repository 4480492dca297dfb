"""Clients of nogilkit's test server: blocking (``http.client``) and asyncio streams.

Both fetch ``/data/<index>`` and fail the same way: a ``FetchError`` naming
the URL and what went wrong (refused, no answer within ``timeout``, closed
mid-response, a status other than 200), always within a bounded time and
with the connection closed.
"""

import asyncio
import http.client
import socket

DEFAULT_TIMEOUT = 10.0


class FetchError(ConnectionError):
    """A request to the test server that did not give a whole 200 response."""


def resource(index, *, size=None, latency=None, fault=None):
    """The request target of resource ``index`` with per-request overrides."""
    query = [f"{name}={value}" for name, value in
             (("size", size), ("latency", latency), ("fault", fault)) if value is not None]
    return f"/data/{index}" + ("?" + "&".join(query) if query else "")


def fetch(host, port, target, *, timeout=DEFAULT_TIMEOUT):
    """The body of ``GET target``, with the blocking standard-library client.

    ``timeout`` bounds the connection and every read; a server that sends
    nothing for that long raises FetchError.
    """
    url = f"http://{host}:{port}{target}"
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", target, headers={"Connection": "close"})
        response = connection.getresponse()
        body = response.read()
    except ConnectionRefusedError:
        raise FetchError(f"GET {url}: connection refused (is the server running?)") from None
    except (socket.timeout, TimeoutError):
        raise FetchError(f"GET {url}: no response within {timeout} s") from None
    except http.client.IncompleteRead as exc:
        raise FetchError(f"GET {url}: the server closed the connection after "
                         f"{len(exc.partial)} of {len(exc.partial) + exc.expected} bytes") from None
    except (http.client.HTTPException, OSError) as exc:
        raise FetchError(f"GET {url}: {type(exc).__name__}: {exc}") from None
    finally:
        connection.close()
    if response.status != 200:
        raise FetchError(f"GET {url}: HTTP {response.status} {response.reason}: "
                         f"{body[:200].decode('utf-8', 'replace').strip()}")
    return body


async def fetch_async(host, port, target, *, timeout=DEFAULT_TIMEOUT):
    """The body of ``GET target`` over asyncio streams; the whole request is bounded by ``timeout``."""
    url = f"http://{host}:{port}{target}"
    try:
        return await asyncio.wait_for(_get(host, port, target, url), timeout)
    except asyncio.TimeoutError:
        raise FetchError(f"GET {url}: no response within {timeout} s") from None
    except ConnectionRefusedError:
        raise FetchError(f"GET {url}: connection refused (is the server running?)") from None
    except asyncio.IncompleteReadError as exc:
        raise FetchError(f"GET {url}: the server closed the connection after "
                         f"{len(exc.partial)} of {exc.expected} bytes") from None
    except OSError as exc:
        if isinstance(exc, FetchError):
            raise
        raise FetchError(f"GET {url}: {type(exc).__name__}: {exc}") from None


async def _get(host, port, target, url):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                     f"Connection: close\r\n\r\n".encode("ascii"))
        await writer.drain()
        status_line = await reader.readline()
        parts = status_line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise FetchError(f"GET {url}: malformed status line {status_line[:80]!r}")
        length = None
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                if not value.strip().isdigit():
                    raise FetchError(f"GET {url}: malformed Content-Length {value.strip()!r}")
                length = int(value)
        if length is None:
            raise FetchError(f"GET {url}: the response has no Content-Length")
        body = await reader.readexactly(length)
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
    if parts[1] != "200":
        raise FetchError(f"GET {url}: HTTP {status_line.decode('latin-1').strip()[9:]}: "
                         f"{body[:200].decode('utf-8', 'replace').strip()}")
    return body


__all__ = ["DEFAULT_TIMEOUT", "FetchError", "fetch", "fetch_async", "resource"]
