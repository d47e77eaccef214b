"""Reading ``WWW-Authenticate`` challenges (RFC 9110 §11.6.1, RFC 6750 §3).

``challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`` and ``auth-param = token BWS "="
BWS ( token / quoted-string )``; one header value may hold several challenges separated by
commas. RFC 6750 §3 narrows the Bearer scheme: "This scheme MUST be followed by one or more
auth-param values."
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conformance.client.http import Exchange

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_PARAM = re.compile(rf"^({_TOKEN})[ \t]*=[ \t]*({_TOKEN}|{_QUOTED})$")
_SCHEME_REST = re.compile(rf"^({_TOKEN})(?:[ ]+(.*))?$", re.S)
_TOKEN68 = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


@dataclass
class Challenge:
    """One challenge: its scheme, its auth-params (name lower-cased, value unquoted), a token68."""

    scheme: str
    params: list[tuple[str, str]] = field(default_factory=list)
    token68: str | None = None
    malformed: list[str] = field(default_factory=list)


def _elements(value: str) -> list[str]:
    """The comma-separated elements of a header value, commas inside quoted strings kept."""
    out, current, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            out.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    out.append("".join(current).strip())
    return [e for e in out if e]


def _unquote(value: str) -> str:
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def parse_challenges(values: list[str]) -> list[Challenge]:
    """Every challenge of the ``WWW-Authenticate`` header values, in order."""
    challenges: list[Challenge] = []
    for value in values:
        for element in _elements(value):
            param = _PARAM.match(element)
            if param and challenges:
                challenges[-1].params.append((param.group(1).lower(), _unquote(param.group(2))))
                continue
            head = _SCHEME_REST.match(element)
            if head is None:
                if challenges:
                    challenges[-1].malformed.append(element)
                continue
            challenge = Challenge(head.group(1))
            rest = (head.group(2) or "").strip()
            if rest:
                param = _PARAM.match(rest)
                if param:
                    challenge.params.append((param.group(1).lower(), _unquote(param.group(2))))
                elif _TOKEN68.match(rest):
                    challenge.token68 = rest
                else:
                    challenge.malformed.append(rest)
            challenges.append(challenge)
    return challenges


def bearer_challenges(values: list[str]) -> list[Challenge]:
    """The challenges of scheme Bearer (case-insensitive, RFC 9110 §11.1)."""
    return [c for c in parse_challenges(values) if c.scheme.lower() == "bearer"]


def error_code(ex: Exchange) -> str | None:
    """The error code of a refusal: the JSON body's ``error`` (RFC 6749 §5.2, RFC 7591 §3.2.2),
    else the ``error`` auth-param of a Bearer challenge (RFC 6750 §3)."""
    body = ex.json()
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    for challenge in bearer_challenges(ex.headers_all("www-authenticate")):
        for name, value in challenge.params:
            if name == "error":
                return value
    return None
