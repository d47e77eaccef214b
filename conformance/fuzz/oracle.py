"""What a conformant server answers to fuzzed input, written from the RFCs (not from our server).

Registration (RFC 7591):

* never a 5xx, and always a JSON object body (§3.2.1, §3.2.2) — but for 413 / 415, whose
  bodies HTTP leaves open;
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
  metadata, ``invalid_request`` only for a body that is not a JSON object (RFC 6750 §3.1);
  413 is allowed for a large body and 415 for another media type;
* a request whose only additions are unknown members must succeed: the server MUST ignore
  metadata it does not understand (§2); a body that no JSON parser reads must be refused.

Client assertions (:func:`assertion_verdict`): an acceptance model of RFC 7523 §3 (with
RFC 7519 §4.1 and RFC 7515 §4.1): each perturbation makes the assertion one the server MUST
reject, MAY accept or reject (a MAY of the RFC, or a policy choice such as clock skew), or MUST
accept (the RFCs say to ignore it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlsplit

from conformance.client.http import Exchange
from conformance.fuzz import strategies as s
from conformance.suite import expect as e
from conformance.suite.oracles import scopes

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


# ------------------------------------------------------------------------------ registration


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


def _errors_for(mutation: s.Mutation) -> set[str]:
    if mutation.field == "redirect_uris":
        return {REDIRECT, METADATA}  # a redirect URI is also client metadata: either code fits
    if mutation.field == "software_statement":
        return set(STATEMENT) | ({METADATA} if mutation.fault in (s.TYPE, s.NULL) else set())
    if mutation.fault == s.SERVER_MANAGED:
        return {METADATA, REQUEST}
    return {METADATA}


def expectation(payload: s.Payload, body_size: int) -> Expectation:
    """The answers RFC 7591 allows to ``payload`` (sent as ``body_size`` bytes)."""
    statuses = {400}
    if body_size > LARGE_BODY:
        statuses.add(413)
    if payload.raw is not None:
        raw = payload.raw
        if raw.fault == s.MEDIA_TYPE:
            statuses.add(415)
        return Expectation(False, raw.fault in (s.NOT_JSON, s.NOT_OBJECT), frozenset(statuses),
                           frozenset({REQUEST, METADATA}), (raw.note,))
    errors: set[str] = set()
    for mutation in payload.mutations:
        if mutation.fault == s.UNKNOWN:
            continue
        errors |= _errors_for(mutation)
        if mutation.field == "software_id":  # the template selector: REG-010 / REG-011 tolerate 401/403
            statuses |= {401, 403}
            errors |= {"invalid_token", "insufficient_scope", "access_denied", "unauthorized_client"}
    must_accept = not errors and 413 not in statuses
    return Expectation(must_accept, False, frozenset(statuses), frozenset(errors or {METADATA}),
                       tuple(m.note for m in payload.mutations))


def never_5xx(ex: Exchange, what: str) -> None:
    """A server error is never the answer to client input (RFC 7591 §3.2.2: errors are 400)."""
    if ex.error:
        e.fail(f"{what}: no HTTP answer ({ex.error})", "an HTTP answer (201 or 400), never a dropped connection", ex)
    e.expect(ex.status < 500, f"{what}: server error HTTP {ex.status}",
             "201 or a 4xx refusal; never a 5xx (RFC 7591 §3.2.2)", ex)


def judge_answer(payload: s.Payload, ex: Exchange, body_size: int, what: str) -> dict | None:
    """Judge a registration answer; the created client's body for a success, None for a refusal."""
    never_5xx(ex, what)
    allowed = expectation(payload, body_size)
    if 200 <= ex.status < 300:
        e.expect(not allowed.must_refuse, f"{what}: a body that is not a JSON object was registered (HTTP {ex.status})",
                 allowed.describe(), ex)
        e.expect(ex.status == 201, f"{what}: success answered HTTP {ex.status}", "201 Created (RFC 7591 §3.2.1)", ex)
        body = e.json_object(ex, what)
        e.expect(isinstance(body.get("client_id"), str) and body["client_id"], f"{what}: no client_id in the 201",
                 "a client_id (RFC 7591 §3.2.1: REQUIRED)", ex)
        return body
    e.expect(not allowed.must_accept, f"{what}: refused (HTTP {ex.status})", allowed.describe(), ex)
    e.expect(ex.status in allowed.statuses, f"{what}: HTTP {ex.status}", allowed.describe(), ex)
    if ex.status in (413, 415):
        return None
    body = e.json_object(ex, what)
    e.expect(body.get("error") in allowed.errors, f"{what}: error {body.get('error')!r} does not fit the fault",
             allowed.describe(), ex)
    return None


