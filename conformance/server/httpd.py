"""HTTP/1.1 over TLS on the standard library: one listener for MTLS and non-MTLS clients.

The listening socket is not wrapped: each accepted connection is handled on its own daemon
thread, which peeks at the first byte (0x16 is a TLS handshake record), performs the TLS
handshake there under a timeout (a slow client cannot stall the accept loop), and then serves
keep-alive HTTP/1.1 requests. Client certificates are requested but optional
(``CERT_OPTIONAL``), so the verified peer certificate, when there is one, reaches the
application as DER. Plain HTTP is refused (RFC 7591 §3: the endpoint is protected by TLS),
unless the ``registration-over-plain-http`` defect is on.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from .http_messages import Request, Response, json_response

log = logging.getLogger("conformance.server")

TLS_HANDSHAKE_RECORD = 0x16
_REFUSAL_BODY = b'{"error":"invalid_request","error_description":"use https"}'
_PLAIN_REFUSAL = (b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
                  % (len(_REFUSAL_BODY), _REFUSAL_BODY))


class _BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    """Reads one request into a :class:`Request`, hands it to the app, writes the response."""

    protocol_version = "HTTP/1.1"  # keep-alive
    wbufsize = 65_536  # headers and body leave in one write (flushed after each request)
    server_version = "dcr-conformance-reference/0.1"
    sys_version = ""
    server: Listener

    def setup(self) -> None:
        self.timeout = self.server.io_timeout_s  # idle keep-alive and slow reads end
        super().setup()

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _BodyError as exc:
            self.close_connection = True
            self._write(json_response(exc.status, {"error": "invalid_request",
                                                   "error_description": str(exc)}))
            return
        path, _, query = self.path.partition("?")
        peer = None
        if isinstance(self.connection, ssl.SSLSocket):
            peer = self.connection.getpeercert(binary_form=True)
        request = Request(self.command, path, query, self.headers, body, peer,
                          secure=isinstance(self.connection, ssl.SSLSocket))
        self._write(self.server.app(request))

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def _read_body(self) -> bytes:
        limit = self.server.max_body_bytes
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked(limit)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise _BodyError(400, "invalid Content-Length") from None
        if length < 0:
            raise _BodyError(400, "invalid Content-Length")
        if length > limit:
            raise _BodyError(413, "request body too large")
        data = self.rfile.read(length)
        if len(data) != length:
            raise _BodyError(400, "truncated body")
        return data

    def _read_chunked(self, limit: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BodyError(400, "bad chunk") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if size < 0 or total > limit:
                raise _BodyError(413, "request body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        no_body = response.status in (204, 304) or self.command == "HEAD"
        if response.status != 204:  # HEAD: the length the GET body would have
            self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not no_body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        # Request lines carry no credentials (tokens never travel in the query); debug only.
        log.debug("%s %s", self.address_string(), format % args)

    def log_error(self, format: str, *args) -> None:  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)


class Listener(ThreadingHTTPServer):
    """ThreadingHTTPServer whose worker threads do the TLS handshake after peeking the byte."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Callable[[Request], Response] | None,
                 ssl_context: ssl.SSLContext, *, io_timeout_s: float, max_body_bytes: int,
                 serve_plain_http: Callable[[], bool], plain_http_redirect: bool = False) -> None:
        self.app = app
        self.ssl_context = ssl_context
        self.io_timeout_s = io_timeout_s
        self.max_body_bytes = max_body_bytes
        self.serve_plain_http = serve_plain_http
        self.plain_http_redirect = plain_http_redirect  # VARIANT plain-http-redirect
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, Handler)

    def finish_request(self, request: socket.socket, client_address) -> None:
        conn = self._secure(request)
        if conn is None:
            return
        with self._open_lock:
            self._open.add(conn)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass  # the peer went away or timed out
        finally:
            with self._open_lock:
                self._open.discard(conn)
            if conn is not request:
                conn.close()

    def _secure(self, request: socket.socket) -> socket.socket | None:
        """TLS-wrap the connection, or refuse plain HTTP; None when nothing is to be served."""
        request.settimeout(self.io_timeout_s)
        try:
            # Small responses must not wait for a delayed ACK (Nagle).
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            first = request.recv(1, socket.MSG_PEEK)
            if not first:
                return None
            if first[0] == TLS_HANDSHAKE_RECORD:
                return self.ssl_context.wrap_socket(request, server_side=True)
            if self.serve_plain_http():  # DEFECT: registration-over-plain-http
                return request
            if self.plain_http_redirect:  # VARIANT: 301 to https, the request is not read
                host, port = self.server_address[:2]
                request.sendall(b"HTTP/1.1 301 Moved Permanently\r\nLocation: https://%s:%d/\r\n"
                                b"Connection: close\r\nContent-Length: 0\r\n\r\n" % (host.encode(), port))
                return None
            request.sendall(_PLAIN_REFUSAL)
        except (OSError, ssl.SSLError) as exc:
            # An unverifiable client certificate fails here, as RFC 8705 negatives allow.
            log.debug("connection refused during TLS set-up: %s", type(exc).__name__)
        return None

    def handle_error(self, request, client_address) -> None:
        log.exception("unexpected error serving %s", client_address)

    def stop(self) -> None:
        """Stop serve_forever without waiting for its poll interval: while shutdown() waits,
        connect to ourselves so the selector wakes up at once."""
        stopper = threading.Thread(target=self.shutdown, daemon=True)
        stopper.start()
        while stopper.is_alive():
            try:
                socket.create_connection(self.server_address[:2], timeout=0.5).close()
            except OSError:
                pass
            stopper.join(0.005)
        self.close_connections()
        self.server_close()

    def close_connections(self) -> None:
        """Shut down keep-alive connections still open (used when the server stops)."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
