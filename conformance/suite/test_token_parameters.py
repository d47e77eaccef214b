"""The token endpoint's request parameters (RFC 6749 §3.2): unrecognized ones are ignored, none may
be included more than once (a repeat is §5.2's invalid_request)."""

from __future__ import annotations

from conformance.client.token import initial_token_request
from conformance.oracles.expect import refused_as_described
from conformance.oracles.token_response import token_success
from conformance.suite.check import check

from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

#: RFC 6749 §5.2 describes the 400 invalid_request of a repeated parameter without a keyword.
_REPEAT_DESCRIBED = 'RFC 6749 §5.2 "invalid_request: The request ... repeats a parameter"'

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-TOK-018": (
        ok("the token issued as without the unrecognized parameter", "RFC 6749 §3.2", "MUST",
           "The authorization server MUST ignore unrecognized request parameters."),
        ok("400 invalid_request for a repeated grant_type", "RFC 6749 §5.2", "descriptive",
           "invalid_request: The request ... repeats a parameter"),
        no("a refusal caused by the unrecognized parameter; a token for a request repeating a parameter",
           "RFC 6749 §3.2", "MUST NOT", "Request and response parameters MUST NOT be included more than once."),
        no("a 5xx, an HTML page, a refusal without an error code", "RFC 6749 §5.2", "REQUIRED",
           "error REQUIRED. A single ASCII [USASCII] error code from the following"),
        no("the repeat refused with another 4xx or another code than invalid_request, with an error code (a warning)",
           "RFC 6749 §5.2", "SHOULD", 'descriptive, no keyword: "The authorization server responds with an HTTP 400 '
           '(Bad Request) status code (unless specified otherwise)"; "invalid_request: The request ... repeats a '
           'parameter"'),
    ),
})


@check("DCR-TOK-018", "RFC6749-3.2-f", "RFC6749-3.2-g")
def test_unknown_parameters_are_ignored_and_repeats_refused(dcr_session, profile, main_client):
    """An unrecognized token request parameter is ignored, and a repeated grant_type is refused with invalid_request."""
    unknown = initial_token_request(profile, main_client).add_form("dcr_conformance_probe", "1")
    token_success(dcr_session.transport.send(unknown), "initial token request with an unrecognized parameter",
                  scope_contains="dcr", requirement="RFC6749-3.2-f")  # refused for the parameter: this check's MUST
    repeated = initial_token_request(profile, main_client).add_form("grant_type", "client_credentials")
    refused_as_described(dcr_session.transport.send(repeated), "initial token request with grant_type twice",
                         statuses={400}, errors={"invalid_request"}, described=_REPEAT_DESCRIBED)
