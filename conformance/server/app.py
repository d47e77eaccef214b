"""Routing of requests to the endpoint modules, and the last line of defence against 5xx."""

from __future__ import annotations

import logging
from urllib.parse import unquote

from . import dcr_graphql, haapi, management, metadata, registration, resource, revocation, token
from .config import (AUTHN_PATH, AUTHORIZE_PATH, INTROSPECTION_PATH, JWKS_PATH, METADATA_PATHS,
                     REGISTRATION_PATH, RESOURCE_PATH, REVOCATION_PATH, TOKEN_PATH)
from .context import Context
from .errors import DefectCrash, OAuthError
from .http_messages import Request, Response, json_response
from .reshape import reshape

log = logging.getLogger("conformance.server")

_MANAGEMENT_PREFIX = REGISTRATION_PATH + "/"


class App:
    """Callable ``Request -> Response``; endpoint errors become their JSON answers."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._routes = {
            TOKEN_PATH: token.handle,
            REGISTRATION_PATH: registration.handle,
            dcr_graphql.PATH: dcr_graphql.handle,  # exact match: before the RFC 7592 prefix below
            REVOCATION_PATH: revocation.handle_revocation,
            INTROSPECTION_PATH: revocation.handle_introspection,
            RESOURCE_PATH: resource.handle,
            AUTHORIZE_PATH: haapi.handle_authorize,
            AUTHN_PATH: haapi.handle_authenticate,
            **{path: metadata.handle for path in METADATA_PATHS},
            JWKS_PATH: metadata.handle_jwks,
        }

    def __call__(self, request: Request) -> Response:
        return reshape(self.ctx.variants, self._answer(request))  # conformant variants (.reshape)

    def _answer(self, request: Request) -> Response:
        try:
            return self._route(request)
        except OAuthError as exc:
            return exc.response()
        except DefectCrash:  # a defect simulating a crash
            return json_response(500, {"error": "server_error"})
        except Exception:  # a bug: never leak details, but make it visible in the log
            log.exception("unhandled error on %s %s", request.method, request.path)
            return json_response(500, {"error": "server_error"})

    def _route(self, request: Request) -> Response:
        if not request.secure and request.path != TOKEN_PATH \
                and self.ctx.defects.on("token-endpoint-over-plain-http"):  # DEFECT: the token endpoint only
            return json_response(400, {"error": "invalid_request", "error_description": "use https"})
        if not request.secure and (request.path != TOKEN_PATH or not request.header("DPoP")) \
                and self.ctx.defects.on("dpop-token-over-plain-http"):  # DEFECT: DPoP token requests only
            return json_response(400, {"error": "invalid_request", "error_description": "use https"})
        if request.path == REGISTRATION_PATH and request.method != "POST" \
                and self.ctx.variants.on("management-uri-query"):  # VARIANT: ?client_id=<id>
            client_id = management.client_id_from_query(request.query)
            if client_id:
                return management.handle(self.ctx, request, client_id)
        handler = self._routes.get(request.path)
        if handler is not None:
            return handler(self.ctx, request)
        if request.path.startswith(_MANAGEMENT_PREFIX):
            client_id = unquote(request.path[len(_MANAGEMENT_PREFIX):])
            if client_id and "/" not in client_id:
                return management.handle(self.ctx, request, client_id)
        return json_response(404, {"error": "not_found"})
