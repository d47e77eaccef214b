"""Bounds on one HTTP exchange: a deadline for the whole request and a cap on the response size.

* **Deadline.** httpx's timeouts bound each socket operation: a server answering one byte per
  second never trips a 3 s read timeout. :func:`install_deadline` gives an ``httpx.HTTPTransport``
  a network backend whose every connect, TLS handshake, read and write is given at most the time
  left before the deadline of the request the calling thread is sending (:func:`deadline`), and
  fails with the phase's timeout error once it has passed. So connect, TLS, write and the read of
  the whole body together end by the deadline (name resolution is the system resolver's).
* **Size cap.** :func:`read_capped` reads a streamed response up to a cap: a body declared larger
  (``Content-Length``) is not read at all, a longer one (chunked, or lying) is read no further,
  and a content coding that would decode to more than the cap is refused before httpx decodes it.
  The caller then closes the response, which drops the connection (its body was not consumed).
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

#: Default cap on a response body, in bytes (before and after content decoding).
DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024
_DECODE_STEP = 64 * 1024

_local = threading.local()


class ResponseTooLarge(Exception):
    """The response body is, or would decode to, more than the cap."""

    def __init__(self, limit: int, detail: str) -> None:
        super().__init__(f"response larger than {limit} bytes ({detail})")
        self.limit = limit


@contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Network operations of this thread must end within ``seconds`` from now (nesting: the earlier wins)."""
    previous = getattr(_local, "deadline", None)
    at = time.monotonic() + seconds
    _local.deadline = at if previous is None else min(previous, at)
    try:
        yield _local.deadline
    finally:
        _local.deadline = previous


def _left(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` shortened to the time left before this thread's deadline; ``expired`` once past it."""
    at = getattr(_local, "deadline", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, _left(timeout, httpcore.ConnectTimeout),
                                           local_address=local_address, socket_options=socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        stream = self._backend.connect_unix_socket(path, _left(timeout, httpcore.ConnectTimeout),
                                                   socket_options=socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def install_deadline(transport: httpx.BaseTransport) -> None:
    """Make ``transport`` (an ``httpx.HTTPTransport``) honour :func:`deadline`.

    httpx offers no public way to choose httpcore's network backend, so the pool's is wrapped;
    a layout this does not know fails loudly here rather than leaving requests unbounded.
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:
        raise RuntimeError(f"cannot bound the requests of {transport!r}: unknown httpx/httpcore layout")
    if not isinstance(backend, _DeadlineBackend):
        pool._network_backend = _DeadlineBackend(backend)


# ------------------------------------------------------------------------------ size cap


def read_capped(response: httpx.Response, limit: int) -> httpx.Response:
    """The streamed ``response`` read into memory, as a new response whose content is at most ``limit``
    bytes on the wire and once decoded; :class:`ResponseTooLarge` otherwise. Close ``response`` after."""
    declared = response.headers.get("content-length", "").strip()
    bodiless = response.request.method == "HEAD" or response.status_code in (204, 304)  # RFC 9110 §8.6
    if declared.isdigit() and int(declared) > limit and not bodiless:
        raise ResponseTooLarge(limit, f"Content-Length: {int(declared)}; not read")
    chunks, size = [], 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > limit:
            raise ResponseTooLarge(limit, f"read no further than {size} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    _check_decoded_size(raw, response.headers.get_list("content-encoding", split_commas=True), limit)
    whole = httpx.Response(response.status_code, headers=response.headers, stream=httpx.ByteStream(raw),
                           request=response.request, extensions=response.extensions)
    whole.read()  # decodes the content codings (httpx.DecodingError if it cannot)
    return whole


def _check_decoded_size(raw: bytes, codings: list[str], limit: int) -> None:
    """Raise :class:`ResponseTooLarge` if gzip / deflate layers would decode ``raw`` to more than ``limit``
    bytes (httpx decodes each chunk whole: a small bomb would otherwise expand in memory)."""
    data = raw
    for coding in reversed([c.strip().lower() for c in codings]):
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, zlib.MAX_WBITS | 16, limit)
        elif coding == "deflate":
            try:
                data = _inflate(data, zlib.MAX_WBITS, limit)
            except zlib.error:
                data = _inflate(data, -zlib.MAX_WBITS, limit)  # raw deflate, as httpx accepts it
        else:
            return  # identity, or a coding httpx decodes (or refuses) itself
        if data is None:
            return  # not valid: httpx reports the decoding error


def _inflate(data: bytes, wbits: int, limit: int) -> bytes | None:
    """``data`` inflated, at most ``limit`` bytes of it; None if it is not valid (raw deflate / gzip)."""
    inflater = zlib.decompressobj(wbits)
    out, size, pending = [], 0, data
    try:
        while True:
            piece = inflater.decompress(pending, _DECODE_STEP)
            size += len(piece)
            if size > limit:
                raise ResponseTooLarge(limit, f"its {len(data)} bytes decode to more")
            out.append(piece)
            pending = inflater.unconsumed_tail
            if not pending or not piece:
                break
        out.append(inflater.flush())
    except zlib.error:
        if wbits == zlib.MAX_WBITS:
            raise  # zlib-wrapped deflate failed: the caller tries raw deflate
        return None
    if size + len(out[-1]) > limit:
        raise ResponseTooLarge(limit, f"its {len(data)} bytes decode to more")
    return b"".join(out)
