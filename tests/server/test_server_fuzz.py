"""No input gets a 5xx: generated registration bodies, form bodies and headers (Hypothesis)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELDS = ["software_id", "scope", "redirect_uris", "grant_types", "response_types",
          "token_endpoint_auth_method", "client_name", "jwks", "jwks_uri", "software_statement",
          "contacts", "dpop_bound_access_tokens", "client_id", "client_secret", "x-unknown"]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) |
                    st.text(max_size=20) | st.sampled_from(["haapi-template", "dcr", "a.b.c"]),
                    lambda inner: st.lists(inner, max_size=3) |
                    st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
BODIES = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6)
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(body=BODIES)
def test_registration_bodies(kit, body):
    response = kit.register(body=body)
    assert response.status_code < 500, response.text
    assert response.status_code in (201, 400), response.text
    if response.status_code == 400:
        assert response.json()["error"] in ("invalid_client_metadata", "invalid_redirect_uri",
                                            "invalid_software_statement",
                                            "unapproved_software_statement", "invalid_request")


@FUZZ
@given(raw=st.binary(max_size=200), content_type=st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "a/b; x=\""]))
def test_raw_bodies_everywhere(kit, raw, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    for url in (kit.cfg.registration_endpoint, kit.token_url, kit.cfg.introspection_endpoint,
                kit.cfg.revocation_endpoint):
        response = kit.http().post(url, content=raw, headers={
            **headers, "Authorization": "Bearer x"})
        assert response.status_code < 500, (url, response.text)


@FUZZ
@given(form=st.dictionaries(st.sampled_from(
    ["grant_type", "scope", "client_id", "client_secret", "client_assertion",
     "client_assertion_type", "token", "token_type_hint"]),
    st.text(max_size=30) | st.sampled_from(["client_credentials", "dcr", "main-basic",
                                           "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                           "e30.e30.", "a.b.c"]), max_size=5),
    authorization=st.sampled_from(["", "Basic", "Basic !!!", "Basic Og==", "Bearer", "DPoP a b"]),
    dpop=st.sampled_from(["", "x", "a.b.c", "e30.e30.e30"]))
def test_token_forms(kit, form, authorization, dpop):
    headers = {}
    if authorization:
        headers["Authorization"] = authorization
    if dpop:
        headers["DPoP"] = dpop
    response = kit.http().post(kit.token_url, data=form, headers=headers)
    assert response.status_code < 500, response.text
    json.loads(response.text)


@FUZZ
@given(body=BODIES, method=st.sampled_from(["GET", "PUT", "DELETE", "PATCH"]),
       client_id=st.text(min_size=1, max_size=20).filter(lambda s: "/" not in s and "?" not in s
                                                         and "#" not in s))
def test_management_inputs(kit, body, method, client_id):
    from urllib.parse import quote
    url = f"{kit.cfg.registration_endpoint}/{quote(client_id, safe='')}"
    response = kit.http().request(method, url, json=body if method == "PUT" else None,
                                  headers={"Authorization": "Bearer garbage"})
    assert response.status_code in (401, 405), response.text
