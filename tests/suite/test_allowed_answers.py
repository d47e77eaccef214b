"""The oracles accept the answers the RFCs allow (issue 12's findings) and no broken answer is a
refusal or a grant (on made-up exchanges)."""

from __future__ import annotations

import httpx
import pytest

from conformance.client.http import CapturedRequest, Exchange
from conformance.fuzz.strategies import PUBLIC_JWK, private_key_for
from conformance.oracles.client_assertion import EITHER, REJECT, replay_verdict
from conformance.oracles.expect import TOKEN_ERRORS, refused, token_refused
from conformance.oracles.failures import CheckFailure, PrerequisiteFailure, prerequisite
from conformance.oracles.registration import REQUEST, device_key_binding, expectation, redirect_capable
from conformance.oracles.registration_faults import ODD, TYPE, Mutation, Payload
from conformance.oracles.token_response import granted


def _exchange(status: int, *, body: object = None, content: bytes | None = None,
              headers: dict | None = None) -> Exchange:
    request = CapturedRequest("POST", "https://as.example/token", (), "grant_type=client_credentials")
    response = (httpx.Response(status, content=content, headers=headers or {}) if content is not None
                else httpx.Response(status, json=body, headers=headers or {}))
    return Exchange(request, response, None, 0.001)


HTML = b"<!DOCTYPE html><html><body><h1>Internal Server Error</h1></body></html>"


@pytest.mark.parametrize("answer", [
    _exchange(500, content=HTML, headers={"content-type": "text/html"}),
    _exchange(400, content=HTML, headers={"content-type": "text/html"}),
    _exchange(400, body={"error": None}),
    _exchange(400, body={"message": "bad"}),
], ids=["html-500", "html-400", "null-error", "no-error"])
def test_a_broken_answer_is_not_a_refusal(answer):
    with pytest.raises(CheckFailure):
        refused(answer, "probe", statuses={400, 401, 403})
    with pytest.raises(CheckFailure):
        token_refused(answer, "probe")


def test_a_refusal_names_its_error_in_the_body_or_the_challenge():
    refused(_exchange(400, body={"error": "invalid_request"}), "probe", statuses={400})
    refused(_exchange(400, content=b"", headers={"www-authenticate": 'Bearer error="invalid_request"'}), "probe",
            statuses={400})
    for code in TOKEN_ERRORS:
        token_refused(_exchange(400, body={"error": code}), "probe")


@pytest.mark.parametrize("body", [{"access_token": None}, {"access_token": 12345}, {"access_token": ""}, {}])
def test_a_200_without_an_access_token_string_is_no_grant(body):
    with pytest.raises(CheckFailure):
        granted(_exchange(200, body=body), "probe")
    with pytest.raises(CheckFailure):
        granted(_exchange(200, content=HTML, headers={"content-type": "text/html"}), "probe")
    assert granted(_exchange(200, body={"access_token": "t", "token_type": "Bearer"}), "probe")["access_token"] == "t"


def test_a_prerequisite_fails_as_an_error():
    with pytest.raises(PrerequisiteFailure, match="prerequisite: x"):
        with prerequisite():
            raise CheckFailure("x")


def test_inert_redirect_uris_have_no_redirect_based_flow():
    """RFC 7591 §2: redirect URIs are for redirect-based flows; defaults authorization_code / code."""
    assert not redirect_capable({"grant_types": ["client_credentials"], "response_types": []})
    assert redirect_capable({"grant_types": ["client_credentials"]})  # response_types defaults to code
    assert redirect_capable({"response_types": []})  # grant_types defaults to authorization_code
    assert redirect_capable({"grant_types": ["implicit"], "response_types": []})


def test_a_device_key_binding_is_exactly_the_keys_sent():
    jwks = {"keys": [PUBLIC_JWK]}
    payload = Payload((Mutation("keys", "jwks", (("jwks", jwks),), ODD, "a public jwks"),))
    bound = {"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks}
    assert device_key_binding(bound, payload) == jwks and private_key_for(jwks) is not None
    assert device_key_binding({**bound, "jwks": {"keys": [PUBLIC_JWK, PUBLIC_JWK]}}, payload) is None
    assert device_key_binding({**bound, "token_endpoint_auth_method": "client_secret_basic"}, payload) is None
    assert device_key_binding(bound, Payload()) is None


def test_a_jti_less_replay_is_a_replay_only_under_oidc_client_authentication():
    assert replay_verdict(True, True, has_jti=False).outcome == EITHER
    assert replay_verdict(True, True, has_jti=False, oidc_client_authentication=True).outcome == REJECT
    assert replay_verdict(True, True).outcome == REJECT


def test_invalid_request_fits_a_large_or_wrongly_typed_body():
    large = Payload((Mutation("name", "client_name", (("client_name", "a" * 60_000),), ODD, "huge"),))
    assert REQUEST in expectation(large, 60_100).errors
    typed = Payload((Mutation("name", "client_name", (("client_name", {"en": "x"}),), TYPE, "an object"),))
    assert REQUEST in expectation(typed, 100).errors
    odd = Payload((Mutation("name", "client_name", (("client_name", "é"),), ODD, "unicode"),))
    assert REQUEST not in expectation(odd, 100).errors
