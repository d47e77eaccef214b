"""Broken servers: loopback HTTPS servers that answer every request the same wrong way.

Four kinds (issue: broken infrastructure is never a refusal):

* ``html-500``: ``500`` with an HTML error page (a crashed application behind a proxy);
* ``html-200``: ``200`` with an HTML page (a login page or a portal in front of the API);
* ``json-wrong-types``: ``200`` with JSON whose every member the suite reads has the wrong type;
* ``json-nulls``: ``200`` with JSON whose every member the suite reads is ``null``.

They speak TLS only, with the reference server's certificate and trust (the test PKI): a plain
HTTP connection and a client certificate from an untrusted CA are refused in the handshake, the
two refusals a check may count (they happen at the transport, whatever the application is). Each
server writes a profile in the embedded server's shape (its clients, template and claims), so the
whole suite runs against it (with two of its main clients, :data:`MAIN_CLIENTS`).
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conformance.pki import TestPKI
from conformance.server.config import Settings, build_config
from conformance.harness.targets import EMBEDDED_INITIAL_TOKEN_TTL_S, EMBEDDED_READ_WRITE_TTL_S
from conformance.server.defects import ActiveDefects
from conformance.server.profile_writer import write_profile
from conformance.server.reference import tls_context

HTML_500 = (b"<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"
            b"<body><h1>Internal Server Error</h1><p>The server encountered an unexpected condition."
            b"</p></body></html>")
HTML_200 = (b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>Sign in</h1>"
            b"<form method=\"post\" action=\"/login\"><input name=\"username\"><input name=\"password\" "
            b"type=\"password\"><button>Sign in</button></form></body></html>")

#: Every member the suite reads from a token, registration, management, introspection, metadata,
#: error or GraphQL answer, with a value of the wrong JSON type.
WRONG_TYPES: dict[str, object] = {
    # RFC 8414 metadata
    "issuer": 8414, "authorization_endpoint": ["https://x"], "token_endpoint": {"url": "https://x"},
    "registration_endpoint": 1, "revocation_endpoint": True, "introspection_endpoint": 2.5,
    "token_endpoint_auth_methods_supported": "client_secret_basic",
    "token_endpoint_auth_signing_alg_values_supported": "ES256",
    "dpop_signing_alg_values_supported": {"ES256": True}, "mtls_endpoint_aliases": ["https://x"],
    "scopes_supported": "dcr", "grant_types_supported": 3, "response_types_supported": "code",
    # RFC 6749 token responses and errors
    "access_token": 12345, "token_type": ["Bearer"], "expires_in": "300", "scope": ["dcr", "openid"],
    "refresh_token": {"value": "x"}, "error": 400, "error_description": ["failed"], "error_uri": 7,
    # RFC 7591 / RFC 7592 client information
    "client_id": {"id": "dyn-1"}, "client_secret": 42, "client_secret_expires_at": "never",
    "client_id_issued_at": "now", "registration_access_token": False, "registration_client_uri": 7591,
    "registration_access_token_expires_in": "long", "software_id": ["haapi-template"],
    "grant_types": "client_credentials", "response_types": "code", "redirect_uris": "https://x",
    "token_endpoint_auth_method": ["client_secret_basic"], "jwks": ["key"], "jwks_uri": 0,
    "client_name": {"en": "x"}, "dpop_bound_access_tokens": "yes",
    # RFC 7662 introspection
    "active": "true", "exp": "later", "iat": [], "sub": 1, "iss": False, "cnf": "jkt",
    # GraphQL answers (Curity DCR GraphQL API)
    "data": "ok", "errors": {"message": "x"},
}
NULLS: dict[str, None] = {name: None for name in WRONG_TYPES}

#: The main clients each broken server's profile lists: two per server, every authentication method
#: at least once over the four (a run with all eight clients on each would take minutes).
MAIN_CLIENTS = {"html-500": ("basic", "mtls"), "html-200": ("post", "selfsigned"),
                "json-wrong-types": ("hs256", "mtls"), "json-nulls": ("es256", "selfsigned")}

KINDS: dict[str, tuple[int, str, bytes]] = {
    "html-500": (500, "text/html; charset=utf-8", HTML_500),
    "html-200": (200, "text/html; charset=utf-8", HTML_200),
    "json-wrong-types": (200, "application/json", json.dumps(WRONG_TYPES).encode()),
    "json-nulls": (200, "application/json", json.dumps(NULLS).encode()),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= 1_000_000:
            self.rfile.read(length)  # read the request so the connection stays usable
        status, content_type, body = self.server.answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _answer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (stdlib signature)
        pass


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, answer: tuple[int, str, bytes], context: ssl.SSLContext) -> None:
        self.answer = answer
        self.context = context
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: socket.socket, client_address) -> None:
        request.settimeout(10)
        try:  # the handshake in the worker thread; plain HTTP and untrusted certificates fail here
            conn = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def handle_error(self, request, client_address) -> None:
        pass


def _only_main_clients(profile: str, labels: tuple[str, ...]) -> str:
    """The profile text without the ``[main_clients.X]`` tables not in ``labels``."""
    tables = re.split(r"(?m)^(?=\[)", profile)
    return "".join(t for t in tables if not (t.startswith("[main_clients.")
                                             and t[len("[main_clients."):t.index("]")] not in labels))


@dataclass
class BrokenServer:
    """One broken server of ``kind`` (a key of :data:`KINDS`) on loopback, with its profile."""

    kind: str
    pki: TestPKI
    workdir: Path | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; known: {', '.join(KINDS)}")
        self._server: _TlsServer | None = None
        self._thread: threading.Thread | None = None
        self.profile_path: Path | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "not started"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> BrokenServer:
        self._server = _TlsServer(KINDS[self.kind], tls_context(self.pki, ActiveDefects()))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"broken-{self.kind}", daemon=True)
        self._thread.start()
        self.workdir = Path(self.workdir or tempfile.mkdtemp(prefix=f"dcr-broken-{self.kind}-"))
        settings = Settings(initial_token_ttl_s=EMBEDDED_INITIAL_TOKEN_TTL_S,  # as the embedded server's
                            registration_token_read_write_ttl_s=EMBEDDED_READ_WRITE_TTL_S)
        config = build_config(self.pki, self.base_url, settings)
        path = write_profile(self.workdir / "profile.toml", config, self.pki, name=f"broken-{self.kind}")
        path.write_text(_only_main_clients(path.read_text(), MAIN_CLIENTS[self.kind]))
        self.profile_path = path
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BrokenServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
