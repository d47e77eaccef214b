"""What a conformant server answers to a registration, written from the RFCs (not from our server).

The checks of DCR-REG-* share :func:`not_created`; the fuzzed registrations (DCR-FUZZ-001) and
the lifecycle state machine (DCR-FUZZ-003) are judged by the acceptance model below. For the
inputs, see :mod:`conformance.oracles.registration_faults`.

* never a 5xx, and always a JSON object body (RFC 7591 §3.2.1, §3.2.2) — but for 413 / 415,
  whose bodies HTTP leaves open;
* a success is **201** (§3.2.1) whose metadata stays within the template (the profile's scope,
  grant and response types, redirect URIs and authentication method: the server MAY replace
  requested values, §3.2.1, but never beyond the template), holds no value RFC 7591 §2 forbids
  (``jwks`` with ``jwks_uri``, a private key, a redirect URI with a fragment or that is not
  absolute, RFC 6749 §3.1.2), never takes a ``client_id`` / ``client_secret`` / registration
  token chosen by the client, is what an RFC 7592 read then returns, and gives a client that
  works (a token request succeeds); an RFC 7592 read returns no §2 metadata the 201 left out;
* a refusal is **400** with an RFC 7591 §3.2.2 code that fits the fault: ``invalid_redirect_uri``
  only when a redirect URI was touched, ``invalid_software_statement`` /
  ``unapproved_software_statement`` only for a statement, ``invalid_client_metadata`` for
  metadata, ``invalid_request`` for a body that is not a JSON object, too large, or with a value of
  the wrong JSON type (RFC 6750 §3.1 "or is otherwise malformed");
  413 is allowed for a large body and 415 for another media type;
* a request whose only additions are unknown members must succeed: the server MUST ignore
  metadata it does not understand (§2); a body that no JSON parser reads must be refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conformance.client.http import MISSING, Exchange
from conformance.oracles.expect import expect, fail, json_object, success
from conformance.oracles.failures import short
from conformance.oracles.registration_faults import (MEDIA_TYPE, NOT_JSON, NOT_OBJECT, NULL, SERVER_MANAGED, TYPE,
                                                     UNKNOWN, Mutation, Payload)
from conformance.oracles.token_response import scopes

REDIRECT = "invalid_redirect_uri"
METADATA = "invalid_client_metadata"
REQUEST = "invalid_request"
STATEMENT = frozenset({"invalid_software_statement", "unapproved_software_statement"})
#: Bodies above this size may be refused with 413 (HTTP; RFC 7591 sets no limit).
LARGE_BODY = 8 * 1024
#: Members of a client information response that may change between two reads (rotation).
VOLATILE = frozenset({"client_secret", "registration_access_token", "client_secret_expires_at",
                      "registration_access_token_expires_in"})
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
#: The client metadata of RFC 7591 §2.
RFC7591_MEMBERS = frozenset({
    "redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types", "client_name", "client_uri",
    "logo_uri", "scope", "contacts", "tos_uri", "policy_uri", "jwks_uri", "jwks", "software_id",
    "software_version"})


@dataclass(frozen=True)
class Expectation:
    """What the answer to one payload may be."""

    must_accept: bool
    must_refuse: bool
    statuses: frozenset[int]
    errors: frozenset[str]
    reasons: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        if self.must_accept:
            return "201: the request adds only unknown members, which the server MUST ignore (RFC 7591 §2)"
        refusal = f"HTTP {'/'.join(map(str, sorted(self.statuses)))} with error {' or '.join(sorted(self.errors))}"
        if self.must_refuse:
            return f"a refusal: {refusal}"
        return f"201 within the template, or a refusal: {refusal}"


def _errors_for(mutation: Mutation) -> set[str]:
    if mutation.field == "redirect_uris":
        return {REDIRECT, METADATA}  # a redirect URI is also client metadata: either code fits
    if mutation.field == "software_statement":
        return set(STATEMENT) | ({METADATA} if mutation.fault in (TYPE, NULL) else set())
    if mutation.fault == SERVER_MANAGED:
        return {METADATA, REQUEST}
    return {METADATA}


def expectation(payload: Payload, body_size: int) -> Expectation:
    """The answers RFC 7591 allows to ``payload`` (sent as ``body_size`` bytes)."""
    statuses = {400}
    large = body_size > LARGE_BODY
    if large:
        statuses.add(413)
    if payload.raw is not None:
        raw = payload.raw
        if raw.fault == MEDIA_TYPE:
            statuses.add(415)
        return Expectation(False, raw.fault in (NOT_JSON, NOT_OBJECT), frozenset(statuses),
                           frozenset({REQUEST, METADATA}), (raw.note,))
    malformed = large  # a body the server may refuse to read: RFC 6750 §3.1 / RFC 6749 §5.2 invalid_request
    errors: set[str] = set()
    for mutation in payload.mutations:
        if mutation.fault == UNKNOWN:
            continue
        errors |= _errors_for(mutation)
        malformed = malformed or mutation.fault in (TYPE, NULL)
        if mutation.field == "software_id":  # the template selector: REG-010 / REG-011 tolerate 401/403
            statuses |= {401, 403}
            errors |= {"invalid_token", "insufficient_scope", "access_denied", "unauthorized_client"}
    must_accept = not errors and 413 not in statuses
    codes = set(errors or {METADATA})
    if malformed:
        # RFC 7591 §3.2.2 "defines the following error codes" without closing the list; a request
        # body that is too large or carries a value of the wrong JSON type "is otherwise malformed"
        # (RFC 6750 §3.1 / RFC 6749 §5.2 invalid_request) as much as its metadata is invalid.
        codes.add(REQUEST)
    return Expectation(must_accept, False, frozenset(statuses), frozenset(codes),
                       tuple(m.note for m in payload.mutations))


def never_5xx(ex: Exchange, what: str) -> None:
    """A server error is never the answer to client input (RFC 7591 §3.2.2: errors are 400)."""
    if ex.error:
        fail(f"{what}: no HTTP answer ({ex.error})", "an HTTP answer (201 or 400), never a dropped connection", ex)
    expect(ex.status < 500, f"{what}: server error HTTP {ex.status}",
           "201 or a 4xx refusal; never a 5xx (RFC 7591 §3.2.2)", ex)


def judge_answer(payload: Payload, ex: Exchange, body_size: int, what: str) -> dict | None:
    """Judge a registration answer; the created client's body for a success, None for a refusal."""
    never_5xx(ex, what)
    allowed = expectation(payload, body_size)
    if 200 <= ex.status < 300:
        expect(not allowed.must_refuse, f"{what}: a body that is not a JSON object was registered (HTTP {ex.status})",
               allowed.describe(), ex)
        expect(ex.status == 201, f"{what}: success answered HTTP {ex.status}", "201 Created (RFC 7591 §3.2.1)", ex)
        body = json_object(ex, what)
        expect(isinstance(body.get("client_id"), str) and body["client_id"], f"{what}: no client_id in the 201",
               "a client_id (RFC 7591 §3.2.1: REQUIRED)", ex)
        return body
    expect(not allowed.must_accept, f"{what}: refused (HTTP {ex.status})", allowed.describe(), ex)
    expect(ex.status in allowed.statuses, f"{what}: HTTP {ex.status}", allowed.describe(), ex)
    if ex.status in (413, 415):
        return None
    body = json_object(ex, what)
    expect(body.get("error") in allowed.errors, f"{what}: error {body.get('error')!r} does not fit the fault",
           allowed.describe(), ex)
    return None


