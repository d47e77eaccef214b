"""The character sets of an OAuth error's text members (RFC 6749 §5.2).

``error_description``: "Values for the "error_description" parameter MUST NOT include characters
outside the set %x20-21 / %x23-5B / %x5D-7E" (printable ASCII without ``"`` and ``\\``);
``error_uri``: "Values for the "error_uri" parameter MUST conform to the URI-reference syntax and
thus MUST NOT include characters outside the set %x21 / %x23-5B / %x5D-7E". The URI-reference
syntax is RFC 3986 §4.1's: its characters are unreserved, reserved or ``%`` with two hex digits.

RFC 6750 §3 sets the same rules for a Bearer challenge's attributes (:func:`challenge_attribute_problem`):
``error`` and ``error_description`` within %x20-21 / %x23-5B / %x5D-7E, ``error_uri`` as above, and
``scope`` "outside the set %x21 / %x23-5B / %x5D-7E for representing scope values and %x20 for
delimiters between scope values" (the same characters as a description's).
"""

from __future__ import annotations

import re

#: RFC 6749 §5.2: error_description's characters.
DESCRIPTION_CHARS = re.compile(r"^[\x20-\x21\x23-\x5b\x5d-\x7e]*$")
#: RFC 6749 §5.2: error_uri's characters.
URI_CHARS = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]*$")
#: RFC 3986 §2: unreserved, reserved (gen-delims, sub-delims) and percent-encoded octets.
_URI_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")
#: RFC 3986 §3.1: a scheme, when the reference has one.
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def description_problem(value: object, member: str = "error_description") -> str | None:
    """Why an ``error_description`` value breaks RFC 6749 §5.2 (None: it does not); ``member`` names
    it in the message (RFC 6750 §3 holds ``error`` and ``scope`` to the same characters)."""
    if not isinstance(value, str):
        return f"{member} is not a string ({type(value).__name__})"
    bad = sorted({c for c in value if not DESCRIPTION_CHARS.fullmatch(c)})
    if bad:
        return f"{member} holds characters outside %x20-21 / %x23-5B / %x5D-7E: {_show(bad)}"
    return None


def uri_problem(value: object, member: str = "error_uri") -> str | None:
    """Why an ``error_uri`` value breaks RFC 6749 §5.2 (None: it does not)."""
    if not isinstance(value, str):
        return f"{member} is not a string ({type(value).__name__})"
    bad = sorted({c for c in value if not URI_CHARS.fullmatch(c)})
    if bad:
        return f"{member} holds characters outside %x21 / %x23-5B / %x5D-7E: {_show(bad)}"
    if not _URI_REFERENCE.fullmatch(value) or value.count("#") > 1:
        return f"{member} is not an RFC 3986 URI-reference (a character URIs do not allow, a % not followed " \
               "by two hex digits, or two fragments)"
    head = value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if ":" in head and not _SCHEME.match(value):
        return f"{member} has a malformed scheme (RFC 3986 §3.1)"
    return None


#: RFC 6750 §3: the statement each challenge attribute's character set is written in.
CHALLENGE_ATTRIBUTES = {"scope": "RFC6750-3-h", "error": "RFC6750-3-i", "error_description": "RFC6750-3-i",
                        "error_uri": "RFC6750-3-j"}


def challenge_attribute_problem(name: str, value: str) -> str | None:
    """Why the value of a Bearer challenge's attribute ``name`` breaks RFC 6750 §3's character sets
    (None: it does not, or ``name`` is not one of :data:`CHALLENGE_ATTRIBUTES`)."""
    if name == "error_uri":
        return uri_problem(value, f"the {name} attribute")
    if name == "scope":  # %x21 / %x23-5B / %x5D-7E for scope values, %x20 between them
        bad = sorted({c for c in value if not DESCRIPTION_CHARS.fullmatch(c)})
        return f"the scope attribute holds characters outside %x21 / %x23-5B / %x5D-7E and %x20: {_show(bad)}" \
            if bad else None
    if name in CHALLENGE_ATTRIBUTES:
        return description_problem(value, f"the {name} attribute")
    return None


def text_member_problems(body: dict) -> list[str]:
    """The RFC 6749 §5.2 problems of an error body's ``error_description`` and ``error_uri``."""
    problems = []
    if "error_description" in body:
        problems.append(description_problem(body["error_description"]))
    if "error_uri" in body:
        problems.append(uri_problem(body["error_uri"]))
    return [p for p in problems if p]


def _show(chars: list[str]) -> str:
    return ", ".join(f"U+{ord(c):04X}" + (f" {c!r}" if c.isprintable() else "") for c in chars[:8])
