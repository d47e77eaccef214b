"""What a client under test sent, as redacted facts: :class:`Call`, :class:`Recording`, :class:`Recorder`.

The recorder sees every request before the server answers it (:meth:`Recorder.begin`) and the
answer afterwards (:meth:`Recorder.finish`). It keeps **facts**, not raw traffic: who
authenticated, which scope, which token was presented and where, which nonce a DPoP proof
carried, what the server issued. Secrets appear only as fingerprints (the first 8 hex digits of
their SHA-256, the same ``[redacted:xxxxxxxx]`` markers as :class:`~conformance.client.redact.Redactor`),
so a recording can be written to disk, sent over HTTP and graded anywhere; equal fingerprints
mean equal values. Each call also carries a redacted human description (``text``) for evidence.

**Installations** (the rule does not depend on the order of an SDK's requests). A request
belongs to, in this order:

1. the installation its ``X-Installation-Id`` header names (or, on the attestation stand-in, the
   ``installation_id`` of its JSON body);
2. the installation that a credential it presents is tied to: an initial token, an access token
   or a registration access token issued to that installation, a dynamic client id or secret
   registered by it, or the DPoP key (RFC 7638 thumbprint of the proof's ``jwk``) it used before;
3. otherwise the installation identified last (by 1 or 2, or by a launch mark), else ``default``.

An attestation call that names no installation is attributed provisionally (rule 3); the next
request that rule 1 or 2 attributes to another installation takes it over, with the launch it
opened. The main client's credentials are shared by every installation, so they identify none.

**Launches.** Every call to the attestation stand-in (and every explicit launch mark) starts a
new launch of its installation, unless the current launch has seen nothing but discovery yet.
Discovery and other unrecognised requests (RFC 8414 metadata, ``/.well-known/...``) never open or
occupy a launch: those made while a launch is idle belong to the launch the next mark opens, so
an SDK that fetches metadata before attesting is counted the same as one that does not. Calls
made before any mark belong to launch 1.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from conformance.client.redact import Redactor, decode_basic, fingerprint
from conformance.vocabulary import DCR_SCOPE

from .http_messages import WireRequest, WireResponse, json_strings, jwk_thumbprint, jwt_parts, parse_authorization

INSTALLATION_HEADER = "X-Installation-Id"
ATTESTATION_PATH = "/attestation"
DEFAULT_INSTALLATION = "default"
MARKERS = ("attestation", "launch")
#: Requests that neither open nor occupy a launch (discovery, unrecognised paths).
PREAMBLE = ("metadata", "other")
#: Curity's default endpoint paths (the emulator serves these; the observer takes its server's
#: from the profile that server wrote, :meth:`Paths.from_profile`).
CURITY_PATHS = {"token": "/oauth/v2/oauth-token", "registration": "/token-service/oauth-registration",
                "revocation": "/oauth/v2/oauth-revoke", "introspection": "/oauth/v2/oauth-introspect",
                "resource": "/api/resource"}
#: RFC 8414 §3 and OpenID Connect Discovery 1.0 §4: where the metadata document is.
METADATA_PATHS = ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")
#: The profile keys naming each endpoint (docs/profiles.md).
_PROFILE_KEYS = {"token": ("server", "token_endpoint"), "registration": ("server", "registration_endpoint"),
                 "revocation": ("server", "revocation_endpoint"),
                 "introspection": ("server", "introspection_endpoint"), "resource": ("use", "resource_url")}

_TEXT_BODY_LIMIT = 400
_SHOWN_REQUEST_HEADERS = ("authorization", "dpop", "content-type", INSTALLATION_HEADER.lower())
_SHOWN_RESPONSE_HEADERS = ("dpop-nonce", "www-authenticate", "retry-after")


@dataclass(frozen=True)
class Paths:
    """Where the endpoints are (Curity's default paths unless told otherwise)."""

    token: str = CURITY_PATHS["token"]
    registration: str = CURITY_PATHS["registration"]
    attestation: str = ATTESTATION_PATH
    revocation: str = CURITY_PATHS["revocation"]
    introspection: str = CURITY_PATHS["introspection"]
    resource: str = CURITY_PATHS["resource"]
    metadata: tuple[str, ...] = METADATA_PATHS

    @classmethod
    def from_profile(cls, profile: str | Path) -> Paths:
        """The paths of the endpoint URLs a profile names (``[server] *_endpoint``, ``[use]
        resource_url``); an endpoint the profile does not name keeps its default."""
        data = tomllib.loads(Path(profile).read_text(encoding="utf-8"))
        found = {}
        for name, (table, key) in _PROFILE_KEYS.items():
            url = data.get(table, {}).get(key)
            if isinstance(url, str) and url:
                found[name] = urlsplit(url).path
        return cls(**found)

    def kind(self, path: str) -> str:
        if path == self.token:
            return "token"
        if path == self.registration:
            return "register"
        if path.startswith(self.registration + "/"):
            return "manage"
        if path == self.attestation:
            return "attestation"
        if path == self.revocation:
            return "revoke"
        if path == self.introspection:
            return "introspect"
        if path == self.resource:
            return "resource"
        if path in self.metadata or path.startswith("/.well-known/"):
            return "metadata"
        return "other"


@dataclass
class Call:
    """One request of the client under test and the answer it got, as redacted facts."""

    seq: int
    installation: str
    launch: int
    kind: str  # the endpoint: attestation launch token register manage resource revoke introspect metadata other
    method: str
    path: str
    at: float  # seconds since the recording started, when the request arrived
    done: float = 0.0  # ... when the answer left
    status: int | None = None
    error: str | None = None  # OAuth "error" of the answer
    answered_by: str = "server"  # "server" or "scenario" (a stand-in, an outage, a revocation...)
    # who authenticated
    client_id: str | None = None
    client_role: str | None = None  # "main" | "dynamic" (registered in this recording) | "unknown"
    auth_method: str | None = None  # client_secret_basic | client_secret_post | *_jwt | client_id_only
    secret: str | None = None  # fingerprint of the client secret presented
    # which token was presented in Authorization
    auth_scheme: str | None = None  # lower-case scheme of the Authorization header
    token: str | None = None  # fingerprint of a Bearer / DPoP token
    token_role: str | None = None  # "initial" | "rat" | "access"
    token_elsewhere: str | None = None  # fingerprint of an initial token found in the body or query
    token_client: str | None = None  # the client the presented access token was issued to
    # what was asked
    grant_type: str | None = None
    scope: str | None = None
    software_id: str | None = None
    content_type: str | None = None
    target_client: str | None = None  # RFC 7592: the client id in the path
    dpop: bool = False
    dpop_nonce: str | None = None  # the nonce claim of the DPoP proof (not a secret)
    dpop_jkt: str | None = None  # RFC 7638 thumbprint of the proof's public jwk (not a secret)
    dpop_ath: bool = False  # the proof carries an ath claim (RFC 9449 §4.2, required with a token)
    # what was answered
    issued_token: str | None = None
    issued_scope: str | None = None
    token_type: str | None = None
    expires_in: int | None = None  # of the issued access token (RFC 6749 §5.1)
    issued_client_id: str | None = None
    issued_secret: str | None = None
    issued_rat: str | None = None
    nonce_challenge: str | None = None  # DPoP-Nonce header of the answer
    retry_after: str | None = None
    attestation: str | None = None  # what the attestation stand-in answered
    attributed_by: str = "default"  # header | credential | latest | default (rule of the installation)
    text: str = ""  # redacted description, for evidence

    # -- derived -------------------------------------------------------------------------------

    @property
    def marker(self) -> bool:
        return self.kind in MARKERS

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def server_error(self) -> bool:
        return self.status is not None and self.status >= 500

    @property
    def scopes(self) -> list[str]:
        return (self.scope or "").split()

    @property
    def dcr_token_request(self) -> bool:
        """A token request for the initial registration token (``scope`` contains ``dcr``)."""
        return self.kind == "token" and DCR_SCOPE in self.scopes

    @property
    def nonce_challenged(self) -> bool:
        return self.error == "use_dpop_nonce" and bool(self.nonce_challenge)

    def short(self) -> str:
        """One line: ``#7 launch 2 POST /oauth/v2/oauth-token -> 200``."""
        outcome = f"{self.status}" + (f" {self.error}" if self.error else "")
        who = f" as {self.client_id}" if self.client_id else ""
        return f"#{self.seq} launch {self.launch} {self.method} {self.path}{who} -> {outcome}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Call:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Recording:
    """The calls recorded while one scenario was active (one session of the observer or kit)."""

    scenario: str
    calls: list[Call] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # scenario options in effect

    def installations(self) -> list[str]:
        """Installations in the order they first appeared (markers included)."""
        seen: list[str] = []
        for call in self.calls:
            if call.installation not in seen:
                seen.append(call.installation)
        return seen

    def of(self, installation: str) -> list[Call]:
        return [c for c in self.calls if c.installation == installation]

    def __len__(self) -> int:
        return len(self.calls)

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "options": dict(self.options),
                "calls": [c.to_dict() for c in self.calls]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recording:
        return cls(data["scenario"], [Call.from_dict(c) for c in data.get("calls", [])],
                   dict(data.get("options") or {}))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Recording:
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    def describe(self) -> str:
        return "\n".join(c.short() for c in self.calls)


class Recorder:
    """Turns requests and answers into :class:`Call` s; thread-safe. One per scenario session."""

    def __init__(self, scenario: str, options: dict[str, Any] | None = None, *, paths: Paths | None = None,
                 main_clients: frozenset[str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.paths = paths or Paths()
        #: ids of the configured main clients; None: every client not registered here is "main"
        self.main_clients = main_clients
        self.clock = clock
        self.redactor = Redactor()
        self._t0 = clock()
        self._lock = threading.RLock()
        self._seq = 0
        self._recording = Recording(scenario, [], dict(options or {}))
        self._bindings: dict[str, str] = {}  # "token:<fp>" / "client:<id>" / "secret:<fp>" -> installation
        self._launch: dict[str, int] = {}
        self._launch_busy: dict[str, bool] = {}  # the current launch has seen a non-marker call
        self._current: str | None = None  # installation identified last (rule 3)
        self._preamble: list[Call] = []  # discovery calls since the last launch traffic
        #: an attestation call that named no installation, with the launch state it changed
        self._pending: tuple[Call, int, bool, list[Call]] | None = None
        self.initial_tokens: set[str] = set()
        #: access token fingerprint -> (client it was issued to, token_type)
        self.issued_tokens: dict[str, tuple[str | None, str | None]] = {}
        self.rats: set[str] = set()
        #: dynamic client id -> (installation, launch it was registered in)
        self.dynamic: dict[str, tuple[str, int]] = {}

    @property
    def recording(self) -> Recording:
        """A snapshot of the calls so far, in arrival order."""
        with self._lock:
            calls = sorted(self._recording.calls, key=lambda c: c.seq)
            return Recording(self._recording.scenario, list(calls), dict(self._recording.options))

    def now(self) -> float:
        return self.clock() - self._t0

    # -- recording -----------------------------------------------------------------------------

    def mark_launch(self, installation: str | None = None) -> Call:
        """An explicit launch mark (for clients that do not call the attestation stand-in)."""
        request = WireRequest("POST", "(launch)", headers=[(INSTALLATION_HEADER, installation)]
                              if installation else [])
        call = self.begin(request, kind="launch")
        return self.finish(call, request, WireResponse(204))

    def begin(self, request: WireRequest, *, kind: str | None = None) -> Call:
        """The request's facts, installation and launch (before the server answers)."""
        kind = kind or self.paths.kind(request.path)
        with self._lock:
            self._seq += 1
            call = Call(self._seq, DEFAULT_INSTALLATION, 0, kind, request.method.upper(), request.path,
                        round(self.now(), 6))
            self._request_facts(call, request)
            call.installation, call.attributed_by = self._installation(call, request)
            self._take_over_pending(call)
            call.launch = self._advance_launch(call)
            for key in self._keys(call):
                if key.startswith("jkt:"):
                    self._bindings.setdefault(key, call.installation)
            return call

    def finish(self, call: Call, request: WireRequest, response: WireResponse,
               answered_by: str = "server") -> Call:
        """Complete ``call`` with the answer, learn what was issued, and store it."""
        with self._lock:
            call.done = round(self.now(), 6)
            call.answered_by = answered_by
            self._response_facts(call, response)
            call.text = self._describe(call, request, response)
            self._recording.calls.append(call)
            return call

    # -- internals -----------------------------------------------------------------------------

    def _request_facts(self, call: Call, request: WireRequest) -> None:
        form = request.form()
        body_json = request.json() if call.kind in ("register", "manage", "attestation") else None
        call.content_type = request.content_type or None
        auth = parse_authorization(request.header("Authorization"))
        if auth is not None:
            call.auth_scheme = auth[0]
            if auth[0] == "basic":
                parsed = decode_basic(auth[1])
                if parsed is not None:
                    call.client_id, secret = parsed
                    call.auth_method, call.secret = "client_secret_basic", fingerprint(secret)
            elif auth[1]:
                call.token = fingerprint(auth[1])
        if call.client_id is None and "client_secret" in form:
            call.client_id = form.get("client_id")
            call.auth_method, call.secret = "client_secret_post", fingerprint(form["client_secret"])
        elif call.client_id is None and "client_assertion" in form:
            parts = jwt_parts(form["client_assertion"])
            header, claims = parts if parts else ({}, {})
            call.client_id = form.get("client_id") or claims.get("sub")
            alg = str(header.get("alg", ""))
            call.auth_method = "client_secret_jwt" if alg.startswith("HS") else "private_key_jwt"
        elif call.client_id is None and form.get("client_id") and call.kind == "token":
            call.client_id, call.auth_method = form["client_id"], "client_id_only"
        if call.client_id is not None:
            if call.client_id in self.dynamic:
                call.client_role = "dynamic"
            elif self.main_clients is None or call.client_id in self.main_clients:
                call.client_role = "main"
            else:  # e.g. a client registered before this recording started
                call.client_role = "unknown"
        if call.token is not None:
            call.token_role = ("initial" if call.token in self.initial_tokens
                               else "rat" if call.token in self.rats else "access")
            call.token_client = self.issued_tokens.get(call.token, (None, None))[0]
        values = list(form.values()) + list(request.query_params().values()) + json_strings(body_json)
        for value in values:
            if isinstance(value, str) and fingerprint(value) in self.initial_tokens:
                call.token_elsewhere = fingerprint(value)
                break
        call.grant_type = form.get("grant_type")
        call.scope = form.get("scope")
        if call.kind == "register" and isinstance(body_json, dict):
            software_id = body_json.get("software_id")
            call.software_id = software_id if isinstance(software_id, str) else None
        if call.kind == "manage":
            call.target_client = unquote(request.path[len(self.paths.registration) + 1:])
        proofs = request.header_all("DPoP")
        call.dpop = bool(proofs)
        if proofs:
            parts = jwt_parts(proofs[0].strip())
            nonce = parts[1].get("nonce") if parts else None
            call.dpop_nonce = nonce if isinstance(nonce, str) else None
            call.dpop_ath = bool(parts and isinstance(parts[1].get("ath"), str))
            jwk = parts[0].get("jwk") if parts else None
            try:
                call.dpop_jkt = jwk_thumbprint(jwk) if isinstance(jwk, dict) else None
            except ValueError:
                call.dpop_jkt = None

    @staticmethod
    def _keys(call: Call) -> list[str]:
        """The binding keys of the credentials ``call`` presents (rule 2)."""
        keys = [f"token:{call.token}" if call.token else None,
                f"client:{call.client_id}" if call.client_role == "dynamic" else None,
                f"client:{call.target_client}" if call.target_client else None,
                f"secret:{call.secret}" if call.secret else None,
                f"jkt:{call.dpop_jkt}" if call.dpop_jkt else None]
        return [k for k in keys if k]

    def _installation(self, call: Call, request: WireRequest) -> tuple[str, str]:
        """(installation, the rule that chose it): see the module docstring."""
        named = request.header(INSTALLATION_HEADER)
        if not named and call.kind == "attestation":
            body = request.json()
            if isinstance(body, dict) and isinstance(body.get("installation_id"), str):
                named = body["installation_id"]
        if named:
            return named.strip()[:128] or DEFAULT_INSTALLATION, "header"
        for key in self._keys(call):
            if key in self._bindings:
                return self._bindings[key], "credential"
        if self._current is not None:
            return self._current, "latest"
        return DEFAULT_INSTALLATION, "default"

    def _take_over_pending(self, call: Call) -> None:
        """An unnamed attestation call belongs to the installation of the next identified request."""
        if call.marker or call.kind in PREAMBLE or self._pending is None:
            return
        marker, old_launch, old_busy, preamble = self._pending
        self._pending = None
        if call.attributed_by not in ("header", "credential") or call.installation == marker.installation:
            return
        self._launch[marker.installation] = old_launch  # undo what the marker did there
        self._launch_busy[marker.installation] = old_busy
        target = call.installation
        current = self._launch.get(target, 0)
        if current == 0 or self._launch_busy.get(target, False):
            current = self._launch[target] = current + 1
            self._launch_busy[target] = False
        for moving in [marker, *preamble]:
            self._relabel(moving, target, current)

    @staticmethod
    def _relabel(call: Call, installation: str, launch: int) -> None:
        old = f"#{call.seq} {call.installation} launch {call.launch}:"
        call.text = call.text.replace(old, f"#{call.seq} {installation} launch {launch}:", 1)
        call.installation, call.launch = installation, launch

    def _advance_launch(self, call: Call) -> int:
        inst = call.installation
        current = self._launch.get(inst, 0)
        if call.marker:
            before = (current, self._launch_busy.get(inst, False))
            if current == 0 or self._launch_busy.get(inst, False):
                current += 1
                self._launch[inst] = current
                self._launch_busy[inst] = False
            waiting = [c for c in self._preamble if c.installation == inst or c.attributed_by == "default"]
            for earlier in waiting:  # discovery made just before this launch belongs to it
                self._relabel(earlier, inst, current)
            self._preamble = [c for c in self._preamble if c not in waiting]
            self._current = inst
            self._pending = (call, *before, waiting) if call.attributed_by != "header" else None
        else:
            if current == 0:
                current = self._launch[inst] = 1
            if call.kind in PREAMBLE:
                self._preamble.append(call)
            else:
                self._launch_busy[inst] = True
                self._preamble = [c for c in self._preamble if c.installation != inst]
                if call.attributed_by in ("header", "credential"):
                    self._current = inst
        return current

    def _bind(self, key: str, installation: str) -> None:
        self._bindings[key] = installation

    def _response_facts(self, call: Call, response: WireResponse) -> None:
        call.status = response.status
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            call.error = body["error"]
        call.nonce_challenge = response.header("DPoP-Nonce")
        call.retry_after = response.header("Retry-After")
        inst = call.installation
        if not isinstance(body, dict) or not call.ok:
            return
        if call.kind == "attestation":
            result = body.get("result")
            call.attestation = result if isinstance(result, str) else None
        elif call.kind == "token" and isinstance(body.get("access_token"), str):
            call.issued_token = fingerprint(body["access_token"])
            scope = body.get("scope") if isinstance(body.get("scope"), str) else call.scope
            call.issued_scope = scope
            call.token_type = body.get("token_type") if isinstance(body.get("token_type"), str) else None
            expires_in = body.get("expires_in")
            call.expires_in = expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else None
            self.issued_tokens[call.issued_token] = (call.client_id, call.token_type)
            if DCR_SCOPE in (scope or "").split():
                self.initial_tokens.add(call.issued_token)
            self._bind(f"token:{call.issued_token}", inst)
        elif call.kind in ("register", "manage"):
            client_id = body.get("client_id")
            if call.kind == "register" and isinstance(client_id, str) and client_id:
                call.issued_client_id = client_id
                self.dynamic.setdefault(client_id, (inst, call.launch))
                self._bind(f"client:{client_id}", inst)
            if isinstance(body.get("client_secret"), str):
                call.issued_secret = fingerprint(body["client_secret"])
                self._bind(f"secret:{call.issued_secret}", inst)
            if isinstance(body.get("registration_access_token"), str):
                call.issued_rat = fingerprint(body["registration_access_token"])
                self.rats.add(call.issued_rat)
                self._bind(f"token:{call.issued_rat}", inst)

    def _describe(self, call: Call, request: WireRequest, response: WireResponse) -> str:
        red = self.redactor
        for name, value in request.headers:
            if name.lower() == "authorization":
                red.learn_authorization(value)
        red.learn_form(request.form().items())
        red.learn_json(request.json())
        red.learn_json(response.json())
        target = request.path + (f"?{request.query}" if request.query else "")
        answer = f"{response.status}" + (f" {call.error}" if call.error else "")
        by = " (scenario)" if call.answered_by != "server" else ""
        lines = [f"#{call.seq} {call.installation} launch {call.launch}: "
                 f"{request.method} {red.redact_url(target)} -> {answer}{by}"]
        shown = [(k, v) for k, v in request.headers if k.lower() in _SHOWN_REQUEST_HEADERS]
        lines += [f"  > {k}: {v}" for k, v in red.redact_headers(shown)]
        if request.body:
            text = red.redact_body(request.body.decode("utf-8", "replace"), request.content_type)
            lines.append("  > " + _cut(text))
        shown = [(k, v) for k, v in response.headers if k.lower() in _SHOWN_RESPONSE_HEADERS]
        lines += [f"  < {k}: {v}" for k, v in red.redact_headers(shown)]
        if response.body:
            ctype = response.header("Content-Type")
            lines.append("  < " + _cut(red.redact_body(response.body.decode("utf-8", "replace"), ctype)))
        return "\n".join(lines)


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _TEXT_BODY_LIMIT else text[:_TEXT_BODY_LIMIT] + "…"