def _as_list(value: Any) -> list | None:
    return value if isinstance(value, list) else None


#: RFC 7591 §2: the grant and response types of "redirect-based flows such as the authorization
#: code and implicit flows", the only ones a redirect URI is for.
REDIRECT_GRANTS = frozenset({"authorization_code", "implicit"})


def redirect_capable(body: dict) -> bool:
    """Whether the registered client has a flow that redirects (RFC 7591 §2; the defaults when a
    member is absent: ``grant_types`` "authorization_code", ``response_types`` "code")."""
    grants = body.get("grant_types", ["authorization_code"])
    responses = body.get("response_types", ["code"])
    grants = grants if isinstance(grants, list) else [grants]
    responses = responses if isinstance(responses, list) else [responses]
    return bool(REDIRECT_GRANTS & set(map(str, grants))) or any(str(r).strip() for r in responses)


#: RFC 7591 §2.1's table: the grant type each response type goes with (the others have none).
GRANT_FOR_RESPONSE = {"code": "authorization_code", "token": "implicit"}


def types_inconsistency(body: dict) -> str | None:
    """What makes a client's ``grant_types`` and ``response_types`` contradict each other (RFC 7591
    §2.1: "a "grant_types" value that includes "authorization_code" implies a "response_types"
    value that includes "code""), or None; an absent member is its RFC 7591 §2 default."""
    grants = body.get("grant_types", ["authorization_code"])
    responses = body.get("response_types", ["code"])
    grants = {str(g) for g in grants} if isinstance(grants, list) else {str(grants)}
    responses = responses if isinstance(responses, list) else [responses]
    parts = {part for value in responses for part in str(value).split()}
    for response, grant in GRANT_FOR_RESPONSE.items():
        if response in parts and grant not in grants:
            return f"with response type {response!r} but without grant type {grant!r}"
        if grant in grants and response not in parts:
            return f"with grant type {grant!r} but without response type {response!r}"
    return None


