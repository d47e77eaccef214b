"""Endpoint discovery from authorization server metadata (RFC 8414), at run time.

When a profile gives ``server.issuer`` and omits endpoints, :func:`discover` fetches the metadata
and fills only the omitted ones. Locations tried, first JSON object wins:

1. ``https://host/.well-known/oauth-authorization-server{path}`` (RFC 8414 §3.1, suffix inserted);
2. ``{issuer}/.well-known/oauth-authorization-server`` (appended, as many servers do);
3. ``{issuer}/.well-known/openid-configuration`` (OpenID Connect Discovery §4; Curity).

The mTLS token endpoint comes from ``mtls_endpoint_aliases.token_endpoint`` (RFC 8705 §5); the
HAAPI code flow's start, when the profile claims it without ``[code_flow] authorization_endpoint``,
from ``authorization_endpoint``.
This is a builder, not a check: the issuer comparison of RFC 8414 §3.3 belongs to DCR-META-001.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from conformance.client.http import Exchange, RequestSpec, Transport
from conformance.profile import Profile

_FILLED = ("token_endpoint", "registration_endpoint", "revocation_endpoint", "introspection_endpoint")


class DiscoveryError(Exception):
    """No usable metadata. ``exchanges`` are the (redacted) attempts; ``unreachable`` is True
    when no attempt got any HTTP response (exit status 3 rather than a failed check)."""

    def __init__(self, message: str, exchanges: list[Exchange]) -> None:
        super().__init__(message)
        self.exchanges = exchanges
        self.unreachable = all(e.response is None for e in exchanges)


def metadata_urls(issuer: str) -> list[str]:
    """The well-known locations for ``issuer``, in the order tried (duplicates removed)."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    base = issuer.rstrip("/")
    urls = [
        urlunsplit(parts._replace(path=f"/.well-known/oauth-authorization-server{path}", query="", fragment="")),
        f"{base}/.well-known/oauth-authorization-server",
        f"{base}/.well-known/openid-configuration",
    ]
    return list(dict.fromkeys(urls))


def fetch_metadata(transport: Transport, issuer: str) -> tuple[dict[str, Any] | None, list[Exchange]]:
    """The first metadata document found for ``issuer`` and every exchange made to find it."""
    exchanges = []
    for url in metadata_urls(issuer):
        exchange = transport.send(RequestSpec("GET", url, {"Accept": "application/json"}))
        exchanges.append(exchange)
        body = exchange.json()
        if exchange.status == 200 and isinstance(body, dict):
            return body, exchanges
    return None, exchanges


def metadata_answer(transport: Transport, issuer: str) -> Exchange:
    """The answer the DCR-META-* checks judge: ``GET {issuer}/.well-known/oauth-authorization-server``,
    then ``{issuer}/.well-known/openid-configuration``; the first HTTP 200, or else the last answer."""
    base = issuer.rstrip("/")
    exchange = None
    for suffix in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        exchange = transport.send(RequestSpec("GET", base + suffix, headers={"Accept": "application/json"}))
        if exchange.status == 200:
            break
    return exchange


def discover(profile: Profile, transport: Transport) -> Profile:
    """The profile with its omitted endpoints filled from the issuer's metadata.

    Endpoints given in the profile are kept. Raises :class:`DiscoveryError` when no document is
    found, or when the token or registration endpoint is still unknown afterwards.
    """
    server = profile.server
    if server.issuer is None:
        return profile
    missing = [name for name in _FILLED if getattr(server, name) is None]
    flow = profile.code_flow
    wants_authorize = profile.claims.code_flow and flow.authorization_endpoint is None
    if not missing and server.mtls_token_endpoint is not None and not wants_authorize:
        return profile
    doc, exchanges = fetch_metadata(transport, server.issuer)
    if doc is None:
        tried = "; ".join(f"{e.request.url}: {e.error or e.status}" for e in exchanges)
        raise DiscoveryError(f"no authorization server metadata for {server.issuer} ({tried})", exchanges)
    changes = {name: doc[name] for name in missing if _https(doc.get(name))}
    aliases = doc.get("mtls_endpoint_aliases")
    if server.mtls_token_endpoint is None and isinstance(aliases, dict) and _https(aliases.get("token_endpoint")):
        changes["mtls_token_endpoint"] = aliases["token_endpoint"]
    server = replace(server, **changes)
    for name in ("token_endpoint", "registration_endpoint"):
        if getattr(server, name) is None:
            raise DiscoveryError(
                f"the metadata at {exchanges[-1].request.url} has no https {name}; "
                f"add server.{name} to {profile.path}",
                exchanges,
            )
    if wants_authorize:
        if not _https(doc.get("authorization_endpoint")):
            raise DiscoveryError(
                f"the metadata at {exchanges[-1].request.url} has no https authorization_endpoint; "
                f"add code_flow.authorization_endpoint to {profile.path} (or set claims.code_flow = false)",
                exchanges,
            )
        flow = replace(flow, authorization_endpoint=doc["authorization_endpoint"])
    return replace(profile, server=server, code_flow=flow)


def _https(value: Any) -> bool:
    return isinstance(value, str) and value.lower().startswith("https://")
