"""A HAAPI-like authorization endpoint with one username/password authenticator (the HAAPI code flow, docs/sdk.md).

Curity's Hypermedia Authentication API serves the OAuth authorization endpoint as an API for the
app: every request carries ``Accept: application/vnd.auth+json``, the dynamic client's HAAPI access
token as ``Authorization: DPoP <token>`` and a DPoP proof by its key (``ath``, ``htm``, ``htu``,
the server ``nonce`` when nonces are on; RFC 9449 §7.1, §9). The flow, as Curity's example::

    GET  /oauth/v2/oauth-authorize?client_id&response_type=code&redirect_uri&scope&state
         &code_challenge&code_challenge_method=S256              -> redirection-step
    GET  /authn/authenticate/html-form?tx=...                    -> authentication-step (a form)
    POST /authn/authenticate/html-form?tx=...  userName, password -> oauth-authorization-response

The last representation carries ``properties.code`` (RFC 6749 §4.1.2). The request is checked
against the client's registration (RFC 6749 §4.1.1, §3.1.2: an exact registered redirect URI;
§3.3: a registered scope, never the HAAPI scope nor ``dcr``) and needs PKCE S256 (RFC 7636
§4.3). The login transaction is bound to the client and to the DPoP key of the token that
started it; the code is bound to that key too (Curity ``issue-token-bound-authorization-code``),
and to the key a ``dpop_jkt`` parameter names (RFC 9449 §10).
Faults are HAAPI problem representations (``type`` a ``https://curity.se/problems/`` URI);
access faults are 401 with ``WWW-Authenticate: DPoP`` as at any DPoP-protected resource.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from urllib.parse import parse_qsl, urlencode

from ..vocabulary import DCR_SCOPE, HAAPI_SCOPE
from .access import dpop_unauthorized, presented_token
from .config import AUTHN_PATH
from .context import Context
from .dpop import USE_NONCE, DpopError, verify_proof
from .errors import OAuthError, bearer_challenge
from .forms import form_body
from .http_messages import Request, Response
from .flows import MAX_FAILED_LOGINS, CodeGrant, Transaction
from .store import TokenRecord, digest

MEDIA_TYPE = "application/vnd.auth+json"
PROBLEMS = "https://curity.se/problems/"
_CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.2: base64url of SHA-256
_JKT = re.compile(r"^[A-Za-z0-9_-]{43}$")  # RFC 9449 §10: base64url of a SHA-256 thumbprint
_LOGIN_FIELDS = [{"name": "userName", "type": "username", "label": "Username"},
                 {"name": "password", "type": "password", "label": "Password"}]


def representation(status: int, body: dict) -> Response:
    """A HAAPI representation (or problem); never cached (it may carry a code)."""
    return Response(status, json.dumps(body, separators=(",", ":")).encode(),
                    [("Content-Type", MEDIA_TYPE), ("Cache-Control", "no-store")])


class Problem(Exception):
    """A HAAPI problem representation: ``type`` under :data:`PROBLEMS`, a title, extra members."""

    def __init__(self, status: int, kind: str, title: str, **members: object) -> None:
        super().__init__(title)
        self.status = status
        self.body = {"type": PROBLEMS + kind, "title": title, **members}

    def response(self) -> Response:
        return representation(self.status, self.body)


def _authorization_error(error: str, description: str) -> Problem:
    """An OAuth error of the authorization request (RFC 6749 §4.1.2.1) as HAAPI shows it."""
    return Problem(400, "error-authorization-response", "The authorization request was refused",
                   error=error, error_description=description)


def haapi_access(ctx: Context, request: Request) -> tuple[TokenRecord, str]:
    """The HAAPI access token of the request and the thumbprint of its proof's key (RFC 9449 §7.1)."""
    presented = presented_token(request)
    if presented is None or presented.scheme != "dpop" or not presented.token:
        raise dpop_unauthorized(ctx, None if presented is None else "invalid_token",
                            "a DPoP-bound HAAPI access token is required")
    record = ctx.store.get_token(digest(presented.token))
    if record is None or not record.active(ctx.now()) or record.jkt is None:
        raise dpop_unauthorized(ctx, "invalid_token", "the access token is not an active DPoP-bound token")
    if HAAPI_SCOPE not in record.scopes:
        raise OAuthError(403, "insufficient_scope", f"HAAPI needs {HAAPI_SCOPE}",
                         [("WWW-Authenticate", bearer_challenge("insufficient_scope", scheme="DPoP",
                                                                scope=HAAPI_SCOPE))])
    try:
        proof = verify_proof(ctx, request, access_token=presented.token,
                             require_nonce=ctx.settings.dpop_nonce)
    except DpopError as exc:
        raise dpop_unauthorized(ctx, exc.error, exc.description, nonce=exc.error == USE_NONCE) from None
    if proof.jkt != record.jkt:
        raise dpop_unauthorized(ctx, "invalid_dpop_proof", "the proof key is not the token's key")
    if ctx.store.get_client(record.client_id) is None:
        raise dpop_unauthorized(ctx, "invalid_token", "the token's client no longer exists")
    return record, proof.jkt


def _query(request: Request) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True, max_num_fields=50):
        if name in params:
            raise _authorization_error("invalid_request", f"parameter {name} is repeated")
        params[name] = value
    return params


def _accepts_haapi(request: Request) -> None:
    accept = (request.header("Accept") or "").lower()
    if MEDIA_TYPE not in accept:
        raise OAuthError(406, "invalid_request", f"HAAPI answers {MEDIA_TYPE} only; send it in Accept")


