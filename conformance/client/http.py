"""HTTP for the DCR client: what to send (:class:`RequestSpec`), what happened (:class:`Exchange`),
and how it is sent (:class:`Transport`).

* A :class:`RequestSpec` is plain data. Builders return one; a negative check copies it with one
  mutation (:meth:`RequestSpec.replace`, :meth:`~RequestSpec.with_header`, ...).
* :meth:`Transport.send` never raises for network, TLS or timeout errors: the
  :class:`Exchange` says what happened in :attr:`Exchange.error`, and what kind of failure it
  was in :attr:`Exchange.failure` (a server certificate the CA bundle rejects also in
  :attr:`Exchange.certificate_problem`).
* Every request is bounded as a whole (:mod:`conformance.client.bounds`): its timeout covers
  connect, TLS, write and the read of the whole body, and a body over ``max_response_bytes`` is
  read no further (the connection is dropped; the error says "response larger than N bytes").
* Every exchange is captured *redacted*, at capture time: the raw ``httpx.Response`` stays
  available to oracles, but the only text meant for people (:meth:`Exchange.describe`,
  :meth:`Exchange.to_dict`) comes from the redacted capture. Text is cut only after redaction.
* One pooled ``httpx.Client`` per TLS identity (HTTP/1.1 keep-alive), its ``ssl.SSLContext``
  built once: CA bundle first, then ``load_cert_chain`` (httpx 0.28 ignores ``cert=`` when
  ``verify=`` is a path). Client certificates are how RFC 8705 §2 authenticates a client.
"""

from __future__ import annotations

import copy
import dataclasses
import errno
import json as jsonlib
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

import httpx

from conformance import __version__
from conformance.client.bounds import DEFAULT_MAX_RESPONSE_BYTES, ResponseTooLarge, deadline, install_deadline, read_capped
from conformance.client.redact import Redactor, cut

USER_AGENT = f"dcr-conformance/{__version__}"
#: Content codings asked for: the ones whose decoded size :mod:`~conformance.client.bounds` can bound.
ACCEPT_ENCODING = "gzip, deflate"
#: Seconds a pooled connection may stay idle before it is closed. httpcore looks at every idle
#: connection of a pool (a ``poll`` each) twice per request, so the connections opened for a burst
#: of parallel requests (a race check, the cleanup's workers) cost every later request until they
#: go: after 1 s instead of httpx's 5, a full run made 41,514 polls in all instead of 62,764.
KEEPALIVE_EXPIRY_S = 1.0
#: Bodies longer than this are cut in captures, after redaction (the raw response keeps everything).
CAPTURE_BODY_LIMIT = 64 * 1024
#: Bodies longer than this are cut in :meth:`Exchange.describe`.
DESCRIBE_BODY_LIMIT = 800

#: :attr:`Exchange.failure` values: what kept an exchange from a usable HTTP answer.
TIMEOUT = "timeout"  # the request's time budget ran out (connect, TLS, write or read)
CONNECTION = "connection"  # refused, reset, closed before an answer, name not resolved
SERVER_CERTIFICATE = "server-certificate"  # the CA bundle does not validate the server's certificate
TLS = "tls"  # any other TLS failure (e.g. the server refused the client certificate)
TOO_LARGE = "too-large"  # the response body is over the transport's max_response_bytes
PROTOCOL = "protocol"  # the answer is not valid HTTP, or its body cannot be decoded
INVALID_URL = "invalid-url"
LOCAL_TLS_CONFIGURATION = "local-tls-configuration"  # the CA bundle or client certificate cannot be loaded

_NOISY_REQUEST_HEADERS = frozenset({"accept-encoding", "connection", "user-agent", "host", "content-length"})
_NOISY_RESPONSE_HEADERS = frozenset({"date", "server", "connection", "keep-alive", "content-length"})


