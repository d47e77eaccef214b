"""The token endpoint's request parameters (RFC 6749 §3.2): unrecognized ones are ignored, none may
be included more than once (a repeat is §5.2's invalid_request)."""

from __future__ import annotations

from conformance.client.token import initial_token_request
from conformance.oracles.expect import error_response
from conformance.oracles.token_response import token_success
from conformance.suite.check import check


@check("DCR-TOK-018", "RFC6749-3.2-f", "RFC6749-3.2-g")
def test_unknown_parameters_are_ignored_and_repeats_refused(dcr_session, profile, main_client):
    """An unrecognized token request parameter is ignored, and a repeated grant_type is refused with invalid_request."""
    unknown = initial_token_request(profile, main_client).add_form("dcr_conformance_probe", "1")
    token_success(dcr_session.transport.send(unknown), "initial token request with an unrecognized parameter",
                  scope_contains="dcr")
    repeated = initial_token_request(profile, main_client).add_form("grant_type", "client_credentials")
    error_response(dcr_session.transport.send(repeated), {400}, {"invalid_request"},
                   "initial token request with grant_type twice")
