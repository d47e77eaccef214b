"""An acceptance model of JWT client assertions (RFC 7523 §3, RFC 7521 §4.2, RFC 7519 §4.1,
RFC 7515 §4.1), written from the RFCs (not from our server).

A :class:`Perturbation` describes one change to a valid assertion or its token request (built by
:mod:`conformance.fuzz.assertion_requests`). Each makes the assertion one the server MUST reject,
MAY accept or reject (a MAY of the RFC, or a policy choice such as clock skew), or MUST accept
(the RFCs say to ignore it): :func:`assertion_verdict` takes the strongest; :func:`judge_assertion`
holds the token endpoint's answer (RFC 6749 §5.1 / §5.2) against it (DCR-FUZZ-002).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from conformance.client.http import Exchange
from conformance.oracles.expect import expect, json_object
from conformance.oracles.failures import short
from conformance.oracles.registration import never_5xx


@dataclass(frozen=True)
class Perturbation:
    """One change to a valid client assertion or its request (judged by :func:`assertion_verdict`)."""

    target: str          # exp iat nbf aud iss sub jti alg kid typ signature header crit claim client_id
    variant: str         #   assertion_type form shape replay
    value: Any = None    # an offset in seconds, or a literal value

    def __repr__(self) -> str:
        return f"<{self.target} {self.variant}{'' if self.value is None else ' ' + short(self.value, 40)}>"


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


def _time_verdict(p: Perturbation) -> tuple[str, str]:
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


def assertion_verdict(perturbations: Iterable[Perturbation]) -> AssertionVerdict:
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


def replay_verdict(first_accepted: bool, replay_rejected: bool, *, has_jti: bool = True,
                   oidc_client_authentication: bool = False) -> AssertionVerdict:
    """The second send of the same assertion (RFC 7523 §3 item 7 MAY; OIDC Core §9 single use).

    RFC 7523 §3: 'The JWT MAY contain a "jti" (JWT ID) claim ... The authorization server MAY ensure
    that JWTs are not replayed by maintaining the set of used "jti" values': without a jti there is
    nothing to recognise, so a jti-less assertion sent twice is a replay only when the profile claims
    OpenID Connect client authentication (OIDC Core §9: jti REQUIRED, used once)."""
    if first_accepted and replay_rejected and (has_jti or oidc_client_authentication):
        return AssertionVerdict(REJECT, ("the same jti again, and the profile claims replays are rejected",))
    if first_accepted and replay_rejected:
        return AssertionVerdict(EITHER, ("the same assertion again, without a jti (RFC 7523 §3: MAY)",))
    return AssertionVerdict(EITHER, ("the same assertion again",))


def judge_assertion(verdict: AssertionVerdict, ex: Exchange, what: str) -> bool:
    """Judge a token answer against the model; True when the assertion was accepted."""
    never_5xx(ex, what)
    body = json_object(ex, what)
    accepted = ex.status == 200 and isinstance(body.get("access_token"), str)
    if accepted:
        expect(verdict.outcome != REJECT, f"{what}: the server accepted the assertion (HTTP 200)",
               f"a refusal, 400/401 invalid_client: the assertion {verdict.describe()}", ex)
        return True
    expect(verdict.outcome != ACCEPT, f"{what}: the server refused the assertion (HTTP {ex.status})",
           f"200: the assertion {verdict.describe()}", ex)
    expect(ex.status in (400, 401), f"{what}: refused with HTTP {ex.status}",
           "400 or 401 (RFC 6749 §5.2)", ex)
    expect(body.get("error") in ("invalid_client", "invalid_request"),
           f"{what}: error {body.get('error')!r}", "invalid_client (RFC 7523 §3.2), or invalid_request", ex)
    return False
