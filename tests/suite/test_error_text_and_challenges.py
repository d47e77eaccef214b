"""The oracles of RFC 6749 §5.2's error text members and RFC 6750 §3's challenges, on made-up values."""

from __future__ import annotations

import httpx
import pytest

from conformance.client.http import CapturedRequest, Exchange
from conformance.oracles.challenges import bearer_challenges, error_code, parse
from conformance.oracles.error_text import (challenge_attribute_problem, description_problem, text_member_problems,
                                            uri_problem)


@pytest.mark.parametrize("value", ["", "client authentication failed", "scope 'dcr' is not allowed: [x] {y} ~!"])
def test_descriptions_within_the_set_pass(value):
    assert description_problem(value) is None


@pytest.mark.parametrize("value", ['say "no"', "back\\slash", "line\nfeed", "tab\t", "em \u2014 dash", "caf\u00e9",
                                   "\x7f", 42, None, ["failed"]])
def test_descriptions_outside_the_set_fail(value):
    assert description_problem(value)


@pytest.mark.parametrize("value", ["https://as.example/errors#invalid_client", "/errors/invalid_client",
                                   "https://as.example/e?code=invalid%20client", "urn:example:error:1"])
def test_uri_references_pass(value):
    assert uri_problem(value) is None


@pytest.mark.parametrize("value", ["https://as.example/token errors", "https://as.example/a|b", 'https://x/"q"',
                                   "https://as.example/%zz", "https://as.example/a#b#c", "https://as.example/^",
                                   "1http://as.example/", "https://as.example/\u00e9", 7])
def test_uri_references_outside_the_syntax_fail(value):
    assert uri_problem(value)


def test_only_the_members_present_are_judged():
    assert text_member_problems({"error": "invalid_request"}) == []
    assert len(text_member_problems({"error": "x", "error_description": "\u2014", "error_uri": "a b"})) == 2


@pytest.mark.parametrize(("values", "params"), [
    (['Bearer realm="example"'], [{"realm": "example"}]),
    (['Bearer realm="a, b", error="invalid_token", error_description="x \\"y\\""'],
     [{"realm": "a, b", "error": "invalid_token", "error_description": 'x "y"'}]),
    (["bearer error=invalid_token"], [{"error": "invalid_token"}]),
    (['Bearer realm="x", DPoP algs="ES256"'], [{"realm": "x"}]),
    (["Basic realm=\"b\"", "Bearer scope=\"dcr\""], [{"scope": "dcr"}]),
    (["Bearer"], [{}]),
    (["Bearer abc123=="], [{}]),
    (["Basic realm=\"x\""], []),
])
def test_bearer_challenges_and_their_auth_params(values, params):
    assert [c.params for c in bearer_challenges(values)] == params


def test_a_token68_is_told_apart_from_auth_params():
    [challenge] = parse(["Bearer abc123=="])
    assert challenge.token68 == "abc123==" and challenge.params == {}


def _exchange(status: int, body: object, headers: dict) -> Exchange:
    request = CapturedRequest("POST", "https://as.example/register", (), "")
    return Exchange(request, httpx.Response(status, json=body, headers=headers), None, 0.001)


def test_the_error_code_comes_from_the_body_else_the_challenge():
    challenged = {"WWW-Authenticate": 'Bearer realm="x", error="insufficient_scope"'}
    assert error_code(_exchange(403, {"error": "invalid_token"}, challenged)) == "invalid_token"
    assert error_code(_exchange(403, None, challenged)) == "insufficient_scope"
    assert error_code(_exchange(401, None, {"WWW-Authenticate": 'Bearer realm="x"'})) is None


@pytest.mark.parametrize(("name", "value"), [
    ("scope", "dcr openid"), ("error", "invalid_token"), ("error_description", "the token isn't valid: [x] ~!"),
    ("error_uri", "https://as.example/errors#invalid_token"), ("realm", "caf\u00e9 \"x\""), ("algs", "\u2014"),
])
def test_challenge_attributes_within_rfc_6750_sets_pass(name, value):
    assert challenge_attribute_problem(name, value) is None  # realm and extension params are not judged


@pytest.mark.parametrize(("name", "value"), [
    ("scope", 'dcr "x"'), ("scope", "dcr\topenid"), ("error", "invalid\u00e9"), ("error_description", 'say "no"'),
    ("error_description", "back\\slash"), ("error_description", "d\u00e9j\u00e0 vu"), ("error_uri", "https://x/a b"),
    ("error_uri", "https://x/%zz"),
])
def test_challenge_attributes_outside_rfc_6750_sets_fail(name, value):
    problem = challenge_attribute_problem(name, value)
    assert problem and f"the {name} attribute" in problem
