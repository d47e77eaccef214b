"""Each defect changes the behaviour it names: a probe that holds on the correct server fails
on the server with that defect switched on.

A probe returns True when the server behaved conformantly.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conformance.requirements import REQUIREMENTS
from conformance.server import DEFECTS
from conformance.server.defects import ActiveDefects, UnknownDefect
from flow_kit import Flow, start
from srv_kit import (HAAPI, JWT_BEARER, TIMEOUT, assertion, basic, dpop_proof, load_key,
                     new_dpop_key, private_jwk, tls_context, unsigned_jwt)

PROBES = {}


def probe(*names):
    def register(fn):
        for name in names:
            assert name not in PROBES, name
            PROBES[name] = fn
        return fn
    return register


def _doc(k):
    return k.http().get(k.cfg.issuer + "/.well-known/oauth-authorization-server").json()


def _jwt(k, label="es256", form=None, token=None, **overrides):
    c = k.client(label)
    if token is None:
        key = c.secret.encode() if c.alg == "HS256" else load_key(k.pki.jwt_key(c.alg)[0])
        token = assertion(c.client_id, key, c.alg, k.token_url, kid=c.kid, **overrides)
    return k.http().post(k.token_url, data={
        "grant_type": "client_credentials", "scope": "dcr", "client_assertion_type": JWT_BEARER,
        "client_assertion": token, **(form or {})})


def _mtls(k, identity, client_id="main-mtls"):
    data = {"grant_type": "client_credentials", "scope": "dcr"}
    if client_id:
        data["client_id"] = client_id
    try:
        return k.http(identity).post(k.token_url, data=data).status_code
    except httpx.TransportError:
        return None  # refused at the TLS handshake


def _put_body(dyn, **changes):
    skip = {"registration_access_token", "registration_client_uri", "client_secret_expires_at",
            "client_id_issued_at", "client_secret", "registration_access_token_expires_in"}
    return {**{k: v for k, v in dyn.body.items() if k not in skip}, **changes}


# -- metadata ---------------------------------------------------------------------------------

probe("metadata-issuer-mismatch")(lambda k: _doc(k)["issuer"] == k.srv.base_url)
probe("metadata-registration-endpoint-missing")(lambda k: "registration_endpoint" in _doc(k))
probe("metadata-signing-algs-missing")(
    lambda k: "token_endpoint_auth_signing_alg_values_supported" in _doc(k))
probe("metadata-mtls-alias-relative")(
    lambda k: all(v.startswith("https://") for v in _doc(k)["mtls_endpoint_aliases"].values()))
probe("metadata-dpop-algs-include-none")(
    lambda k: "none" not in _doc(k)["dpop_signing_alg_values_supported"])

# -- token endpoint ---------------------------------------------------------------------------

probe("token-issues-refresh-token")(lambda k: "refresh_token" not in k.token().json())
probe("token-missing-no-store")(lambda k: k.token().headers.get("Cache-Control") == "no-store")
probe("basic-not-form-decoded", "client-secret-jwt-broken", "private-key-jwt-es256-broken",
      "tls-client-auth-broken")(
    lambda k: all(k.token(label).status_code == 200 for label in ("basic", "hs256", "es256",
                                                                  "mtls")))


@probe("basic-failure-without-www-authenticate")
def _(k):
    response = k.http().post(k.token_url, data={"grant_type": "client_credentials"},
                             headers=basic("main-basic", "wrong"))
    return response.status_code == 401 and "WWW-Authenticate" in response.headers


@probe("multiple-auth-methods-accepted")
def _(k):
    secret = k.client("basic").secret
    return k.http().post(k.token_url, headers=basic("main-basic", secret), data={
        "grant_type": "client_credentials", "client_secret": secret}).status_code != 200


probe("dcr-scope-granted-without-request")(
    lambda k: "dcr" not in k.token(scope="openid").json()["scope"].split())
probe("dcr-scope-for-any-client")(lambda k: k.token("unlisted", scope="dcr").status_code == 400)
probe("public-client-accepted")(lambda k: k.http().post(k.token_url, data={
    "grant_type": "client_credentials", "client_id": "main-basic"}).status_code == 401)
probe("jwt-expired-accepted")(lambda k: _jwt(k, exp=int(time.time()) - 300).status_code == 401)
probe("jwt-audience-not-checked")(lambda k: _jwt(k, aud="https://x.example").status_code == 401)
probe("jwt-subject-not-checked")(lambda k: _jwt(k, sub="main-rs256").status_code == 401)
probe("jwt-issuer-not-checked")(lambda k: _jwt(k, iss="someone").status_code == 401)
probe("jwt-client-id-mismatch-accepted")(
    lambda k: _jwt(k, form={"client_id": "main-rs256"}).status_code == 401)


@probe("jwt-signature-not-verified")
def _(k):
    token = assertion("main-es256", new_dpop_key(), "ES256", k.token_url)
    return _jwt(k, token=token).status_code == 401


@probe("jwt-alg-none-accepted")
def _(k):
    token = unsigned_jwt({"alg": "none"}, {"iss": "main-es256", "sub": "main-es256",
                                           "aud": k.token_url, "exp": int(time.time()) + 60,
                                           "jti": str(time.time())})
    return _jwt(k, token=token).status_code == 401


@probe("jwt-replay-accepted")
def _(k):
    c = k.client("es256")
    token = assertion(c.client_id, load_key(k.pki.jwt_key("ES256")[0]), "ES256", k.token_url)
    return _jwt(k, token=token).status_code == 200 and _jwt(k, token=token).status_code == 401


probe("mtls-client-id-optional")(lambda k: _mtls(k, "mtls", client_id=None) != 200)
probe("mtls-any-ca-accepted")(lambda k: _mtls(k, "rogue") in (None, 401))
probe("mtls-dn-not-checked")(lambda k: _mtls(k, "other_dn") == 401)
probe("self-signed-any-cert-accepted")(
    lambda k: _mtls(k, "other_selfsigned", "main-selfsigned") in (None, 401))
probe("introspection-omits-scope")(lambda k: "scope" in k.introspect(k.initial_token()).json())

# -- registration -----------------------------------------------------------------------------

probe("registration-returns-200")(lambda k: k.register().status_code == 201)
probe("registration-omits-secret-expiry")(
    lambda k: "client_secret_expires_at" in k.register().json())
probe("registration-without-no-store")(
    lambda k: k.register().headers.get("Cache-Control") == "no-store")
probe("registration-omits-metadata")(
    lambda k: {"scope", "grant_types", "software_id", "redirect_uris"} <= set(k.register().json()))
probe("registration-secret-reused")(lambda k: k.new_client().secret != k.new_client().secret)


@probe("registration-client-uri-wrong")
def _(k):
    body = k.register().json()
    return body["registration_client_uri"] == f"{k.cfg.registration_endpoint}/{body['client_id']}"


@probe("initial-token-reusable")
def _(k):
    token = k.initial_token()
    return k.register(token).status_code == 201 and k.register(token).status_code == 401


@probe("initial-token-race")
def _(k):
    token = k.initial_token()
    with httpx.Client(verify=tls_context(k.pki), timeout=TIMEOUT,
                      limits=httpx.Limits(max_connections=10)) as client:
        def attempt(_):
            return client.post(k.cfg.registration_endpoint, json={"software_id": "haapi-template"},
                               headers={"Authorization": f"Bearer {token}"}).status_code
        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(attempt, range(10)))
    return statuses.count(201) == 1


@probe("initial-token-expiry-ignored")
def _(k):
    token = k.initial_token()
    k.srv.context.clock = lambda: time.time() + 400
    try:
        return k.register(token).status_code == 401
    finally:
        k.srv.context.clock = time.time


probe("registration-missing-www-authenticate")(lambda k: "WWW-Authenticate" in k.http().post(
    k.cfg.registration_endpoint, json={"software_id": "haapi-template"}).headers)
probe("registration-ignores-token-scope")(
    lambda k: k.register(k.token(scope="openid").json()["access_token"]).status_code == 403)
probe("unknown-template-accepted")(
    lambda k: k.register(body={"software_id": "nope"}).status_code == 400)
probe("template-authorization-not-checked")(
    lambda k: k.register(body={"software_id": "other-template"}).status_code == 400)
probe("template-scope-not-enforced")(lambda k: k.register(
    body={"software_id": "haapi-template", "scope": "openid admin"}).status_code == 400)
probe("redirect-uri-not-validated")(lambda k: k.register(body={
    "software_id": "haapi-template", "redirect_uris": ["https://evil.example/cb"],
    "grant_types": ["password"]}).status_code == 400)
probe("wrong-error-code")(lambda k: k.register(body={
    "software_id": "haapi-template", "scope": "admin"}).json()["error"] == "invalid_client_metadata")
probe("jwks-and-jwks-uri-accepted")(lambda k: k.register(body={
    "software_id": "haapi-template", "jwks": {"keys": []},
    "jwks_uri": "https://a.example/jwks"}).status_code == 400)
probe("software-statement-500")(lambda k: k.register(body={
    "software_id": "haapi-template", "software_statement": "garbage"}).status_code == 400)
probe("nested-metadata-500")(lambda k: k.register(body={
    "software_id": "haapi-template", "redirect_uris": {"a": ["b"]}}).status_code == 400)


@probe("malformed-json-500")
def _(k):
    return k.http().post(k.cfg.registration_endpoint, content=b'{"software_id":', headers={
        "Authorization": f"Bearer {k.initial_token()}",
        "Content-Type": "application/json"}).status_code == 400


@probe("registration-over-plain-http")
def _(k):
    url = k.cfg.registration_endpoint.replace("https://", "http://")
    response = httpx.post(url, json={"software_id": "haapi-template"}, timeout=TIMEOUT,
                          headers={"Authorization": f"Bearer {k.initial_token()}"})
    return response.status_code != 201


# -- use --------------------------------------------------------------------------------------

probe("dpop-token-type-bearer")(lambda k: k.dyn_token(k.new_client()).json()["token_type"] == "DPoP")
probe("dpop-not-required")(lambda k: k.http().post(
    k.token_url, data={"grant_type": "client_credentials"},
    headers=basic((d := k.new_client()).client_id, d.secret)).status_code == 400)


def _proof_refused(**proof_kwargs):
    return lambda k: k.dyn_token(k.new_client(), proof_kwargs=proof_kwargs).status_code == 400


probe("dpop-typ-not-checked")(_proof_refused(header={"typ": "JWT"}))
probe("dpop-symmetric-alg-accepted")(
    _proof_refused(alg="HS256", signing_key=b"0123456789abcdef0123456789abcdef"))
probe("dpop-signature-not-verified")(_proof_refused(signing_key=new_dpop_key()))
probe("dpop-htm-not-checked")(_proof_refused(htm="GET"))
probe("dpop-htu-not-checked")(_proof_refused(htu="https://other.example/token"))
probe("dpop-iat-not-checked")(_proof_refused(iat=int(time.time()) - 3600))


@probe("dpop-private-jwk-accepted")
def _(k):
    key = new_dpop_key()
    return _proof_refused(header={"jwk": private_jwk(key)}, signing_key=key)(k)


@probe("dpop-multiple-headers-accepted")
def _(k):
    d, key, nonce = k.new_client(), new_dpop_key(), k.nonce()
    headers = [("DPoP", dpop_proof(key, "POST", k.token_url, nonce=nonce)) for _ in range(2)]
    headers += list(basic(d.client_id, d.secret).items())
    return k.http().post(k.token_url, data={"grant_type": "client_credentials"},
                         headers=headers).status_code == 400


probe("dpop-nonce-header-missing")(
    lambda k: "DPoP-Nonce" in k.dyn_token(k.new_client(), retry_nonce=False).headers)


def _bound(k):
    key = new_dpop_key()
    return k.dyn_token(k.new_client(), key).json()["access_token"], key


@probe("resource-rejects-valid-proof")
def _(k):
    token, key = _bound(k)
    return k.resource(token, key).status_code == 200


@probe("resource-accepts-bearer-for-dpop-token")
def _(k):
    token, _ = _bound(k)
    return k.resource(token, scheme="Bearer", proof=False).status_code == 401


@probe("resource-nonce-not-required")
def _(k):
    token, key = _bound(k)
    return k.resource(token, key, retry_nonce=False).status_code == 401


@probe("resource-any-nonce-accepted")
def _(k):
    token, key = _bound(k)
    return k.resource(token, key, nonce="never-issued", retry_nonce=False).status_code == 401


probe("attestation-not-enforced")(lambda k: k.token("basic", scope=HAAPI).status_code == 400)


@probe("jws-crit-ignored")
def _(k):
    crit = {"crit": ["urn:example:unknown"], "urn:example:unknown": True}
    return _jwt(k, headers=crit).status_code == 401 and _proof_refused(header=crit)(k)


@probe("resource-ath-not-checked")
def _(k):
    token, key = _bound(k)
    return k.resource(token, key, ath="AAAA").status_code == 401


probe("dynamic-secret-not-checked")(
    lambda k: k.dyn_token(k.new_client(), secret="wrong").status_code == 401)
probe("dynamic-client-gets-dcr")(
    lambda k: k.dyn_token(k.new_client(), scope="dcr").status_code == 400)


@probe("introspection-wrong-client-id")
def _(k):
    d = k.new_client()
    token = k.dyn_token(d).json()["access_token"]
    return k.introspect(token).json()["client_id"] == d.client_id


# -- management -------------------------------------------------------------------------------


@probe("management-read-broken")
def _(k):
    d = k.new_client()
    return k.manage("GET", d).json()["client_id"] == d.client_id


@probe("rotation-old-credentials-still-valid")
def _(k):
    d = k.new_client()
    assert k.manage("GET", d).status_code == 200
    return k.manage("GET", d).status_code == 401 and k.dyn_token(d).status_code == 401


probe("management-missing-www-authenticate")(
    lambda k: "WWW-Authenticate" in k.manage("GET", k.new_client(), rat="").headers)
probe("management-cross-client-read")(
    lambda k: k.manage("GET", k.new_client(), rat=k.new_client().rat).status_code in (401, 403))
probe("management-unknown-client-200")(lambda k: k.manage(
    "GET", k.new_client(), uri=f"{k.cfg.registration_endpoint}/dyn-unknown").status_code == 401)


@probe("management-put-drops-metadata")
def _(k):
    d = k.new_client()
    return "scope" in k.manage("PUT", d, json=_put_body(d)).json()


@probe("put-client-id-mismatch-accepted")
def _(k):
    d = k.new_client()
    return k.manage("PUT", d, json=_put_body(d, client_id="other")).status_code == 400


@probe("put-client-chosen-secret-accepted")
def _(k):
    d = k.new_client()
    k.manage("PUT", d, json=_put_body(d, client_secret="chosen-by-me"))
    return k.dyn_token(d, secret="chosen-by-me").status_code == 401


@probe("put-forbidden-fields-accepted")
def _(k):
    d = k.new_client()
    return k.manage("PUT", d, json=_put_body(d, client_id_issued_at=1)).status_code == 400


@probe("put-scope-not-enforced")
def _(k):
    d = k.new_client()
    return k.manage("PUT", d, json=_put_body(d, scope=f"{HAAPI} admin")).status_code == 400


# -- issue 14: RFC 7591 §2.1 type consistency, RFC 7592 §2.2 replaced values returned


@probe("inconsistent-types-registered")
def _(k):
    return k.register(body={"software_id": "haapi-template", "grant_types": ["client_credentials"],
                            "response_types": ["code"]}).status_code == 400


@probe("put-replaced-field-not-returned")
def _(k):
    d = k.new_client()
    answer = k.manage("PUT", d, json=_put_body(d, grant_types="client_credentials"))
    return answer.status_code == 400 or "grant_types" in answer.json()


@probe("unknown-client-write-keeps-token")
def _(k):
    revoked = []
    for method in ("PUT", "DELETE"):
        d = k.new_client()
        gone = k.manage(method, d, uri=d.uri.replace(d.client_id, "no-such-client"), json=_put_body(d))
        revoked.append(gone.status_code == 401 and k.manage("GET", d).status_code == 401)
    return all(revoked)


# -- the HAAPI code flow (flow_kit) -------------------------------------------------------------

probe("code-exchange-token-not-dpop")(lambda k: start(k).tokens()["token_type"] == "DPoP")


@probe("refresh-token-not-bound")
def _(k):
    flow = start(k)
    return flow.refresh(flow.tokens()["refresh_token"], key=new_dpop_key()).status_code == 400


@probe("refresh-survives-delete")
def _(k):
    flow = start(k)
    refresh_token = flow.tokens()["refresh_token"]
    k.manage("DELETE", flow.dyn)
    return flow.refresh(refresh_token).status_code in (400, 401)


def _revoke_refresh_token(k) -> tuple[Flow, dict]:
    flow = start(k)
    tokens = flow.tokens()
    k.http().post(k.cfg.revocation_endpoint, headers=basic(flow.dyn.client_id, flow.dyn.secret),
                  data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"})
    return flow, tokens


@probe("revoked-refresh-token-still-works")
def _(k):
    flow, tokens = _revoke_refresh_token(k)
    return flow.refresh(tokens["refresh_token"]).status_code == 400


@probe("refresh-revocation-keeps-access-tokens")
def _(k):
    _, tokens = _revoke_refresh_token(k)
    return k.introspect(tokens["access_token"]).json() == {"active": False}


probe("delete-returns-200")(lambda k: k.manage("DELETE", k.new_client()).status_code == 204)


@probe("delete-not-effective")
def _(k):
    d = k.new_client()
    k.manage("DELETE", d)
    return k.dyn_token(d).status_code == 401


@probe("delete-keeps-tokens-active")
def _(k):
    d = k.new_client()
    token = k.dyn_token(d).json()["access_token"]
    k.manage("DELETE", d)
    return k.introspect(token).json() == {"active": False}


@probe("delete-affects-other-clients")
def _(k):
    a, b = k.new_client(), k.new_client()
    k.manage("DELETE", a)
    return k.dyn_token(b).status_code == 200 and k.manage("GET", b).status_code == 200


probe("dcrm-scope-for-any-client")(lambda k: k.token("basic", scope="dcrm").status_code == 400)


@probe("management-refuses-dcrm-token")
def _(k):
    token = k.token("manager", scope="dcrm").json()["access_token"]
    return k.manage("GET", k.new_client(), token).status_code == 200


def _aged_rat_answers(k, method: str) -> int:
    """The status of ``method`` with a registration access token 29 days old (the server's clock
    moves ahead; Curity's read-write-ttl default is 28 days)."""
    d = k.new_client()
    context = k.srv.context
    clock = context.clock
    context.clock = lambda: clock() + 29 * 86_400
    try:
        return k.manage(method, d).status_code
    finally:
        context.clock = clock
        if method != "DELETE":
            k.manage("DELETE", d)


probe("read-write-ttl-not-enforced")(lambda k: _aged_rat_answers(k, "GET") == 401)
probe("read-write-ttl-blocks-delete")(lambda k: _aged_rat_answers(k, "DELETE") == 204)


# -- DCR GraphQL status API ------------------------------------------------------------------


def _set_status(k, client_id: str, status: str) -> None:
    token = k.token("manager", scope="dcrm").json()["access_token"]
    query = ("mutation($i: SetDynamicallyRegisteredClientStatusByIdInput!) "
             "{ setDynamicallyRegisteredClientStatusById(input: $i) { client { status } } }")
    response = k.http().post(k.cfg.registration_endpoint + "/graphql", headers={"Authorization": f"Bearer {token}"},
                             json={"query": query, "variables": {"i": {"clientId": client_id, "status": status}}})
    assert response.status_code == 200 and "errors" not in response.json(), response.text


@probe("graphql-status-ignored")
def _(k):
    d = k.new_client()
    _set_status(k, d.client_id, "revoked")
    return k.dyn_token(d).status_code == 401


@probe("graphql-status-affects-other-clients")
def _(k):
    d, other = k.new_client(), k.new_client()
    _set_status(k, d.client_id, "inactive")
    return k.dyn_token(other).status_code == 200


@probe("graphql-reactivation-ignored")
def _(k):
    d = k.new_client()
    _set_status(k, d.client_id, "inactive")
    _set_status(k, d.client_id, "active")
    return k.dyn_token(d).status_code == 200


@probe("graphql-revoked-tokens-stay-active")
def _(k):
    d, key = k.new_client(), new_dpop_key()
    token = k.dyn_token(d, key).json()["access_token"]
    _set_status(k, d.client_id, "revoked")
    return k.resource(token, key).status_code == 401


# -- revocation / introspection ---------------------------------------------------------------


@probe("revocation-not-effective")
def _(k):
    token = k.initial_token()
    return k.revoke(token).status_code == 200 and k.introspect(token).json() == {"active": False}


probe("revocation-unknown-token-400")(lambda k: k.revoke("unknown").status_code == 200)


@probe("revocation-cross-client")
def _(k):
    token = k.initial_token("post")
    return k.revoke(token, label="basic").status_code == 400 \
        and k.introspect(token).json()["active"] is True


@probe("introspection-inactive-leaks-claims")
def _(k):
    token = k.initial_token()
    k.revoke(token)
    return k.introspect(token).json() == {"active": False}


@probe("introspection-expired-active")
def _(k):
    from conformance.server.store import TokenRecord, digest
    now = int(time.time())  # an expired token, put into the store directly to spare the wait
    k.srv.store.add_token(TokenRecord(digest(token := "expired-probe-token"), "main-basic", "dcr", now - 60, now - 1))
    return k.introspect(token).json() == {"active": False}


probe("introspection-unauthenticated")(
    lambda k: k.introspect(k.initial_token(), auth=False).status_code == 401)


@probe("introspection-any-client")
def _(k):
    return k.introspect(k.initial_token(), dyn=k.new_client()).json() == {"active": False}


@probe("introspection-trusts-hint")
def _(k):
    headers, form, _ = k.auth_for("introspector")
    answer = k.http().post(k.cfg.introspection_endpoint, headers=headers,
                           data={"token": k.initial_token(), "token_type_hint": "refresh_token", **form})
    return answer.json()["active"] is True


# -- the tests --------------------------------------------------------------------------------


def test_every_defect_has_a_probe():
    assert set(PROBES) == set(DEFECTS)


def test_catalogue_is_well_formed():
    assert len(DEFECTS) >= 30
    for defect in DEFECTS.values():
        assert defect.breaks and all(re.fullmatch(r"DCR-[A-Z]+-\d{3}", c) for c in defect.breaks)
        assert defect.requirement in REQUIREMENTS, defect.requirement
        assert defect.text.endswith(".")


def test_every_defect_is_marked_in_the_code():
    sources = "".join(p.read_text() for p in
                      Path(__file__).parents[2].joinpath("conformance/server").glob("*.py")
                      if p.name != "defects.py")
    for name in DEFECTS:
        assert f'"{name}"' in sources, name


def test_unknown_defect_is_refused():
    with pytest.raises(UnknownDefect):
        ActiveDefects("no-such-defect")
    with pytest.raises(UnknownDefect):
        ActiveDefects(None).on("no-such-defect")


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_defect_changes_behaviour(name, kit, make_server):
    check = PROBES[name]
    assert check(kit) is True, f"the correct server fails the probe for {name}"
    broken = make_server(defect=name)
    assert check(broken) is False, f"{name} does not change the probed behaviour"


# -- credential binding, metadata members, token parameters (the coverage issue's checks) -----------

probe("metadata-response-types-missing")(lambda k: bool(_doc(k).get("response_types_supported")))
probe("metadata-token-endpoint-fragment")(lambda k: "#" not in _doc(k)["token_endpoint"])
probe("metadata-revocation-algs-missing")(
    lambda k: "revocation_endpoint_auth_signing_alg_values_supported" in _doc(k))
probe("metadata-empty-array")(lambda k: [] not in _doc(k).values())
probe("metadata-revocation-endpoint-http")(lambda k: _doc(k)["revocation_endpoint"].startswith("https://"))
probe("metadata-revocation-endpoint-fragment")(lambda k: "#" not in _doc(k)["revocation_endpoint"])
probe("token-unknown-parameter-refused")(lambda k: k.token(probe_parameter="1").status_code == 200)


@probe("token-repeated-parameter-accepted")
def _(k):
    secret = k.client("basic").secret
    return k.http().post(k.token_url, headers={**basic("main-basic", secret),
                                               "Content-Type": "application/x-www-form-urlencoded"},
                         content=b"grant_type=client_credentials&grant_type=client_credentials&scope=dcr"
                         ).status_code == 400


@probe("secret-of-another-client-accepted")
def _(k):
    a, b = k.new_client(), k.new_client()
    return k.dyn_token(a, secret=b.secret).status_code == 401


@probe("management-write-without-token")
def _(k):
    a, b = k.new_client(), k.new_client()
    return (k.manage("PUT", a, rat="", json=_put_body(a, client_name="x")).status_code == 401
            and k.manage("DELETE", a, rat=b.rat).status_code == 401
            and k.manage("DELETE", a, rat="").status_code == 401)


# -- RFC 9449 details: htu normalization, nonces, dpop_jkt, introspection, challenges ------------


@probe("dpop-htu-compared-verbatim")
def _(k):
    loud = k.token_url.replace("https://", "HTTPS://", 1)
    return k.dyn_token(k.new_client(), proof_kwargs={"htu": loud}).status_code == 200


@probe("token-any-nonce-accepted")
def _(k):
    answer = k.dyn_token(k.new_client(), retry_nonce=False, proof_kwargs={"nonce": "never-issued"})
    return answer.status_code == 400 and answer.json()["error"] == "use_dpop_nonce"


@probe("dpop-jkt-ignored")
def _(k):
    from flow_kit import pkce
    from srv_kit import jkt

    flow = start(k)
    verifier, challenge = pkce()
    response = flow.login(challenge, dpop_jkt=jkt(new_dpop_key()))
    code = response.json()["properties"]["code"]
    return flow.exchange(code, verifier).status_code == 400  # the HAAPI key is not dpop_jkt's


@probe("introspection-token-type-bearer")
def _(k):
    token, _ = _bound(k)
    return k.introspect(token).json()["token_type"] == "DPoP"


def _refused_challenge(k) -> str:
    token, key = _bound(k)
    return k.resource(token, new_dpop_key()).headers.get("WWW-Authenticate", "")


probe("resource-dpop-challenge-without-error")(lambda k: 'error="invalid_dpop_proof"' in _refused_challenge(k))
probe("resource-dpop-challenge-without-algs")(lambda k: 'algs="' in _refused_challenge(k))


@probe("resource-error-without-credentials")
def _(k):
    answer = k.http().get(k.cfg.resource_url)
    return answer.status_code == 401 and "error=" not in ",".join(answer.headers.get_list("WWW-Authenticate"))


# -- TLS, jwks_uri, RFC 8414 advice, redirect_uris, RFC 7592 unknown clients (issue 14) --------------


def _handshake(k, context) -> bool:
    """A handshake with ``context`` on the server's port: True when it completes."""
    import socket
    import ssl

    try:
        with socket.create_connection(("127.0.0.1", k.srv.port), timeout=10) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1"):
            return True
    except (ssl.SSLError, ConnectionError):
        return False


@probe("tls-1.2-disabled")
def _(k):
    import ssl

    context = tls_context(k.pki)
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    return _handshake(k, context)


@probe("tls-null-cipher-suites")
def _(k):  # conformant: a handshake offering only suites without encryption or authentication is refused
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("eNULL:aNULL:@SECLEVEL=0")
    return not _handshake(k, context)


probe("metadata-jwks-use-missing")(
    lambda k: all("use" in key for key in k.http().get(_doc(k)["jwks_uri"]).json()["keys"]))
probe("metadata-scopes-missing")(lambda k: "scopes_supported" in _doc(k))
probe("metadata-rs256-missing")(
    lambda k: "RS256" in _doc(k)["token_endpoint_auth_signing_alg_values_supported"])
probe("registration-drops-redirect-uris")(
    lambda k: k.new_client({"software_id": "haapi-template", "redirect_uris": ["https://app.example/callback"]})
    .body.get("redirect_uris") == ["https://app.example/callback"])
probe("management-unknown-client-403")(lambda k: k.manage(
    "GET", k.new_client(), uri=f"{k.cfg.registration_endpoint}/dyn-unknown").status_code == 401)


@probe("management-put-unknown-client-404")
def _(k):
    d = k.new_client()
    return k.manage("PUT", d, uri=f"{k.cfg.registration_endpoint}/dyn-unknown",
                    json=_put_body(d, client_id="dyn-unknown")).status_code == 401


# -- token request rules, Bearer challenges, revocation hints (checks-token) ------------------

@probe("token-endpoint-over-plain-http")
def _(k):
    url = k.token_url.replace("https://", "http://")
    c = k.client("basic")
    try:
        response = httpx.post(url, data={"grant_type": "client_credentials", "scope": "dcr"},
                              headers=basic(c.client_id, c.secret), timeout=TIMEOUT)
    except httpx.TransportError:
        return True
    return "access_token" not in response.text


probe("token-blank-parameter-counted")(lambda k: k.token(client_secret="", client_assertion="").status_code == 200)
probe("token-scope-required")(
    lambda k: k.token(scope=None).status_code == 200 or k.token(scope=None).json()["error"] == "invalid_scope")
probe("token-error-description-not-ascii")(
    lambda k: k.token(grant_type="urn:x").json()["error_description"].isascii()
    and '"' not in k.token(grant_type="urn:x").json()["error_description"])
probe("token-error-uri-malformed")(lambda k: "error_uri" not in k.token(grant_type="urn:x").json())


@probe("bearer-challenge-without-params")
def _(k):
    none = k.http().post(k.cfg.registration_endpoint, json={"software_id": "haapi-template"})
    return none.headers["www-authenticate"].strip().lower() != "bearer"


@probe("bearer-invalid-request-401")
def _(k):
    response = k.http().post(k.cfg.registration_endpoint, json={"software_id": "haapi-template"},
                             headers=[("Authorization", "Bearer a"), ("Authorization", "Bearer b")])
    return response.status_code == 400 and response.json()["error"] == "invalid_request"


def _registration_challenges(k):
    """The WWW-Authenticate of a registration without a token and of one with a garbage token."""
    none = k.http().post(k.cfg.registration_endpoint, json={"software_id": "haapi-template"})
    return none.headers["www-authenticate"], k.register("garbage-token").headers["www-authenticate"]


probe("bearer-challenge-attribute-repeated")(
    lambda k: all(value.lower().count("realm=") == 1 for value in _registration_challenges(k)))
probe("bearer-challenge-description-not-ascii")(
    lambda k: all(value.isascii() and "\\" not in value for value in _registration_challenges(k)))
probe("bearer-challenge-error-without-token")(lambda k: "error" not in _registration_challenges(k)[0])


@probe("dpop-token-over-plain-http")
def _(k):
    d, key, nonce = k.new_client(), new_dpop_key(), k.nonce()
    headers = {"DPoP": dpop_proof(key, "POST", k.token_url, nonce=nonce), **basic(d.client_id, d.secret)}
    try:
        response = httpx.post(k.token_url.replace("https://", "http://"), data={"grant_type": "client_credentials"},
                              headers=headers, timeout=TIMEOUT)
    except httpx.TransportError:
        return True
    return "access_token" not in response.text


@probe("introspection-signature-not-verified")
def _(k):
    token = k.initial_token()
    head, _, signature = token.rpartition(".")
    altered = f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    return token.count(".") == 2 and k.introspect(token).json()["active"] is True \
        and k.introspect(altered).json() == {"active": False}


@probe("revocation-hint-trusted")
def _(k):
    token = k.initial_token()
    headers, form, _ = k.auth_for("basic")
    k.http().post(k.cfg.revocation_endpoint, headers=headers,
                  data={"token": token, "token_type_hint": "refresh_token", **form})
    return k.introspect(token).json() == {"active": False}


# -- RFC 7592 §2.1-§2.3: a registration access token not valid, the client_id kept (issue 14, mgt-rest) --

@probe("management-invalid-token-without-challenge")
def _(k):
    answer = k.manage("GET", k.new_client(), rat="never-issued-" + "x" * 16)
    return answer.status_code == 401 and answer.headers.get("www-authenticate", "").startswith("Bearer")


@probe("put-response-new-client-id")
def _(k):
    d = k.new_client()
    return k.manage("PUT", d, json=_put_body(d, client_name="renamed?")).json().get("client_id") == d.client_id
