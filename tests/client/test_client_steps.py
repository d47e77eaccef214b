"""Request builders per step: token, registration, use (DPoP, nonce retry), management, revocation."""

from __future__ import annotations

import base64
import hashlib

import jwt
import pytest
import respx

from conformance.client import management
from conformance.client.fields import OMIT
from conformance.client.http import RequestSpec, Transport
from conformance.client.jose import DpopKey, decode_unverified
from conformance.client.registration import DynamicClient, auth_method_of, registration_request
from conformance.client.revocation import introspection_request, revocation_request
from conformance.client.token import access_token_of, initial_token_request
from conformance.client.use import dynamic_token_request, nonce_challenge, resource_request, send_with_nonce_retry

REG = "https://as.example/token-service/oauth-registration"
TOKEN = "https://as.example/oauth/v2/oauth-token"


@pytest.fixture(scope="module")
def dpop():
    return DpopKey.generate()


def dyn_client(**kw):
    base = dict(
        client_id="dyn-1",
        client_secret="dyn-secret-1",
        registration_access_token="rat-1",
        registration_client_uri=f"{REG}/dyn-1",
        metadata={
            "client_id": "dyn-1",
            "client_secret": "dyn-secret-1",
            "client_secret_expires_at": 0,
            "client_id_issued_at": 1700000000,
            "registration_access_token": "rat-1",
            "registration_client_uri": f"{REG}/dyn-1",
            "registration_access_token_expires_in": 31536000,
            "software_id": "haapi-template",
            "scope": "urn:se:curity:scopes:haapi",
            "grant_types": ["client_credentials"],
        },
    )
    base.update(kw)
    return DynamicClient(**base)


# -- step 1 -----------------------------------------------------------------------------------


def test_initial_token_request(profile):
    spec = initial_token_request(profile, profile.main_clients["secret"])
    assert spec.method == "POST" and spec.url == TOKEN
    assert spec.form_items() == [("grant_type", "client_credentials"), ("scope", "dcr")]
    assert spec.header("Accept") == "application/json" and spec.header("Authorization").startswith("Basic ")
    assert ("Content-Type", "application/x-www-form-urlencoded") in spec.header_items()


def test_initial_token_request_mtls_uses_alias_and_jwt_audience(profile):
    spec = initial_token_request(profile, profile.main_clients["mtls"], scope="openid")
    assert spec.url == profile.server.mtls_token_endpoint and spec.identity is not None
    assert spec.form_value("scope") == "openid" and spec.form_value("client_id") == "main-mtls"
    jwt_spec = initial_token_request(profile, profile.main_clients["jwt"], scope=None)
    assert jwt_spec.form_value("scope") is None
    assert decode_unverified(jwt_spec.form_value("client_assertion"))[1]["aud"] == TOKEN


def test_access_token_of():
    class Ex:
        def __init__(self, body):
            self.body = body

        def json(self):
            return self.body

    assert access_token_of(Ex({"access_token": "at"})) == "at"
    assert access_token_of(Ex({"access_token": ""})) is None
    assert access_token_of(Ex(["x"])) is None


# -- step 2 -----------------------------------------------------------------------------------


def test_registration_request(profile):
    spec = registration_request(profile, "iat-1")
    assert spec.method == "POST" and spec.url == REG
    assert spec.json == {"software_id": "haapi-template"}
    assert spec.header("Authorization") == "Bearer iat-1" and spec.header("Content-Type") == "application/json"
    mutated = registration_request(profile, None, {"software_id": OMIT, "scope": "openid"})
    assert mutated.json == {"scope": "openid"} and mutated.header("Authorization") is None


def test_dynamic_client_from_body_and_repr():
    body = {
        "client_id": "dyn-9",
        "client_secret": "s-9-secret",
        "registration_access_token": "rat-9",
        "registration_client_uri": f"{REG}/dyn-9",
        "token_endpoint_auth_methods": ["client_secret_post", "client_secret_basic"],
    }
    dyn = DynamicClient.from_body(body, default_auth_method="client_secret_basic", main_label="secret")
    assert dyn.client_id == "dyn-9" and dyn.client_secret == "s-9-secret" and dyn.main_label == "secret"
    assert dyn.auth_method == "client_secret_basic" and dyn.metadata == body
    assert "s-9-secret" not in repr(dyn) and "rat-9" not in repr(dyn) and "<hidden>" in repr(dyn)
    assert DynamicClient.from_body({"error": "invalid_token"}) is None
    assert DynamicClient.from_body({"client_id": ""}) is None


