"""Each conformant variant changes the answer it names: a probe that holds on the server with the
variant switched on does not hold on the default server (plain httpx over HTTPS).

A probe returns True when the server answered as the variant describes.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from conformance.server.variants import (INCOMPATIBLE, VARIANTS, ActiveVariants,
                                         IncompatibleVariants, UnknownVariant, compatible_groups)
from conformance.catalogue import load_checks
from flow_kit import pkce, start
from srv_kit import (HAAPI, JWT_BEARER, assertion, dpop_proof, jkt, load_key, new_dpop_key,
                     public_jwk)

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


def _unknown_template(k):
    return k.register(body={"software_id": "no-such-template"})


# --- token endpoint


probe("token-expires-in-omitted")(lambda k: "expires_in" not in k.token().json())
probe("token-scope-omitted-when-identical")(lambda k: "scope" not in k.token(scope="dcr").json())
probe("token-type-lowercase")(lambda k: k.token().json()["token_type"] == "bearer")


@probe("token-scope-narrowed")
def _(k):
    answer = k.token("unlisted", scope="dcr")  # no template names the unlisted client
    return answer.status_code == 200 and "dcr" not in answer.json()["scope"].split()


@probe("token-scope-omitted-invalid-scope")
def _(k):
    answer = k.token(scope=None)
    return answer.status_code == 400 and answer.json()["error"] == "invalid_scope"


@probe("invalid-client-400-without-authorization-header")
def _(k):
    answer = k.http().post(k.token_url, data={"grant_type": "client_credentials", "scope": "dcr",
                                              "client_id": "main-post", "client_secret": "wrong"})
    return answer.status_code == 400 and answer.json()["error"] == "invalid_client" \
        and "www-authenticate" not in answer.headers


@probe("registered-auth-method-only")
def _(k):
    c = k.client("basic")  # a client_secret_basic client presenting its secret in the body
    answer = k.http().post(k.token_url, data={"grant_type": "client_credentials", "scope": "dcr",
                                              "client_id": c.client_id, "client_secret": c.secret})
    return answer.status_code == 401 and answer.json()["error"] == "invalid_client"


@probe("assertion-jti-optional")
def _(k):
    c = k.client("es256")
    token = assertion(c.client_id, load_key(k.pki.jwt_key("ES256")[0]), "ES256", k.token_url,
                      kid=c.kid, jti=None)
    answer = k.http().post(k.token_url, data={"grant_type": "client_credentials", "scope": "dcr",
                                              "client_assertion_type": JWT_BEARER,
                                              "client_assertion": token})
    return answer.status_code == 200


# --- every answer


@probe("cache-control-extra-directives")
def _(k):
    directives = {d.strip() for d in k.token().headers["cache-control"].split(",")}
    return {"no-store", "max-age=0"} <= directives


probe("json-content-type-charset")(
    lambda k: k.token().headers["content-type"] == "application/json;charset=UTF-8")
probe("json-members-reordered")(lambda k: list(_doc(k))[0] != "issuer")
probe("error-extra-members")(lambda k: {"error_uri", "trace_id"} <= set(_unknown_template(k).json()))


@probe("error-description-omitted")
def _(k):
    body = _unknown_template(k).json()
    return body.get("error") == "invalid_client_metadata" and "error_description" not in body


probe("access-tokens-opaque")(lambda k: "." not in k.initial_token())


@probe("bearer-challenge-minimal")
def _(k):
    none = k.http().post(k.cfg.registration_endpoint, json={"software_id": "haapi-template"})
    garbage = k.register("garbage-token")
    return none.headers["www-authenticate"] == 'Bearer realm="dcr-conformance"' \
        and garbage.headers["www-authenticate"] == 'Bearer error="invalid_token"'


# --- metadata


probe("metadata-extra-members")(lambda k: "service_documentation" in _doc(k))
probe("metadata-mtls-aliases-omitted")(lambda k: "mtls_endpoint_aliases" not in _doc(k))


# --- registration


probe("registration-extra-server-members")(lambda k: k.new_client().body.get("application_type") == "native")


@probe("registration-scope-narrowed")
def _(k):
    answer = k.register(body={"software_id": "haapi-template", "scope": "openid outside-scope"})
    return answer.status_code == 201 and answer.json()["scope"] == "openid"


@probe("registration-grant-types-replaced")
def _(k):
    answer = k.register(body={"software_id": "haapi-template",
                              "grant_types": ["client_credentials", "password"]})
    return answer.status_code == 201 and answer.json()["grant_types"] == ["client_credentials"]


@probe("registration-types-made-consistent")
def _(k):
    answer = k.register(body={"software_id": "haapi-template", "grant_types": ["client_credentials"],
                              "response_types": ["code"]})
    return answer.status_code == 201 and answer.json()["response_types"] == [] \
        and answer.json()["grant_types"] == ["client_credentials"]


@probe("update-invalid-types-replaced")
def _(k):
    dyn = k.new_client()
    skip = {"registration_access_token", "registration_client_uri", "client_secret_expires_at",
            "client_id_issued_at", "client_secret", "registration_access_token_expires_in"}
    body = {**{n: v for n, v in dyn.body.items() if n not in skip}, "grant_types": "client_credentials"}
    answer = k.manage("PUT", dyn, json=body)
    return answer.status_code == 200 and answer.json()["grant_types"] == dyn.body["grant_types"]


@probe("registration-inert-redirect-uris")
def _(k):
    answer = k.register(body={"software_id": "haapi-template",
                              "redirect_uris": ["https://evil.example/cb"]})
    if answer.status_code != 201:
        return False
    body = answer.json()
    return body["redirect_uris"] == ["https://evil.example/cb"] and body["response_types"] == [] \
        and "authorization_code" not in body["grant_types"]


@probe("registration-device-jwks-binds-key")
def _(k):
    device = new_dpop_key()
    answer = k.register(body={"software_id": "haapi-template", "jwks": {"keys": [public_jwk(device)]}})
    if answer.status_code != 201:
        return False
    body = answer.json()
    if body.get("token_endpoint_auth_method") != "private_key_jwt" or "client_secret" in body:
        return False
    # The client authenticates with the device's key (RFC 7523), its token DPoP-bound.
    dpop = new_dpop_key()
    nonce = None
    for _ in range(2):
        form = {"grant_type": "client_credentials", "scope": HAAPI,
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion(body["client_id"], device, "ES256", k.token_url)}
        got = k.http().post(k.token_url, data=form,
                            headers={"DPoP": dpop_proof(dpop, "POST", k.token_url, nonce=nonce)})
        if got.status_code == 400 and got.json().get("error") == "use_dpop_nonce" and nonce is None:
            nonce = got.headers["DPoP-Nonce"]
            continue
        return got.status_code == 200 and got.json()["token_type"] == "DPoP"
    return False


probe("registration-issued-at-omitted")(lambda k: "client_id_issued_at" not in k.new_client().body)
probe("registration-secret-expires")(
    lambda k: k.new_client().body["client_secret_expires_at"] > time.time() + 300 * 86400)
probe("registration-rat-expires-in-omitted")(
    lambda k: "registration_access_token_expires_in" not in k.new_client().body)


@probe("initial-token-consumed-on-rejection")
def _(k):
    token = k.initial_token()
    assert k.register(token, {"software_id": "no-such-template"}).status_code == 400
    return k.register(token).status_code == 401


@probe("registration-missing-scope-401")
def _(k):
    openid = k.token(scope="openid").json()["access_token"]
    answer = k.register(openid)
    return answer.status_code == 401 and answer.json()["error"] == "insufficient_scope" \
        and 'scope="dcr"' in answer.headers["www-authenticate"]


# --- RFC 7592 management


@probe("management-uri-query")
def _(k):
    dyn = k.new_client()
    if not dyn.uri.endswith(f"?client_id={dyn.client_id}"):
        return False
    return k.manage("GET", dyn).json()["client_id"] == dyn.client_id


@probe("rotate-on-put-only")
def _(k):
    dyn = k.new_client()
    read = k.manage("GET", dyn).json()
    body = dict(read, client_name="updated")
    for name in ("registration_access_token", "registration_client_uri", "client_secret_expires_at",
                 "client_id_issued_at", "client_secret", "registration_access_token_expires_in"):
        body.pop(name, None)
    updated = k.manage("PUT", dyn, json=body).json()
    return read.get("registration_access_token") == dyn.rat and "client_secret" not in read \
        and updated["registration_access_token"] != dyn.rat and "client_secret" in updated


@probe("rotate-token-only")
def _(k):
    dyn = k.new_client()
    read = k.manage("GET", dyn).json()
    still = k.dyn_token(dyn)  # the secret was not rotated: it still works
    return read["registration_access_token"] != dyn.rat and "client_secret" not in read \
        and still.status_code == 200


@probe("management-foreign-token-403")
def _(k):
    a, b = k.new_client(), k.new_client()
    return k.manage("GET", a, rat=b.rat).status_code == 403


# --- RFC 7009 / RFC 7662


@probe("revocation-foreign-token-200")
def _(k):
    other = k.token("basic", scope="openid").json()["access_token"]
    answer = k.revoke(other, label="post")
    return answer.status_code == 200 and k.introspect(other).json()["active"] is True


@probe("revocation-json-body")
def _(k):
    own = k.token("basic", scope="openid").json()["access_token"]
    answer = k.revoke(own, label="basic")
    return answer.status_code == 200 and bool(answer.content) and answer.json() == {"revoked": True}


@probe("introspection-minimal")
def _(k):
    token = k.token("basic", scope="openid").json()["access_token"]
    return set(k.introspect(token).json()) == {"active", "scope", "client_id", "exp"}


@probe("introspection-extra-members")
def _(k):
    token = k.token("basic", scope="openid").json()["access_token"]
    return {"aud", "nbf", "jti"} <= set(k.introspect(token).json())


# --- RFC 9449 details: nonces and dpop_jkt


@probe("token-unknown-nonce-invalid-proof")
def _(k):
    answer = k.dyn_token(k.new_client(), retry_nonce=False, proof_kwargs={"nonce": "made-up-nonce-0123"})
    return answer.status_code == 400 and answer.json()["error"] == "invalid_dpop_proof"


@probe("dpop-jkt-checked-at-authorization")
def _(k):
    flow = start(k)
    _, challenge = pkce()
    answer = flow.authorize(challenge, dpop_jkt=jkt(new_dpop_key()))
    return answer.status_code == 400 and answer.json().get("error") == "invalid_request"


@probe("www-authenticate-one-field-line")
def _(k):
    answer = k.http().get(k.cfg.resource_url)  # no credentials: a DPoP and a Bearer challenge
    lines = answer.headers.get_list("WWW-Authenticate")
    return answer.status_code == 401 and len(lines) == 1 and lines[0].startswith("DPoP ") \
        and ", Bearer" in lines[0]


# --- code flow and transport


@probe("refresh-token-not-rotated")
def _(k):
    flow = start(k)
    refresh_token = flow.tokens()["refresh_token"]
    first = flow.refresh(refresh_token)
    second = flow.refresh(refresh_token)
    return first.status_code == 200 and "refresh_token" not in first.json() \
        and second.status_code == 200


@probe("plain-http-redirect")
def _(k):
    with socket.create_connection(("127.0.0.1", k.srv.port), timeout=5) as sock:
        sock.sendall(b"POST /token-service/oauth-registration HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 0\r\n\r\n")
        answer = sock.recv(4096)
    return answer.startswith(b"HTTP/1.1 301") and b"Location: https://" in answer


# --- TLS, jwks_uri, scopes_supported, redirect_uris, RFC 7592 unknown clients (issue 14)


@probe("tls-1.2-only")
def _(k):  # a client offering TLS 1.2 and 1.3 gets TLS 1.2
    import socket

    from srv_kit import tls_context

    with socket.create_connection(("127.0.0.1", k.srv.port), timeout=10) as raw, \
            tls_context(k.pki).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        return tls.version() == "TLSv1.2"


@probe("metadata-jwks-signing-only")
def _(k):
    keys = k.http().get(_doc(k)["jwks_uri"]).json()["keys"]
    return len(keys) == 1 and "use" not in keys[0]


probe("metadata-scopes-partial")(lambda k: _doc(k)["scopes_supported"] == ["openid"])
probe("registration-redirect-uris-from-template")(
    lambda k: k.new_client({"software_id": "haapi-template", "redirect_uris": ["https://app.example/callback"]})
    .body["redirect_uris"] == ["https://app.example/callback", "com.example.app:/callback"])


@probe("management-unknown-client-token-kept")
def _(k):
    d = k.new_client()
    gone = k.manage("GET", d, uri=f"{k.cfg.registration_endpoint}/dyn-unknown")
    return gone.status_code == 401 and k.manage("GET", d).status_code == 200


# --------------------------------------------------------------------------------- the tests


def test_every_variant_has_a_probe():
    assert sorted(PROBES) == sorted(VARIANTS)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_changes_the_answer(name, kit, make_server):
    """The probe holds with the variant on, and does not on the default server."""
    assert PROBES[name](make_server(variants=[name])), f"{name}: the variant did not answer as described"
    assert not PROBES[name](kit), f"{name}: the default server already answers this way"


def test_catalogue_entries_are_complete():
    known_checks = set(load_checks())
    for variant in VARIANTS.values():
        assert variant.section.startswith("RFC ") and variant.words and variant.default and variant.instead
        assert '"' in variant.words, f"{variant.name}: the RFC words are quoted"
        assert variant.checks and set(variant.checks) <= known_checks, (variant.name, variant.checks)


def test_active_variants_refuse_unknown_and_incompatible_names():
    with pytest.raises(UnknownVariant):
        ActiveVariants(["no-such-variant"])
    with pytest.raises(UnknownVariant):
        ActiveVariants().on("no-such-variant")  # a typo in the server code is an error
    for pair in INCOMPATIBLE:
        with pytest.raises(IncompatibleVariants):
            ActiveVariants(sorted(pair))
    groups = compatible_groups()
    assert sorted(name for group in groups for name in group) == sorted(VARIANTS)


def test_all_compatible_variants_at_once_serve_a_registration(make_server):
    k = make_server(variants=compatible_groups()[0])
    dyn = k.new_client()
    assert dyn.uri.endswith(f"?client_id={dyn.client_id}")
    assert k.dyn_token(dyn).status_code == 200


def test_list_variants_prints_an_aligned_table():
    out = subprocess.run([sys.executable, "-m", "conformance.server", "--list-variants"],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["VARIANT", "ALLOWED", "BY", "CHECKS"]
    rows = lines[1:1 + len(VARIANTS)]
    assert [row.split()[0] for row in rows] == list(VARIANTS)
    column = lines[0].index("ALLOWED BY")
    assert all(row[column - 2:column] == "  " and row[column] == "R" for row in rows)
    assert "not combinable: " in out


def test_serve_refuses_unknown_or_incompatible_variants():
    unknown = subprocess.run([sys.executable, "-m", "conformance.server", "--port", "0",
                              "--variant", "no-such-variant"], capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 2 and "unknown variant" in unknown.stderr
    pair = sorted(next(iter(INCOMPATIBLE)))
    both = subprocess.run([sys.executable, "-m", "conformance.server", "--port", "0",
                           "--variant", pair[0], "--variant", pair[1]], capture_output=True, text=True,
                          timeout=60)
    assert both.returncode == 2 and "cannot be combined" in both.stderr


def test_run_passes_variants_to_the_embedded_server_and_refuses_them_with_a_profile(capsys):
    from conformance import cli

    args = cli.build_parser().parse_args(["run", "--variant", "token-type-lowercase",
                                          "--variant", "revocation-json-body"])
    argv = cli.pytest_arguments(args)
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg == "--dcr-variant"] == \
        ["token-type-lowercase", "revocation-json-body"]
    assert cli.main(["run", "--variant", "no-such-variant"]) == cli.EXIT_USAGE
    assert "unknown variant 'no-such-variant'" in capsys.readouterr().err
    assert cli.main(["run", "--variant", "token-type-lowercase", "--profile", "p.toml"]) == cli.EXIT_USAGE
    assert "--variant apply to the embedded reference server" in capsys.readouterr().err
