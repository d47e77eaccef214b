"""DCR GraphQL status API (Curity's DCR GraphQL API): mutation discovery over canned schemas, the requests,
and the suite's handling of GraphQL and HTTP errors (respx)."""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest
import respx
from graphql import build_schema, introspection_from_schema, parse, validate

from conformance.client import dcr_graphql as g
from conformance.client.http import Transport
from conformance.client.session import DcrSession
from conformance.oracles.failures import CheckFailure, PrerequisiteFailure
from conformance.profile import ClientConfig, GraphqlSection
from conformance.suite.graphql_status import status_api

CURITY_LIKE = """
enum DynamicallyRegisteredClientStatus { active inactive revoked }
type DynamicallyRegisteredClient { client_id: ID! status: DynamicallyRegisteredClientStatus! }
input SetDynamicallyRegisteredClientStatusByIdInput { clientId: ID! status: DynamicallyRegisteredClientStatus! }
type SetPayload { client: DynamicallyRegisteredClient }
type Query { dynamicallyRegisteredClientById(id: ID!): DynamicallyRegisteredClient }
type Mutation {
  setDynamicallyRegisteredClientStatusById(input: SetDynamicallyRegisteredClientStatusByIdInput!): SetPayload
  deleteSomething(id: ID!): Boolean
}
"""


def schema(sdl: str) -> dict:
    return introspection_from_schema(build_schema(sdl))


def test_curity_like_input_object_is_found():
    m = g.discover_status_mutation(schema(CURITY_LIKE))
    assert (m.name, m.input_argument, m.client_id_field, m.status_field) == (
        "setDynamicallyRegisteredClientStatusById", "input", "clientId", "status")
    assert m.document() == ("mutation SetClientStatus($input: SetDynamicallyRegisteredClientStatusByIdInput!) "
                            "{ setDynamicallyRegisteredClientStatusById(input: $input) { __typename } }")
    assert m.variables("dyn-1", "revoked") == {"input": {"clientId": "dyn-1", "status": "revoked"}}
    assert validate(build_schema(CURITY_LIKE), parse(m.document())) == []  # valid against its schema


def test_direct_arguments_and_upper_case_enum_values():
    sdl = """
    enum ClientStatus { ACTIVE INACTIVE REVOKED }
    type Query { ok: Boolean }
    type Mutation { changeDcrClientStatus(client_id: String!, newStatus: ClientStatus!, reason: String): Boolean }
    """
    m = g.discover_status_mutation(schema(sdl))
    assert (m.input_argument, m.client_id_field, m.status_field, m.selection) == (None, "client_id", "newStatus", "")
    assert m.variables("dyn-1", "inactive") == {"clientId": "dyn-1", "status": "INACTIVE"}
    assert "$clientId: String!" in m.document() and "client_id: $clientId" in m.document()
    assert validate(build_schema(sdl), parse(m.document())) == []


def test_absent_mutation_says_what_was_seen_and_which_key_helps():
    sdl = """
    enum Colour { red green }
    type Query { ok: Boolean }
    type Mutation { paint(id: ID!, colour: Colour!): Boolean }
    """
    with pytest.raises(g.SchemaDiscoveryError, match=r"no mutation \(of: paint\).*status_mutation"):
        g.discover_status_mutation(schema(sdl))
    with pytest.raises(g.SchemaDiscoveryError, match="no mutations"):
        g.discover_status_mutation(schema("type Query { ok: Boolean }"))
    with pytest.raises(g.SchemaDiscoveryError, match="no introspection result"):
        g.discover_status_mutation({"data": None})


def test_ambiguous_schemas_name_the_candidates_and_the_overrides_settle_them():
    sdl = CURITY_LIKE.replace("deleteSomething(id: ID!): Boolean",
                              "updateClientStatus(clientId: ID!, status: DynamicallyRegisteredClientStatus!): Boolean")
    with pytest.raises(g.SchemaDiscoveryError, match="several mutations fit: .*setDynamically.*updateClientStatus"):
        g.discover_status_mutation(schema(sdl))
    assert g.discover_status_mutation(schema(sdl), name="updateClientStatus").input_argument is None
    with pytest.raises(g.SchemaDiscoveryError, match="'nope' is not a mutation.*updateClientStatus"):
        g.discover_status_mutation(schema(sdl), name="nope")


