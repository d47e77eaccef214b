"""A small conformant DCR server for in-process SDK tests (the kit's inner server).

It answers what a client of the HAAPI DCR fallback needs, following the RFCs, and nothing more:

* ``POST {token}``: ``client_credentials`` (RFC 6749 §4.4) for the main client (``scope=dcr``
  only: the one-shot initial token) and for dynamic clients (the template's scope, DPoP-bound:
  RFC 9449 §5, proofs checked per §4.3). Client authentication ``client_secret_basic`` or
  ``client_secret_post`` (§2.3.1); failures are 401 ``invalid_client``.
* ``POST {registration}``: RFC 7591 with ``Authorization: Bearer <initial token>`` (RFC 6750),
  body ``{"software_id": <template>}``; the initial token is single use. 201 with the client's
  credentials and the RFC 7592 management fields.
* ``GET | PUT | DELETE {registration}/{client_id}``: RFC 7592 with the registration access
  token; GET and PUT rotate ``client_secret`` and ``registration_access_token`` (as Curity does
  with ``reuse=false``) unless ``rotate_on_read=False``; DELETE answers 204.
* ``POST {registration}`` also takes a DPoP-bound initial token (one whose token request carried
  a DPoP proof) as ``Authorization: DPoP`` with a proof by the bound key (RFC 9449 §7.1) and
  refuses it as a Bearer token (§7.2).
* ``GET {resource}``: a protected resource taking the dynamic clients' access tokens (Bearer,
  or DPoP with a proof for DPoP-bound ones): an app may keep a still-valid token across launches.
* ``GET /.well-known/oauth-authorization-server``: RFC 8414 metadata.

The scenario behaviours (attestation stand-in, revocation, nonces, 5xx) are played in front of
it by :class:`~conformance.sdk.scenarios.ScenarioEngine`, exactly as in front of the reference
server. The negatives of the reference server are not reproduced here.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import jwt

from conformance.client.redact import decode_basic
from conformance.vocabulary import DCR_SCOPE, HAAPI_SCOPE

from .recording import Paths
from .http_messages import (WireRequest, WireResponse, json_response, jwk_thumbprint, jwt_parts, oauth_error,
                            parse_authorization)

DPOP_ALGS = ("ES256", "ES384", "RS256", "PS256")
_PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")


@dataclass(frozen=True)
class EmulatorConfig:
    base_url: str = "https://dcr.test"
    main_client_id: str = "haapi-main-client"
    main_client_secret: str = "main-client-secret-for-tests-only"
    template: str = "haapi-template"
    template_auth_method: str = "client_secret_basic"  # or client_secret_post (both are accepted)
    scope: str = HAAPI_SCOPE
    rotate_on_read: bool = True
    require_dpop: bool = True
    token_ttl_s: int = 300
    dpop_iat_window_s: int = 60
    paths: Paths = field(default_factory=Paths)

    @property
    def token_endpoint(self) -> str:
        return self.base_url + self.paths.token

    @property
    def registration_endpoint(self) -> str:
        return self.base_url + self.paths.registration

    @property
    def attestation_endpoint(self) -> str:
        return self.base_url + self.paths.attestation


@dataclass
class _Client:
    client_id: str
    secret: str
    rat: str
    issued_at: int
    metadata: dict


@dataclass
class _Token:
    client_id: str
    scope: str
    expires_at: float
    jkt: str | None = None
    used: bool = False


class _Fail(Exception):
    def __init__(self, response: WireResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _error(status: int, error: str, description: str, headers: list[tuple[str, str]] | None = None) -> _Fail:
    return _Fail(oauth_error(status, error, description, headers or []))


def _htu(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path or '/'}"


class Emulator:
    """``WireRequest -> WireResponse``; thread-safe. ``clients`` and ``tokens`` are inspectable."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self._lock = threading.Lock()
        self.clients: dict[str, _Client] = {}
        self.tokens: dict[str, _Token] = {}
        self._jtis: dict[str, float] = {}

    def __call__(self, request: WireRequest) -> WireResponse:
        paths = self.config.paths
        try:
            if request.path == paths.token:
                return self._token(request)
            if request.path == paths.registration:
                return self._register(request)
            if request.path.startswith(paths.registration + "/"):
                return self._manage(request, unquote(request.path[len(paths.registration) + 1:]))
            if request.path in paths.metadata:
                return self._metadata(request)
            if request.path == paths.resource:
                return self._resource(request)
        except _Fail as failure:
            return failure.response
        return oauth_error(404, "not_found", "no such endpoint")

    # -- token endpoint ------------------------------------------------------------------------

    def _authenticate(self, request: WireRequest, form: dict[str, str]) -> tuple[str, bool]:
        """(client_id, is_dynamic) of a client_secret_basic / client_secret_post client."""
        auth = parse_authorization(request.header("Authorization"))
        basic = auth is not None and auth[0] == "basic"
        challenge = [("WWW-Authenticate", 'Basic realm="dcr-emulator"')] if basic else []
        if basic and "client_secret" in form:
            raise _error(400, "invalid_request", "more than one client authentication method")
        if basic:
            parsed = decode_basic(auth[1])
            if parsed is None:
                raise _error(401, "invalid_client", "malformed Basic credentials", challenge)
            client_id, secret = parsed
        elif "client_secret" in form and form.get("client_id"):
            client_id, secret = form["client_id"], form["client_secret"]
        else:
            raise _error(401, "invalid_client", "client authentication is required")
        config = self.config
        with self._lock:
            dynamic = self.clients.get(client_id)
        if client_id == config.main_client_id and secrets.compare_digest(secret, config.main_client_secret):
            return client_id, False
        if dynamic is not None and secrets.compare_digest(secret, dynamic.secret):
            return client_id, True
        raise _error(401, "invalid_client", "client authentication failed", challenge)

    def _verify_dpop(self, request: WireRequest, access_token: str | None = None) -> str:
        """The proof's key thumbprint after the RFC 9449 §4.3 checks; raises invalid_dpop_proof."""
        def bad(text: str) -> _Fail:
            return _error(400, "invalid_dpop_proof", text)

        proofs = request.header_all("DPoP")
        if len(proofs) != 1:
            raise bad("exactly one DPoP header is required")
        parts = jwt_parts(proofs[0].strip())
        if parts is None:
            raise bad("the proof is not a JWT")
        header, claims = parts
        jwk = header.get("jwk")
        if header.get("typ") != "dpop+jwt" or header.get("alg") not in DPOP_ALGS or not isinstance(jwk, dict):
            raise bad("typ, alg or jwk is not acceptable")
        if any(m in jwk for m in _PRIVATE_JWK_MEMBERS):
            raise bad("the jwk holds private members")
        try:
            key = jwt.PyJWK(jwk, header["alg"]).key
            jwt.decode(proofs[0].strip(), key, algorithms=[header["alg"]],
                       options={"verify_aud": False, "verify_exp": False, "verify_iat": False})
            jkt = jwk_thumbprint(jwk)
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            raise bad("the proof signature does not verify") from None
        url = request.url or self.config.base_url + request.path
        if claims.get("htm") != request.method or not isinstance(claims.get("htu"), str) \
                or _htu(claims["htu"]) != _htu(url):
            raise bad("htm or htu does not match the request")
        iat, now = claims.get("iat"), time.time()
        if not isinstance(iat, (int, float)) or abs(now - iat) > self.config.dpop_iat_window_s:
            raise bad("iat is missing or outside the window")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise bad("jti is required")
        if access_token is not None:
            ath = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=")
            if claims.get("ath") != ath.decode():
                raise bad("ath does not match the access token")
        with self._lock:
            self._jtis = {k: v for k, v in self._jtis.items() if v > now}
            if f"{jkt}:{jti}" in self._jtis:
                raise bad("jti was already used")
            self._jtis[f"{jkt}:{jti}"] = now + 2 * self.config.dpop_iat_window_s
        return jkt

    def _token(self, request: WireRequest) -> WireResponse:
        if request.method != "POST":
            raise _error(405, "invalid_request", "use POST", [("Allow", "POST")])
        if request.content_type != "application/x-www-form-urlencoded":
            raise _error(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
        form = request.form()
        client_id, dynamic = self._authenticate(request, form)
        if form.get("grant_type") != "client_credentials":
            raise _error(400, "unsupported_grant_type", "only client_credentials is supported")
        allowed = set(self.config.scope.split()) if dynamic else {DCR_SCOPE}
        # dcr only when asked for (Curity "Using DCR"); a dynamic client gets its template scope
        requested = (form.get("scope") or "").split() or (sorted(allowed) if dynamic else [])
        if not set(requested) <= allowed:
            raise _error(400, "invalid_scope", "the requested scope is not allowed")
        jkt = None
        if request.header_all("DPoP") or (dynamic and self.config.require_dpop):
            jkt = self._verify_dpop(request)
        token = secrets.token_urlsafe(32)
        with self._lock:
            self.tokens[token] = _Token(client_id, " ".join(requested), time.time() + self.config.token_ttl_s, jkt)
        body = {"access_token": token, "token_type": "DPoP" if jkt else "Bearer",
                "expires_in": self.config.token_ttl_s, "scope": " ".join(requested)}
        return json_response(200, body)

    # -- registration (RFC 7591) ---------------------------------------------------------------

    def _information(self, client: _Client, *, rotated: bool) -> dict:
        info = {"client_id": client.client_id, "client_id_issued_at": client.issued_at,
                "client_secret_expires_at": 0,
                "registration_client_uri": f"{self.config.registration_endpoint}/{client.client_id}",
                **client.metadata}
        if rotated:
            info["client_secret"] = client.secret
            info["registration_access_token"] = client.rat
        return info

    def _register(self, request: WireRequest) -> WireResponse:
        if request.method != "POST":
            raise _error(405, "invalid_request", "use POST", [("Allow", "POST")])
        auth = parse_authorization(request.header("Authorization"))
        if auth is None or auth[0] not in ("bearer", "dpop"):
            raise _Fail(WireResponse(401, [("WWW-Authenticate", 'Bearer realm="dcr-emulator"')]))
        challenge = [("WWW-Authenticate", 'Bearer realm="dcr-emulator", error="invalid_token"')]
        with self._lock:
            record = self.tokens.get(auth[1])
            if record is None or record.used or record.expires_at <= time.time():
                raise _error(401, "invalid_token", "the initial access token is not valid", challenge)
        if DCR_SCOPE not in record.scope.split():
            raise _error(403, "insufficient_scope", "the token lacks the dcr scope",
                         [("WWW-Authenticate", f'Bearer error="insufficient_scope", scope="{DCR_SCOPE}"')])
        self._check_binding(request, auth, record, challenge)
        body = request.json()
        if request.content_type != "application/json" or not isinstance(body, dict):
            raise _error(400, "invalid_client_metadata", "the body must be a JSON object")
        if body.get("software_id") != self.config.template:
            raise _error(400, "invalid_client_metadata", "unknown or missing software_id")
        with self._lock:
            if record.used:  # single use, also under concurrency
                raise _error(401, "invalid_token", "the initial access token was already used", challenge)
            record.used = True
            client = _Client("dyn-" + secrets.token_urlsafe(12), secrets.token_urlsafe(32),
                             secrets.token_urlsafe(32), int(time.time()), self._metadata_of_template())
            self.clients[client.client_id] = client
        return json_response(201, self._information(client, rotated=True))

    def _check_binding(self, request: WireRequest, auth: tuple[str, str], record: _Token,
                       challenge: list[tuple[str, str]]) -> None:
        """RFC 9449 §7.1: a DPoP-bound token comes with the DPoP scheme and a proof by the bound key
        (with ``ath``); §7.2: a DPoP-bound token presented as a Bearer token is refused."""
        if record.jkt is None:
            if auth[0] != "bearer":
                raise _error(401, "invalid_token", "the token is not DPoP-bound", challenge)
            return
        if auth[0] != "dpop":
            raise _error(401, "invalid_token", "a DPoP-bound token needs the DPoP scheme", challenge)
        try:
            jkt = self._verify_dpop(request, access_token=auth[1])
        except _Fail:
            raise _error(401, "invalid_dpop_proof", "the DPoP proof is not valid",
                         [("WWW-Authenticate", 'DPoP error="invalid_dpop_proof"')]) from None
        if jkt != record.jkt:
            raise _error(401, "invalid_token", "the proof key is not the bound key",
                         [("WWW-Authenticate", 'DPoP error="invalid_token"')])

    # -- a protected resource ------------------------------------------------------------------

    def _resource(self, request: WireRequest) -> WireResponse:
        """A resource accepting the dynamic clients' access tokens (RFC 6750 §2.1, RFC 9449 §7.1)."""
        auth = parse_authorization(request.header("Authorization"))
        challenge = [("WWW-Authenticate", 'Bearer realm="dcr-emulator", error="invalid_token"')]
        if auth is None or auth[0] not in ("bearer", "dpop"):
            raise _Fail(WireResponse(401, [("WWW-Authenticate", 'Bearer realm="dcr-emulator"')]))
        with self._lock:
            record = self.tokens.get(auth[1])
        if record is None or record.used or record.expires_at <= time.time() \
                or DCR_SCOPE in record.scope.split():
            raise _error(401, "invalid_token", "the access token is not valid", challenge)
        self._check_binding(request, auth, record, challenge)
        return json_response(200, {"client_id": record.client_id, "scope": record.scope})

    def _metadata_of_template(self) -> dict:
        return {"software_id": self.config.template, "scope": self.config.scope,
                "grant_types": ["client_credentials"],
                "token_endpoint_auth_method": self.config.template_auth_method}

    # -- management (RFC 7592) -----------------------------------------------------------------

    def _manage(self, request: WireRequest, client_id: str) -> WireResponse:
        if request.method not in ("GET", "PUT", "DELETE"):
            raise _error(405, "invalid_request", "use GET, PUT or DELETE", [("Allow", "GET, PUT, DELETE")])
        auth = parse_authorization(request.header("Authorization"))
        challenge = [("WWW-Authenticate", 'Bearer realm="dcr-emulator", error="invalid_token"')]
        with self._lock:
            client = self.clients.get(client_id)
        if auth is None or auth[0] != "bearer" or client is None \
                or not secrets.compare_digest(auth[1], client.rat):
            raise _error(401, "invalid_token", "the registration access token is not valid", challenge)
        if request.method == "DELETE":
            with self._lock:
                self.clients.pop(client_id, None)
                for token in self.tokens.values():
                    if token.client_id == client_id:
                        token.used = True
            return WireResponse(204)
        if request.method == "PUT":
            body = request.json()
            if not isinstance(body, dict) or body.get("client_id") != client_id:
                raise _error(400, "invalid_client_metadata", "client_id must equal the client's")
            if "client_secret" in body and body["client_secret"] != client.secret:
                raise _error(400, "invalid_client_metadata", "client_secret does not match")
        rotated = self.config.rotate_on_read
        if rotated:
            with self._lock:
                client.secret, client.rat = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        info = self._information(client, rotated=rotated)
        if not rotated:
            info["registration_access_token"] = client.rat
        return json_response(200, info)

    # -- metadata (RFC 8414) -------------------------------------------------------------------

    def _metadata(self, request: WireRequest) -> WireResponse:
        config = self.config
        return json_response(200, {
            "issuer": config.base_url, "token_endpoint": config.token_endpoint,
            "registration_endpoint": config.registration_endpoint,
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "dpop_signing_alg_values_supported": list(DPOP_ALGS),
            "response_types_supported": ["code"]}, no_store=False)

