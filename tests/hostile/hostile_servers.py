"""Small misbehaving HTTPS servers on loopback, for the tests that bound what a bad target can do.

A :class:`HostileServer` accepts connections in a thread, completes TLS with the certificate it
was given, reads each request head and hands the connection to a *behaviour* chosen by the
request path (``routes``), or the default one:

``answer``        a small JSON answer, at once (the well-behaved baseline);
``drip``          the whole answer, head included, one byte per second;
``drip_body``     the head at once, then the body one byte per second;
``huge``          a 200 MB body with its ``Content-Length``, sent as fast as the peer reads;
``huge_chunked``  a 200 MB chunked body, no length;
``gzip_bomb``     a gzip body of about 200 KB that inflates to 200 MB;
``silent``        reads the request, never answers, keeps the connection open;
``reset``         reads the request, then resets the connection (RST).

Certificates (:class:`HostilePKI`): a CA the client trusts, and server certificates for
127.0.0.1 that are good, expired, for another host, self-signed, or from an unknown issuer.
The server counts what each behaviour sent (``sent``), so a test can show a body was read no
further. Everything stops when the test's fixture stops the server.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HUGE = 200 * 1024 * 1024
_BLOCK = 64 * 1024
ANSWER = json.dumps({"ok": True, "access_token": "hostile-answer-token-0123456789"}).encode()


# ------------------------------------------------------------------------------ certificates


@dataclass(frozen=True)
class HostilePKI:
    """PEM files: ``ca`` (the bundle the client trusts) and one (cert, key) pair per server kind."""

    ca: Path
    certs: dict[str, tuple[Path, Path]]  # good, expired, wrong-host, self-signed, unknown-issuer

    @classmethod
    def generate(cls, directory: Path) -> HostilePKI:
        now = dt.datetime.now(dt.timezone.utc)
        ca_key, ca = _cert("Hostile test CA", None, None, now - dt.timedelta(days=1), now + dt.timedelta(days=30),
                           is_ca=True)
        other_key, other_ca = _cert("Some other CA", None, None, now - dt.timedelta(days=1),
                                    now + dt.timedelta(days=30), is_ca=True)
        loopback = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        kinds = {
            "good": ("127.0.0.1", (ca, ca_key), loopback, now - dt.timedelta(days=1), now + dt.timedelta(days=30)),
            "expired": ("127.0.0.1", (ca, ca_key), loopback, now - dt.timedelta(days=30), now - dt.timedelta(days=1)),
            "wrong-host": ("other.example", (ca, ca_key), [x509.DNSName("other.example")],
                           now - dt.timedelta(days=1), now + dt.timedelta(days=30)),
            "self-signed": ("127.0.0.1", None, loopback, now - dt.timedelta(days=1), now + dt.timedelta(days=30)),
            "unknown-issuer": ("127.0.0.1", (other_ca, other_key), loopback, now - dt.timedelta(days=1),
                               now + dt.timedelta(days=30)),
        }
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        certs = {}
        for kind, (cn, issuer, san, start, end) in kinds.items():
            key, cert = _cert(cn, issuer, san, start, end)
            cert_path, key_path = directory / f"{kind}.pem", directory / f"{kind}.key"
            cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
            certs[kind] = (cert_path, key_path)
        return cls(directory / "ca.pem", certs)

    def server_context(self, kind: str = "good") -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*map(str, self.certs[kind]))
        return context


def _cert(cn, issuer, san, start, end, is_ca=False):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_cert, issuer_key = issuer if issuer is not None else (None, key)
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer_cert.subject if issuer_cert is not None else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    if is_ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    return key, builder.sign(issuer_key, hashes.SHA256())


# ------------------------------------------------------------------------------ behaviours


class Stopped(Exception):
    """The server is stopping: the behaviour ends."""


class Connection:
    """One accepted (TLS) connection, as a behaviour sees it."""

    def __init__(self, sock: socket.socket, server: HostileServer) -> None:
        self.sock = sock
        self.server = server

    def send(self, data: bytes) -> None:
        if self.server.stopping.is_set():
            raise Stopped
        self.sock.sendall(data)
        self.server.count(len(data))

    def wait(self, seconds: float) -> None:
        if self.server.stopping.wait(seconds):
            raise Stopped


def _head(status: str = "200 OK", **headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json", *(f"{k.replace('_', '-')}: {v}"
                                                                       for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(conn: Connection) -> None:
    conn.send(_head(Content_Length=str(len(ANSWER))) + ANSWER)


def drip(conn: Connection) -> None:
    for byte in _head(Content_Length=str(len(ANSWER))) + ANSWER:
        conn.send(bytes([byte]))
        conn.wait(1.0)


def drip_body(conn: Connection) -> None:
    conn.send(_head(Content_Length="100000"))
    while True:
        conn.send(b" ")
        conn.wait(1.0)


def huge(conn: Connection) -> None:
    conn.send(_head(Content_Length=str(HUGE)))
    block, left = b"x" * _BLOCK, HUGE
    while left > 0:
        conn.send(block[:left])
        left -= _BLOCK


def huge_chunked(conn: Connection) -> None:
    conn.send(_head(Transfer_Encoding="chunked"))
    chunk = f"{_BLOCK:x}\r\n".encode() + b"x" * _BLOCK + b"\r\n"
    for _ in range(HUGE // _BLOCK):
        conn.send(chunk)
    conn.send(b"0\r\n\r\n")


_bomb: bytes | None = None
_bomb_lock = threading.Lock()


def gzip_bomb_body() -> bytes:
    """200 MB of zeros, gzipped once per process (about 200 KB), without holding the 200 MB."""
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
            zeros = bytes(1024 * 1024)
            _bomb = b"".join([*(packer.compress(zeros) for _ in range(HUGE // len(zeros))), packer.flush()])
        return _bomb


def gzip_bomb(conn: Connection) -> None:
    body = gzip_bomb_body()
    conn.send(_head(Content_Encoding="gzip", Content_Length=str(len(body))) + body)


def silent(conn: Connection) -> None:
    conn.wait(3600)


def reset(conn: Connection) -> None:
    raw = conn.sock
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raise Stopped  # closing now sends RST


BEHAVIOURS: dict[str, Callable[[Connection], None]] = {
    f.__name__: f for f in (answer, drip, drip_body, huge, huge_chunked, gzip_bomb, silent, reset)
}


# ------------------------------------------------------------------------------ server


class HostileServer:
    """A loopback HTTPS server whose answers come from behaviours (one request per connection)."""

    def __init__(self, behaviour: str = "answer", tls: ssl.SSLContext | None = None,
                 routes: dict[str, str] | None = None) -> None:
        self.behaviour = BEHAVIOURS[behaviour]
        self.routes = {path: BEHAVIOURS[name] for path, name in (routes or {}).items()}
        if gzip_bomb in (self.behaviour, *self.routes.values()):
            gzip_bomb_body()  # made before the first request, not while a client's budget runs
        self.tls = tls
        self.stopping = threading.Event()
        self.sent = 0  # bytes written to clients, over all connections
        self.requests: list[str] = []  # request lines received
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.5)  # accept() also wakes up to see ``stopping``
        self._threads: list[threading.Thread] = []
        self._open: set[socket.socket] = set()
        self.port = self._listener.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._acceptor = threading.Thread(target=self._accept, name="hostile-accept", daemon=True)
        self._acceptor.start()

    def count(self, n: int) -> None:
        with self._lock:
            self.sent += n

    def stop(self) -> None:
        self.stopping.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            open_now = list(self._open)
        for sock in open_now:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in [self._acceptor, *self._threads]:
            thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), name="hostile-conn", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        conn_sock = sock
        with self._lock:
            self._open.add(sock)
        try:
            sock.settimeout(30)
            if self.tls is not None:
                conn_sock = self.tls.wrap_socket(sock, server_side=True)
                with self._lock:
                    self._open.add(conn_sock)
            line = _read_request(conn_sock)
            with self._lock:
                self.requests.append(line)
            path = line.split(" ")[1] if line.count(" ") >= 2 else "/"
            self.routes.get(path.split("?")[0], self.behaviour)(Connection(conn_sock, self))
        except (Stopped, OSError, ValueError):
            pass  # the client went away, the handshake failed (bad certificates), or we stop
        finally:
            self._release(sock, conn_sock)


    def _release(self, *sockets: socket.socket) -> None:
        """Close a connection's sockets (raw and TLS-wrapped) and forget them."""
        for s in set(sockets):
            try:
                s.close()
            except OSError:
                pass
        with self._lock:
            self._open.difference_update(sockets)


def _read_request(sock: socket.socket) -> str:
    """The request line, after reading the head and a ``Content-Length`` body."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(4096)
        if not piece:
            raise ValueError("no request")
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(v) for k, _, v in (ln.partition(":") for ln in lines[1:])
                   if k.strip().lower() == "content-length"), 0)
    while len(body) < length:
        piece = sock.recv(4096)
        if not piece:
            break
        body += piece
    return lines[0]


def wait_until(predicate: Callable[[], bool], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