def _as_list(value: Any) -> list | None:
    return value if isinstance(value, list) else None


def judge_registered(body: dict, template: Any, payload: s.Payload, ex: Exchange, what: str) -> None:
    """A 201's metadata stays within the template and holds nothing RFC 7591 forbids."""
    if template.scope is not None and "scope" in body:
        extra = scopes(body["scope"]) - scopes(template.scope)
        e.expect(isinstance(body["scope"], str) and not extra,
                 f"{what}: registered scope {body['scope']!r} goes beyond the template",
                 f"a scope within {template.scope!r} (the server may replace, never widen)", ex)
    for name, allowed in (("grant_types", template.grant_types), ("response_types", template.response_types),
                          ("redirect_uris", template.redirect_uris)):
        if allowed is None or name not in body:
            continue
        values = _as_list(body[name])
        e.expect(values is not None and set(map(str, values)) <= set(allowed),
                 f"{what}: registered {name} {body[name]!r} go beyond the template",
                 f"{name} within {list(allowed)!r}", ex)
    method = body.get("token_endpoint_auth_method", body.get("token_endpoint_auth_methods"))
    if method is not None:
        ok = method == template.token_endpoint_auth_method or (
            isinstance(method, list) and method == [template.token_endpoint_auth_method])
        e.expect(ok, f"{what}: registered token_endpoint_auth_method {method!r}",
                 f"the template's {template.token_endpoint_auth_method!r}", ex)
    if "software_id" in body:
        e.expect(body["software_id"] == template.software_id, f"{what}: registered software_id {body['software_id']!r}",
                 f"the template {template.software_id!r}", ex)
    e.expect(not ("jwks" in body and "jwks_uri" in body), f"{what}: registered both jwks and jwks_uri",
             "never both (RFC 7591 §2: MUST NOT)", ex)
    jwks = body.get("jwks")
    if isinstance(jwks, dict) and isinstance(jwks.get("keys"), list):
        leaked = [k for k in jwks["keys"] if isinstance(k, dict) and PRIVATE_JWK_MEMBERS & k.keys()]
        e.expect(not leaked, f"{what}: registered a jwks holding private key members",
                 "public keys only (RFC 7591 §2 jwks)", ex)
    for uri in _as_list(body.get("redirect_uris")) or []:
        parts = _split(uri)
        e.expect(parts is not None and parts.scheme and not parts.fragment and "#" not in uri,
                 f"{what}: registered redirect URI {uri!r}",
                 "absolute URIs without a fragment (RFC 6749 §3.1.2)", ex)
    chosen = dict(payload.metadata()) if payload.raw is None else {}
    for name in ("client_id", "client_secret", "registration_access_token", "registration_client_uri"):
        if name in chosen and chosen[name] is not None:
            e.expect(body.get(name) != chosen[name], f"{what}: the server adopted the {name} the client chose",
                     f"a {name} issued by the server (RFC 7591 §3.2.1, RFC 7592 §3)", ex)


def _split(uri: Any):
    if not isinstance(uri, str):
        return None
    try:
        return urlsplit(uri)
    except ValueError:
        return None


