"""Curity's DCR management GraphQL API: requests and schema discovery.

The API is at ``{registration_endpoint}/graphql``, behind a Bearer token (the management client's
``dcrm`` token). Curity names the status values (enum ``DynamicallyRegisteredClientStatus``:
active / inactive / revoked) but not the mutation (no public source names it), so the mutation is found
by introspection: :func:`discover_status_mutation` looks, over a standard introspection result,
for a mutation whose arguments, or whose input object, carry a client id and a status of an enum
holding active, inactive and revoked (case-insensitive). The profile may name it (``[graphql]
status_mutation``, ``client_id_argument``, ``status_argument``) where that is ambiguous.

GraphQL over HTTP: ``POST`` ``application/json`` ``{"query", "variables"}``; errors come back as
``{"errors": [...]}``, often with HTTP 200. Builders only: the checks decide what is a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import get_introspection_query

from conformance.client.http import RequestSpec

#: The standard introspection query (no descriptions: the answer stays small).
INTROSPECTION_QUERY = get_introspection_query(descriptions=False)
STATUSES = ("active", "inactive", "revoked")
_CLIENT_ID_NAMES = ("clientid", "id")  # compared lower-case, underscores removed
_WRAPPERS = ("NON_NULL", "LIST")
_SELECTABLE = ("OBJECT", "INTERFACE", "UNION")


class SchemaDiscoveryError(ValueError):
    """The schema has no (or more than one) mutation that sets a client's status."""


def graphql_request(endpoint: str, token: str, query: str, variables: Mapping[str, Any] | None = None,
                    operation_name: str | None = None) -> RequestSpec:
    """A GraphQL request over HTTP: POST JSON with a Bearer token (RFC 6750 §2.1)."""
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = dict(variables)
    if operation_name is not None:
        body["operationName"] = operation_name
    headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
    return RequestSpec("POST", endpoint, headers, json=body)


def introspection_request(endpoint: str, token: str) -> RequestSpec:
    return graphql_request(endpoint, token, INTROSPECTION_QUERY, operation_name="IntrospectionQuery")


def error_messages(body: Any) -> list[str]:
    """The ``message`` of each GraphQL error in a response body (empty when there is none)."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return []
    if not isinstance(errors, list):
        return [repr(errors)]
    return [str(e.get("message", e)) if isinstance(e, dict) else repr(e) for e in errors]


# -- schema reading ----------------------------------------------------------------------------


def _named(ref: Mapping[str, Any]) -> Mapping[str, Any]:
    while ref.get("kind") in _WRAPPERS and ref.get("ofType"):
        ref = ref["ofType"]
    return ref


def render_type(ref: Mapping[str, Any]) -> str:
    """An introspected type reference as GraphQL source (``ID!``, ``[String!]``)."""
    kind = ref.get("kind")
    if kind == "NON_NULL":
        return render_type(ref["ofType"]) + "!"
    if kind == "LIST":
        return "[" + render_type(ref["ofType"]) + "]"
    return str(ref.get("name"))


def _required(value: Mapping[str, Any]) -> bool:
    return value["type"].get("kind") == "NON_NULL" and value.get("defaultValue") is None


@dataclass(frozen=True)
class _Schema:
    types: dict[str, Mapping[str, Any]]
    mutations: list[Mapping[str, Any]]

    @classmethod
    def of(cls, introspection: Mapping[str, Any]) -> _Schema:
        schema = introspection.get("__schema") if isinstance(introspection, Mapping) else None
        if not isinstance(schema, Mapping) or not isinstance(schema.get("types"), list):
            raise SchemaDiscoveryError("the answer is no introspection result (no __schema.types)")
        types = {t["name"]: t for t in schema["types"] if isinstance(t, Mapping) and t.get("name")}

        def fields(root: Any) -> list[Mapping[str, Any]]:
            name = root.get("name") if isinstance(root, Mapping) else None
            return list((types.get(name) or {}).get("fields") or []) if name else []

        return cls(types, fields(schema.get("mutationType")))

    def type_of(self, ref: Mapping[str, Any]) -> Mapping[str, Any]:
        named = _named(ref)
        return self.types.get(named.get("name"), named)

    def is_status(self, ref: Mapping[str, Any]) -> dict[str, str] | None:
        """lower-case status -> the enum's own value name, when ``ref`` is a status enum."""
        t = self.type_of(ref)
        if t.get("kind") != "ENUM":
            return None
        values = {v["name"].lower(): v["name"] for v in t.get("enumValues") or []}
        return {s: values[s] for s in STATUSES} if set(STATUSES) <= set(values) else None

    def is_client_id(self, value: Mapping[str, Any], wanted: str | None) -> bool:
        named = _named(value["type"])
        if named.get("kind") != "SCALAR" or named.get("name") not in ("ID", "String"):
            return False
        if wanted is not None:
            return value["name"] == wanted
        return value["name"].lower().replace("_", "") in _CLIENT_ID_NAMES


# -- the status mutation -----------------------------------------------------------------------


