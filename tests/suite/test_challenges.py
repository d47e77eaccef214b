"""conformance.oracles.challenges reads WWW-Authenticate as RFC 9110 §11.6.1 writes it: several
challenges in one field line, parameters separated by the same commas, quoted strings, token68."""

from __future__ import annotations

from conformance.oracles.challenges import of_scheme, parse


def test_rfc_9449_figures():
    # Figure 17: no credentials, two challenges in one field line, no error information.
    bearer, dpop = parse(['Bearer, DPoP algs="ES256 PS256"'])
    assert (bearer.scheme, bearer.params, dpop.scheme, dpop.params) == \
        ("Bearer", {}, "DPoP", {"algs": "ES256 PS256"})
    # Figure 18: the error belongs to the Bearer challenge, not to the DPoP one after it.
    found = parse(['Bearer error="invalid_token", error_description="Invalid token", DPoP algs="ES256 PS256"'])
    assert of_scheme(found, "bearer").error_info() == {"error": "invalid_token", "error_description": "Invalid token"}
    assert of_scheme(found, "DPOP").error_info() == {} and of_scheme(found, "Basic") is None
    # Figure 16: one challenge, unquoted spacing around "=" allowed (BWS).
    [one] = parse(['DPoP error = "invalid_token", error_description="Invalid DPoP key binding", algs="ES256"'])
    assert one.params == {"error": "invalid_token", "error_description": "Invalid DPoP key binding", "algs": "ES256"}


def test_several_field_lines_quoted_commas_escapes_and_token68():
    found = parse(['Newauth realm="apps", type=1, title="Login to \\"apps\\", please"', "Basic abc==",
                   'DPoP error=use_dpop_nonce'])
    assert [c.scheme for c in found] == ["Newauth", "Basic", "DPoP"]
    assert found[0].params == {"realm": "apps", "type": "1", "title": 'Login to "apps", please'}
    assert (found[1].token68, found[1].params) == ("abc==", {})
    assert found[2].params == {"error": "use_dpop_nonce"}
    assert parse([]) == [] and parse([", ,"]) == []


def test_repeated_auth_params_are_kept_in_pairs():
    [challenge] = parse(['Bearer realm="a", error="invalid_token", REALM="b", error="invalid_token", scope="dcr"'])
    assert challenge.params == {"realm": "b", "error": "invalid_token", "scope": "dcr"}  # the last value wins
    assert challenge.pairs == [("realm", "a"), ("error", "invalid_token"), ("realm", "b"),
                               ("error", "invalid_token"), ("scope", "dcr")]
    assert challenge.repeated() == ["realm", "error"]
    # Two challenges of one scheme each hold their own realm (RFC 9110 §11.6.1).
    assert [c.repeated() for c in parse(['Bearer realm="a", Bearer realm="b"'])] == [[], []]
    assert parse(["Bearer abc=="])[0].pairs == []