def judge_read_back(created: dict, read: Exchange, what: str) -> dict:
    """An RFC 7592 read returns the metadata the 201 said was registered."""
    body = e.success(read, 200, f"{what}: RFC 7592 read of the new client")
    omitted = sorted(name for name in RFC7591_MEMBERS if name in body and name not in created)
    e.expect(not omitted, f"{what}: the 201 omitted registered metadata {omitted} that a read returns",
             "all registered metadata in the 201 (RFC 7591 §3.2.1)", read)
    for name, value in created.items():
        if name in VOLATILE:
            continue
        e.expect(name in body and body[name] == value,
                 f"{what}: the 201 said {name} = {s._short(value)} but a read returns "
                 f"{s._short(body.get(name, '<missing>'))}",
                 "the 201 returns the registered metadata (RFC 7591 §3.2.1: all of it, as registered)", read)
    return body


def judge_works(use: Exchange, template: Any, *, dpop: bool, what: str) -> None:
    """The new client gets a token (RFC 6749 §5.1) within the template's scope (§3.3)."""
    body = e.success(use, 200, what)
    e.expect(isinstance(body.get("access_token"), str) and body["access_token"],
             f"{what}: no access_token", "an access token (RFC 6749 §5.1)", use)
    token_type = str(body.get("token_type", "")).lower()
    e.expect(token_type == ("dpop" if dpop else "bearer"), f"{what}: token_type {body.get('token_type')!r}",
             "DPoP" if dpop else "Bearer", use)
    if template.scope is not None and "scope" in body:
        extra = scopes(body["scope"]) - scopes(template.scope)
        e.expect(not extra, f"{what}: the new client was granted {sorted(extra)}",
                 f"no scope outside the template's {template.scope!r}", use)


# ------------------------------------------------------------------------------ assertions

ACCEPT, EITHER, REJECT = "accept", "either", "reject"
_RANK = {ACCEPT: 0, EITHER: 1, REJECT: 2}
#: RFC 7519 §4.1.4: "some small leeway, usually no more than a few minutes": an exp further in
#: the past than this MUST be rejected; closer, the server's clock skew decides.
SKEW_LIMIT_S = 600
#: RFC 7523 §3 item 4: an exp "unreasonably far in the future" MAY be rejected: up to this
#: lifetime an assertion must be accepted.
SHORT_LIFETIME_S = 300
#: An nbf further ahead than this MUST be rejected (RFC 7519 §4.1.5 with the same leeway).
NBF_LIMIT_S = SKEW_LIMIT_S


@dataclass(frozen=True)
class AssertionVerdict:
    outcome: str
    reasons: tuple[str, ...]

    def describe(self) -> str:
        word = {ACCEPT: "MUST be accepted", EITHER: "may be accepted or rejected", REJECT: "MUST be rejected"}
        return f"{word[self.outcome]} ({'; '.join(self.reasons) or 'a valid assertion'})"


def _time_verdict(p: s.Perturbation) -> tuple[str, str]:
    name, variant = p.target, p.variant
    if variant == "omit":
        if name == "exp":
            return REJECT, "no exp (RFC 7523 §3 item 4: MUST contain exp)"
        return ACCEPT, f"no {name} (optional, RFC 7523 §3 items 5-6)"
    if variant == "value":
        if p.value is None and name != "exp":
            return EITHER, f"{name} is null (a server may read it as absent)"
        return REJECT, f"{name} is not a NumericDate (RFC 7519 §4.1; RFC 7523 §3 item 11)"
    if variant == "absolute":  # 0 and -1 are far in the past, 1e300 far in the future
        offset = -1e12 if p.value <= 1e9 else 1e12
    else:
        offset = p.value
    if name == "exp":
        if offset <= -SKEW_LIMIT_S:
            return REJECT, f"exp {offset:+.0f} s: expired beyond any clock skew (RFC 7523 §3 item 4)"
        if offset < 10:
            return EITHER, f"exp {offset:+.0f} s: within the clock skew a server may allow"
        if offset <= SHORT_LIFETIME_S:
            return ACCEPT, f"exp {offset:+.0f} s"
        return EITHER, f"exp {offset:+.0f} s: a server MAY reject an exp far in the future (RFC 7523 §3 item 4)"
    if name == "nbf":
        if offset <= 0:
            return ACCEPT, f"nbf {offset:+.0f} s (in the past)"
        if offset >= NBF_LIMIT_S:
            return REJECT, f"nbf {offset:+.0f} s: not yet valid (RFC 7519 §4.1.5)"
        return EITHER, f"nbf {offset:+.0f} s: within the clock skew a server may allow"
    if -60 <= offset <= 0:
        return ACCEPT, f"iat {offset:+.0f} s"
    return EITHER, f"iat {offset:+.0f} s: a server MAY reject an iat far from now (RFC 7523 §3 item 6)"