class _Missing:
    """Sentinel type: "no JSON body" (``None`` is a valid JSON body)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

_IMMUTABLE = (str, int, float, bool, type(None), bytes, _Missing)


def _copy_json(value: Any) -> Any:
    """A copy of a JSON body sharing nothing mutable with it (``copy.deepcopy`` is ten times slower
    on these: every request spec is copied at least once on its way to the wire)."""
    if isinstance(value, _IMMUTABLE):
        return value
    if type(value) is dict:
        return {k: v if isinstance(v, _IMMUTABLE) else _copy_json(v) for k, v in value.items()}
    if type(value) is list:
        return [v if isinstance(v, _IMMUTABLE) else _copy_json(v) for v in value]
    return copy.deepcopy(value)


@dataclass(frozen=True)
class TlsIdentity:
    """A client certificate and its private key (PEM files) presented in the TLS handshake."""

    cert_path: Path
    key_path: Path


@dataclass
class RequestSpec:
    """What will be sent. Builders return one; negative checks mutate a copy.

    ``headers`` maps a name to a value, or to a list of values to send the header several times
    (e.g. two ``DPoP`` headers, RFC 9449 §4.3). ``form`` is a dict, or a list of pairs when a
    field must repeat. At most one of ``form`` / ``json`` / ``content`` is used, in that order.
    """

    method: str
    url: str
    headers: dict[str, str | list[str]] = field(default_factory=dict)
    form: dict[str, str] | list[tuple[str, str]] | None = None
    json: object = MISSING
    content: bytes | None = None
    identity: TlsIdentity | None = None
    timeout_s: float | None = None  # None: the transport's default

    def __repr__(self) -> str:  # values may be secrets: names only
        fields = [k for k, _ in self.form_items()] if self.form is not None else None
        return (
            f"RequestSpec({self.method} {self.url.split('?')[0]}, headers={list(self.headers)}, "
            f"form_fields={fields}, json={'set' if self.json is not MISSING else 'unset'}, "
            f"identity={'set' if self.identity else None})"
        )

    # -- copies with one mutation --------------------------------------------------------------

    def copy(self) -> RequestSpec:
        """A deep copy: mutating it never changes this spec."""
        return RequestSpec(
            self.method,
            self.url,
            {k: list(v) if isinstance(v, list) else v for k, v in self.headers.items()},
            (list(self.form) if isinstance(self.form, list) else dict(self.form)) if self.form is not None else None,
            _copy_json(self.json),
            self.content,
            self.identity,
            self.timeout_s,
        )

    def replace(self, **changes: Any) -> RequestSpec:
        """A copy with some fields replaced (like :func:`dataclasses.replace`, but deep)."""
        return dataclasses.replace(self.copy(), **changes)

    def header(self, name: str) -> str | list[str] | None:
        """The value of a header, case-insensitively."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def with_header(self, name: str, value: str | list[str]) -> RequestSpec:
        """A copy with the header set (replacing any value under any case of ``name``)."""
        new = self.without_header(name)
        new.headers[name] = value
        return new

    def without_header(self, name: str) -> RequestSpec:
        new = self.copy()
        new.headers = {k: v for k, v in new.headers.items() if k.lower() != name.lower()}
        return new

    def form_items(self) -> list[tuple[str, str]]:
        if self.form is None:
            return []
        return list(self.form.items()) if isinstance(self.form, dict) else list(self.form)

    def form_value(self, name: str) -> str | None:
        """The first value of a form field."""
        return next((v for k, v in self.form_items() if k == name), None)

    def with_form(self, **fields: str) -> RequestSpec:
        """A copy with form fields set (replacing every occurrence of each name)."""
        items = [(k, v) for k, v in self.form_items() if k not in fields]
        items += list(fields.items())
        return self.replace(form=items)

    def without_form(self, *names: str) -> RequestSpec:
        return self.replace(form=[(k, v) for k, v in self.form_items() if k not in names])

    def add_form(self, name: str, value: str) -> RequestSpec:
        """A copy with one more ``name=value`` pair (the field may then repeat)."""
        return self.replace(form=self.form_items() + [(name, value)])

    # -- wire form -----------------------------------------------------------------------------

    def body(self) -> tuple[bytes | None, str | None]:
        """The body bytes and the content type they imply."""
        if self.form is not None:
            return urlencode(self.form_items()).encode("ascii"), "application/x-www-form-urlencoded"
        if self.json is not MISSING:
            return jsonlib.dumps(self.json).encode("utf-8"), "application/json"
        return self.content, None

    def header_items(self, implied: str | None = MISSING) -> list[tuple[str, str]]:
        """Headers as pairs, a list value giving several pairs; Content-Type added if implied
        (``implied``: what :meth:`body` said, when the caller has the body already)."""
        items = []
        for name, value in self.headers.items():
            for v in value if isinstance(value, list) else [value]:
                items.append((name, v))
        if implied is MISSING:
            _, implied = self.body()
        if implied and self.header("content-type") is None:
            items.append(("Content-Type", implied))
        return items


