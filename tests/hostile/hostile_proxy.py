"""A misbehaving reverse proxy in front of the embedded reference server: every request is passed
on, except those whose path has a hostile behaviour (``hostile_servers.BEHAVIOURS``), so that a
full run meets a deployment whose token endpoint is fine and whose registration endpoint, say,
never answers.

The proxy ends TLS with the hostile PKI's certificate, so the profile it writes
(:func:`proxied_profile`) trusts the hostile CA and drops the main clients that authenticate with
a TLS client certificate (a TLS-ending proxy cannot pass one on). The upstream's base URL is
rewritten to the proxy's in every body, so discovery (RFC 8414 §3.3: the issuer must match) and
registration_client_uri lead back through the proxy. One request per connection.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from pathlib import Path

from hostile_servers import Connection, HostileServer, Stopped

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
#: Main clients the proxy can carry: a TLS client certificate ends at the proxy, and a client
#: assertion names the upstream's token endpoint as its audience (RFC 7523 §3), not the proxy's.
_CARRIED_METHODS = ("client_secret_basic", "client_secret_post")


class HostileProxy(HostileServer):
    """``HostileProxy(upstream_url, upstream_ca, tls, routes={path: behaviour})``."""

    def __init__(self, upstream_url: str, upstream_ca: Path, tls: ssl.SSLContext,
                 routes: dict[str, str] | None = None) -> None:
        self.upstream_url = upstream_url.rstrip("/")
        self.upstream_tls = ssl.create_default_context(cafile=str(upstream_ca))
        super().__init__("answer", tls, routes)

    def _serve(self, sock: socket.socket) -> None:
        conn_sock = sock
        with self._lock:
            self._open.add(sock)
        try:
            sock.settimeout(30)
            conn_sock = self.tls.wrap_socket(sock, server_side=True)
            with self._lock:
                self._open.add(conn_sock)
            method, path, headers, body = _read_full_request(conn_sock)
            with self._lock:
                self.requests.append(f"{method} {path}")
            behaviour = self.routes.get(path.split("?")[0])
            if behaviour is not None:
                behaviour(Connection(conn_sock, self))
            else:
                self._forward(Connection(conn_sock, self), method, path, headers, body)
        except (Stopped, OSError, ValueError, http.client.HTTPException):
            pass
        finally:
            self._release(sock, conn_sock)

    def _forward(self, conn: Connection, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> None:
        host = self.upstream_url.split("://", 1)[1]
        upstream = http.client.HTTPSConnection(host, context=self.upstream_tls, timeout=30)
        try:
            sent = [(k, v) for k, v in headers if k.lower() not in ("host", "content-length", "accept-encoding")]
            upstream.putrequest(method, path, skip_accept_encoding=True)
            for name, value in sent:
                upstream.putheader(name, value.replace(self.url, self.upstream_url))
            upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            answer = upstream.getresponse()
            content = answer.read().replace(self.upstream_url.encode(), self.url.encode())
            lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
            lines += [f"{k}: {v.replace(self.upstream_url, self.url)}" for k, v in answer.getheaders()
                      if k.lower() not in _HOP_BY_HOP]
            lines += [f"Content-Length: {len(content)}", "Connection: close"]
            conn.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content)
        finally:
            upstream.close()


def _read_full_request(sock: socket.socket) -> tuple[str, str, list[tuple[str, str]], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            raise ValueError("no request")
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = [(k.strip(), v.strip()) for k, _, v in (ln.partition(":") for ln in lines[1:])]
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    while len(body) < length:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return method, path, headers, body


def proxied_profile(upstream_profile: Path, upstream_url: str, proxy_url: str, ca: Path, out: Path, *,
                    timeout_s: float = 1.0) -> Path:
    """A copy of the reference server's profile that goes through the proxy (written beside the
    original, so its relative secret files still resolve), with the main clients the proxy can carry."""
    text = upstream_profile.read_text().replace(upstream_url.rstrip("/"), proxy_url)
    text = re.sub(r'(?m)^ca_bundle = .*$', f'ca_bundle = "{ca}"', text)
    text = re.sub(r'(?m)^timeout_s = .*$', f"timeout_s = {timeout_s:g}", text)
    text = re.sub(r'(?m)^mtls_token_endpoint = .*\n', "", text)
    text = re.sub(r'(?m)^name = ".*"$', 'name = "proxied"', text, count=1)
    sections = re.split(r'(?m)^(?=\[)', text)
    kept = [s for s in sections if not s.startswith("[main_clients.")
            or any(f'auth_method = "{m}"' in s for m in _CARRIED_METHODS)]
    out.write_text("".join(kept))
    return out
