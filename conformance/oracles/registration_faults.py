"""What a fuzzed registration did: the fault vocabulary the acceptance model judges.

A strategy (:mod:`conformance.fuzz.strategies`) describes each attempt as a :class:`Payload`:
the template's request (``{"software_id": <template>}``, RFC 7591 §3.1) plus :class:`Mutation` s,
each tagged with the kind of fault it introduces, or a :class:`RawBody` that is not that JSON
object at all. The tags say only *what was done*; what a server must answer to each is decided
by :func:`conformance.oracles.registration.expectation`, from RFC 7591 §2 and §3.2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.client.fields import OMIT
from conformance.oracles.failures import short

#: Fault tags of a mutation (what was done; the oracle decides what the server must answer).
FIELD_OK = "template"            # a value the template allows (restating or narrowing it)
OUTSIDE = "outside-template"     # well-formed, but more than the template allows
SYNTAX = "syntax"                # the value is not what RFC 7591 §2 / RFC 6749 §3.1.2 allow
TYPE = "type"                    # wrong JSON type (including nested objects and arrays)
NULL = "null"                    # JSON null
ODD = "odd"                      # well-typed but unusual: huge, unicode, control characters
CONFLICT = "conflict"            # members that contradict each other (jwks + jwks_uri, types)
UNKNOWN = "unknown-field"        # an extension member the server does not know (MUST be ignored)
SERVER_MANAGED = "server-managed"  # a member the server issues (client_id, client_secret, ...)
OMITTED = "omitted"              # a member of the template's request removed

#: Raw-body fault tags.
NOT_JSON = "not-json"            # truncated or garbage bytes: no JSON parser can read it
NOT_OBJECT = "not-object"        # JSON, but not an object (RFC 7591 §3.1 wants an object)
LENIENT = "lenient-json"         # only a lenient parser reads it (NaN, comments, BOM, ...)
MEDIA_TYPE = "media-type"        # a JSON body under another media type, or none
ENCODING = "encoding"            # not UTF-8 (RFC 8259 §8.1)
DEEP = "deep-nesting"            # very deeply nested JSON


@dataclass(frozen=True, eq=False)
class Mutation:
    """One change to the template's request: ``members`` set (``OMIT`` removes one)."""

    group: str                       # at most one mutation per group in a payload
    field: str                       # the RFC 7591 member judged (for error codes)
    members: tuple[tuple[str, Any], ...]
    fault: str
    note: str

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={'<omitted>' if v is OMIT else short(v)}" for k, v in self.members)
        return f"<{self.note}: {shown}>"


@dataclass(frozen=True, eq=False)
class RawBody:
    """A body that is not the template's JSON object, sent as is."""

    content: bytes
    content_type: str | None
    fault: str
    note: str

    def __repr__(self) -> str:
        return f"<{self.note}: Content-Type {self.content_type!r}, {short(self.content)}>"


@dataclass(frozen=True, eq=False)
class Payload:
    """One registration attempt: the template's request plus mutations, or a raw body."""

    mutations: tuple[Mutation, ...] = ()
    raw: RawBody | None = None

    def metadata(self) -> dict[str, Any]:
        """The members to add to ``{"software_id": <template>}`` (``OMIT`` removes one)."""
        out: dict[str, Any] = {}
        for mutation in self.mutations:
            out.update(mutation.members)
        return out

    def describe(self) -> str:
        if self.raw is not None:
            return f"raw body ({self.raw.note}): Content-Type {self.raw.content_type!r}, {short(self.raw.content, 300)}"
        if not self.mutations:
            return "the template's request, unchanged"
        return "; ".join(f"{m.note} [{m.fault}]: " + ", ".join(
            f"{k} = {'<omitted>' if v is OMIT else short(v, 200)}" for k, v in m.members) for m in self.mutations)

    def __repr__(self) -> str:
        return f"Payload({self.describe()})"
