"""Sending helpers the checks share: registrations that must not succeed are still cleaned up."""

from __future__ import annotations

from typing import Any

from conformance.client.http import Exchange, RequestSpec
from conformance.client.registration import DynamicClient, registration_request


def send_registration(dcr, token_or_spec: str | RequestSpec | None, metadata: dict[str, Any] | None = None,
                      *, url: str | None = None) -> Exchange:
    """POST a registration (a token plus metadata, or a prepared spec); any client it creates,
    conformant or not, is handed to the session's registry so it is deleted at the end."""
    if isinstance(token_or_spec, RequestSpec):
        spec = token_or_spec
    else:
        spec = registration_request(dcr.profile, token_or_spec, metadata)
    if url is not None:
        spec = spec.replace(url=url)
    ex = dcr.transport.send(spec)
    dyn = DynamicClient.from_response(ex, default_auth_method=dcr.profile.template.token_endpoint_auth_method)
    if dyn is not None:
        dcr.transport.redactor.add_secret(dyn.client_secret)
        dcr.transport.redactor.add_secret(dyn.registration_access_token)
        if dcr.on_registered is not None:
            dcr.on_registered(dyn)
    return ex