@dataclass(frozen=True)
class CapturedRequest:
    """The redacted view of a request as sent."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: str
    client_certificate: str | None = None  # the certificate file presented, if any


@dataclass(frozen=True)
class CapturedResponse:
    """The redacted view of a response."""

    status: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]
    body: str


@dataclass(eq=False)
class Exchange:
    """One request and what came back: the raw response for oracles, a redacted capture for people."""

    request: CapturedRequest
    response: httpx.Response | None
    error: str | None
    elapsed_s: float
    reply: CapturedResponse | None = None
    spec: RequestSpec | None = field(default=None, repr=False)  # raw, to replay (holds secrets)
    retry_of: Exchange | None = field(default=None, repr=False)  # e.g. the use_dpop_nonce answer
    #: With ``error``: its kind (:data:`TIMEOUT`, :data:`CONNECTION`, :data:`SERVER_CERTIFICATE`, ...).
    failure: str | None = None
    #: With :data:`SERVER_CERTIFICATE`: "expired", "not yet valid", "self-signed", "unknown issuer",
    #: "wrong host", "revoked" or "not trusted (<OpenSSL's reason>)".
    certificate_problem: str | None = None
    #: The name of the thread that made it (the reports leave out the cleanup's background deletes).
    thread: str = field(default="", repr=False)
    #: The request body as sent (raw: it may hold secrets), when the transport sent it.
    sent_body: bytes | None = field(default=None, repr=False)
    _json: object = field(default=MISSING, repr=False)

    def __repr__(self) -> str:
        outcome = self.error or (f"{self.status}" if self.response is not None else "no response")
        return f"<Exchange {self.request.method} {self.request.url} -> {outcome} in {self.elapsed_s * 1000:.0f} ms>"

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    def sent_bytes(self) -> bytes | None:
        """The request body as sent (raw): the bytes the transport sent, else what the spec encodes
        to; None without a body or a spec."""
        if self.sent_body is not None:
            return self.sent_body
        return self.spec.body()[0] if self.spec is not None else None

    @property
    def target_unusable(self) -> str | None:
        """Why no check can run against this target, if this exchange shows it (a server certificate
        the CA bundle does not validate); None otherwise."""
        if self.failure != SERVER_CERTIFICATE:
            return None
        host = urlsplit(self.request.url).netloc
        return f"the TLS certificate of {host} is {self.certificate_problem or 'not trusted'}: {self.error}"

    @property
    def text(self) -> str:
        return self.response.text if self.response is not None else ""

    def json(self) -> Any:
        """The response body as JSON, or None if there is none or it is not JSON."""
        if self._json is MISSING:
            try:
                self._json = self.response.json() if self.response is not None else None
            except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
                self._json = None
        return self._json

    def header(self, name: str) -> str | None:
        """The first value of a response header."""
        return self.response.headers.get(name) if self.response is not None else None

    def headers_all(self, name: str) -> list[str]:
        """Every value of a response header (e.g. to check there is one ``DPoP-Nonce``)."""
        return self.response.headers.get_list(name) if self.response is not None else []

    def describe(self, body_limit: int = DESCRIBE_BODY_LIMIT) -> str:
        """Redacted "sent ... / got ..." text for failure messages."""
        req = self.request
        lines = [f"sent {req.method} {req.url}"]
        if req.client_certificate:
            lines.append(f"  (TLS client certificate {req.client_certificate})")
        lines += [f"  {k}: {v}" for k, v in req.headers if k.lower() not in _NOISY_REQUEST_HEADERS]
        if req.body:
            lines.append("  " + _truncate(req.body, body_limit))
        if self.error and self.reply is not None:  # the head came, the body is too large or too slow
            rep = self.reply
            lines.append(f"got {rep.status} {rep.reason}, then no usable body: {self.error} "
                         f"(after {self.elapsed_s * 1000:.0f} ms)")
            lines += [f"  {k}: {v}" for k, v in rep.headers if k.lower() not in _NOISY_RESPONSE_HEADERS]
        elif self.error:
            lines.append(f"got no response: {self.error} (after {self.elapsed_s * 1000:.0f} ms)")
        elif self.reply is not None:
            rep = self.reply
            lines.append(f"got {rep.status} {rep.reason} in {self.elapsed_s * 1000:.0f} ms")
            lines += [f"  {k}: {v}" for k, v in rep.headers if k.lower() not in _NOISY_RESPONSE_HEADERS]
            if rep.body:
                lines.append("  " + _truncate(rep.body, body_limit))
        if self.retry_of is not None:
            lines = ["(retry after:)", *("  " + ln for ln in self.retry_of.describe(body_limit).splitlines()), *lines]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The redacted capture as plain data (for report attachments)."""
        out: dict[str, Any] = {
            "request": {
                "method": self.request.method,
                "url": self.request.url,
                "headers": [list(h) for h in self.request.headers],
                "body": self.request.body,
                "client_certificate": self.request.client_certificate,
            },
            "elapsed_ms": round(self.elapsed_s * 1000, 1),
            "error": self.error,
            "response": None,
        }
        if self.failure:
            out["failure"] = self.failure
        if self.certificate_problem:
            out["certificate_problem"] = self.certificate_problem
        if self.reply is not None:
            out["response"] = {
                "status": self.reply.status,
                "reason": self.reply.reason,
                "http_version": self.reply.http_version,
                "headers": [list(h) for h in self.reply.headers],
                "body": self.reply.body,
            }
        return out


