"""``ReferenceServer``: the embedded reference server as a context manager.

::

    with ReferenceServer(defect=None, variants=()) as srv:      # templates=False: plain RFC 7591, no software_id
        srv.base_url        # https://127.0.0.1:PORT
        srv.profile_path    # a ready profile for the suite
        srv.pki, srv.store

Start-up binds a free loopback port, builds the TLS context from the (shared, pre-generated)
test PKI, writes the profile and serves on a daemon thread; it never generates keys, so tests
can start many servers quickly by passing one :class:`~conformance.pki.TestPKI`.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from cryptography import x509

from ..pki import TestPKI, default_pki
from .app import App
from .config import ServerConfig, Settings, build_config
from .context import Context
from .defects import ActiveDefects
from .dpop import NonceIssuer
from .http_messages import Request, Response
from .httpd import Listener
from .profile_writer import write_profile
from .sqlite_store import SqliteStore
from .store import MemoryStore, Store
from .variants import ActiveVariants


def tls_context(pki: TestPKI, defects: ActiveDefects,
                variants: ActiveVariants | None = None) -> ssl.SSLContext:
    """Server TLS: client certificates requested, not required (RFC 8705 on a shared port);
    TLS 1.2 and 1.3 with OpenSSL's default suites (RFC 7591 §5, RFC 8414 §6.1).

    Trust anchors: the CA, and each registered self-signed certificate (so that it reaches the
    application, where the exact certificate is matched).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if defects.on("tls-1.2-disabled"):  # DEFECT: TLS 1.3 only
        context.minimum_version = ssl.TLSVersion.TLSv1_3
    if defects.on("tls-null-cipher-suites"):  # DEFECT: suites without encryption or authentication
        context.set_ciphers("ALL:eNULL:@SECLEVEL=0")
    if variants is not None and variants.on("tls-1.2-only"):  # VARIANT: no TLS 1.3
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.verify_mode = ssl.CERT_OPTIONAL
    context.load_verify_locations(cafile=str(pki.ca_cert))
    context.load_verify_locations(cadata=pki.self_signed_cert.read_text())
    if defects.on("mtls-any-ca-accepted"):  # DEFECT: the rogue CA is trusted at the TLS layer
        context.load_verify_locations(cadata=pki.rogue_ca_cert.read_text())
    if defects.on("self-signed-any-cert-accepted"):  # DEFECT: unregistered certs get through
        context.load_verify_locations(cadata=pki.other_self_signed_cert.read_text())
    return context


class ReferenceServer:
    """The reference DCR server on loopback; see the module docstring."""

    def __init__(self, defect: str | None = None, rotate_on_read: bool = True,
                 dpop_nonce: bool = True, initial_token_ttl_s: int = 300,
                 registration_token_read_write_ttl_s: int = Settings.registration_token_read_write_ttl_s,
                 state_file: str | Path | None = None, port: int = 0,
                 workdir: str | Path | None = None, pki: TestPKI | None = None,
                 host: str = "127.0.0.1", profile_path: str | Path | None = None,
                 middleware: Callable[[App], Callable[[Request], Response]] | None = None,
                 variants: Iterable[str] = (), templates: bool = True) -> None:
        self.defects = ActiveDefects(defect)  # raises UnknownDefect early
        self.variants = ActiveVariants(variants)  # raises UnknownVariant / IncompatibleVariants early
        self.templates = templates  # False: a server without templates (plain RFC 7591 registration)
        self.middleware = middleware  # optional: wraps the App (e.g. a recorder of the traffic of a client under test)
        self.settings = Settings(rotate_on_read=rotate_on_read, dpop_nonce=dpop_nonce,
                                 initial_token_ttl_s=initial_token_ttl_s,
                                 registration_token_read_write_ttl_s=registration_token_read_write_ttl_s)
        self.state_file = Path(state_file) if state_file else None
        self._requested_port = port
        self._host = host
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else None
        self._profile_target = Path(profile_path) if profile_path else None
        self.pki = pki
        self.store: Store | None = None
        self.config: ServerConfig | None = None
        self.context: Context | None = None
        self.profile_path: Path | None = None
        self._listener: Listener | None = None
        self._thread: threading.Thread | None = None

    @property
    def defect(self) -> str | None:
        return self.defects.name

    @property
    def port(self) -> int:
        assert self._listener is not None, "server not started"
        return self._listener.server_address[1]

    @property
    def base_url(self) -> str:
        return f"https://{self._host}:{self.port}"

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> ReferenceServer:
        if self._listener is not None:
            return self
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="dcr-ref-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.pki is None:
            self.pki = default_pki()
        ssl_context = tls_context(self.pki, self.defects, self.variants)
        # Bind first: the configuration needs the port. The app is attached before serving.
        listener = Listener((self._host, self._requested_port), app=None,
                            ssl_context=ssl_context, io_timeout_s=self.settings.io_timeout_s,
                            max_body_bytes=self.settings.max_body_bytes,
                            serve_plain_http=lambda: self.defects.on(
                                "registration-over-plain-http") or self.defects.on(
                                "token-endpoint-over-plain-http") or self.defects.on(
                                "dpop-token-over-plain-http"),
                            plain_http_redirect=self.variants.on("plain-http-redirect"))
        self._listener = listener
        self.store = SqliteStore(self.state_file) if self.state_file else MemoryStore()
        self.config = build_config(self.pki, self.base_url, self.settings, templates=self.templates)
        ca_cert = x509.load_pem_x509_certificate(self.pki.ca_cert.read_bytes())
        self.context = Context(self.config, self.store, self.defects, ca_cert,
                               NonceIssuer(self.settings.dpop_nonce_ttl_s), variants=self.variants)
        app = App(self.context)
        listener.app = app if self.middleware is None else self.middleware(app)
        target = self._profile_target or self.workdir / "profile.toml"
        name = "reference" if self.defect is None else f"reference-{self.defect}"
        claims = {"rotates_credentials_on_read": False} \
            if self.variants.on("rotate-on-put-only") else {}  # VARIANT: GET does not rotate
        name += "" if self.templates else "-no-templates"
        self.profile_path = write_profile(target, self.config, self.pki, name=name, claims=claims)
        self._thread = threading.Thread(target=listener.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"dcr-reference-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        listener.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.store is not None:
            self.store.close()
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.base_url if self._listener else "stopped"
        return f"ReferenceServer({state}, defect={self.defect!r}, variants={list(self.variants.names)!r})"