_FIXED: dict[tuple[str, str], tuple[str, str]] = {
    ("aud", "token_endpoint"): (ACCEPT, "aud is the token endpoint URL (RFC 7523 §3 item 3)"),
    ("aud", "issuer"): (EITHER, "aud is the issuer identifier"),
    ("aud", "list_token_endpoint"): (EITHER, "aud is an array holding the token endpoint"),
    ("aud", "list_with_other"): (EITHER, "aud is an array holding the token endpoint and another audience"),
    ("aud", "other_url"): (REJECT, "aud names another server (RFC 7523 §3 item 3)"),
    ("aud", "trailing_slash"): (REJECT, "aud differs from the token endpoint by a slash (simple string comparison)"),
    ("aud", "uppercase"): (REJECT, "aud differs in case (simple string comparison, RFC 7523 §3 item 3)"),
    ("aud", "empty"): (REJECT, "aud is empty"),
    ("aud", "omit"): (REJECT, "no aud (RFC 7523 §3 item 3: MUST contain aud)"),
    ("aud", "number"): (REJECT, "aud is a number"),
    ("aud", "empty_list"): (REJECT, "aud is an empty array"),
    ("aud", "list_other"): (REJECT, "aud is an array without this server"),
    ("jti", "omit"): (EITHER, "no jti (RFC 7523: MAY; OIDC Core §9: REQUIRED)"),
    ("jti", "long"): (EITHER, "a 300-character jti"),
    ("jti", "number"): (REJECT, "jti is not a string (RFC 7519 §4.1.7)"),
    ("jti", "empty"): (EITHER, "an empty jti"),
    ("alg", "none"): (REJECT, "an unsecured JWT, alg none (RFC 7523 §3 item 9)"),
    ("alg", "header_mismatch"): (REJECT, "the header names another alg than the one that signed"),
    ("alg", "unsupported"): (REJECT, "an alg that does not exist"),
    ("alg", "lowercase"): (REJECT, "alg in lower case (alg values are case-sensitive, RFC 7515 §4.1.1)"),
    ("alg", "hmac_with_public_key"): (REJECT, "HS256 keyed with the client's public key (algorithm confusion)"),
    ("alg", "same_family"): (EITHER, "another algorithm valid for the same key"),
    ("crit", "unknown_extension"): (REJECT, "crit lists an extension no server knows (RFC 7515 §4.1.11: invalid)"),
    ("crit", "not_a_list"): (REJECT, "crit is not an array (RFC 7515 §4.1.11: invalid)"),
    ("crit", "empty_list"): (EITHER, "crit is an empty array (RFC 7515 §4.1.11: producers MUST NOT)"),
    ("crit", "registered_name"): (EITHER, "crit lists alg (RFC 7515 §4.1.11: recipients MAY refuse)"),
    ("kid", "omit"): (EITHER, "no kid"),
    ("kid", "unknown"): (EITHER, "a kid the server does not know"),
    ("typ", "omit"): (ACCEPT, "no typ (optional, RFC 7519 §5.1)"),
    ("typ", "JWT"): (ACCEPT, "typ JWT"),
    ("typ", "jwt"): (EITHER, "typ jwt in lower case"),
    ("typ", "dpop+jwt"): (EITHER, "typ of another JWT kind (explicit typing, RFC 8725 §3.11)"),
    ("typ", "at+jwt"): (EITHER, "typ of another JWT kind (explicit typing, RFC 8725 §3.11)"),
    ("typ", "x-fuzz"): (EITHER, "an unknown typ"),
    ("signature", "broken"): (REJECT, "a broken signature (RFC 7523 §3 item 10)"),
    ("signature", "unknown_key"): (REJECT, "signed by a key the server does not know (RFC 7523 §3 item 10)"),
    ("signature", "truncated"): (REJECT, "a truncated signature"),
    ("signature", "empty"): (REJECT, "no signature (RFC 7523 §3 item 9)"),
    ("client_id", "omit"): (ACCEPT, "no client_id parameter (optional, RFC 7521 §4.2)"),
    ("client_id", "other_client"): (REJECT, "client_id names another client than the assertion (RFC 7521 §4.2)"),
    ("assertion_type", "omit"): (REJECT, "no client_assertion_type (RFC 7521 §4.2)"),
    ("assertion_type", "saml2"): (REJECT, "a SAML client_assertion_type with a JWT"),
    ("assertion_type", "garbage"): (REJECT, "an unknown client_assertion_type"),
    ("form", "two_assertions"): (REJECT, "two client_assertion parameters (RFC 7523 §2.2: exactly one)"),
    ("form", "basic_too"): (REJECT, "HTTP Basic as well as an assertion (RFC 6749 §2.3.1: one method)"),
    ("shape", "garbage"): (REJECT, "the assertion is not a JWT"),
    ("shape", "two_parts"): (REJECT, "the assertion has two parts"),
    ("shape", "five_parts"): (REJECT, "the assertion has five parts (not a JWS)"),
}


