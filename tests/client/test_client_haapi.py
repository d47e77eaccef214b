"""The HAAPI walker and the code-flow builders against respx-simulated representations."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx

from conformance.client import haapi
from conformance.client.code_flow import (HAAPI_MEDIA_TYPE, Pkce, authorization_url, code_token_request,
                                          refresh_token_request)
from conformance.client.http import Transport
from conformance.client.jose import DpopKey, decode_unverified, sha256_b64url
from conformance.client.registration import DynamicClient
from conformance.client.session import DcrSession
from conformance.profile import CodeFlowSection

AS = "https://as.example"
AUTHORIZE = f"{AS}/oauth/v2/oauth-authorize"
LOGIN = f"{AS}/authn/authenticate/html-form"
TOKEN = f"{AS}/oauth/v2/oauth-token"
AT = "haapi-access-token-1"
CODE = "the-authorization-code-1"
PASSWORD = "user-password-0123"
FIELDS = {"userName": "demo-user", "password": PASSWORD}


def redirection(href: str = "/authn/authenticate/html-form?tx=t1") -> dict:
    return {"type": "redirection-step",
            "actions": [{"template": "form", "kind": "redirect", "model": {"href": href, "method": "GET"}}]}


def login_form(media_type: str = "application/x-www-form-urlencoded", extra: list | None = None) -> dict:
    fields = [{"name": "userName", "type": "username"}, {"name": "password", "type": "password"}, *(extra or [])]
    return {"type": "authentication-step", "actions": [{"template": "form", "kind": "login", "model": {
        "href": "/authn/authenticate/html-form?tx=t1", "method": "POST", "type": media_type, "fields": fields}}]}


AUTHORIZED = {"type": "oauth-authorization-response", "properties": {"code": CODE, "state": "s1"},
              "links": [{"rel": "authorization-response", "href": f"https://app.example/cb?code={CODE}&state=s1"}]}


def rep(body: dict, status: int = 200, **headers) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"Content-Type": HAAPI_MEDIA_TYPE, **headers})


@pytest.fixture
def transport(profile):
    with Transport.for_profile(profile) as t:
        t.redactor.add_secret(PASSWORD)
        yield t


@pytest.fixture
def key() -> DpopKey:
    return DpopKey.generate()


def walk(transport, key, url=AUTHORIZE + "?client_id=d1&state=s1", **kwargs):
    return haapi.walk(transport, url, AT, key, FIELDS, **kwargs)


@respx.mock
def test_walks_redirect_and_login_form_to_the_code(transport, key):
    respx.get(AUTHORIZE).mock(return_value=rep(redirection()))
    respx.get(LOGIN).mock(return_value=rep(login_form(extra=[{"name": "csrf", "type": "hidden", "value": "c1"}])))
    posted = respx.post(LOGIN).mock(return_value=rep(AUTHORIZED))
    result = walk(transport, key)
    assert result.code == CODE and result.state == "s1" and len(result.exchanges) == 3
    sent = posted.calls.last.request
    assert parse_qs(sent.content.decode()) == {"userName": ["demo-user"], "password": [PASSWORD], "csrf": ["c1"]}
    assert sent.headers["Accept"] == HAAPI_MEDIA_TYPE and sent.headers["Authorization"] == f"DPoP {AT}"
    header, claims = decode_unverified(sent.headers["DPoP"])
    assert header["jwk"] == key.public_jwk and claims["htm"] == "POST" and claims["htu"] == LOGIN
    assert claims["ath"] == sha256_b64url(AT)
    logged = "\n".join(e.describe() + json.dumps(e.to_dict()) for e in transport.exchanges)
    assert CODE not in logged and PASSWORD not in logged and AT not in logged


@respx.mock
def test_nonce_challenge_is_answered_and_kept(transport, key):
    challenge = httpx.Response(401, json={"error": "use_dpop_nonce"}, headers={
        "WWW-Authenticate": 'DPoP error="use_dpop_nonce"', "DPoP-Nonce": "n-1"})
    authorize = respx.get(AUTHORIZE).mock(side_effect=[challenge, rep(redirection())])
    login = respx.get(LOGIN).mock(return_value=rep(login_form()))
    respx.post(LOGIN).mock(return_value=rep(AUTHORIZED))
    result = walk(transport, key)
    assert decode_unverified(authorize.calls[1].request.headers["DPoP"])[1]["nonce"] == "n-1"
    assert decode_unverified(login.calls.last.request.headers["DPoP"])[1]["nonce"] == "n-1"
    assert result.nonce == "n-1"


@respx.mock
def test_json_forms_are_posted_as_json(transport, key):
    respx.get(AUTHORIZE).mock(return_value=rep(login_form("application/json")))
    posted = respx.post(LOGIN).mock(return_value=rep(AUTHORIZED))
    walk(transport, key)
    assert json.loads(posted.calls.last.request.content) == FIELDS


@respx.mock
def test_a_selector_offers_its_forms(transport, key):
    selector = {"type": "authentication-step", "actions": [{"template": "selector", "model": {"options": [
        {"template": "form", "kind": "select-authenticator", "model": {"href": "/authn/authenticate/html-form",
                                                                      "method": "GET"}}]}}]}
    respx.get(AUTHORIZE).mock(return_value=rep(selector))
    respx.get(LOGIN).mock(return_value=rep(AUTHORIZED))
    assert walk(transport, key).code == CODE


@respx.mock
def test_a_problem_stops_the_walk_with_the_exchange(transport, key):
    respx.get(AUTHORIZE).mock(return_value=rep(login_form()))
    problem = {"type": "https://curity.se/problems/incorrect-credentials", "title": "Incorrect credentials"}
    respx.post(LOGIN).mock(return_value=rep(problem, 400))
    with pytest.raises(haapi.HaapiFlowError, match="incorrect-credentials Incorrect credentials") as caught:
        walk(transport, key)
    assert caught.value.exchange.status == 400 and "incorrect-credentials" in caught.value.exchange.describe()
    assert PASSWORD not in caught.value.exchange.describe()


@respx.mock
def test_an_unknown_step_stops_the_walk(transport, key):
    respx.get(AUTHORIZE).mock(return_value=rep({"type": "polling-step", "properties": {"status": "pending"}}))
    with pytest.raises(haapi.HaapiFlowError, match="'polling-step' step with no form action"):
        walk(transport, key)


@respx.mock
def test_unfillable_fields_are_named(transport, key):
    respx.get(AUTHORIZE).mock(return_value=rep(login_form(extra=[{"name": "otp", "type": "text"}])))
    with pytest.raises(haapi.HaapiFlowError, match=r"fields otp: give them in the profile's \[code_flow.fields\]"):
        walk(transport, key)


@respx.mock
def test_a_loop_is_detected(transport, key):
    route = respx.get(AUTHORIZE).mock(return_value=rep(redirection(AUTHORIZE)))
    with pytest.raises(haapi.HaapiFlowError, match="loop"):
        walk(transport, key)
    assert route.call_count == 2


@respx.mock
def test_steps_are_bounded(transport, key):
    count = {"n": 0}

    def next_step(request):
        count["n"] += 1
        return rep(redirection(f"{AUTHORIZE}?step={count['n']}"))

    respx.get(AUTHORIZE).mock(side_effect=next_step)
    with pytest.raises(haapi.HaapiFlowError, match="no oauth-authorization-response after 4 steps"):
        walk(transport, key, max_steps=4)
    assert count["n"] == 4


@respx.mock
def test_not_a_representation(transport, key):
    respx.get(AUTHORIZE).mock(return_value=httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(haapi.HaapiFlowError, match="not a HAAPI representation"):
        walk(transport, key)


@respx.mock
def test_an_authorization_response_without_code(transport, key):
    respx.get(AUTHORIZE).mock(return_value=rep({"type": "oauth-authorization-response", "properties": {}}))
    with pytest.raises(haapi.HaapiFlowError, match="no properties.code"):
        walk(transport, key)


# -- builders ---------------------------------------------------------------------------------


def flow_profile(profile):
    return replace(profile, code_flow=CodeFlowSection(AUTHORIZE, "app:/callback", "openid", dict(FIELDS)))


def test_pkce_is_s256():
    pkce = Pkce.generate()
    assert 43 <= len(pkce.verifier) <= 128 and pkce.method == "S256"
    expected = base64.urlsafe_b64encode(hashlib.sha256(pkce.verifier.encode()).digest()).rstrip(b"=").decode()
    assert pkce.challenge == expected and pkce.verifier not in repr(pkce)


def test_authorization_url(profile):
    pkce = Pkce.generate()
    url = authorization_url(flow_profile(profile), DynamicClient("d1"), pkce, "s1")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE
    assert parse_qs(parts.query) == {"client_id": ["d1"], "response_type": ["code"], "redirect_uri": ["app:/callback"],
                                     "scope": ["openid"], "state": ["s1"], "code_challenge": [pkce.challenge],
                                     "code_challenge_method": ["S256"]}


def test_code_and_refresh_requests(profile, key):
    p, pkce, dyn = flow_profile(profile), Pkce.generate(), DynamicClient("d1", client_secret="dyn-secret-9")
    spec = code_token_request(p, dyn, CODE, pkce, dpop_key=key, nonce="n-2")
    assert dict(spec.form_items()) == {"grant_type": "authorization_code", "code": CODE,
                                       "redirect_uri": "app:/callback", "code_verifier": pkce.verifier}
    assert spec.url == TOKEN and spec.header("Authorization").startswith("Basic ")
    assert decode_unverified(spec.header("DPoP"))[1]["nonce"] == "n-2"
    refresh = refresh_token_request(p, dyn, "rt-1", scope="openid")
    assert dict(refresh.form_items()) == {"grant_type": "refresh_token", "refresh_token": "rt-1", "scope": "openid"}
    assert refresh.header("DPoP") is None


def test_session_flow_redacts_the_code_verifier_and_tokens(profile):
    p = flow_profile(profile)
    tokens = {"access_token": "user-at-1", "token_type": "DPoP", "expires_in": 60, "refresh_token": "user-rt-1"}
    with respx.mock as router, Transport.for_profile(p) as transport:
        router.get(AUTHORIZE).mock(return_value=rep(login_form()))
        router.post(LOGIN).mock(return_value=rep(AUTHORIZED))
        router.post(TOKEN).mock(return_value=httpx.Response(200, json=tokens))
        session = DcrSession(p, transport)
        dyn = DynamicClient("d1", client_secret="dyn-secret-9")
        pkce = Pkce.generate()
        result = session.haapi_login(dyn, AT, pkce, "s1")
        assert session.exchange_code(dyn, result.code, pkce).status == 200
        assert session.refresh(dyn, "user-rt-1").status == 200
        logged = "\n".join(e.describe() + json.dumps(e.to_dict()) for e in transport.exchanges)
        for secret in (CODE, pkce.verifier, PASSWORD, "user-at-1", "user-rt-1", "demo-user"):
            assert secret not in logged, secret


def test_discovery_finds_the_authorization_endpoint(profile):
    from conformance.client.discovery import DiscoveryError, discover

    claimed = replace(profile, server=replace(profile.server, issuer=AS),
                      claims=replace(profile.claims, code_flow=True))
    doc = {"issuer": AS, "token_endpoint": TOKEN, "authorization_endpoint": AUTHORIZE}
    with respx.mock as router, Transport() as transport:
        router.get(url__regex=r".*").respond(200, json=doc)
        assert discover(claimed, transport).code_flow.authorization_endpoint == AUTHORIZE
        given = replace(claimed, code_flow=CodeFlowSection("https://as.example/given"))
        assert discover(given, transport) is given  # nothing missing: no request
    with respx.mock as router, Transport() as transport:
        router.get(url__regex=r".*").respond(200, json={**doc, "authorization_endpoint": "http://as.example/a"})
        with pytest.raises(DiscoveryError, match="no https authorization_endpoint; add code_flow.authorization"):
            discover(claimed, transport)
