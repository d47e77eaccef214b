"""TLS probes: connections limited to chosen TLS versions, handshakes offering chosen cipher suites,
and what each handshake negotiated (RFC 7591 §5, RFC 8414 §6.1). Builders, never assertions.

* :class:`RecordingTransport` sends like the session's :class:`~conformance.client.http.Transport`
  (same CA bundle, timeout, redactor, size cap), on its own connections, whose handshakes are
  limited to ``minimum``..``maximum`` and recorded in :attr:`RecordingTransport.handshakes`; its
  exchanges also go to the session's capture log.
* :func:`offer` makes one bare handshake (the ``ssl`` module, bounded by a timeout) offering only
  the given TLS 1.2 suites and says what the server agreed to, if anything. :func:`can_offer` says
  whether this machine's OpenSSL can offer them at all.
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from conformance.client.http import Exchange, RequestSpec, Transport

TLS_1_2 = ssl.TLSVersion.TLSv1_2

#: OpenSSL cipher string of the TLS 1.2 suites without encryption (``eNULL``) or without server
#: authentication (``aNULL``); OpenSSL 3 offers them only at security level 0.
UNPROTECTED_SUITES = "eNULL:aNULL:@SECLEVEL=0"


@dataclass(frozen=True)
class Negotiated:
    """What one handshake settled: ``ssl.SSLSocket.version()`` and ``.cipher()``."""

    version: str | None  # "TLSv1.2", "TLSv1.3"
    cipher: str | None  # the OpenSSL name, e.g. "ECDHE-ECDSA-AES256-GCM-SHA384"
    secret_bits: int | None

    @classmethod
    def of(cls, sock: ssl.SSLSocket) -> Negotiated:
        name, _, bits = sock.cipher() or (None, None, None)
        return cls(sock.version(), name, bits)

    def describe(self) -> str:
        return f"{self.version or '?'} with {self.cipher or '?'} ({self.secret_bits}-bit secret)"


def _recording_socket_class(handshakes: list[Negotiated]) -> type[ssl.SSLSocket]:
    class RecordingSocket(ssl.SSLSocket):
        def do_handshake(self, *args, **kwargs):  # noqa: ANN001, ANN202 (ssl.SSLSocket's signature)
            super().do_handshake(*args, **kwargs)
            handshakes.append(Negotiated.of(self))

    return RecordingSocket


class RecordingTransport(Transport):
    """A transport on connections of its own, their TLS versions limited to ``minimum``..``maximum``
    (None: OpenSSL's default bound), each handshake recorded in :attr:`handshakes`. Close it after
    use (a context manager)."""

    def __init__(self, base: Transport, *, minimum: ssl.TLSVersion | None = None,
                 maximum: ssl.TLSVersion | None = None) -> None:
        super().__init__(base.ca_bundle, base.timeout_s, base.redactor, max_connections=2,
                         max_response_bytes=base.max_response_bytes)
        self.base = base
        self.minimum, self.maximum = minimum, maximum
        self.handshakes: list[Negotiated] = []

    def ssl_context(self, identity=None) -> ssl.SSLContext:  # noqa: ANN001 (Transport's signature)
        context = super().ssl_context(identity)
        if self.minimum is not None:
            context.minimum_version = self.minimum
        if self.maximum is not None:
            context.maximum_version = self.maximum
        context.sslsocket_class = _recording_socket_class(self.handshakes)
        return context

    def send(self, spec: RequestSpec) -> Exchange:
        exchange = super().send(spec)
        self.base.exchanges.append(exchange)  # the session's capture log (reports) shows it too
        return exchange


def host_and_port(url: str) -> tuple[str, int]:
    """The host and port an https ``url`` connects to."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 443


def can_offer(ciphers: str) -> bool:
    """Whether this machine's OpenSSL can offer any of the TLS 1.2 suites ``ciphers`` names."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.set_ciphers(ciphers)
    except ssl.SSLError:
        return False
    return any(c.get("protocol") != "TLSv1.3" for c in context.get_ciphers())


@dataclass(frozen=True)
class Handshake:
    """One bare handshake: what it negotiated, or why none was made (``timed_out``: no answer)."""

    host: str
    port: int
    negotiated: Negotiated | None
    error: str | None = None
    timed_out: bool = False


def offer(url: str, ciphers: str, timeout_s: float, *, maximum: ssl.TLSVersion = TLS_1_2) -> Handshake:
    """A handshake with ``url``'s host offering only ``ciphers`` (TLS 1.2 at most: the TLS 1.3
    suites are not configured by a cipher string), closed at once; connect and handshake together
    bounded by ``timeout_s``. Nothing is sent over the connection, and an anonymous suite has no
    certificate to check, so the server's certificate is not verified here (the checks' own
    connections verify it)."""
    host, port = host_and_port(url)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = TLS_1_2
    context.maximum_version = maximum
    context.set_ciphers(ciphers)
    deadline = time.monotonic() + timeout_s
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as raw:
            raw.settimeout(max(0.1, deadline - time.monotonic()))
            with context.wrap_socket(raw, server_hostname=host) as tls:
                return Handshake(host, port, Negotiated.of(tls))
    except (TimeoutError, socket.timeout):
        return Handshake(host, port, None, f"no answer within {timeout_s:g} s", timed_out=True)
    except ssl.SSLError as exc:
        return Handshake(host, port, None, f"TLS handshake refused: {exc.reason or exc}")
    except OSError as exc:
        return Handshake(host, port, None, f"connection failed: {exc.strerror or exc}")
