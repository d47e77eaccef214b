"""HTTP messages of the reference server: :class:`Request`, :class:`Response`, JSON answers.

Form bodies are read by :mod:`.forms`, the error answers are built in :mod:`.errors`: both import
this module, never the reverse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message

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
