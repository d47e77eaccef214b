"""Loading a profile: :func:`load_profile` reads the TOML file, every section and the checks
across sections, and raises one :class:`ProfileError` listing every problem found.

Endpoints may be omitted when ``server.issuer`` is given: they are discovered at run time
(RFC 8414, ``conformance.client.discovery.discover``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.vocabulary import DYNAMIC_AUTH_METHODS

from .clients import ClientReader
from .model import (Claims, ClientConfig, CodeFlowSection, GraphqlSection, Profile, ProfileError,
                    RegistrationSection, ServerSection, TemplateSection, UseSection)
from .registration import RegistrationReader
from .schema import (CLAIMS_KEYS, CODE_FLOW_KEYS, GRAPHQL_KEYS, GRAPHQL_NAME, SERVER_KEYS, TEMPLATE_KEYS, TOP_KEYS,
                     USE_KEYS, toml_type)


def load_profile(path: str | Path) -> Profile:
    """Read and check a profile. Raises :class:`ProfileError` listing every problem found."""
    return ProfileLoader(Path(path)).load()


class ProfileLoader(ClientReader, RegistrationReader):
    """Reads one profile file into a :class:`Profile`, section by section."""

    def load(self) -> Profile:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileError(self.file, None, f"profile file not found ({self.path})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ProfileError(self.file, None, f"cannot read the profile: {exc}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ProfileError(self.file, None, f"not valid TOML: {exc}") from None

        self.check_keys(data, "", TOP_KEYS)
        name = self.get(data, "", "name", TOP_KEYS) or self.path.stem
        server = self.server(self.table(data, "server", required=True))
        template_table, registration_table = self.table(data, "template"), self.table(data, "registration")
        if "template" not in data and "registration" not in data:
            self.error("template", f"missing; add a [template] table ({TEMPLATE_KEYS['software_id'][1]}), or a "
                                   "[registration] table with what the app sends to a server without templates "
                                   "(RFC 7591 §2)")
        template = self.template(template_table)
        registration = self.registration(registration_table, template)
        clients = self.main_clients(data)
        introspector = self.client(self.table(data, "introspector"), "introspector", "introspector")
        unlisted = self.client(self.table(data, "unlisted_client"), "unlisted_client", "unlisted_client")
        manager = self.client(self.table(data, "management_client"), "management_client", "management_client")
        use = self.use(self.table(data, "use"), template, server, registration)
        claims = self.claims(self.table(data, "claims"))
        code_flow = self.code_flow(self.table(data, "code_flow"), template, server, claims, registration)
        graphql = self.graphql(self.table(data, "graphql"))
        if server is not None:
            server = replace(server, resource_url=use.resource_url)
            self.cross_checks(server, claims, clients, introspector, unlisted, manager)
        if self.problems:
            raise ProfileError(self.file, problems=self.problems)
        assert server is not None and template is not None
        return Profile(
            name=name,
            path=self.path,
            server=server,
            template=template,
            main_clients=clients,
            registration=registration,
            introspector=introspector,
            unlisted_client=unlisted,
            management_client=manager,
            use=use,
            claims=claims,
            code_flow=code_flow,
            graphql=graphql,
            warnings=tuple(self.warnings),
            secret_values=tuple(dict.fromkeys(self.secrets)),
        )

    # -- sections ------------------------------------------------------------------------------

    def server(self, tbl: dict[str, Any] | None) -> ServerSection | None:
        if tbl is None:
            return None
        self.check_keys(tbl, "server", SERVER_KEYS)
        values = {k: self.get(tbl, "server", k, SERVER_KEYS) for k in SERVER_KEYS if k in tbl}
        if "timeout_s" in values and values["timeout_s"] is not None and values["timeout_s"] <= 0:
            self.error("server.timeout_s", "must be a positive number of seconds; e.g. timeout_s = 10")
            values["timeout_s"] = None
        elif values.get("timeout_s") is not None:
            values["timeout_s"] = float(values["timeout_s"])
        if values.get("ca_bundle") is not None:
            self.certificates(values["ca_bundle"], "server.ca_bundle")
        if "issuer" not in tbl:
            for key in ("token_endpoint", "registration_endpoint"):
                if key not in tbl:
                    self.error(
                        f"server.{key}",
                        "missing; "
                        f"add {SERVER_KEYS[key][1]}, or set server.issuer to discover it (RFC 8414)",
                    )
        return ServerSection(**{k: v for k, v in values.items() if v is not None})

    def template(self, tbl: dict[str, Any] | None) -> TemplateSection | None:
        """``[template]``; absent: no template (a plain RFC 7591 server), an empty section."""
        if tbl is None:
            return TemplateSection()
        self.check_keys(tbl, "template", TEMPLATE_KEYS)
        self.template_keys = frozenset(tbl)
        values = {k: self.get(tbl, "template", k, TEMPLATE_KEYS, required=(k == "software_id")) for k in TEMPLATE_KEYS}
        method = values.get("token_endpoint_auth_method")
        if method is not None and method not in DYNAMIC_AUTH_METHODS:
            self.error(
                "template.token_endpoint_auth_method",
                f"unsupported {method!r}; "
                f"use one of: {', '.join(DYNAMIC_AUTH_METHODS)}",
            )
            values["token_endpoint_auth_method"] = None
        choices = values.get("token_endpoint_auth_methods")
        if choices is not None:
            wrong = [m for m in choices if m not in DYNAMIC_AUTH_METHODS]
            if wrong or not choices:
                problem = f"unsupported {wrong!r}" if wrong else "is empty"
                self.error("template.token_endpoint_auth_methods",
                           f"{problem}; list methods among: {', '.join(DYNAMIC_AUTH_METHODS)}")
                values["token_endpoint_auth_methods"] = None
            elif method is not None and method not in choices:
                self.error("template.token_endpoint_auth_method",
                           f"{method!r} is not in template.token_endpoint_auth_methods {list(choices)}; "
                           "add it there, or remove one of the two keys")
            elif method is None:
                values["token_endpoint_auth_method"] = choices[0]
        if values.get("unauthorized_software_id") and values["unauthorized_software_id"] == values.get("software_id"):
            self.error(
                "template.unauthorized_software_id",
                "equals template.software_id; "
                "name a template that does not authorise the main clients",
            )
        if values.get("software_id") is None:
            return None
        return TemplateSection(**{k: v for k, v in values.items() if v is not None})

    def use(
        self, tbl: dict[str, Any] | None, template: TemplateSection | None, server: ServerSection | None,
        registration: RegistrationSection,
    ) -> UseSection:
        tbl = tbl or {}
        self.check_keys(tbl, "use", USE_KEYS)
        scope = self.get(tbl, "use", "scope", USE_KEYS)
        dpop = self.get(tbl, "use", "dpop", USE_KEYS)
        resource = self.get(tbl, "use", "resource_url", USE_KEYS)
        server_resource = server.resource_url if server else None
        if resource and server_resource and resource != server_resource:
            self.error("use.resource_url", "differs from server.resource_url; give it in one place")
        return UseSection(
            scope=scope if scope is not None else ((template.scope if template else None) or registration.scope),
            dpop=bool(dpop),
            resource_url=resource or server_resource,
        )

    def code_flow(
        self, tbl: dict[str, Any] | None, template: TemplateSection | None, server: ServerSection | None,
        claims: Claims, registration: RegistrationSection,
    ) -> CodeFlowSection:
        tbl = tbl or {}
        self.check_keys(tbl, "code_flow", CODE_FLOW_KEYS)
        endpoint = self.get(tbl, "code_flow", "authorization_endpoint", CODE_FLOW_KEYS)
        redirect = self.get(tbl, "code_flow", "redirect_uri", CODE_FLOW_KEYS)
        scope = self.get(tbl, "code_flow", "scope", CODE_FLOW_KEYS)
        if scope is not None and not scope.strip():
            self.error("code_flow.scope", 'is empty; give the scope to ask the user for, e.g. scope = "openid"')
        fields = self.form_fields(tbl)
        if redirect is None and template is not None and template.redirect_uris:
            redirect = template.redirect_uris[0]
        if redirect is None and registration.redirect_uris:
            redirect = registration.redirect_uris[0]
        if claims.code_flow:
            if endpoint is None and (server is None or server.issuer is None) and "authorization_endpoint" not in tbl:
                self.error(
                    "code_flow.authorization_endpoint",
                    "missing while claims.code_flow = true; "
                    f"add {CODE_FLOW_KEYS['authorization_endpoint'][1]} (or server.issuer for discovery)",
                )
            if redirect is None and "redirect_uri" not in tbl:
                self.error(
                    "code_flow.redirect_uri",
                    "missing while claims.code_flow = true and template.redirect_uris is empty; "
                    f"add {CODE_FLOW_KEYS['redirect_uri'][1]} (a redirect URI the template allows)",
                )
        return CodeFlowSection(endpoint, redirect, scope or "openid", fields)

    def graphql(self, tbl: dict[str, Any] | None) -> GraphqlSection:
        tbl = tbl or {}
        self.check_keys(tbl, "graphql", GRAPHQL_KEYS)
        values = {k: self.get(tbl, "graphql", k, GRAPHQL_KEYS) for k in GRAPHQL_KEYS if k in tbl}
        for key in ("scope", "status_mutation", "client_id_argument", "status_argument"):
            value = values.get(key)
            if value is not None and (not value.strip() or (key != "scope" and not GRAPHQL_NAME.match(value))):
                what = "a space-separated scope" if key == "scope" else "a GraphQL name (letters, digits, _)"
                self.error(f"graphql.{key}", f"{value!r} is not {what}; e.g. {GRAPHQL_KEYS[key][1]}, or remove it")
                values.pop(key)
        return GraphqlSection(**{k: v for k, v in values.items() if v is not None})

    def form_fields(self, tbl: Mapping[str, Any]) -> dict[str, str]:
        """``[code_flow.fields]`` (``${VAR}`` expanded) and ``[code_flow.field_files]`` (a value read
        from a file, relative to the profile); every value is a secret (a password, a username)."""
        fields: dict[str, str] = {}
        for key in ("fields", "field_files"):
            sub = tbl.get(key, {})
            if not isinstance(sub, dict):
                self.error(f"code_flow.{key}", f"expected a table ({CODE_FLOW_KEYS[key][1]}), got {toml_type(sub)}")
                continue
            for name, raw in sub.items():
                dotted = f"code_flow.{key}.{name}"
                if not isinstance(raw, str):
                    self.error(dotted, f"expected a string, got {toml_type(raw)}; e.g. {CODE_FLOW_KEYS[key][1]}")
                    continue
                if name in fields:
                    self.error(dotted, "is also in code_flow.fields; give each field once")
                    continue
                value = self.expand(raw, dotted)
                if value is not None and key == "field_files":
                    value = self.field_file(value, dotted)
                if value is not None:
                    self.secrets.append(value)
                    fields[name] = value
        return fields

    def field_file(self, value: str, dotted: str) -> str | None:
        path = self.file_path(value, dotted)
        if path is None:
            return None
        try:
            text = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            self.error(dotted, f"cannot read {path}: {exc.__class__.__name__}")
            return None
        if not text:
            self.error(dotted, f"{path} is empty; write the field's value into it")
            return None
        return text

    def claims(self, tbl: dict[str, Any] | None) -> Claims:
        tbl = tbl or {}
        self.check_keys(tbl, "claims", CLAIMS_KEYS)
        values = {k: self.get(tbl, "claims", k, CLAIMS_KEYS) for k in CLAIMS_KEYS if k in tbl}
        for key in ("initial_token_ttl_s", "registration_token_read_write_ttl_s"):
            ttl = values.get(key)
            if ttl is not None and ttl <= 0:
                self.error(
                    f"claims.{key}",
                    "must be a positive number of seconds; "
                    f"e.g. {CLAIMS_KEYS[key][1]}",
                )
                values.pop(key)
        if values.get("initial_token_ttl_s") == 1:
            self.error(
                "claims.initial_token_ttl_s",
                "must be at least 2 seconds: a server that counts expiry in whole seconds (RFC 7519 "
                "§2 NumericDate) may expire a 1 s token as it issues it, and no refusal of a fresh token "
                "could be told from its expiry; give the server's initial tokens 2 s or more, "
                f"e.g. {CLAIMS_KEYS['initial_token_ttl_s'][1]}",
            )
            values.pop("initial_token_ttl_s")
        return Claims(**{k: v for k, v in values.items() if v is not None})

    def cross_checks(
        self,
        server: ServerSection,
        claims: Claims,
        clients: dict[str, ClientConfig],
        introspector: ClientConfig | None,
        unlisted: ClientConfig | None,
        manager: ClientConfig | None = None,
    ) -> None:
        if server.issuer is None:
            if claims.revocation and server.revocation_endpoint is None:
                self.error(
                    "server.revocation_endpoint",
                    "missing while claims.revocation = true; "
                    "add it (or server.issuer for discovery), or set revocation = false",
                )
            if claims.introspection and server.introspection_endpoint is None:
                self.error(
                    "server.introspection_endpoint",
                    "missing while claims.introspection = true; "
                    "add it (or server.issuer for discovery), or set introspection = false",
                )
        manager_broken = any(p.key and p.key.startswith("management_client") for p in self.problems)
        if claims.dcr_graphql_status and not claims.management_clients and manager is None and not manager_broken:
            self.error(
                "management_client",
                "missing while claims.dcr_graphql_status = true; add a [management_client] table "
                "(its token, with [graphql] scope, calls the DCR GraphQL API), or set dcr_graphql_status = false",
            )
        if claims.management_clients and manager is None and not manager_broken:
            self.error(
                "management_client",
                "missing while claims.management_clients = true; add a [management_client] table "
                "(a client of Curity's management-clients, allowed the dcrm scope), "
                "or set management_clients = false",
            )
        if manager is not None:
            for label, client in clients.items():
                if client.client_id == manager.client_id:
                    self.error(
                        "management_client.client_id",
                        f"is main_clients.{label}'s client_id; "
                        "the management client must be another client (main clients must not get dcrm)",
                    )
        introspector_broken = any(p.key and p.key.startswith("introspector") for p in self.problems)
        if claims.introspection and introspector is None and not introspector_broken:
            self.error(
                "introspector",
                "missing while claims.introspection = true; "
                "add an [introspector] table (a client allowed to introspect, RFC 7662 §2.1)",
            )
        if unlisted is not None:
            for label, client in clients.items():
                if client.client_id == unlisted.client_id:
                    self.error(
                        "unlisted_client.client_id",
                        f"is main_clients.{label}'s client_id; "
                        "the unlisted client must be a client no template names",
                    )
