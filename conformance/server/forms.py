"""Form bodies (application/x-www-form-urlencoded) as the token, revocation, introspection and
HAAPI endpoints read them, with the OAuth errors a malformed one gets (RFC 6749 §3.2)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from .errors import OAuthError
from .http_messages import Request


def form_body(request: Request, *, keep_blank: bool = False) -> dict[str, str]:
    """The application/x-www-form-urlencoded body; a repeated parameter is invalid_request
    (RFC 6749 §3.2: parameters MUST NOT be included more than once), and one without a value is
    left out ("MUST be treated as if they were omitted from the request") unless ``keep_blank``."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise OAuthError(400, "invalid_request",
                         "Content-Type must be application/x-www-form-urlencoded")
    try:
        text = request.body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(400, "invalid_request", "the form body cannot be parsed") from None
    result: dict[str, str] = {}
    for name, value in pairs:
        if name in result:
            raise OAuthError(400, "invalid_request", f"parameter {name} is repeated")
        result[name] = value
    return result if keep_blank else {name: value for name, value in result.items() if value != ""}
