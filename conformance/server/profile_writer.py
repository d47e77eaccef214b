"""Write the profile TOML (docs/profiles.md) for a server.

Secrets are never literal in the profile: each goes to ``secrets/<label>.txt`` (mode 0600)
under the profile's directory and is named by ``client_secret_file``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..pki import TestPKI
from ..vocabulary import HAAPI_SCOPE
from .config import ConfiguredClient, ServerConfig

#: What the app registers on a server without templates (the default template's redirect URIs).
OPEN_REDIRECT_URIS = ("https://app.example/callback", "com.example.app:/callback")
PROFILE_LABELS = ("basic", "post", "hs256", "es256", "rs256", "ps256", "mtls", "selfsigned")


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value))  # JSON string escapes are valid TOML basic-string escapes


def _table(name: str, entries: dict[str, object]) -> list[str]:
    lines = [f"[{name}]"]
    lines += [f"{key} = {_value(value)}" for key, value in entries.items() if value is not None]
    return lines + [""]


def _write_secret(directory: Path, label: str, secret: str) -> str:
    secrets_dir = directory / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    path = secrets_dir / f"{label}.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    return f"secrets/{label}.txt"


def _client_entries(client: ConfiguredClient, pki: TestPKI, directory: Path) -> dict[str, object]:
    entries: dict[str, object] = {"client_id": client.client_id, "auth_method": client.auth_method}
    if client.secret is not None:
        entries["client_secret_file"] = _write_secret(directory, client.label, client.secret)
    if client.auth_method == "client_secret_jwt":
        entries["alg"] = client.alg
    elif client.auth_method == "private_key_jwt":
        private, _ = pki.jwt_key(client.alg)
        entries.update(private_key=str(private), alg=client.alg, kid=client.kid)
    elif client.auth_method == "tls_client_auth":
        entries.update(certificate=str(pki.client_cert), private_key=str(pki.client_key),
                       other_certificate=str(pki.other_dn_cert),
                       other_private_key=str(pki.other_dn_key),
                       untrusted_certificate=str(pki.rogue_client_cert),
                       untrusted_private_key=str(pki.rogue_client_key))
    elif client.auth_method == "self_signed_tls_client_auth":
        entries.update(certificate=str(pki.self_signed_cert), private_key=str(pki.self_signed_key),
                       other_certificate=str(pki.other_self_signed_cert),
                       other_private_key=str(pki.other_self_signed_key))
    return entries


def _code_flow(config: ServerConfig, directory: Path) -> list[str]:
    """The HAAPI login: the authorization endpoint, and the user (the password in a secret file)."""
    username, password = next(iter(config.users.items()))
    lines = _table("code_flow", {"authorization_endpoint": config.authorization_endpoint,
                                 "redirect_uri": _redirect_uris(config)[0], "scope": "openid"})
    lines += _table("code_flow.fields", {"userName": username})
    return lines + _table("code_flow.field_files",
                          {"password": _write_secret(directory, f"user-{username}", password)})


def _redirect_uris(config: ServerConfig) -> tuple[str, ...]:
    """The app's redirect URIs: the default template's (also what a template-less app registers)."""
    if config.open_registration is not None:
        return OPEN_REDIRECT_URIS
    return config.templates[config.default_template].redirect_uris


def _template_or_registration(config: ServerConfig) -> list[str]:
    """``[template]`` for a templatized server; for one without templates, ``[registration]``:
    what the app sends (RFC 7591 §2), with no software_id."""
    policy = config.open_registration
    if policy is not None:
        return _table("registration", {
            "redirect_uris": list(OPEN_REDIRECT_URIS),
            "grant_types": list(policy.grant_types),
            "response_types": list(policy.response_types),
            "scope": policy.scope,
            "client_name": "dcr-conformance app",
        })
    template = config.templates[config.default_template]
    return _table("template", {
        "software_id": template.software_id,
        "scope": template.scope,
        "grant_types": list(template.grant_types),
        "token_endpoint_auth_method": template.token_endpoint_auth_method,
        "redirect_uris": list(template.redirect_uris),
        "response_types": list(template.response_types),
        "unauthorized_software_id": "other-template",
    })


def write_profile(path: Path, config: ServerConfig, pki: TestPKI, *, name: str,
                  claims: dict[str, object] | None = None) -> Path:
    """Write the profile of this server to ``path``; secrets go beside it. ``claims`` overrides
    entries of ``[claims]`` (a variant that changes what the server does, e.g. rotation)."""
    path = Path(path).resolve()
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    settings = config.settings
    lines = [f"# Profile of the dcr-conformance reference server at {config.base_url}",
             f"name = {_value(name)}", ""]
    lines += _table("server", {
        "issuer": config.issuer,
        "token_endpoint": config.token_endpoint,
        "registration_endpoint": config.registration_endpoint,
        "revocation_endpoint": config.revocation_endpoint,
        "introspection_endpoint": config.introspection_endpoint,
        "mtls_token_endpoint": config.token_endpoint,
        "ca_bundle": str(pki.ca_cert),
        "timeout_s": 10,
    })
    lines += _template_or_registration(config)
    for label in PROFILE_LABELS:
        client = config.client_by_label(label)
        lines += _table(f"main_clients.{label}", _client_entries(client, pki, directory))
    lines += _table("introspector",
                    _client_entries(config.client_by_label("introspector"), pki, directory))
    lines += _table("unlisted_client",
                    _client_entries(config.client_by_label("unlisted"), pki, directory))
    lines += _table("management_client",
                    _client_entries(config.client_by_label("manager"), pki, directory))
    lines += _table("use", {"scope": HAAPI_SCOPE, "dpop": True,
                            "resource_url": config.resource_url})
    lines += _code_flow(config, directory)
    lines += _table("claims", {
        "registration_management": True,
        "rotates_credentials_on_read": settings.rotate_on_read,
        "initial_token_single_use": True,
        "initial_token_ttl_s": settings.initial_token_ttl_s,
        "revocation": True,
        "introspection": True,
        "deleted_client_tokens_inactive": True,
        "jwt_replay_rejected": True,
        "dpop_nonce": settings.dpop_nonce,
        "resource_dpop_nonce": settings.dpop_nonce,
        "main_client_requires_attestation": True,
        "management_clients": True,
        "registration_token_read_write_ttl_s": settings.registration_token_read_write_ttl_s,
        "code_flow": True,
        "refresh_token_dpop_bound": True,  # as Curity's token binding (RFC 9449 §5: public clients)
        "dcr_graphql_status": True,  # [graphql] defaults: registration_endpoint + "/graphql", scope dcrm
    } | dict(claims or {}))
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
