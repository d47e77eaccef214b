"""One normative statement of an RFC, and why a statement is not checked when it is not.

A :class:`Statement` holds the RFC's own words (one quoted sentence, or the clause of a longer
sentence that carries the keyword), its keyword as written (``MUST NOT``, ``RECOMMENDED`` ...),
and either nothing (the checks that cite it, directly or through ``via``, enforce it) or a
:class:`Reason` saying why no check does. Ids are ``RFC<N>-<section>`` with an optional ``-S``
(a SHOULD summarised under the same section) and an optional letter (``RFC7592-2.2-b``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The keywords of RFC 2119 the inventory records, and the level each one counts as.
KEYWORDS = {
    "MUST": "MUST", "MUST NOT": "MUST", "REQUIRED": "MUST", "SHALL": "MUST", "SHALL NOT": "MUST",
    "SHOULD": "SHOULD", "SHOULD NOT": "SHOULD", "RECOMMENDED": "SHOULD", "NOT RECOMMENDED": "SHOULD",
}

NOT_APPLICABLE = "not applicable to this flow"
CLIENT_SIDE = "not applicable: a client requirement"
NOT_OBSERVABLE = "not observable from outside"
CLAIM = "left to a profile claim"
NOT_YET = "not yet checked"
REASON_KINDS = (NOT_APPLICABLE, CLIENT_SIDE, NOT_OBSERVABLE, CLAIM, NOT_YET)

_ID = re.compile(r"^RFC(?P<rfc>\d+)-(?P<section>[0-9]+(?:\.[0-9]+)*)(?:-S)?(?:-[a-z])?(?:-[A-Z]+)?$")


@dataclass(frozen=True)
class Reason:
    """Why no check enforces a statement: one of :data:`REASON_KINDS` and a sentence of detail
    (for :data:`CLAIM` the claim's name, for :data:`NOT_YET` the check that would be needed)."""

    kind: str
    detail: str

    def __post_init__(self) -> None:
        assert self.kind in REASON_KINDS, self.kind
        assert self.detail.strip(), f"{self.kind}: no detail"

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@dataclass(frozen=True)
class Statement:
    """One normative sentence of an RFC, with its keyword and, when unchecked, the reason."""

    id: str
    keyword: str
    words: str
    reason: Reason | None = None
    via: tuple[str, ...] = ()  # registry ids whose checks enforce this sentence too

    def __post_init__(self) -> None:
        assert _ID.match(self.id), f"malformed statement id {self.id}"
        assert self.keyword in KEYWORDS, f"{self.id}: keyword {self.keyword}"
        assert self.keyword in self.words, f"{self.id}: the words do not hold {self.keyword}"

    @property
    def rfc(self) -> str:
        return f"RFC {_ID.match(self.id).group('rfc')}"

    @property
    def section(self) -> str:
        return _ID.match(self.id).group("section")

    @property
    def level(self) -> str:
        return KEYWORDS[self.keyword]


def must(rid: str, words: str, reason: Reason | None = None, via: tuple[str, ...] = (), keyword: str = "MUST") -> Statement:
    return Statement(rid, keyword, " ".join(words.split()), reason, via)


def should(rid: str, words: str, reason: Reason | None = None, via: tuple[str, ...] = (), keyword: str = "SHOULD") -> Statement:
    return Statement(rid, keyword, " ".join(words.split()), reason, via)


def not_applicable(detail: str) -> Reason:
    return Reason(NOT_APPLICABLE, detail)


def client_side(detail: str = "the client's duty; the SDK checks may grade it") -> Reason:
    return Reason(CLIENT_SIDE, detail)


def not_observable(detail: str) -> Reason:
    return Reason(NOT_OBSERVABLE, detail)


def claim(name: str, detail: str) -> Reason:
    return Reason(CLAIM, f"[claims] {name}: {detail}")


def not_yet(check_needed: str) -> Reason:
    return Reason(NOT_YET, check_needed)
