"""Build the token request of a perturbed client assertion (RFC 7521 §4.2, RFC 7523 §2.2, §3).

:func:`token_request` turns an :class:`~conformance.fuzz.strategies.AssertionCase` into the
main client's ``client_credentials`` request for the ``dcr`` scope: a valid assertion
(``iss`` = ``sub`` = client_id, ``aud`` = token endpoint, random ``jti``, ``iat`` = now,
``exp`` = now + 60, the client's ``alg`` and ``kid``, ``typ: JWT``) with each perturbation
applied. It builds; it never judges (that is
:func:`conformance.oracles.client_assertion.assertion_verdict`).
"""

from __future__ import annotations

import functools
import secrets
import time
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conformance.client import jose
from conformance.client.auth import basic_credentials, signing_key
from conformance.client.fields import OMIT
from conformance.client.http import RequestSpec
from conformance.client.token import client_credentials
from conformance.fuzz.strategies import AssertionCase
from conformance.oracles.client_assertion import Perturbation
from conformance.vocabulary import DCR_SCOPE

OTHER_AUDIENCE = "https://other.example/oauth/token"
SAML2_TYPE = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"


@functools.cache
def _unknown_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _unknown_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _unknown_key_like(key: Any) -> Any:
    if isinstance(key, rsa.RSAPrivateKey):
        return _unknown_rsa_key()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return _unknown_ec_key()
    return "dcr-fuzz-wrong-secret-" + secrets.token_urlsafe(8)


def client_key(client: Any) -> tuple[Any, str]:
    """The key (or shared secret) and algorithm of a JWT main client."""
    if client.auth_method == "client_secret_jwt":
        if not client.client_secret:
            raise ValueError(f"main client {client.label!r} has no client_secret for client_secret_jwt")
        return client.client_secret, client.alg or "HS256"
    key = signing_key(client)
    return key, client.alg or jose.key_algs(key)[0]


def token_request(profile: Any, case: AssertionCase, *, now: float | None = None) -> RequestSpec:
    """The token request for ``case`` (built at ``now``, default: the current time)."""
    client = profile.main_clients[case.label]
    url = profile.token_endpoint_for(client)
    issued = int(time.time() if now is None else now)
    key, alg = client_key(client)
    others = sorted(c.client_id for c in profile.main_clients.values() if c.client_id != client.client_id)
    other_id = others[0] if others else "dcr-fuzz-other-client"

    claims: dict[str, Any] = {}
    header: dict[str, Any] = {}
    sign_alg, sign_key, signature = alg, None, "valid"
    form_client_id: str | None = client.client_id
    assertion_type: str | None = jose.ASSERTION_TYPE
    shape = form_extra = None
    unknown_key = False

    for p in case.perturbations:
        t, v = p.target, p.variant
        if t in ("exp", "iat", "nbf"):
            claims[t] = _time_value(p, issued)
        elif t == "aud":
            claims["aud"] = _audience(v, url, profile.server.issuer or url)
        elif t in ("iss", "sub", "iss_sub"):
            value = {"other_client": other_id, "unknown": "dcr-fuzz-unknown-client", "omit": OMIT,
                     "number": 12345}[v]
            for name in (("iss", "sub") if t == "iss_sub" else (t,)):
                claims[name] = value
        elif t == "jti":
            claims["jti"] = {"omit": OMIT, "long": "j" * 300, "number": 12345, "empty": ""}[v]
        elif t == "alg":
            if v == "none":
                sign_alg = "none"
            elif v == "header_mismatch":
                header["alg"] = "RS256" if alg != "RS256" else "ES256"
            elif v == "unsupported":
                header["alg"] = "XS999"
            elif v == "lowercase":
                header["alg"] = alg.lower()
            elif v == "hmac_with_public_key":  # the classic RS/ES -> HS confusion
                sign_alg = "HS256"
                sign_key = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
            elif v == "same_family":
                sign_alg = {"RS256": "PS256", "PS256": "RS256", "HS256": "HS512"}[alg]
        elif t == "kid":
            header["kid"] = OMIT if v == "omit" else "dcr-fuzz-unknown-kid"
        elif t == "typ":
            header["typ"] = OMIT if v == "omit" else v
        elif t == "signature":
            if v == "broken":
                signature = "broken"
            elif v == "unknown_key":
                unknown_key = True
            else:
                shape = shape or f"signature_{v}"
        elif t == "header":
            header[v] = p.value
        elif t == "crit":
            header["crit"] = {"unknown_extension": ["urn:x-fuzz:unknown"], "not_a_list": "urn:x-fuzz:unknown",
                              "empty_list": [], "registered_name": ["alg"]}[v]
            if v == "unknown_extension":
                header["urn:x-fuzz:unknown"] = True
        elif t == "claim":
            claims[v] = p.value
        elif t == "client_id":
            form_client_id = None if v == "omit" else other_id
        elif t == "assertion_type":
            assertion_type = {"omit": None, "saml2": SAML2_TYPE, "garbage": "garbage"}[v]
        elif t == "form":
            form_extra = v
        elif t == "shape":
            shape = v
        # "replay" changes nothing here: the caller sends the request twice

    if unknown_key:  # a key (or secret) the server does not know, of the kind sign_alg needs
        sign_key = _unknown_key_like(None if sign_alg.startswith("HS") else key)

    def make(extra_claims: dict[str, Any] | None = None) -> str:
        kwargs = {**claims, **(extra_claims or {})}
        return jose.client_assertion(client.client_id, key, sign_alg, url, kid=client.kid, now=issued,
                                     header=header, sign_with=sign_key, signature=signature, **kwargs)

    assertion = make()
    if shape == "signature_truncated":
        assertion = assertion[:-10] if len(assertion.rsplit(".", 1)[1]) > 10 else assertion + "x"
    elif shape == "signature_empty":
        assertion = assertion.rsplit(".", 1)[0] + "."
    elif shape == "garbage":
        assertion = "not-a-jwt-" + secrets.token_urlsafe(6)
    elif shape == "two_parts":
        assertion = assertion.rsplit(".", 1)[0]
    elif shape == "five_parts":
        assertion = assertion + ".e30.e30"

    fields: list[tuple[str, str]] = []
    if form_client_id is not None:
        fields.append(("client_id", form_client_id))
    if assertion_type is not None:
        fields.append(("client_assertion_type", assertion_type))
    fields.append(("client_assertion", assertion))
    spec = client_credentials(url, DCR_SCOPE)
    spec = spec.replace(form=spec.form_items() + fields)
    if form_extra == "two_assertions":
        spec = spec.add_form("client_assertion", make({"jti": secrets.token_urlsafe(16)}))
    elif form_extra == "basic_too":
        spec = spec.with_header("Authorization", basic_credentials(
            client.client_id, client.client_secret or "dcr-fuzz-" + secrets.token_urlsafe(8)))
    return spec


def _time_value(p: Perturbation, issued: int) -> Any:
    if p.variant == "omit":
        return OMIT
    if p.variant == "offset":
        return issued + p.value
    return p.value  # "value" (not a number) and "absolute"


def _audience(variant: str, url: str, issuer: str) -> Any:
    return {
        "token_endpoint": url, "issuer": issuer, "list_token_endpoint": [url],
        "list_with_other": [url, OTHER_AUDIENCE], "other_url": OTHER_AUDIENCE, "trailing_slash": url + "/",
        "uppercase": url.replace("https://", "HTTPS://", 1), "empty": "", "omit": OMIT, "number": 42,
        "empty_list": [], "list_other": [OTHER_AUDIENCE],
    }[variant]
