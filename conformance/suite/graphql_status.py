"""The DCR GraphQL status API as the checks use it (DCR-REV-001/002/004).

:func:`status_api` gets the ``[management_client]``'s token for ``[graphql] scope``, introspects
the schema at ``[graphql] endpoint`` and finds the status mutation
(:func:`conformance.client.dcr_graphql.discover_status_mutation`, with the profile's overrides);
:meth:`StatusApi.set` changes one client's status. A GraphQL error (``{"errors": [...]}``, with
HTTP 200 or not) fails the check with the exchange as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.client import dcr_graphql
from conformance.client.http import Exchange
from conformance.client.session import DcrSession
from conformance.oracles.expect import expect, fail, success
from conformance.oracles.failures import PrerequisiteFailure


def graphql_data(ex: Exchange, what: str) -> dict:
    """The ``data`` of a GraphQL answer: 200 JSON without ``errors``."""
    body = success(ex, 200, what)
    errors = dcr_graphql.error_messages(body)
    expect(not errors, f"{what}: GraphQL errors: {'; '.join(errors)}", "a GraphQL result without errors", ex)
    expect(isinstance(body.get("data"), dict), f"{what}: no data in the GraphQL answer", "a data object", ex)
    return body["data"]


@dataclass(frozen=True)
class StatusApi:
    dcr_session: DcrSession
    endpoint: str
    token: str
    mutation: dcr_graphql.StatusMutation

    def set(self, client_id: str, status: str) -> Exchange:
        """Set the client's status (active / inactive / revoked); the check fails on an error."""
        ex = self.dcr_session.transport.send(dcr_graphql.status_request(self.endpoint, self.token, self.mutation,
                                                                        client_id, status))
        graphql_data(ex, f"the DCR GraphQL mutation {self.mutation.name} setting status {status}")
        return ex


def status_api(dcr_session: DcrSession) -> StatusApi:
    """The management client's token and the status mutation found in the schema."""
    profile = dcr_session.profile
    settings = profile.graphql
    token, got = dcr_session.management_token(settings.scope)  # added to the redactor by the session
    if token is None:
        raise PrerequisiteFailure(f"prerequisite: the management client got no token for scope "
                                  f"{settings.scope!r}\n  " + got.describe().replace("\n", "\n  "), "CURITY-DCRM-MANAGER")
    endpoint = profile.graphql_endpoint
    ex = dcr_session.transport.send(dcr_graphql.introspection_request(endpoint, token))
    data = graphql_data(ex, "introspection of the DCR GraphQL schema")
    try:
        mutation = dcr_graphql.discover_status_mutation(
            data, name=settings.status_mutation, client_id_argument=settings.client_id_argument,
            status_argument=settings.status_argument)
    except dcr_graphql.SchemaDiscoveryError as exc:
        fail(f"the DCR GraphQL schema at {endpoint}: {exc}",
             "one mutation setting a client's status (active / inactive / revoked)", ex)
    return StatusApi(dcr_session, endpoint, token, mutation)