def test_auth_method_of():
    assert auth_method_of({"token_endpoint_auth_method": "client_secret_post"}, "client_secret_basic") == "client_secret_post"
    assert auth_method_of({"token_endpoint_auth_methods": ["private_key_jwt"]}, "client_secret_basic") == "private_key_jwt"
    assert auth_method_of({"token_endpoint_auth_method": "bogus"}, "client_secret_basic") == "client_secret_basic"


# -- step 3 -----------------------------------------------------------------------------------


def test_dynamic_token_request_with_dpop(profile, dpop):
    spec = dynamic_token_request(profile, dyn_client(), dpop_key=dpop, nonce="n-1")
    assert spec.url == TOKEN and spec.form_value("scope") == "urn:se:curity:scopes:haapi"
    user, _, secret = base64.b64decode(spec.header("Authorization").split()[1]).decode().partition(":")
    assert (user, secret) == ("dyn-1", "dyn-secret-1")
    header, claims = decode_unverified(spec.header("DPoP"))
    assert header["typ"] == "dpop+jwt" and claims["htm"] == "POST" and claims["htu"] == TOKEN and claims["nonce"] == "n-1"
    jwt.decode(spec.header("DPoP"), jwt.PyJWK(header["jwk"]).key, algorithms=["ES256"])
    plain = dynamic_token_request(profile, dyn_client(), scope="x", secret_override="wrong")
    assert plain.header("DPoP") is None and plain.form_value("scope") == "x"


def test_resource_request_dpop_and_bearer(dpop):
    spec = resource_request("https://api.example/r?q=1", "at-1", "DPoP", dpop, accept="application/vnd.auth+json")
    assert spec.header("Authorization") == "DPoP at-1" and spec.header("Accept") == "application/vnd.auth+json"
    _, claims = decode_unverified(spec.header("DPoP"))
    assert claims["htm"] == "GET" and claims["htu"] == "https://api.example/r"
    assert claims["ath"] == base64.urlsafe_b64encode(hashlib.sha256(b"at-1").digest()).rstrip(b"=").decode()
    bearer = resource_request("https://api.example/r", "at-2", "Bearer", dpop)
    assert bearer.header("Authorization") == "Bearer at-2" and bearer.header("DPoP") is None


@respx.mock
def test_nonce_retry_token_endpoint(profile, dpop):
    route = respx.post(TOKEN)
    route.side_effect = [
        respx.MockResponse(400, json={"error": "use_dpop_nonce"}, headers={"DPoP-Nonce": "server-nonce-1"}),
        respx.MockResponse(200, json={"access_token": "at", "token_type": "DPoP"}),
    ]
    with Transport() as t:
        final = send_with_nonce_retry(t, lambda n: dynamic_token_request(profile, dyn_client(), dpop_key=dpop, nonce=n))
    assert final.status == 200 and final.retry_of.status == 400
    first, second = (decode_unverified(c.request.headers["DPoP"])[1] for c in route.calls)
    assert "nonce" not in first and second["nonce"] == "server-nonce-1" and first["jti"] != second["jti"]
    assert "(retry after:)" in final.describe()


@respx.mock
def test_nonce_retry_resource_www_authenticate_and_only_once(dpop):
    url = "https://api.example/r"
    challenge = {"WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": "rs-nonce"}
    route = respx.get(url).respond(401, headers=challenge)
    with Transport() as t:
        final = send_with_nonce_retry(t, lambda n: resource_request(url, "at", "DPoP", dpop, nonce=n))
    assert route.call_count == 2 and final.status == 401 and final.retry_of is not None


