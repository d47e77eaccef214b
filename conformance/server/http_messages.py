"""HTTP messages of the reference server: :class:`Request`, :class:`Response`, JSON answers.

A request's form body follows RFC 6749 §3.2 (a parameter MUST NOT be included more than once);
the error answers themselves are in :mod:`.errors`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import parse_qsl

NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: Message
    body: bytes
    peer_cert: bytes | None  # DER of the verified TLS client certificate, if one was sent
    secure: bool = True

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def header_all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()

    def form(self, *, keep_blank: bool = False) -> dict[str, str]:
        """The application/x-www-form-urlencoded body; a repeated parameter is invalid_request
        (RFC 6749 §3.2: parameters MUST NOT be included more than once), and one without a value is
        left out ("MUST be treated as if they were omitted from the request") unless ``keep_blank``."""
        from .errors import OAuthError  # the error answers are built from these messages

        if self.content_type != "application/x-www-form-urlencoded":
            raise OAuthError(400, "invalid_request",
                             "Content-Type must be application/x-www-form-urlencoded")
        try:
            text = self.body.decode("utf-8")
            pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=100)
        except (UnicodeDecodeError, ValueError):
            raise OAuthError(400, "invalid_request", "the form body cannot be parsed") from None
        result: dict[str, str] = {}
        for name, value in pairs:
            if name in result:
                raise OAuthError(400, "invalid_request", f"parameter {name} is repeated")
            result[name] = value
        return result if keep_blank else {name: value for name, value in result.items() if value != ""}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def json_response(status: int, payload: object, headers: list[tuple[str, str]] | None = None,
                  *, no_store: bool = False) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    all_headers = [("Content-Type", "application/json")]
    if no_store:
        all_headers += NO_STORE
    return Response(status, body, all_headers + list(headers or []))
