"""The inventory of normative statements: per RFC of the flow, every MUST, MUST NOT, REQUIRED,
SHALL, SHOULD, SHOULD NOT and RECOMMENDED sentence of the sections the flow rests on, in the RFC's
own words, each either enforced by checks or with the reason it is not.

One module per RFC holds its ``STATEMENTS``; :data:`STATEMENTS` joins them by id and
:mod:`conformance.requirements` loads them into the registry the checks cite, so a check can cite
any statement. ``docs/coverage.md`` (:mod:`conformance.coverage`) is generated from it.
"""

from __future__ import annotations

import importlib

from conformance.inventory.model import REASON_KINDS, Reason, Statement

#: The RFCs and sections inventoried, in the order the coverage document lists them.
SCOPE: dict[str, str] = {
    "RFC 6749": "§2.3, §3.2, §3.3, §4.4, §5",
    "RFC 6750": "§2, §3",
    "RFC 7009": "all",
    "RFC 7521": "§4.2, §5.2",
    "RFC 7523": "§3",
    "RFC 7591": "all",
    "RFC 7592": "all",
    "RFC 7662": "all",
    "RFC 8414": "all",
    "RFC 8705": "§2, §3",
    "RFC 9449": "all",
}

#: The statements left out of the inventory, by kind (the coverage document says so).
LEFT_OUT = (
    "Sentences with only MAY or OPTIONAL: they permit, a server cannot break them.",
    "The IANA considerations and registry templates: they bind the registries, not a server.",
    "Security and privacy considerations written for implementers' judgement, without a behaviour "
    "a client could observe or a keyword binding the server.",
    "Sections that hold no upper-case keyword: RFC 7009 §2.2.1 (its 503 rule is written \"the client "
    "must assume the token still exists\"), §3 and §4; RFC 7662 §3 (IANA); RFC 8705 §2.1, §2.1.1, "
    "§2.2, §2.2.1 and §2.2.2 (only §2.1.2 binds a client); RFC 9449 §1, §3, §4, §4.1 and §11.7–§12.",
)

#: Sections of the scope whose normative sentences the inventory does not (wholly) hold yet: their
#: exact words were not at hand when it was written. A sentence is quoted only from the RFC's text.
GAPS: dict[str, str] = {
    "RFC 7521 §4.2, §5.2": "the parameter definitions of §4.2 and §5.2's sentence on signed or MACed "
                           "assertions (RFC 7523 §3 states them for JWTs, and those are checked)",
    "RFC 7591 §2.2": "the RECOMMENDED and SHOULD sentences on language tags and on values sent "
                     "without one, after the first sentence",
}

_MODULES = ("rfc6749", "rfc6750", "rfc7009", "rfc7521", "rfc7523", "rfc7591", "rfc7592", "rfc7662",
            "rfc8414", "rfc8705", "rfc9449")


def _load() -> dict[str, Statement]:
    table: dict[str, Statement] = {}
    for name in _MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        for statement in module.STATEMENTS:
            assert statement.id not in table, f"duplicate statement {statement.id}"
            table[statement.id] = statement
    return table


#: Every statement, by id, in the order of the modules.
STATEMENTS: dict[str, Statement] = _load()

__all__ = ["GAPS", "LEFT_OUT", "REASON_KINDS", "SCOPE", "STATEMENTS", "Reason", "Statement"]