def _sent_json(ex: Exchange) -> Any:
    """The JSON body the exchange sent, as sent (the capture is for people: redacted, maybe cut);
    None if it was not JSON, or too deeply nested to parse here."""
    if ex.spec is not None and ex.spec.json is not MISSING:
        return ex.spec.json
    raw = ex.sent_bytes() if ex.spec is not None else ex.request.body
    try:
        return json.loads(raw or "null")
    except (ValueError, RecursionError):  # RecursionError: a fuzzed body nested deeper than Python parses
        return None


def device_key_binding(body: dict, payload: Payload | None, ex: Exchange | None = None) -> dict | None:
    """The JWK Set the client sent when the server bound it as a ``private_key_jwt`` client to
    exactly those keys (RFC 7591 §2 ``jwks``: "the client's public keys"; §3.2.1: the server "MAY
    reject or replace any of the client's requested metadata values"), else None. What was sent is
    the payload's metadata or, for the device key the session adds itself, the request's JSON body."""
    sent = dict(payload.metadata()) if payload is not None and payload.raw is None else {}
    if "jwks" not in sent and ex is not None and ex.request is not None:
        request_body = _sent_json(ex)
        if isinstance(request_body, dict):
            sent.update({k: request_body[k] for k in ("jwks", "jwks_uri") if k in request_body})
    jwks = sent.get("jwks")
    if body.get("token_endpoint_auth_method") != "private_key_jwt" or not isinstance(jwks, dict):
        return None
    if "jwks_uri" in sent or body.get("jwks") != jwks:
        return None
    return jwks


def judge_registered(body: dict, template: Any, payload: Payload | None, ex: Exchange, what: str) -> None:
    """A 201's metadata stays within the template and holds nothing RFC 7591 forbids (``payload``:
    what the client asked for, None when it chose nothing).

    Two answers beyond the template's values are allowed because they add no capability: redirect
    URIs stored for a client without a redirect-based flow (inert, RFC 7591 §2), and a
    ``private_key_jwt`` method bound to exactly the public keys the device sent, with no secret
    issued (:func:`device_key_binding`)."""
    if template.scope is not None and "scope" in body:
        extra = scopes(body["scope"]) - scopes(template.scope)
        expect(isinstance(body["scope"], str) and not extra,
               f"{what}: registered scope {body['scope']!r} goes beyond the template",
               f"a scope within {template.scope!r} (the server may replace, never widen)", ex)
    for name, allowed in (("grant_types", template.grant_types), ("response_types", template.response_types),
                          ("redirect_uris", template.redirect_uris)):
        if allowed is None or name not in body:
            continue
        if name == "redirect_uris" and isinstance(body[name], list) and not redirect_capable(body):
            continue  # inert: no flow of this client can redirect there
        values = _as_list(body[name])
        expect(values is not None and set(map(str, values)) <= set(allowed),
               f"{what}: registered {name} {body[name]!r} go beyond the template",
               f"{name} within {list(allowed)!r}", ex)
    method = body.get("token_endpoint_auth_method", body.get("token_endpoint_auth_methods"))
    allowed_methods = _allowed_methods(template)
    if method is not None and allowed_methods is not None:
        ok = method in allowed_methods or (
            isinstance(method, list) and bool(method) and set(map(str, method)) <= set(allowed_methods))
        bound = not ok and device_key_binding(body, payload, ex) is not None
        if bound:
            expect("client_secret" not in body, f"{what}: a client bound to the device's keys also got a secret",
                   "private_key_jwt bound to the keys sent, and no client_secret", ex)
        expect(ok or bound, f"{what}: registered token_endpoint_auth_method {method!r}",
               f"the template's {' or '.join(map(repr, allowed_methods))}, or private_key_jwt bound to exactly "
               "the jwks sent (RFC 7591 §2, §3.2.1)", ex)
    if "software_id" in body and getattr(template, "software_id", None) is not None:
        expect(body["software_id"] == template.software_id, f"{what}: registered software_id {body['software_id']!r}",
               f"the template {template.software_id!r}", ex)
    expect(not ("jwks" in body and "jwks_uri" in body), f"{what}: registered both jwks and jwks_uri",
           "never both (RFC 7591 §2: MUST NOT)", ex)
    jwks = body.get("jwks")
    if isinstance(jwks, dict) and isinstance(jwks.get("keys"), list):
        leaked = [k for k in jwks["keys"] if isinstance(k, dict) and PRIVATE_JWK_MEMBERS & k.keys()]
        expect(not leaked, f"{what}: registered a jwks holding private key members",
               "public keys only (RFC 7591 §2 jwks)", ex)
    for uri in _as_list(body.get("redirect_uris")) or []:
        parts = _split(uri)
        expect(parts is not None and parts.scheme and not parts.fragment and "#" not in uri,
               f"{what}: registered redirect URI {uri!r}",
               "absolute URIs without a fragment (RFC 6749 §3.1.2)", ex)
    chosen = dict(payload.metadata()) if payload is not None and payload.raw is None else {}
    for name in ("client_id", "client_secret", "registration_access_token", "registration_client_uri"):
        if name in chosen and chosen[name] is not None:
            expect(body.get(name) != chosen[name], f"{what}: the server adopted the {name} the client chose",
                   f"a {name} issued by the server (RFC 7591 §3.2.1, RFC 7592 §3)", ex)