def assertion_verdict(perturbations: Iterable[s.Perturbation]) -> AssertionVerdict:
    """What RFC 7523 §3 makes of one assertion: the strongest verdict of its perturbations."""
    outcome, reasons = ACCEPT, []
    for p in perturbations:
        if p.target in ("exp", "iat", "nbf"):
            verdict, reason = _time_verdict(p)
        elif p.target in ("iss", "sub", "iss_sub"):
            verdict = REJECT
            reason = {"other_client": "names another client", "unknown": "names an unknown client",
                      "omit": "is missing", "number": "is not a string"}[p.variant]
            names = "iss and sub" if p.target == "iss_sub" else p.target
            reason = f"{names} {reason} (RFC 7523 §3 items 1-2; OIDC Core §9: iss = sub = client_id)"
        elif p.target == "header":
            verdict, reason = ACCEPT, f"an unknown header parameter {p.variant} (RFC 7515 §4: ignored)"
        elif p.target == "claim":
            verdict, reason = ACCEPT, f"an unknown claim {p.variant} (RFC 7519 §4: ignored)"
        elif p.target == "replay":
            continue  # judged on the second send
        else:
            verdict, reason = _FIXED[(p.target, p.variant)]
        reasons.append(reason)
        if _RANK[verdict] > _RANK[outcome]:
            outcome = verdict
    return AssertionVerdict(outcome, tuple(reasons))


def replay_verdict(first_accepted: bool, replay_rejected: bool) -> AssertionVerdict:
    """The second send of the same assertion (RFC 7523 §3 item 7 MAY; OIDC Core §9 single use)."""
    if first_accepted and replay_rejected:
        return AssertionVerdict(REJECT, ("the same jti again, and the profile claims replays are rejected",))
    return AssertionVerdict(EITHER, ("the same assertion again",))


def judge_assertion(verdict: AssertionVerdict, ex: Exchange, what: str) -> bool:
    """Judge a token answer against the model; True when the assertion was accepted."""
    never_5xx(ex, what)
    body = e.json_object(ex, what)
    accepted = ex.status == 200 and isinstance(body.get("access_token"), str)
    if accepted:
        e.expect(verdict.outcome != REJECT, f"{what}: the server accepted the assertion (HTTP 200)",
                 f"a refusal, 400/401 invalid_client: the assertion {verdict.describe()}", ex)
        return True
    e.expect(verdict.outcome != ACCEPT, f"{what}: the server refused the assertion (HTTP {ex.status})",
             f"200: the assertion {verdict.describe()}", ex)
    e.expect(ex.status in (400, 401), f"{what}: refused with HTTP {ex.status}",
             "400 or 401 (RFC 6749 §5.2)", ex)
    e.expect(body.get("error") in ("invalid_client", "invalid_request"),
             f"{what}: error {body.get('error')!r}", "invalid_client (RFC 7523 §3.2), or invalid_request", ex)
    return False
