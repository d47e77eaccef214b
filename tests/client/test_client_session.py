"""DcrSession happy path against a respx-mocked server, discovery, and redaction of the whole log."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest
import respx

from conformance.client.discovery import DiscoveryError, discover, metadata_answer, metadata_urls
from conformance.client.http import MISSING, Transport
from conformance.client.jose import decode_unverified
from conformance.client.registration import registration_request
from conformance.client.session import DcrSession

TOKEN = "https://as.example/oauth/v2/oauth-token"
REG = "https://as.example/token-service/oauth-registration"
SECRETS = ["iat-secret-1", "dyn-secret-1", "rat-secret-1", "dyn-secret-2", "rat-secret-2", "at-secret-1"]


def mock_server(router: respx.Router):
    """A tiny conformant server: token, registration, RFC 7592 with rotation on read, nonce."""
    state = {"nonce_sent": False}

    def token(request: httpx.Request):
        form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
        if form.get("scope") == "dcr":
            return httpx.Response(200, json={"access_token": "iat-secret-1", "token_type": "Bearer", "expires_in": 300, "scope": "dcr"})
        if not state["nonce_sent"]:
            state["nonce_sent"] = True
            return httpx.Response(400, json={"error": "use_dpop_nonce"}, headers={"DPoP-Nonce": "nonce-1"})
        claims = decode_unverified(request.headers["DPoP"])[1]
        assert claims["nonce"] == "nonce-1"
        return httpx.Response(200, json={"access_token": "at-secret-1", "token_type": "DPoP", "expires_in": 300})

    client = {
        "client_id": "dyn-1",
        "client_secret": "dyn-secret-1",
        "client_secret_expires_at": 0,
        "registration_access_token": "rat-secret-1",
        "registration_client_uri": f"{REG}/dyn-1",
        "software_id": "haapi-template",
        "scope": "urn:se:curity:scopes:haapi",
    }
    router.post(TOKEN).mock(side_effect=token)
    router.post(REG).respond(201, json=client)
    router.get(f"{REG}/dyn-1").respond(
        200, json={**client, "client_secret": "dyn-secret-2", "registration_access_token": "rat-secret-2"}
    )
    router.put(f"{REG}/dyn-1").respond(200, json={**client, "client_secret": "dyn-secret-2", "registration_access_token": "rat-secret-2"})
    router.delete(f"{REG}/dyn-1").respond(204)
    router.post("https://as.example/oauth/v2/oauth-revoke").respond(200)
    router.post("https://as.example/oauth/v2/oauth-introspect").respond(200, json={"active": False})


def test_happy_path_and_nothing_secret_in_the_log(profile):
    registered = []
    with respx.mock(assert_all_called=False) as router, Transport.for_profile(profile) as transport:
        mock_server(router)
        session = DcrSession(profile, transport, on_registered=registered.append)
        token, first = session.initial_token("secret")
        assert token == "iat-secret-1" and first.status == 200
        dyn, reg = session.register(token, main_label="secret")
        assert reg.status == 201 and registered == [dyn] and dyn.main_label == "secret"
        assert reg.spec.json == {"software_id": "haapi-template"}

        used = session.use(dyn)
        assert used.status == 200 and used.retry_of.status == 400
        assert dyn.dpop_key is not None and session.dpop_key(dyn) is dyn.dpop_key

        read = session.read(dyn)
        assert read.status == 200 and dyn.last_rotation.secret_rotated
        assert (dyn.client_secret, dyn.registration_access_token) == ("dyn-secret-2", "rat-secret-2")
        assert dyn.last_rotation.old_client_secret == "dyn-secret-1"
        update = session.update(dyn, {"client_name": "x"})
        assert json.loads(update.spec.body()[0])["client_secret"] == "dyn-secret-2"
        assert update.spec.header("Authorization") == "Bearer rat-secret-2"

        assert session.revoke(dyn, "at-secret-1", "access_token").status == 200
        assert session.introspect("at-secret-1").json() == {"active": False}
        deleted = session.delete(dyn)
        assert deleted.status == 204 and dyn.deleted

        log = transport.exchanges
        assert [e.request.method for e in log] == ["POST", "POST", "POST", "POST", "GET", "PUT", "POST", "POST", "DELETE"]
        dumped = "\n".join(json.dumps(e.to_dict()) + e.describe() + repr(e) for e in log) + repr(dyn) + repr(session)
        for secret in SECRETS + profile.secrets():
            assert secret not in dumped, secret
        assert "[redacted:" in dumped


def test_nonce_is_reused_from_earlier_responses(profile):
    with respx.mock as router, Transport.for_profile(profile) as transport:
        route = router.post(TOKEN)
        route.side_effect = [
            httpx.Response(200, json={"access_token": "a1", "token_type": "DPoP"}, headers={"DPoP-Nonce": "n-7"}),
            httpx.Response(200, json={"access_token": "a2", "token_type": "DPoP"}),
        ]
        session = DcrSession(profile, transport)
        from conformance.client.registration import DynamicClient

        dyn = DynamicClient("d", client_secret="s-secret")
        session.use(dyn)
        session.use(dyn)
        second = decode_unverified(route.calls[1].request.headers["DPoP"])[1]
        assert second["nonce"] == "n-7" and route.call_count == 2


def test_register_without_client_and_unknown_label(profile):
    with respx.mock as router, Transport.for_profile(profile) as transport:
        router.post(REG).respond(401, json={"error": "invalid_token"}, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        registered = []
        session = DcrSession(profile, transport, on_registered=registered.append)
        dyn, ex = session.register("garbage-token")
        assert dyn is None and ex.status == 401 and registered == []
    with pytest.raises(KeyError, match="no main client 'nope'"):
        session.main_client("nope")


def test_non_conformant_200_still_reported_for_cleanup(profile):
    with respx.mock as router, Transport.for_profile(profile) as transport:
        router.post(REG).respond(200, json={"client_id": "dyn-x", "client_secret": "sx-secret"})
        registered = []
        dyn, ex = DcrSession(profile, transport, on_registered=registered.append).register("t-token")
        assert ex.status == 200 and registered == [dyn] and dyn.client_id == "dyn-x"


def test_private_key_jwt_template_registers_a_generated_key(profile):
    byok = replace(profile, template=replace(profile.template, token_endpoint_auth_method="private_key_jwt"))
    with respx.mock as router, Transport.for_profile(byok) as transport:
        route = router.post(REG).respond(201, json={"client_id": "dyn-k", "token_endpoint_auth_method": "private_key_jwt"})
        dyn, _ = DcrSession(byok, transport).register("t-token")
        sent = json.loads(route.calls.last.request.content)
        assert sent["token_endpoint_auth_method"] == "private_key_jwt"
        jwk = sent["jwks"]["keys"][0]
        assert jwk["kty"] == "EC" and "d" not in jwk
        assert dyn.auth_method == "private_key_jwt" and dyn.private_key is not None


def test_a_prepared_registration_is_sent_as_built_and_its_client_adopted(profile):
    byok = replace(profile, template=replace(profile.template, token_endpoint_auth_method="private_key_jwt"))
    with respx.mock as router, Transport.for_profile(byok) as transport:
        route = router.post(REG).respond(201, json={"client_id": "dyn-p", "registration_access_token": "rat-p-secret"})
        registered = []
        session = DcrSession(byok, transport, on_registered=registered.append)
        spec = registration_request(byok, "t-token").replace(json=MISSING, content=b'{"software_id": 1}')
        dyn, ex = session.send_registration(spec)
        assert route.calls.last.request.content == b'{"software_id": 1}'  # no device key added
        assert ex.status == 201 and registered == [dyn] and dyn.private_key is None
        assert "rat-p-secret" not in transport.redactor.redact_text("token rat-p-secret")


# -- discovery --------------------------------------------------------------------------------


def test_metadata_urls():
    assert metadata_urls("https://as.example/oauth/v2/oauth-anonymous") == [
        "https://as.example/.well-known/oauth-authorization-server/oauth/v2/oauth-anonymous",
        "https://as.example/oauth/v2/oauth-anonymous/.well-known/oauth-authorization-server",
        "https://as.example/oauth/v2/oauth-anonymous/.well-known/openid-configuration",
    ]
    assert metadata_urls("https://as.example") == [
        "https://as.example/.well-known/oauth-authorization-server",
        "https://as.example/.well-known/openid-configuration",
    ]


def test_metadata_answer_falls_back_to_openid_discovery_and_keeps_the_last_answer(profile):
    issuer = "https://as.example/oauth/v2/oauth-anonymous/"
    base = issuer.rstrip("/")
    with respx.mock as router, Transport.for_profile(profile) as transport:
        rfc8414 = router.get(base + "/.well-known/oauth-authorization-server").respond(404)
        oidc = router.get(base + "/.well-known/openid-configuration").respond(200, json={"issuer": base})
        assert metadata_answer(transport, issuer).json() == {"issuer": base}
        assert rfc8414.called and oidc.called
        oidc.respond(500)
        assert metadata_answer(transport, issuer).status == 500


def issuer_profile(profile):
    server = replace(
        profile.server,
        issuer="https://as.example/anon",
        token_endpoint=None,
        registration_endpoint=None,
        revocation_endpoint="https://as.example/kept-revoke",
        introspection_endpoint=None,
        mtls_token_endpoint=None,
    )
    return replace(profile, server=server)


def test_discover_falls_back_to_openid_configuration(profile):
    prof = issuer_profile(profile)
    assert prof.needs_discovery
    with pytest.raises(ValueError, match="needs discovery"):
        DcrSession(prof, Transport())
    doc = {
        "issuer": "https://as.example/anon",
        "token_endpoint": "https://as.example/token",
        "registration_endpoint": "https://as.example/reg",
        "revocation_endpoint": "https://as.example/revoke",
        "introspection_endpoint": "http://insecure.example/introspect",
        "mtls_endpoint_aliases": {"token_endpoint": "https://mtls.as.example/token"},
    }
    with respx.mock as router, Transport() as transport:
        router.get("https://as.example/.well-known/oauth-authorization-server/anon").respond(404)
        router.get("https://as.example/anon/.well-known/oauth-authorization-server").respond(200, text="<html>")
        router.get("https://as.example/anon/.well-known/openid-configuration").respond(200, json=doc)
        found = discover(prof, transport)
    s = found.server
    assert (s.token_endpoint, s.registration_endpoint) == ("https://as.example/token", "https://as.example/reg")
    assert s.revocation_endpoint == "https://as.example/kept-revoke"  # given in the profile: kept
    assert s.introspection_endpoint is None  # not https: not taken
    assert s.mtls_token_endpoint == "https://mtls.as.example/token"
    assert not found.needs_discovery


def test_discover_errors(profile):
    prof = issuer_profile(profile)
    with respx.mock as router, Transport() as transport:
        router.get(url__regex=r".*").mock(side_effect=httpx.ConnectError("refused", request=None))
        with pytest.raises(DiscoveryError) as info:
            discover(prof, transport)
        assert info.value.unreachable and len(info.value.exchanges) == 3
    with respx.mock as router, Transport() as transport:
        router.get(url__regex=r".*").respond(200, json={"issuer": "https://as.example/anon", "token_endpoint": "https://as.example/t"})
        with pytest.raises(DiscoveryError, match="no https registration_endpoint") as info:
            discover(prof, transport)
        assert not info.value.unreachable


def test_discover_is_a_no_op_without_issuer(profile):
    assert discover(profile, Transport()) is profile


def test_was_deleted_sees_direct_deletes(profile):
    from conformance.client import management
    from conformance.client.registration import DynamicClient

    with respx.mock as router, Transport.for_profile(profile) as transport:
        router.delete(f"{REG}/a").respond(204)
        router.delete(f"{REG}/b").respond(401)
        session = DcrSession(profile, transport)
        a = DynamicClient("a", registration_access_token="rat-a-1", registration_client_uri=f"{REG}/a")
        b = DynamicClient("b", registration_access_token="rat-b-1", registration_client_uri=f"{REG}/b")
        transport.send(management.delete_request(a))  # a check deleting on its own
        transport.send(management.delete_request(b))
        assert session.was_deleted(a) and a.deleted
        assert not session.was_deleted(b)
