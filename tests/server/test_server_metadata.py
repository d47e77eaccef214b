"""RFC 8414 metadata."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/.well-known/oauth-authorization-server",
                                  "/.well-known/openid-configuration"])
def test_metadata(kit, path):
    response = kit.http().get(kit.cfg.issuer + path)
    assert response.status_code == 200
    doc = response.json()
    assert doc["issuer"] == kit.srv.base_url
    assert doc["token_endpoint"] == kit.token_url
    assert doc["registration_endpoint"] == kit.cfg.registration_endpoint
    assert doc["revocation_endpoint"] == kit.cfg.revocation_endpoint
    assert doc["introspection_endpoint"] == kit.cfg.introspection_endpoint
    assert set(doc["token_endpoint_auth_methods_supported"]) >= {
        "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt",
        "tls_client_auth", "self_signed_tls_client_auth"}
    algs = doc["token_endpoint_auth_signing_alg_values_supported"]
    assert {"ES256", "RS256", "PS256", "HS256"} <= set(algs) and "none" not in algs
    assert "ES256" in doc["dpop_signing_alg_values_supported"]
    assert not {"none", "HS256"} & set(doc["dpop_signing_alg_values_supported"])
    assert all(v.startswith("https://") for v in doc["mtls_endpoint_aliases"].values())
    assert doc["grant_types_supported"] == ["authorization_code", "client_credentials", "refresh_token"]
    assert doc["authorization_endpoint"] == kit.cfg.authorization_endpoint
    assert "dcr" in doc["scopes_supported"]
    assert doc["response_types_supported"]
    assert doc["tls_client_certificate_bound_access_tokens"] is False


def test_unknown_path_and_method(kit):
    assert kit.http().get(kit.cfg.issuer + "/nope").status_code == 404
    assert kit.http().post(kit.cfg.issuer + "/.well-known/openid-configuration").status_code == 405


def test_profile_file(kit):
    import tomllib
    from pathlib import Path
    path = Path(kit.srv.profile_path)
    profile = tomllib.loads(path.read_text())
    assert profile["server"]["issuer"] == kit.srv.base_url
    assert "client_secret" not in path.read_text().replace("client_secret_", "")
    basic = profile["main_clients"]["basic"]
    secret = (path.parent / basic["client_secret_file"]).read_text()
    assert secret == kit.client("basic").secret
    assert set(profile["main_clients"]) == {"basic", "post", "hs256", "es256", "rs256", "ps256",
                                             "mtls", "selfsigned"}
    assert profile["template"]["unauthorized_software_id"] == "other-template"
    assert profile["claims"]["rotates_credentials_on_read"] is True
    assert profile["use"]["resource_url"] == kit.cfg.resource_url


def test_jwks_uri_serves_a_signing_and_an_encryption_key_each_with_use(kit):
    """RFC 8414 §2 jwks_uri: with both kinds of keys, use is REQUIRED on every key; public keys only."""
    uri = kit.http().get(kit.cfg.issuer + "/.well-known/oauth-authorization-server").json()["jwks_uri"]
    assert uri.startswith(kit.srv.base_url + "/")
    keys = kit.http().get(uri).json()["keys"]
    assert sorted(key["use"] for key in keys) == ["enc", "sig"]
    assert all(key["kty"] == "EC" and "d" not in key and key["kid"] for key in keys)
    assert kit.http().post(uri).status_code == 405
