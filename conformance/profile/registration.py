"""``[registration]``: what the app sends in its RFC 7591 registration besides ``software_id``.

Any RFC 7591 §2 client metadata (``redirect_uris``, ``grant_types``, ``token_endpoint_auth_method``
...), ``device_jwks`` (a fresh key per registration, its public JWK sent as ``jwks``) and
``[registration.extensions]`` (other members, sent as given). Checked against the template when
there is one (a request beyond it would rightly be refused), and against RFC 7591 §2 when there
is none: without ``grant_types`` a server assumes ``authorization_code``, which needs
``redirect_uris``.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

from conformance.vocabulary import DYNAMIC_AUTH_METHODS

from .model import RegistrationSection, TemplateSection
from .reader import ProfileReader
from .schema import PRIVATE_KEY_JWT_ALGS, REGISTRATION_KEYS, REGISTRATION_REFUSED, toml_type

#: Grant types that send the user agent to a redirect URI (RFC 7591 §2 redirect_uris, §2.1).
REDIRECT_GRANTS = ("authorization_code", "implicit")


class RegistrationReader(ProfileReader):
    """Reads ``[registration]`` and checks it against ``[template]``."""

    def registration(self, tbl: dict[str, Any] | None, template: TemplateSection | None) -> RegistrationSection:
        present, tbl = tbl is not None, dict(tbl or {})
        for key, fix in REGISTRATION_REFUSED.items():
            if key in tbl:
                self.error(f"registration.{key}", f"cannot be sent from the profile: {fix}")
                tbl.pop(key)
        self.check_keys(tbl, "registration", REGISTRATION_KEYS)
        values = {k: self.get(tbl, "registration", k, REGISTRATION_KEYS)
                  for k in REGISTRATION_KEYS if k in tbl and k != "extensions"}
        values = {k: v for k, v in values.items() if v is not None}
        method = values.get("token_endpoint_auth_method")
        if method is not None and method not in DYNAMIC_AUTH_METHODS:
            self.error("registration.token_endpoint_auth_method",
                       f"unsupported {method!r}; use one of: {', '.join(DYNAMIC_AUTH_METHODS)}")
            values.pop("token_endpoint_auth_method")
        alg = values.get("token_endpoint_auth_signing_alg")
        if alg is not None and alg not in PRIVATE_KEY_JWT_ALGS + ("HS256",):
            self.error("registration.token_endpoint_auth_signing_alg",
                       f"unsupported {alg!r}; the device key signs with ES256 (or use HS256 for client_secret_jwt)")
            values.pop("token_endpoint_auth_signing_alg")
        extensions = self.extensions(tbl.get("extensions"))
        section = RegistrationSection(**values, extensions=extensions)
        if template is not None and (present or template.declared):
            self.against_template(section, template, tbl)
        return section

    def extensions(self, sub: object) -> tuple[tuple[str, Any], ...]:
        if sub is None:
            return ()
        if not isinstance(sub, dict):
            self.error("registration.extensions",
                       f"expected a table ({REGISTRATION_KEYS['extensions'][1]}), got {toml_type(sub)}")
            return ()
        members = []
        for name, value in sub.items():
            dotted = f"registration.extensions.{name}"
            if name in REGISTRATION_KEYS or name in REGISTRATION_REFUSED:
                where = f"registration.{name}" if name in REGISTRATION_KEYS else "its own key"
                self.error(dotted, f"is RFC 7591 metadata the suite knows; give it as {where}")
                continue
            json_value = self.json_value(value, dotted)
            if json_value is not None:
                members.append((name, json_value))
        return tuple(members)

    def json_value(self, value: Any, dotted: str) -> Any:
        """A TOML value as JSON (``${VAR}`` expanded in strings); dates, nan and inf have none."""
        if isinstance(value, (datetime.date, datetime.time)):
            self.error(dotted, "a TOML date has no JSON form; write it as a string")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.error(dotted, f"{value} has no JSON form; give a finite number")
            return None
        if isinstance(value, str):
            return self.expand(value, dotted)
        if isinstance(value, list):
            items = [self.json_value(v, dotted) for v in value]
            return None if any(i is None for i in items) else items
        if isinstance(value, Mapping):
            members = {k: self.json_value(v, f"{dotted}.{k}") for k, v in value.items()}
            return None if any(v is None for v in members.values()) else members
        return value

    def against_template(self, reg: RegistrationSection, template: TemplateSection, tbl: Mapping[str, Any]) -> None:
        """A request beyond the template would rightly be refused (RFC 7591 §3.2.2); a
        template-less request must be one RFC 7591 §2 lets a server accept."""
        method = reg.token_endpoint_auth_method
        if template.declared:
            if method is not None and method not in template.allowed_auth_methods:
                self.error("registration.token_endpoint_auth_method",
                           f"{method!r} is not a method the template allows ({', '.join(template.allowed_auth_methods)}); "
                           "choose one of them, or list it in template.token_endpoint_auth_methods")
            if method is None and len(template.token_endpoint_auth_methods) > 1 \
                    and "token_endpoint_auth_method" not in self.template_keys:
                self.error("registration.token_endpoint_auth_method",
                           "missing while template.token_endpoint_auth_methods lets the client choose; add "
                           f'token_endpoint_auth_method = "{template.token_endpoint_auth_methods[0]}" (the method '
                           "the app asks for), or template.token_endpoint_auth_method (what the server gives)")
            for name in ("grant_types", "response_types", "redirect_uris"):
                sent, allowed = getattr(reg, name), getattr(template, name)
                if sent is not None and allowed is not None and not set(sent) <= set(allowed):
                    extra = [v for v in sent if v not in allowed]
                    self.error(f"registration.{name}",
                               f"{extra} not in template.{name} {list(allowed)}; send only what the template allows")
            if reg.scope is not None and template.scope is not None:
                extra = [s for s in reg.scope.split() if s not in template.scope.split()]
                if extra:
                    self.error("registration.scope",
                               f"{extra} not in template.scope {template.scope!r}; ask only for the template's scopes")
        elif not any(p.key and p.key.startswith("registration.") for p in self.problems):
            grants = reg.grant_types if reg.grant_types is not None else ("authorization_code",)
            if not reg.redirect_uris and any(g in REDIRECT_GRANTS for g in grants):
                said = "grant_types" if reg.grant_types is not None else "grant_types default (authorization_code)"
                self.error("registration.redirect_uris",
                           f"missing while the registration's {said} redirect the user (RFC 7591 §2); add "
                           f"{REGISTRATION_KEYS['redirect_uris'][1]}, or "
                           'grant_types = ["client_credentials"] for a client without a user')
        if tbl.get("device_jwks") is False and (method or template.token_endpoint_auth_method) == "private_key_jwt":
            self.error("registration.device_jwks",
                       "is false while the dynamic client uses private_key_jwt, which needs the device's key; "
                       "set device_jwks = true or remove it")

    template_keys: frozenset[str] = frozenset()
