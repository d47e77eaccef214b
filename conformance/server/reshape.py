"""Variants that reshape every answer of the reference server (see :mod:`.variants`).

Applied by :class:`~.app.App` to the finished :class:`~.errors.Response`, after the endpoint
decided what to answer: headers (``Cache-Control`` directives, a ``charset`` on JSON, minimal
Bearer challenges) and JSON bodies (error members, member order). Each change is one the RFCs
allow; none changes what the answer means.
"""

from __future__ import annotations

import json
import re
import secrets

from .http_messages import Response
from .variants import ActiveVariants

ERROR_URI = "https://errors.dcr-conformance.example/oauth"  # RFC 6749 §5.2 error_uri
_AUTH_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)="((?:[^"\\]|\\.)*)"\s*,?')
_DROPPED_CHALLENGE_PARAMS = ("realm", "error_description")


def reshape(variants: ActiveVariants, response: Response) -> Response:
    """The response as the active variants answer it (the same object when none applies)."""
    if not variants:
        return response
    headers = list(response.headers)
    if variants.on("cache-control-extra-directives"):  # VARIANT: more directives than no-store
        headers = [(k, "no-cache, no-store, max-age=0, must-revalidate")
                   if k.lower() == "cache-control" and v == "no-store" else (k, v) for k, v in headers]
    if variants.on("bearer-challenge-minimal"):  # VARIANT: no realm, no error_description
        headers = [(k, _minimal_challenge(v)) if k.lower() == "www-authenticate" else (k, v)
                   for k, v in headers]
    if variants.on("www-authenticate-one-field-line"):  # VARIANT: RFC 9110 §5.3 combined lines
        headers = _one_field_line(headers, "www-authenticate")
    is_json = (response.header("Content-Type") or "").lower() == "application/json"
    body = response.body
    if is_json and body:
        body = _reshape_json(variants, body, response.status)
    if is_json and variants.on("json-content-type-charset"):  # VARIANT: charset parameter
        headers = [(k, "application/json;charset=UTF-8") if k.lower() == "content-type" else (k, v)
                   for k, v in headers]
    return Response(response.status, body, headers)


def _reshape_json(variants: ActiveVariants, body: bytes, status: int) -> bytes:
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    if isinstance(payload, dict) and status >= 400 and "error" in payload:
        if variants.on("error-extra-members"):  # VARIANT: error_uri and a vendor member
            payload["error_uri"] = f"{ERROR_URI}#{payload['error']}"
            payload["trace_id"] = "ref-" + secrets.token_hex(6)
        if variants.on("error-description-omitted"):  # VARIANT: only the error code
            payload.pop("error_description", None)
    if variants.on("json-members-reordered"):  # VARIANT: members in reverse order
        payload = _reversed_members(payload)
    return json.dumps(payload, separators=(",", ":")).encode()


def _reversed_members(value: object) -> object:
    if isinstance(value, dict):
        return {k: _reversed_members(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [_reversed_members(v) for v in value]
    return value


def _one_field_line(headers: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    """The field lines named ``name`` as one, comma-separated, where the first one was."""
    values = [v for k, v in headers if k.lower() == name]
    if len(values) < 2:
        return headers
    first = next(i for i, (k, _) in enumerate(headers) if k.lower() == name)
    rest = [h for h in headers if h[0].lower() != name]
    return rest[:first] + [(headers[first][0], ", ".join(values))] + rest[first:]


def _minimal_challenge(value: str) -> str:
    """``Bearer realm="x", error="y", error_description="z"`` -> ``Bearer error="y"``; without an
    error code the realm stays, the one auth-param left (RFC 6750 §3)."""
    scheme, _, params = value.partition(" ")
    if scheme.lower() != "bearer":
        return value
    kept = [f'{name}="{val}"' for name, val in _AUTH_PARAM.findall(params)
            if name.lower() not in _DROPPED_CHALLENGE_PARAMS]
    if not kept:  # RFC 6750 §3: "This scheme MUST be followed by one or more auth-param values."
        kept = [f'{name}="{val}"' for name, val in _AUTH_PARAM.findall(params) if name.lower() == "realm"][:1]
    return "Bearer " + ", ".join(kept) if kept else value
