"""OAuth error answers (RFC 6749 §5.2, RFC 6750 §3, RFC 7591 §3.2.2)."""

from __future__ import annotations

from .http_messages import Response, json_response


class OAuthError(Exception):
    """An error answer: JSON ``{"error", "error_description"}`` plus optional headers."""

    def __init__(self, status: int, error: str | None, description: str | None = None,
                 headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.headers = list(headers or [])
        self.error_uri: str | None = None

    def response(self) -> Response:
        payload: dict[str, str] = {}
        if self.error:
            payload["error"] = self.error
        if self.description:
            payload["error_description"] = self.description
        if self.error_uri:
            payload["error_uri"] = self.error_uri
        return json_response(self.status, payload, self.headers, no_store=True)


class DefectCrash(Exception):
    """Raised by a defect that simulates a server crash (answered with 500)."""


def bearer_challenge(error: str | None = None, description: str | None = None,
                     scope: str | None = None, scheme: str = "Bearer") -> str:
    """A ``WWW-Authenticate`` value (RFC 6750 §3); no error code when the request had no token."""
    params = ['realm="dcr-conformance"']
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{description}"')
    if scope:
        params.append(f'scope="{scope}"')
    return f"{scheme} " + ", ".join(params)