@respx.mock
def test_no_retry_without_challenge():
    route = respx.post(TOKEN).respond(400, json={"error": "use_dpop_nonce"})  # no DPoP-Nonce header
    with Transport() as t:
        final = send_with_nonce_retry(t, lambda n: RequestSpec("POST", TOKEN))
        assert route.call_count == 1 and final.retry_of is None and nonce_challenge(final) is None
        respx.post(TOKEN).respond(400, json={"error": "invalid_dpop_proof"}, headers={"DPoP-Nonce": "n"})
        assert nonce_challenge(t.send(RequestSpec("POST", TOKEN))) is None


# -- management -------------------------------------------------------------------------------


def test_read_and_delete_requests():
    dyn = dyn_client()
    read = management.read_request(dyn)
    assert (read.method, read.url, read.header("Authorization")) == ("GET", f"{REG}/dyn-1", "Bearer rat-1")
    delete = management.delete_request(dyn)
    assert delete.method == "DELETE" and delete.header("Authorization") == "Bearer rat-1"


def test_update_request_full_metadata_minus_forbidden():
    spec = management.update_request(dyn_client(), {"scope": "narrower", "grant_types": OMIT})
    assert spec.method == "PUT" and spec.header("Content-Type") == "application/json"
    body = spec.json
    assert body["client_id"] == "dyn-1" and body["client_secret"] == "dyn-secret-1"
    assert body["scope"] == "narrower" and "grant_types" not in body and body["software_id"] == "haapi-template"
    for forbidden in management.FORBIDDEN_IN_UPDATE:
        assert forbidden not in body
    assert "client_secret" not in management.update_body(dyn_client(), include_secret=False)
    assert management.update_body(dyn_client(), {"client_id": "other"})["client_id"] == "other"


@respx.mock
def test_adopt_rotation():
    dyn = dyn_client()
    rotated = {**dyn.metadata, "client_secret": "dyn-secret-2", "registration_access_token": "rat-2"}
    respx.get(f"{REG}/dyn-1").respond(200, json=rotated)
    with Transport() as t:
        ex = t.send(management.read_request(dyn))
    rotation = management.adopt_rotation(dyn, ex)
    assert rotation and rotation.secret_rotated and rotation.token_rotated
    assert rotation.old_client_secret == "dyn-secret-1" and rotation.old_registration_access_token == "rat-1"
    assert dyn.client_secret == "dyn-secret-2" and dyn.registration_access_token == "rat-2"
    assert dyn.metadata["client_secret"] == "dyn-secret-2"
    assert "dyn-secret" not in repr(rotation)
    assert management.read_request(dyn).header("Authorization") == "Bearer rat-2"


@respx.mock
def test_adopt_rotation_ignores_errors_and_unchanged():
    dyn = dyn_client()
    respx.get(f"{REG}/dyn-1").respond(401, json={"client_id": "dyn-1", "client_secret": "evil"})
    with Transport() as t:
        assert not management.adopt_rotation(dyn, t.send(management.read_request(dyn)))
        respx.get(f"{REG}/dyn-1").respond(200, json=dyn.metadata)
        assert not management.adopt_rotation(dyn, t.send(management.read_request(dyn)))
    assert dyn.client_secret == "dyn-secret-1"


# -- revocation / introspection ---------------------------------------------------------------


def test_revocation_and_introspection_requests(profile):
    rev = revocation_request(profile, dyn_client(), "rt-1", "refresh_token")
    assert rev.url == profile.server.revocation_endpoint
    assert rev.form_items()[:2] == [("token", "rt-1"), ("token_type_hint", "refresh_token")]
    assert rev.header("Authorization").startswith("Basic ")
    intro = introspection_request(profile, profile.introspector, "at-1")
    assert intro.url == profile.server.introspection_endpoint and intro.form_value("token") == "at-1"
    unauth = introspection_request(profile, None, "at-1")
    assert unauth.header("Authorization") is None and unauth.form_items() == [("token", "at-1")]
    jwt_rev = revocation_request(profile, profile.main_clients["jwt"], "t")
    assert decode_unverified(jwt_rev.form_value("client_assertion"))[1]["aud"] == TOKEN
