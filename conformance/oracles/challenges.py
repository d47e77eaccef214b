"""``WWW-Authenticate`` challenges as RFC 9110 §11.6.1 writes them, parsed for the checks.

``WWW-Authenticate = #challenge``, ``challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]``,
``auth-param = token BWS "=" BWS ( token / quoted-string )``: one field line may hold several
challenges (RFC 9449 §7.2, Figure 17: ``Bearer, DPoP algs="ES256 PS256"``), and a challenge's
parameters are separated by the same commas. :func:`challenges` reads every field line of an
answer into :class:`Challenge` objects (scheme as sent, parameter names lower-cased). ``params``
keeps the last value of a parameter sent twice; ``pairs`` keeps every one, so
:meth:`Challenge.repeated` can tell (RFC 6750 §3: "The "realm" attribute MUST NOT appear more
than once").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from conformance.client.http import Exchange

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_PARAM = re.compile(rf"^({_TOKEN})[ \t]*=[ \t]*(.*)$", re.S)
_SCHEME = re.compile(rf"^({_TOKEN})(?:[ \t]+(.*))?$", re.S)
_ESCAPE = re.compile(r"\\(.)", re.S)
_TOKEN68 = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")

#: RFC 6750 §3: the attributes that carry error information (RFC 9449 §7.1 reuses them).
ERROR_INFO = ("error", "error_description", "error_uri")


@dataclass
class Challenge:
    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None
    pairs: list[tuple[str, str]] = field(default_factory=list)  # every auth-param, in order, repeats kept

    def add(self, name: str, value: str) -> None:
        """One auth-param as sent: ``name`` lower-cased (RFC 9110 §11.2: case-insensitive)."""
        self.params[name.lower()] = value
        self.pairs.append((name.lower(), value))

    def repeated(self) -> list[str]:
        """The auth-param names the challenge holds more than once, in order of first repeat."""
        names = [name for name, _ in self.pairs]
        return list(dict.fromkeys(n for i, n in enumerate(names) if n in names[:i]))

    def is_scheme(self, scheme: str) -> bool:
        return self.scheme.lower() == scheme.lower()  # RFC 9110 §11.1: case-insensitive

    def error_info(self) -> dict[str, str]:
        """The members of :data:`ERROR_INFO` the challenge carries."""
        return {name: self.params[name] for name in ERROR_INFO if name in self.params}

    def __str__(self) -> str:
        params = ", ".join(f'{k}="{v}"' for k, v in self.params.items())
        return " ".join(part for part in (self.scheme, self.token68 or params) if part)


def _elements(value: str) -> list[str]:
    """``value`` split at the commas outside quoted strings (RFC 9110 §5.6.1 lists)."""
    parts, current, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _value(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return _ESCAPE.sub(r"\1", raw[1:-1])
    return raw


def parse(values: list[str]) -> list[Challenge]:
    """The challenges of the field lines ``values``, in order; text that is no challenge is skipped."""
    found: list[Challenge] = []
    for element in _elements(", ".join(values)):
        param = _PARAM.match(element)
        if param and found:
            found[-1].add(param.group(1), _value(param.group(2)))
            continue
        scheme = _SCHEME.match(element)
        if scheme is None:
            continue
        challenge = Challenge(scheme.group(1))
        rest = (scheme.group(2) or "").strip()
        first = _PARAM.match(rest)
        if rest and (_TOKEN68.match(rest) or not first):
            challenge.token68 = rest
        elif first:
            challenge.add(first.group(1), _value(first.group(2)))
        found.append(challenge)
    return found


def challenges(ex: Exchange) -> list[Challenge]:
    """Every challenge of the answer's ``WWW-Authenticate`` field lines."""
    return parse(ex.headers_all("www-authenticate"))


def of_scheme(found: list[Challenge], scheme: str) -> Challenge | None:
    """The first challenge of ``scheme`` (case-insensitive), or None."""
    return next((c for c in found if c.is_scheme(scheme)), None)


def bearer_challenges(values: list[str]) -> list[Challenge]:
    """The challenges of scheme Bearer among the field lines ``values`` (RFC 6750 §3)."""
    return [c for c in parse(values) if c.is_scheme("Bearer")]


def error_code(ex: Exchange) -> str | None:
    """The error code of a refusal: the JSON body's ``error`` (RFC 6749 §5.2, RFC 7591 §3.2.2),
    else the ``error`` auth-param of a Bearer challenge (RFC 6750 §3)."""
    body = ex.json()
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    return next((c.params["error"] for c in bearer_challenges(ex.headers_all("www-authenticate"))
                 if "error" in c.params), None)