def _truncate(text: str, limit: int) -> str:
    """Redacted ``text`` indented and cut to about ``limit`` characters (never inside a marker)."""
    text = text.replace("\r\n", "\n").replace("\n", "\n  ")
    head, dropped = cut(text, limit)
    return f"{head}… ({dropped} more characters)" if dropped else head


#: How many parsed URLs a transport keeps (the endpoints' and the clients' own; emptied when full).
_PARSED_URLS = 256


class Transport:
    """Sends :class:`RequestSpec` s. One pooled ``httpx.Client`` per TLS identity; thread-safe.

    ``ca_bundle`` is the PEM file of trusted CAs (None: the certifi bundle). Every request has a
    time budget, ``spec.timeout_s`` or ``timeout_s``, for all of it (connect, TLS, write, the whole
    body), and a response body over ``max_response_bytes`` (on the wire or decoded) is read no
    further. Redirects are never followed, cookies are neither kept nor sent back (a check's
    request is what it builds, whatever an earlier answer set), and the environment (proxies,
    ``SSL_CERT_FILE``) is ignored unless ``trust_env`` is set. Requests go straight to the
    client's connection pool (``httpx.Client.send``'s auth, redirect and cookie layers cost a
    sixth of a request's CPU and did nothing here).
    """

    def __init__(
        self,
        ca_bundle: Path | str | None = None,
        timeout_s: float = 10.0,
        redactor: Redactor | None = None,
        *,
        trust_env: bool = False,
        max_connections: int = 20,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if max_response_bytes < 1:
            raise ValueError("max_response_bytes must be at least 1")
        self.ca_bundle = Path(ca_bundle) if ca_bundle else None
        self.timeout_s = float(timeout_s)
        self.max_response_bytes = int(max_response_bytes)
        self.redactor = redactor if redactor is not None else Redactor()
        self.exchanges: list[Exchange] = []
        self._trust_env = trust_env
        self._limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections,
                                    keepalive_expiry=KEEPALIVE_EXPIRY_S)
        self._clients: dict[TlsIdentity | None, httpx.Client] = {}
        self._urls: dict[str, httpx.URL] = {}
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def for_profile(cls, profile: Any, **kwargs: Any) -> Transport:
        """A transport with the profile's CA bundle and timeout, knowing the profile's secrets."""
        redactor = Redactor(profile.secrets())
        return cls(profile.server.ca_bundle, profile.server.timeout_s, redactor, **kwargs)

    def __repr__(self) -> str:
        return (f"<Transport ca_bundle={self.ca_bundle} timeout_s={self.timeout_s:g} "
                f"max_response_bytes={self.max_response_bytes} clients={len(self._clients)}>")

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- TLS -----------------------------------------------------------------------------------

    def ssl_context(self, identity: TlsIdentity | None = None) -> ssl.SSLContext:
        """A new client context: trust ``ca_bundle`` (or certifi), then present ``identity``."""
        if self.ca_bundle is not None:
            ctx = ssl.create_default_context(cafile=str(self.ca_bundle))
        else:
            import certifi

            ctx = ssl.create_default_context(cafile=certifi.where())
        if identity is not None:
            ctx.load_cert_chain(certfile=str(identity.cert_path), keyfile=str(identity.key_path))
        return ctx

    def client(self, identity: TlsIdentity | None = None) -> httpx.Client:
        """The pooled client for ``identity`` (created on first use)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("transport is closed")
            existing = self._clients.get(identity)
            if existing is not None:
                return existing
            context = self.ssl_context(identity)
            wire = httpx.HTTPTransport(verify=context, http1=True, http2=False, limits=self._limits,
                                       trust_env=self._trust_env)
            install_deadline(wire)
            created = httpx.Client(
                verify=context,
                transport=wire,
                timeout=httpx.Timeout(self.timeout_s),
                limits=self._limits,
                follow_redirects=False,
                trust_env=self._trust_env,
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
            )
            for proxy in getattr(created, "_mounts", {}).values():  # proxies from the environment (trust_env)
                if proxy is not None:
                    install_deadline(proxy)
            self._clients[identity] = created
            return created

    def close(self) -> None:
        """Close every pooled connection. Captures stay readable."""
        with self._lock:
            clients, self._clients, self._closed = list(self._clients.values()), {}, True
        for c in clients:
            c.close()

    # -- sending -------------------------------------------------------------------------------

    def send(self, spec: RequestSpec) -> Exchange:
        """Send ``spec`` and capture the exchange. Never raises for network, TLS or timeout errors."""
        timeout = spec.timeout_s if spec.timeout_s is not None else self.timeout_s
        body, implied = spec.body()
        headers = spec.header_items(implied)
        self._learn_request(spec, headers)
        response: httpx.Response | None = None
        head: httpx.Response | None = None  # status and headers, when the body then failed
        request: httpx.Request | None = None
        error = failure = problem = None
        start = time.perf_counter()
        try:
            client = self.client(spec.identity)
        except (ssl.SSLError, OSError) as exc:  # loading the CA bundle or the client certificate
            client, error, failure = None, f"TLS configuration could not be loaded: {exc}", LOCAL_TLS_CONFIGURATION
        try:
            if client is not None:
                request = httpx.Request(spec.method, self._url(spec.url),
                                        headers=_with_defaults(client.headers, headers), content=body,
                                        extensions={"timeout": httpx.Timeout(timeout).as_dict()})
                with deadline(timeout):
                    streamed = client._transport_for_url(request.url).handle_request(request)
                    streamed.request = request
                    try:
                        head = streamed
                        response = read_capped(streamed, self.max_response_bytes)
                    finally:
                        streamed.close()  # a body not read to its end drops the connection
        except ResponseTooLarge as exc:
            error, failure = str(exc), TOO_LARGE
        except httpx.TimeoutException as exc:
            phase = "reading the response body" if head is not None else _timeout_phase(exc)
            error, failure = f"timed out after {timeout:g} s ({phase})", TIMEOUT
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            error, failure = f"invalid URL: {exc}", INVALID_URL
        except httpx.HTTPError as exc:
            error = describe_transport_error(exc)
            failure, problem = classify_transport_error(exc)
        elapsed = time.perf_counter() - start
        exchange = self._capture(spec, headers, body, request, response, error, elapsed, head)
        exchange.failure, exchange.certificate_problem = failure, problem
        with self._lock:
            self.exchanges.append(exchange)
        return exchange

    def _url(self, url: str) -> httpx.URL:
        """``url`` parsed (the endpoints' URLs once each: httpx.URL is immutable)."""
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = httpx.URL(url)  # raises InvalidURL for the caller to capture
            if len(self._urls) >= _PARSED_URLS:
                self._urls.clear()
            self._urls[url] = parsed
        return parsed

    def _learn_request(self, spec: RequestSpec, headers: Iterable[tuple[str, str]]) -> None:
        red = self.redactor
        red.learn_form(spec.form_items())
        if spec.json is not MISSING:
            red.learn_json(spec.json)
        for name, value in headers:
            if name.lower() == "authorization":
                red.learn_authorization(value)

    def _capture(
        self,
        spec: RequestSpec,
        headers: list[tuple[str, str]],
        body: bytes | None,
        request: httpx.Request | None,
        response: httpx.Response | None,
        error: str | None,
        elapsed: float,
        head: httpx.Response | None = None,
    ) -> Exchange:
        red = self.redactor
        parsed: Any = MISSING
        if response is not None:
            parsed = _json_or_none(response)
            red.learn_json(parsed)

        def captured_request() -> CapturedRequest:
            sent_headers = _raw_headers(request.headers) if request is not None else headers
            content_type = next((v for k, v in sent_headers if k.lower() == "content-type"), None)
            return CapturedRequest(
                method=spec.method.upper(),
                url=red.redact_url(str(request.url) if request is not None else spec.url),
                headers=tuple(red.redact_headers(sent_headers)),
                body=_capture_text(red.redact_body(_decode(body), content_type)),
                client_certificate=str(spec.identity.cert_path) if spec.identity else None,
            )

        reply = None
        shown = response if response is not None else head
        if shown is not None:
            def captured_reply() -> CapturedResponse:
                return CapturedResponse(
                    status=shown.status_code,
                    reason=shown.reason_phrase,
                    http_version=shown.http_version,
                    headers=tuple(red.redact_headers(_raw_headers(shown.headers))),
                    body=_capture_text(red.redact_body(_decode(response.content),
                                                       response.headers.get("content-type")))
                    if response is not None else "",
                )
            reply = _Redacted(captured_reply)
        exchange = Exchange(_Redacted(captured_request), response if error is None else None, error, elapsed, reply,
                            spec, thread=threading.current_thread().name, sent_body=body)
        if error is None and parsed is not MISSING:
            exchange._json = parsed  # parsed once, for the redactor and for Exchange.json()
        return exchange


class _Redacted:
    """A :class:`CapturedRequest` or :class:`CapturedResponse`, built when first read.

    What the exchange holds secret is learnt by the redactor when it is captured (so it is masked
    in every later text); the redacted text itself is made only if someone reads it (a report, a
    failure message). Most exchanges of a fuzzing run are never shown: they cost no redaction.
    """

    __slots__ = ("_make", "_view")

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make, self._view = make, None

    def __getattr__(self, name: str) -> Any:
        view = self._view
        if view is None:
            make = self._make
            if make is None:  # another thread built it between the two reads
                view = self._view
            else:  # two threads may both build it: the same view, once kept
                view = self._view = make()
                self._make = None  # drop what it closed over (after the view is there)
        return getattr(view, name)

    def __repr__(self) -> str:
        return repr(self._view) if self._view is not None else "<redacted when read>"


def _with_defaults(defaults: httpx.Headers, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The client's default headers the spec does not set, then the spec's (``Client.build_request``'s
    merge, without its cookie jar: a check sends what it builds, nothing an earlier answer set)."""
    named = {k.lower() for k, _ in headers}
    return [(k, v) for k, v in _raw_headers(defaults) if k.lower() not in named] + headers


def _raw_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Header pairs with their names as sent / received (httpx lowercases ``multi_items``)."""
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw]


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
        return None


def _decode(data: bytes | None) -> str:
    return data.decode("utf-8", errors="replace") if data else ""


def _capture_text(redacted: str) -> str:
    """A redacted body cut to :data:`CAPTURE_BODY_LIMIT` characters for the capture."""
    head, dropped = cut(redacted, CAPTURE_BODY_LIMIT)
    return f"{head}… ({dropped} more characters)" if dropped else head


def _timeout_phase(exc: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "connecting",
        httpx.ReadTimeout: "waiting for the response",
        httpx.WriteTimeout: "sending the request",
        httpx.PoolTimeout: "waiting for a pooled connection",
    }.get(type(exc), "request")


def classify_transport_error(exc: BaseException) -> tuple[str, str | None]:
    """(:attr:`Exchange.failure`, :attr:`Exchange.certificate_problem`) of an error below HTTP,
    agreeing with :func:`describe_transport_error`."""
    for cause in _cause_chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return SERVER_CERTIFICATE, certificate_problem(cause)
    if describe_transport_error(exc).startswith("TLS "):
        return TLS, None
    if isinstance(exc, (httpx.NetworkError, httpx.ProxyError)):
        return CONNECTION, None  # refused, reset, closed, name not resolved
    if isinstance(exc, httpx.RemoteProtocolError) and "without sending" in str(exc):
        return CONNECTION, None  # the server hung up before (the whole of) its answer
    return PROTOCOL, None  # an answer that is not HTTP, a body that cannot be decoded, a request h11 refuses


#: OpenSSL verification codes (``X509_V_ERR_*``) and the problem they name.
_CERTIFICATE_PROBLEMS = {
    10: "expired",  # CERT_HAS_EXPIRED
    9: "not yet valid",  # CERT_NOT_YET_VALID
    18: "self-signed",  # DEPTH_ZERO_SELF_SIGNED_CERT
    19: "unknown issuer",  # SELF_SIGNED_CERT_IN_CHAIN (a root the bundle does not hold)
    2: "unknown issuer",  # UNABLE_TO_GET_ISSUER_CERT
    20: "unknown issuer",  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: "unknown issuer",  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
    62: "wrong host",  # HOSTNAME_MISMATCH
    64: "wrong host",  # IP_ADDRESS_MISMATCH
    23: "revoked",  # CERT_REVOKED
}


def certificate_problem(exc: ssl.SSLCertVerificationError) -> str:
    """What is wrong with the server's certificate, in the words of :attr:`Exchange.certificate_problem`."""
    known = _CERTIFICATE_PROBLEMS.get(exc.verify_code)
    if known:
        return known
    return f"not trusted ({exc.verify_message or exc.reason or exc})"


def describe_transport_error(exc: BaseException) -> str:
    """One line saying what went wrong below HTTP: TLS refusal, connection refused, reset, DNS."""
    chain = _cause_chain(exc)
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS server certificate not trusted: {cause.verify_message or cause.reason or cause}"
    for cause in chain:
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake refused: {cause.reason or cause}"
    for cause in chain:
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        if isinstance(cause, ConnectionResetError):
            return "connection reset by the server"
        if isinstance(cause, socket.gaierror):
            return f"name resolution failed: {cause}"
    text = str(exc)
    lowered = text.lower()
    if "connection refused" in lowered:
        return "connection refused"
    if "ssl" in lowered or "tls" in lowered or "certificate" in lowered:
        return f"TLS handshake refused: {text}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"connection closed by the server: {text or 'no response'}"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _cause_chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
