"""Neutral HTTP messages shared by the observer (reference server) and the in-process kit (respx).

The scenario engine, the recorder and the emulated server only see :class:`WireRequest` and
:class:`WireResponse`; :mod:`.observer` and :mod:`.pytest_plugin` convert from and to their transports.
The parsing helpers never verify anything: they read what a client sent so it can be graded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))


@dataclass
class WireRequest:
    method: str
    path: str
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    url: str = ""  # absolute URL when known (DPoP htu)

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)

    def header_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON (whatever the content type), None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (UnicodeDecodeError, ValueError):
            return None

    def form(self) -> dict[str, str]:
        """First value of each urlencoded body field (empty unless the body is a form)."""
        if self.content_type != "application/x-www-form-urlencoded":
            return {}
        return _first_values(self.body.decode("utf-8", "replace"))

    def query_params(self) -> dict[str, str]:
        return _first_values(self.query)


@dataclass
class WireResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except (UnicodeDecodeError, ValueError):
            return None


def json_response(status: int, payload: object, headers: list[tuple[str, str]] | tuple = (),
                  *, no_store: bool = True) -> WireResponse:
    all_headers = [("Content-Type", "application/json")]
    if no_store:
        all_headers += list(NO_STORE)
    return WireResponse(status, all_headers + list(headers),
                        json.dumps(payload, separators=(",", ":")).encode())


def oauth_error(status: int, error: str, description: str | None = None,
                headers: list[tuple[str, str]] | tuple = ()) -> WireResponse:
    """An OAuth error answer (RFC 6749 §5.2, RFC 6750 §3, RFC 7591 §3.2.2)."""
    payload = {"error": error}
    if description:
        payload["error_description"] = description
    return json_response(status, payload, headers)


def _first_values(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=200)
    except ValueError:
        return out
    for key, value in pairs:
        out.setdefault(key, value)
    return out


def parse_authorization(value: str | None) -> tuple[str, str] | None:
    """``(scheme in lower case, credentials)`` of an ``Authorization`` header, or None."""
    if not value:
        return None
    scheme, _, creds = value.strip().partition(" ")
    return (scheme.lower(), creds.strip()) if scheme else None


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str | None) -> tuple[dict, dict] | None:
    """``(header, claims)`` of a compact JWS, *unverified*; None when it is not one."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    head, body, _ = token.split(".")
    try:
        header = json.loads(b64url_decode(head))
        claims = json.loads(b64url_decode(body))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims


def json_strings(value: object) -> list[str]:
    """Every string found anywhere in a JSON value (keys excluded)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return []


def jwk_thumbprint(jwk: dict) -> str:
    """RFC 7638 thumbprint (SHA-256) of a public EC or RSA JWK; ValueError for anything else."""
    members = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}.get(jwk.get("kty"))
    if members is None or any(not isinstance(jwk.get(m), str) for m in members):
        raise ValueError("unsupported jwk")
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
