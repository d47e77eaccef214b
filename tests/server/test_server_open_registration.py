"""A server without templates (``ReferenceServer(templates=False)``, ``serve --no-templates``):
plain RFC 7591 registration of the requested metadata, no software_id needed."""

from __future__ import annotations

import pytest

from conformance.profile import load_profile
from srv_kit import HAAPI, TEMPLATE_SCOPE, adopt, new_dpop_key, public_jwk

APP = {"redirect_uris": ["https://app.example/callback"],
       "grant_types": ["authorization_code", "client_credentials", "refresh_token"]}


@pytest.fixture(scope="module")
def open_kit(pki):
    from conformance.server import ReferenceServer
    from srv_kit import Kit
    with ReferenceServer(pki=pki, templates=False) as srv:
        kit = Kit(srv)
        yield kit
        kit.close()


def _error(response) -> str:
    assert response.status_code == 400, response.text
    return response.json()["error"]


def test_registration_without_software_id_registers_what_was_asked(open_kit):
    response = open_kit.register(body={**APP, "client_name": "an app", "contacts": ["ops@app.example"]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert "software_id" not in body and body["client_secret"] and body["registration_access_token"]
    assert body["grant_types"] == APP["grant_types"] and body["response_types"] == ["code"]
    assert body["redirect_uris"] == APP["redirect_uris"] and body["scope"] == TEMPLATE_SCOPE
    assert body["token_endpoint_auth_method"] == "client_secret_basic"  # RFC 7591 §2 default
    assert (body["client_name"], body["contacts"]) == ("an app", ["ops@app.example"])


def test_a_software_id_is_kept_as_metadata(open_kit):
    body = open_kit.register(body={**APP, "software_id": "any-app-id"}).json()
    assert body["software_id"] == "any-app-id"


@pytest.mark.parametrize("body, error", [
    ({}, "invalid_redirect_uri"),  # RFC 7591 §2: grant_types default authorization_code, which redirects
    ({"grant_types": ["authorization_code"]}, "invalid_redirect_uri"),
    ({**APP, "response_types": ["token"]}, "invalid_client_metadata"),  # §2.1: code goes with authorization_code
    ({"grant_types": ["client_credentials"], "response_types": ["code"]}, "invalid_client_metadata"),
    ({"grant_types": ["password"]}, "invalid_client_metadata"),
    ({**APP, "redirect_uris": ["https://app.example/cb#frag"]}, "invalid_redirect_uri"),
    ({**APP, "redirect_uris": ["http://app.example/cb"]}, "invalid_redirect_uri"),
    ({**APP, "token_endpoint_auth_method": "tls_client_auth"}, "invalid_client_metadata"),
    ({**APP, "token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),  # no jwks
    ({**APP, "scope": "admin"}, "invalid_client_metadata"),
])
def test_rfc7591_rules_are_enforced(open_kit, body, error):
    assert _error(open_kit.register(body=body)) == error


def test_client_credentials_alone_needs_no_redirect(open_kit):
    body = open_kit.register(body={"grant_types": ["client_credentials"]}).json()
    assert body["grant_types"] == ["client_credentials"] and body["response_types"] == []


def test_dynamic_client_works_and_is_managed(open_kit):
    dyn = open_kit.new_client(APP)
    assert open_kit.dyn_token(dyn, new_dpop_key(), scope=HAAPI).status_code == 200
    read = open_kit.manage("GET", dyn)
    assert read.status_code == 200, read.text
    dyn = adopt(dyn, read)
    update = {k: v for k, v in dyn.body.items() if k not in ("registration_access_token", "registration_client_uri",
                                                              "client_secret_expires_at", "client_id_issued_at",
                                                              "registration_access_token_expires_in")}
    put = open_kit.manage("PUT", dyn, json={**update, "client_name": "renamed"})
    assert put.status_code == 200 and put.json()["client_name"] == "renamed", put.text
    bad = open_kit.manage("PUT", adopt(dyn, put), json={**update, "grant_types": ["implicit"]})
    assert _error(bad) == "invalid_client_metadata"


def test_private_key_jwt_client_registers_its_jwks(open_kit):
    key = new_dpop_key()
    body = open_kit.register(body={**APP, "token_endpoint_auth_method": "private_key_jwt",
                                   "jwks": {"keys": [public_jwk(key)]}}).json()
    assert body["token_endpoint_auth_method"] == "private_key_jwt" and "client_secret" not in body
    assert body["jwks"]["keys"][0]["x"] == public_jwk(key)["x"]


def test_only_main_clients_get_dcr(open_kit):
    assert open_kit.token("unlisted").status_code == 400


def test_profile_has_a_registration_body_and_no_template(open_kit):
    profile = load_profile(open_kit.srv.profile_path)
    assert profile.template.software_id is None and profile.template.unauthorized_software_id is None
    assert profile.registration.redirect_uris == tuple(
        ["https://app.example/callback", "com.example.app:/callback"])
    assert "client_credentials" in profile.registration.grant_types
    assert profile.code_flow.redirect_uri == "https://app.example/callback"
    assert "[template]" not in open_kit.srv.profile_path.read_text()


def test_serve_no_templates_option():
    import argparse

    from conformance.server.cli import add_serve_arguments, server_options
    parser = add_serve_arguments(argparse.ArgumentParser())
    assert server_options(parser.parse_args([]))["templates"] is True
    assert server_options(parser.parse_args(["--no-templates"]))["templates"] is False