@dataclass(frozen=True)
class StatusMutation:
    """How to call the status mutation: its name and, when it takes an input object, that
    argument's name and type; the client id and status fields (inside it, or arguments)."""

    name: str
    client_id_field: str
    client_id_type: str
    status_field: str
    status_type: str
    statuses: dict[str, str] = field(default_factory=dict)  # active/inactive/revoked -> enum value
    input_argument: str | None = None
    input_type: str | None = None
    selection: str = ""  # " { __typename }" when the mutation returns an object

    def document(self) -> str:
        if self.input_argument is not None:
            return (f"mutation SetClientStatus($input: {self.input_type}) "
                    f"{{ {self.name}({self.input_argument}: $input){self.selection} }}")
        return (f"mutation SetClientStatus($clientId: {self.client_id_type}, $status: {self.status_type}) "
                f"{{ {self.name}({self.client_id_field}: $clientId, {self.status_field}: $status){self.selection} }}")

    def variables(self, client_id: str, status: str) -> dict[str, Any]:
        value = self.statuses.get(status.lower(), status)
        if self.input_argument is not None:
            return {"input": {self.client_id_field: client_id, self.status_field: value}}
        return {"clientId": client_id, "status": value}


def _fit(schema: _Schema, values: list[Mapping[str, Any]], client_id_name: str | None,
         status_name: str | None) -> tuple[Mapping[str, Any], Mapping[str, Any], dict[str, str]] | None:
    """(client id value, status value, statuses) when ``values`` (arguments or input fields) hold
    exactly one of each and nothing else required."""
    ids = [v for v in values if schema.is_client_id(v, client_id_name)]
    states = [(v, s) for v in values if (status_name is None or v["name"] == status_name)
              for s in [schema.is_status(v["type"])] if s]
    if len(ids) != 1 or len(states) != 1 or ids[0] is states[0][0]:
        return None
    others = [v for v in values if v is not ids[0] and v is not states[0][0]]
    if any(_required(v) for v in others):
        return None
    return ids[0], states[0][0], states[0][1]


def _candidates(schema: _Schema, mutation: Mapping[str, Any], client_id_name: str | None,
                status_name: str | None) -> list[StatusMutation]:
    name, args = mutation["name"], list(mutation.get("args") or [])
    named_return = _named(mutation["type"])
    selection = " { __typename }" if schema.type_of(named_return).get("kind") in _SELECTABLE else ""
    found = []
    direct = _fit(schema, args, client_id_name, status_name)
    if direct:
        cid, st, statuses = direct
        found.append(StatusMutation(name, cid["name"], render_type(cid["type"]), st["name"],
                                    render_type(st["type"]), statuses, selection=selection))
    for arg in args:
        input_type = schema.type_of(arg["type"])
        if input_type.get("kind") != "INPUT_OBJECT":
            continue
        if any(_required(other) for other in args if other is not arg):
            continue
        nested = _fit(schema, list(input_type.get("inputFields") or []), client_id_name, status_name)
        if nested:
            cid, st, statuses = nested
            found.append(StatusMutation(name, cid["name"], render_type(cid["type"]), st["name"],
                                        render_type(st["type"]), statuses, arg["name"],
                                        render_type(arg["type"]), selection))
    return found


def discover_status_mutation(introspection: Mapping[str, Any], *, name: str | None = None,
                             client_id_argument: str | None = None,
                             status_argument: str | None = None) -> StatusMutation:
    """The one mutation that sets a client's status (see the module docstring).

    ``name`` / ``client_id_argument`` / ``status_argument`` (the profile's ``[graphql]``
    overrides) narrow the search. Raises :class:`SchemaDiscoveryError` saying what was seen and
    which profile key settles it.
    """
    schema = _Schema.of(introspection)
    if not schema.mutations:
        raise SchemaDiscoveryError("the schema has no mutations")
    seen = sorted(m["name"] for m in schema.mutations)
    mutations = schema.mutations
    if name is not None:
        mutations = [m for m in mutations if m["name"] == name]
        if not mutations:
            raise SchemaDiscoveryError(f"[graphql] status_mutation {name!r} is not a mutation of the schema; "
                                       f"its mutations: {', '.join(seen)}")
    found = [c for m in mutations for c in _candidates(schema, m, client_id_argument, status_argument)]
    wanted = "a client id (ID or String: clientId, client_id, id) and a status of an enum with the " \
             "values active, inactive and revoked, as arguments or in one input object"
    if not found:
        where = f"mutation {name!r}" if name else f"no mutation (of: {', '.join(seen)})"
        raise SchemaDiscoveryError(f"{where} takes {wanted}; name the mutation and its fields with "
                                   "[graphql] status_mutation, client_id_argument and status_argument")
    if len(found) > 1:
        shapes = ", ".join(f"{c.name}({c.input_argument + ': {' if c.input_argument else ''}"
                           f"{c.client_id_field}, {c.status_field}{'}' if c.input_argument else ''})"
                           for c in found)
        raise SchemaDiscoveryError(f"several mutations fit: {shapes}; choose with [graphql] status_mutation "
                                   "(and client_id_argument / status_argument)")
    return found[0]


def status_request(endpoint: str, token: str, mutation: StatusMutation, client_id: str,
                   status: str) -> RequestSpec:
    """The status mutation for one client; ``status`` is active, inactive or revoked."""
    return graphql_request(endpoint, token, mutation.document(), mutation.variables(client_id, status),
                           operation_name="SetClientStatus")
