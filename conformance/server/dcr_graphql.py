"""Curity's DCR management GraphQL API, minimal: ``POST {registration_endpoint}/graphql``.

Curity serves it at the ``/graphql`` sub-path of the DCR endpoint: it lists and reads dynamic
clients and changes their status (Curity "Dynamic Client Registration
Management with GraphQL API"). The status enum is Curity's ``DynamicallyRegisteredClientStatus``
(active / inactive / revoked); the mutation is modelled on the Database Clients API's
``setDatabaseClientStatusById(input: ...)``. Introspection is on: clients find the mutation there.

Access (Curity: the token profile's authorization manager) needs a Bearer access token with scope
``dcrm`` of a management client: no or an unknown token is 401, a valid token without that right
403 ``insufficient_scope`` (RFC 6750 §3.1). GraphQL over HTTP: a JSON POST ``{"query",
"variables", "operationName"}``; results, GraphQL errors included, are 200 ``application/json``;
a body that is no GraphQL request is 400.

What a status means (Curity documents none of it: an inference): an inactive or
revoked client cannot authenticate (:mod:`.client_auth`: ``invalid_client``); revoked also
revokes every token issued to it (RFC 7592 §2.3 by analogy). Inactive is the reversible one: the
tokens it holds are left alone. Any status may be set again (active restores authentication, not
revoked tokens). RFC 7592 management of the client (its RAT, a dcrm token) works in any status.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import GraphQLError, build_schema, graphql_sync

from ..vocabulary import DCRM_SCOPE
from .access import managers_token, presented_token
from .config import REGISTRATION_PATH
from .context import Context
from .errors import OAuthError, bearer_challenge
from .http_messages import Request, Response, json_response
from .store import ACTIVE, REVOKED, DynamicClient, digest

PATH = REGISTRATION_PATH + "/graphql"

SCHEMA = build_schema('''
"Status of a dynamically registered client."
enum DynamicallyRegisteredClientStatus { active inactive revoked }

"A dynamically registered client; fields named as in the DCR/DCRM responses."
type DynamicallyRegisteredClient {
  client_id: ID!
  client_id_issued_at: Int
  client_name: String
  software_id: String
  status: DynamicallyRegisteredClientStatus!
  scope: String!
  grant_types: [String!]!
  redirect_uris: [String!]!
  token_endpoint_auth_methods: [String!]!
}

type DynamicallyRegisteredClientEdge { node: DynamicallyRegisteredClient! }

type DynamicallyRegisteredClientConnection {
  edges: [DynamicallyRegisteredClientEdge!]!
  totalCount: Int!
}

input SetDynamicallyRegisteredClientStatusByIdInput {
  clientId: ID!
  status: DynamicallyRegisteredClientStatus!
}

type SetDynamicallyRegisteredClientStatusPayload { client: DynamicallyRegisteredClient }

type Query {
  dynamicallyRegisteredClientById(id: ID!): DynamicallyRegisteredClient
  dynamicallyRegisteredClients(first: Int, status: DynamicallyRegisteredClientStatus): DynamicallyRegisteredClientConnection!
}

type Mutation {
  setDynamicallyRegisteredClientStatusById(input: SetDynamicallyRegisteredClientStatusByIdInput!): SetDynamicallyRegisteredClientStatusPayload
}
''')


def _view(client: DynamicClient) -> dict[str, Any]:
    metadata = client.metadata
    return {
        "client_id": client.client_id, "client_id_issued_at": client.issued_at,
        "client_name": metadata.get("client_name"), "software_id": client.software_id,
        "status": client.status, "scope": metadata.get("scope", ""),
        "grant_types": metadata.get("grant_types", []), "redirect_uris": metadata.get("redirect_uris", []),
        "token_endpoint_auth_methods": [metadata.get("token_endpoint_auth_method", "client_secret_basic")],
    }


class _Root:
    """The root value: graphql-core calls these methods (named as the schema's Query and
    Mutation fields) with the field's arguments."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def dynamicallyRegisteredClientById(self, info, id: str) -> dict | None:
        client = self.ctx.store.get_client(id)
        return None if client is None else _view(client)

    def dynamicallyRegisteredClients(self, info, first: int | None = None,
                                     status: str | None = None) -> dict:
        store = self.ctx.store
        clients = [c for c in map(store.get_client, store.client_ids())
                   if c is not None and (status is None or c.status == status)]
        shown = clients if first is None else clients[:max(first, 0)]
        return {"edges": [{"node": _view(c)} for c in shown], "totalCount": len(clients)}

    def setDynamicallyRegisteredClientStatusById(self, info, input: dict) -> dict:
        ctx, client_id, status = self.ctx, input["clientId"], input["status"]
        client = ctx.store.get_client(client_id)
        if client is None:
            raise GraphQLError(f"no dynamically registered client with id {client_id!r}")
        if status == ACTIVE and ctx.defects.on("graphql-reactivation-ignored"):  # DEFECT: a no-op
            return {"client": {**_view(client), "status": status}}
        updated = ctx.store.set_status(client_id, status)
        if updated is None:  # deleted meanwhile
            raise GraphQLError(f"no dynamically registered client with id {client_id!r}")
        if ctx.defects.on("graphql-status-affects-other-clients"):  # DEFECT: the whole template
            for other in ctx.store.client_ids(client.software_id):
                ctx.store.set_status(other, status)
        if status == REVOKED \
                and not ctx.defects.on("graphql-revoked-tokens-stay-active"):  # DEFECT: tokens live on
            ctx.store.revoke_client_tokens(client_id)
        return {"client": _view(updated)}


def _authorize(ctx: Context, request: Request) -> None:
    """A Bearer access token with scope dcrm of a management client, else 401 / 403 (RFC 6750 §3)."""
    presented = presented_token(request)
    if presented is None:
        raise OAuthError(401, None, None, [("WWW-Authenticate", bearer_challenge())])
    record = ctx.store.get_token(digest(presented.token)) if presented.token else None
    if presented.scheme != "bearer" or record is None or record.jkt is not None \
            or not record.active(ctx.now()):
        raise OAuthError(401, "invalid_token", "an active Bearer access token is needed",
                         [("WWW-Authenticate", bearer_challenge("invalid_token"))])
    if not managers_token(ctx, record):
        raise OAuthError(403, "insufficient_scope", f"the DCR GraphQL API needs scope {DCRM_SCOPE}",
                         [("WWW-Authenticate", bearer_challenge("insufficient_scope", scope=DCRM_SCOPE))])


def _bad_request(status: int, message: str) -> Response:
    return json_response(status, {"errors": [{"message": message}]}, no_store=True)


def handle(ctx: Context, request: Request) -> Response:
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", "use POST", [("Allow", "POST")])
    _authorize(ctx, request)
    if request.content_type != "application/json":
        return _bad_request(415, "the body must be application/json")
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        return _bad_request(400, "the body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return _bad_request(400, "the body must be a JSON object with a query string")
    variables, operation = body.get("variables"), body.get("operationName")
    if variables is not None and not isinstance(variables, dict):
        return _bad_request(400, "variables must be a JSON object")
    if operation is not None and not isinstance(operation, str):
        return _bad_request(400, "operationName must be a string")
    result = graphql_sync(SCHEMA, body["query"], root_value=_Root(ctx), variable_values=variables,
                          operation_name=operation)
    payload: dict[str, Any] = {}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.data is not None or not result.errors:
        payload["data"] = result.data
    return json_response(200, payload, no_store=True)