def test_argument_overrides_pick_between_two_id_fields():
    sdl = """
    enum S { active inactive revoked }
    input In { id: ID clientId: ID! status: S! }
    type Query { ok: Boolean }
    type Mutation { setStatus(input: In!): Boolean }
    """
    with pytest.raises(g.SchemaDiscoveryError):
        g.discover_status_mutation(schema(sdl))  # two id fields: neither is taken on a guess
    m = g.discover_status_mutation(schema(sdl), client_id_argument="clientId", status_argument="status")
    assert m.client_id_field == "clientId"


def test_a_mutation_needing_more_than_id_and_status_is_not_taken():
    sdl = """
    enum S { active inactive revoked }
    type Query { ok: Boolean }
    type Mutation { setStatus(id: ID!, status: S!, approvedBy: String!): Boolean }
    """
    with pytest.raises(g.SchemaDiscoveryError):
        g.discover_status_mutation(schema(sdl))


def test_requests_are_json_posts_with_a_bearer_token():
    spec = g.introspection_request("https://as.example/graphql", "tok")
    assert (spec.method, spec.headers["Authorization"]) == ("POST", "Bearer tok")
    assert spec.json["query"] == g.INTROSPECTION_QUERY and spec.json["operationName"] == "IntrospectionQuery"
    assert g.error_messages({"errors": [{"message": "boom"}, "odd"]}) == ["boom", "'odd'"]
    assert g.error_messages({"data": {}}) == [] and g.error_messages(None) == []


# -- the suite's view of it, against respx ---------------------------------------------------

REG = "https://as.example/token-service/oauth-registration"
TOKEN = "https://as.example/oauth/v2/oauth-token"
GRAPHQL = REG + "/graphql"
DCRM_TOKEN = "dcrm-token-secret-1"


@pytest.fixture
def session(profile):
    manager = ClientConfig("manager", "dcr-manager", "client_secret_basic", client_secret="manager-secret-1")
    managed = replace(profile, management_client=manager, graphql=GraphqlSection())
    with respx.mock(assert_all_called=False) as router, Transport.for_profile(managed) as transport:
        router.post(TOKEN).respond(200, json={"access_token": DCRM_TOKEN, "token_type": "Bearer",
                                              "expires_in": 300, "scope": "dcrm"})
        yield DcrSession(managed, transport), router


def _graphql(router, answer):
    """Introspection answers the Curity-like schema; the mutation answers ``answer``."""
    def reply(request: httpx.Request):
        assert request.headers["Authorization"] == f"Bearer {DCRM_TOKEN}"
        if json.loads(request.content).get("operationName") == "IntrospectionQuery":
            return httpx.Response(200, json={"data": schema(CURITY_LIKE)})
        return answer
    router.post(GRAPHQL).mock(side_effect=reply)


def test_a_graphql_error_with_http_200_fails_the_check_with_the_evidence(session):
    dcr_session, router = session
    _graphql(router, httpx.Response(200, json={"data": {"setDynamicallyRegisteredClientStatusById": None},
                                               "errors": [{"message": "no such client"}]}))
    api = status_api(dcr_session)
    assert api.endpoint == GRAPHQL and api.mutation.input_argument == "input"
    with pytest.raises(CheckFailure) as failure:
        api.set("dyn-1", "revoked")
    text = str(failure.value)
    assert "GraphQL errors: no such client" in text and "sent POST " + GRAPHQL in text
    assert DCRM_TOKEN not in text  # the management token is redacted


@pytest.mark.parametrize("answer, words", [
    (httpx.Response(401, json={"error": "invalid_token"}, headers={"WWW-Authenticate": "Bearer"}), "HTTP 401"),
    (httpx.Response(200, text="<html>", headers={"Content-Type": "text/html"}), "not a JSON object"),
    (httpx.Response(200, json={"data": None}), "no data"),
])
def test_http_level_errors_fail_the_check(session, answer, words):
    dcr_session, router = session
    _graphql(router, answer)
    with pytest.raises(CheckFailure, match=words):
        status_api(dcr_session).set("dyn-1", "inactive")


def test_an_unusable_schema_fails_with_the_discovery_message(session):
    dcr_session, router = session
    router.post(GRAPHQL).respond(200, json={"data": schema("type Query { ok: Boolean }")})
    with pytest.raises(CheckFailure, match="schema at .*graphql: the schema has no mutations"):
        status_api(dcr_session)


def test_no_management_token_is_a_failed_prerequisite(session):
    dcr_session, router = session
    router.post(TOKEN).respond(400, json={"error": "invalid_scope"})
    with pytest.raises(PrerequisiteFailure, match="^prerequisite: the management client got no token"):
        status_api(dcr_session)