def _allowed_methods(template: Any) -> tuple[str, ...] | None:
    """The methods a dynamic client may be registered with: the template's (one, or the ones it
    lets the client choose among); None without a template (RFC 7591 §3.2.1: the server chooses)."""
    if getattr(template, "software_id", None) is None:
        return None
    return tuple(getattr(template, "allowed_auth_methods", None) or (template.token_endpoint_auth_method,))


def _split(uri: Any):
    if not isinstance(uri, str):
        return None
    try:
        return urlsplit(uri)
    except ValueError:
        return None


def judge_read_back(created: dict, read: Exchange, what: str) -> dict:
    """An RFC 7592 read returns the metadata the 201 said was registered."""
    body = success(read, 200, f"{what}: RFC 7592 read of the new client")
    omitted = sorted(name for name in RFC7591_MEMBERS if name in body and name not in created)
    expect(not omitted, f"{what}: the 201 omitted registered metadata {omitted} that a read returns",
           "all registered metadata in the 201 (RFC 7591 §3.2.1)", read)
    for name, value in created.items():
        if name in VOLATILE:
            continue
        expect(name in body and body[name] == value,
               f"{what}: the 201 said {name} = {short(value)} but a read returns "
               f"{short(body.get(name, '<missing>'))}",
               "the 201 returns the registered metadata (RFC 7591 §3.2.1: all of it, as registered)", read)
    return body


def judge_works(use: Exchange, template: Any, *, dpop: bool, what: str) -> None:
    """The new client gets a token (RFC 6749 §5.1) within the template's scope (§3.3)."""
    body = success(use, 200, what)
    expect(isinstance(body.get("access_token"), str) and body["access_token"],
           f"{what}: no access_token", "an access token (RFC 6749 §5.1)", use)
    token_type = str(body.get("token_type", "")).lower()
    expect(token_type == ("dpop" if dpop else "bearer"), f"{what}: token_type {body.get('token_type')!r}",
           "DPoP" if dpop else "Bearer", use)
    if template.scope is not None and "scope" in body:
        extra = scopes(body["scope"]) - scopes(template.scope)
        expect(not extra, f"{what}: the new client was granted {sorted(extra)}",
               f"no scope outside the template's {template.scope!r}", use)


def not_created(ex: Exchange, what: str) -> None:
    """A registration that must not succeed did not create a client (no 201, no client_id)."""
    created = ex.status == 201 or (200 <= (ex.status or 0) < 300 and isinstance(ex.json(), dict)
                                   and "client_id" in ex.json())
    expect(not created, f"{what}: the server registered a client (HTTP {ex.status})",
           "a refusal and no client created", ex)