def handle_authorize(ctx: Context, request: Request) -> Response:
    """``GET {authorization_endpoint}``: check the request, open a login transaction."""
    if request.method != "GET":
        raise OAuthError(405, "invalid_request", "use GET", [("Allow", "GET")])
    _accepts_haapi(request)
    record, jkt = haapi_access(ctx, request)
    try:
        tx = _authorization_request(ctx, _query(request), record, jkt)
    except Problem as problem:
        return problem.response()
    tx_id = ctx.flows.open(tx)
    return representation(200, {
        "type": "redirection-step",
        "actions": [{"template": "form", "kind": "redirect",
                     "model": {"href": f"{AUTHN_PATH}?{urlencode({'tx': tx_id})}", "method": "GET"}}],
    })


def _authorization_request(ctx: Context, params: dict[str, str], record: TokenRecord,
                           jkt: str) -> Transaction:
    client_id = params.get("client_id")
    if client_id != record.client_id:
        raise _authorization_error("invalid_request", "client_id must be the HAAPI token's client")
    client = ctx.store.get_client(client_id)
    metadata = client.metadata if client is not None else {}
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri or redirect_uri not in metadata.get("redirect_uris", []):
        raise _authorization_error("invalid_request", "redirect_uri must be one the client registered")
    if "authorization_code" not in metadata.get("grant_types", []):
        raise _authorization_error("unauthorized_client", "the client may not use the code flow")
    if params.get("response_type") != "code" or "code" not in metadata.get("response_types", []):
        raise _authorization_error("unsupported_response_type", "only response_type=code is supported")
    registered = set(metadata.get("scope", "").split()) - {HAAPI_SCOPE, DCR_SCOPE}
    requested = params["scope"].split() if params.get("scope") else sorted(registered)
    if not requested or not set(requested) <= registered:
        raise _authorization_error("invalid_scope", "the scope is not one the client may ask users for")
    challenge = params.get("code_challenge", "")
    if params.get("code_challenge_method") != "S256" or not _CHALLENGE.match(challenge):
        raise _authorization_error("invalid_request", "PKCE with code_challenge_method=S256 is required")
    state = params.get("state")
    if state is not None and len(state) > 512:
        raise _authorization_error("invalid_request", "state is too long")
    dpop_jkt = params.get("dpop_jkt")
    if dpop_jkt is not None and not _JKT.match(dpop_jkt):
        raise _authorization_error("invalid_request", "dpop_jkt is not a JWK SHA-256 thumbprint")
    if dpop_jkt is not None and dpop_jkt != jkt \
            and ctx.variants.on("dpop-jkt-checked-at-authorization"):  # VARIANT: refused here
        raise _authorization_error("invalid_request", "dpop_jkt is not the key of this request's proof")
    if ctx.defects.on("dpop-jkt-ignored"):  # DEFECT: the code is not bound to dpop_jkt
        dpop_jkt = None
    return Transaction(client_id, jkt, redirect_uri, " ".join(dict.fromkeys(requested)), state,
                       challenge, ctx.now() + ctx.settings.login_transaction_ttl_s, dpop_jkt=dpop_jkt)


def handle_authenticate(ctx: Context, request: Request) -> Response:
    """The authenticator: ``GET`` shows the login form, ``POST`` checks it and issues the code."""
    if request.method not in ("GET", "POST"):
        raise OAuthError(405, "invalid_request", "use GET or POST", [("Allow", "GET, POST")])
    _accepts_haapi(request)
    record, jkt = haapi_access(ctx, request)
    tx_id = dict(parse_qsl(request.query)).get("tx", "")
    tx = ctx.flows.transaction(tx_id, ctx.now())
    if tx is None:
        return Problem(400, "unexpected", "The login transaction is unknown or has expired").response()
    if tx.client_id != record.client_id or tx.jkt != jkt:
        return Problem(400, "session-and-access-token-mismatch",
                       "The login belongs to another client or DPoP key").response()
    if request.method == "GET":
        return representation(200, {
            "type": "authentication-step",
            "metadata": {"viewName": "authenticator/html-form/authenticate/get"},
            "actions": [{"template": "form", "kind": "login", "title": "Login", "model": {
                "href": f"{AUTHN_PATH}?{urlencode({'tx': tx_id})}", "method": "POST",
                "type": "application/x-www-form-urlencoded", "actionTitle": "Login",
                "fields": _LOGIN_FIELDS}}],
        })
    return _login(ctx, request, tx_id, tx)


def _login(ctx: Context, request: Request, tx_id: str, tx: Transaction) -> Response:
    form = form_body(request)
    username, password = form.get("userName", ""), form.get("password", "")
    expected = ctx.config.users.get(username)
    if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
        left = MAX_FAILED_LOGINS - ctx.flows.failed_login(tx_id)
        return Problem(400, "incorrect-credentials", "Incorrect credentials", messages=[
            {"text": "Wrong username or password" + ("" if left > 0 else "; start again"),
             "classList": ["error"]}]).response()
    if ctx.flows.close(tx_id) is None:  # a concurrent login took the transaction
        return Problem(400, "unexpected", "The login transaction has ended").response()
    code = secrets.token_urlsafe(32)
    ctx.flows.add_code(digest(code), CodeGrant(
        tx.client_id, tx.jkt, tx.redirect_uri, tx.scope, tx.code_challenge, username,
        ctx.now() + ctx.settings.authorization_code_ttl_s, secrets.token_urlsafe(16),
        dpop_jkt=tx.dpop_jkt))
    properties = {"code": code, **({"state": tx.state} if tx.state is not None else {})}
    separator = "&" if "?" in tx.redirect_uri else "?"
    return representation(200, {
        "type": "oauth-authorization-response",
        "metadata": {"viewName": "templates/oauth/success-authorization-response"},
        "properties": properties,
        "links": [{"rel": "authorization-response",
                   "href": tx.redirect_uri + separator + urlencode(properties)}],
    })
