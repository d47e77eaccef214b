"""The registration endpoint: templatized RFC 7591 registration, step 2 of the fallback (or, on
a server without templates, plain RFC 7591: :mod:`.open_registration`).

The endpoint is a protected resource (RFC 6750): ``Authorization: Bearer <initial token>``.
No token: 401 with ``WWW-Authenticate: Bearer realm="..."`` (§3.1: no error code); an unknown,
expired, used or revoked token: 401 ``invalid_token``; a token without ``dcr``: 403
``insufficient_scope``. The body is ``{"software_id": <template>}`` plus optional metadata
(:mod:`.client_metadata`). The initial token is consumed atomically in the same step that
creates the client, so of concurrent requests with one token exactly one gets 201
(Curity's DCR fallback). The response is RFC 7591 §3.2.1 plus the RFC 7592 §3 management fields.
"""

from __future__ import annotations

import secrets
import time

from ..vocabulary import DCR_SCOPE
from . import jose
from .access import presented_at_registration
from .client_metadata import metadata_error, parse_json_object, registered_metadata
from . import open_registration
from .config import Template, client_policy
from .context import Context
from .dpop import DpopError, verify_proof
from .errors import DefectCrash, OAuthError, bearer_challenge
from .http_messages import Request, Response, json_response
from .store import RAT, SECRET, DynamicClient, TokenRecord, digest

RACE_WINDOW_S = 0.2  # the initial-token-race defect's gap between check and mark
SECRET_LIFETIME_S = 31_536_000  # the registration-secret-expires variant: one year


def bearer_401_challenge(ctx: Context, error: str | None, description: str | None) -> str:
    """The ``WWW-Authenticate`` of a 401 at the registration or client configuration endpoint."""
    if error is None and ctx.defects.on("bearer-challenge-error-without-token"):  # DEFECT: error info
        error, description = "invalid_token", "no access token was presented"
    challenge = bearer_challenge(error, description)
    if ctx.defects.on("bearer-challenge-attribute-repeated"):  # DEFECT: realm (and error) twice
        challenge += ', realm="dcr-conformance"' + (f', error="{error}"' if error else "")
    if description and ctx.defects.on("bearer-challenge-description-not-ascii"):  # DEFECT: é, \"
        challenge = challenge.replace(f'error_description="{description}"',
                                      f'error_description="{description} (d\u00e9j\u00e0 vu: \\"no\\")"')
    return challenge


def _unauthorized(ctx: Context, error: str | None, description: str | None) -> OAuthError:
    headers = [("WWW-Authenticate", bearer_401_challenge(ctx, error, description))]
    if ctx.defects.on("registration-missing-www-authenticate"):  # DEFECT: no challenge
        headers = []
    if ctx.defects.on("bearer-challenge-without-params"):  # DEFECT: a bare Bearer challenge
        headers = [("WWW-Authenticate", "Bearer")]
    return OAuthError(401, error, description, headers)


def _initial_token(ctx: Context, request: Request) -> tuple[str, TokenRecord]:
    """The presented initial access token and its record, checked but not yet consumed."""
    presented = presented_at_registration(ctx, request)
    if presented is None:
        raise _unauthorized(ctx, None, None)
    record = ctx.store.get_token(digest(presented.token)) if presented.token else None
    now = ctx.now()
    if record is None or record.revoked or record.used:
        raise _unauthorized(ctx, "invalid_token", "the access token is not valid")
    if now >= record.expires_at and not ctx.defects.on("initial-token-expiry-ignored"):  # DEFECT
        raise _unauthorized(ctx, "invalid_token", "the access token has expired")
    if record.jkt is not None:  # a DPoP-bound initial token (RFC 9449 §7.1)
        if presented.scheme != "dpop":
            raise _unauthorized(ctx, "invalid_token", "a DPoP-bound token needs the DPoP scheme")
        try:
            proof = verify_proof(ctx, request, access_token=presented.token)
        except DpopError as exc:
            raise _unauthorized(ctx, "invalid_token", exc.description) from None
        if proof.jkt != record.jkt:
            raise _unauthorized(ctx, "invalid_token", "the proof key is not the bound key")
    elif presented.scheme != "bearer":
        raise _unauthorized(ctx, "invalid_token", "the token is not DPoP-bound")
    if DCR_SCOPE not in record.scopes and not ctx.defects.on("registration-ignores-token-scope"):
        headers = [("WWW-Authenticate",
                    bearer_challenge("insufficient_scope", None, scope=DCR_SCOPE))]
        status = 401 if ctx.variants.on("registration-missing-scope-401") else 403  # VARIANT: SHOULD
        raise OAuthError(status, "insufficient_scope", "the token lacks the dcr scope", headers)
    return presented.token, record


def _template(ctx: Context, body: dict, token: TokenRecord) -> Template:
    software_id = body.get("software_id")
    if software_id is None:
        raise metadata_error("software_id is required")
    if not isinstance(software_id, str):
        if isinstance(software_id, (dict, list)) and ctx.defects.on("nested-metadata-500"):
            raise DefectCrash("software_id of the wrong type")  # DEFECT
        raise metadata_error("software_id must be a string")
    template = ctx.config.templates.get(software_id)
    if template is None:
        if not ctx.defects.on("unknown-template-accepted"):  # DEFECT: default template instead
            raise metadata_error("unknown software_id")
        template = ctx.config.templates[ctx.config.default_template]
    if token.client_id not in template.authenticate_client_by \
            and not ctx.defects.on("template-authorization-not-checked"):  # DEFECT
        raise metadata_error("this client may not register clients of that template")
    return template


def _check_software_statement(ctx: Context, body: dict) -> None:
    """We trust no statement issuer: garbage is invalid, a well-formed JWT unapproved."""
    if "software_statement" not in body:
        return
    if ctx.defects.on("software-statement-500"):  # DEFECT: any statement crashes the handler
        raise DefectCrash("software statement")
    statement = body["software_statement"]
    try:
        if not isinstance(statement, str):
            raise jose.JoseError("not a string")
        jose.parse_compact(statement)
    except jose.JoseError:
        raise OAuthError(400, "invalid_software_statement",
                         "the software statement is not a JWT") from None
    raise OAuthError(400, "unapproved_software_statement",
                     "software statements are not accepted by this server")


def client_information(ctx: Context, client: DynamicClient, *, secret: str | None,
                       rat: str | None, template: Template) -> dict:
    """RFC 7591 §3.2.1 / RFC 7592 §3 client information (secret and RAT when known)."""
    variants = ctx.variants
    info: dict = {"client_id": client.client_id, "client_id_issued_at": client.issued_at}
    if variants.on("registration-issued-at-omitted"):  # VARIANT: client_id_issued_at is OPTIONAL
        del info["client_id_issued_at"]
    if secret is not None:
        info["client_secret"] = secret
    if has_secret(template, client.metadata):
        info["client_secret_expires_at"] = 0  # REQUIRED with a secret; 0 = never
        if variants.on("registration-secret-expires"):  # VARIANT: a year after issue
            info["client_secret_expires_at"] = client.issued_at + SECRET_LIFETIME_S
    if rat is not None:
        info["registration_access_token"] = rat
    info["registration_client_uri"] = f"{ctx.config.registration_endpoint}/{client.client_id}"
    if variants.on("management-uri-query"):  # VARIANT: the client_id as a query parameter
        info["registration_client_uri"] = f"{ctx.config.registration_endpoint}?client_id={client.client_id}"
    if not variants.on("registration-rat-expires-in-omitted"):  # VARIANT: Curity's member dropped
        info["registration_access_token_expires_in"] = ctx.settings.registration_token_ttl_s
    info.update(client.metadata)
    if variants.on("registration-extra-server-members"):  # VARIANT: server-provisioned members
        info.update(application_type="native", id_token_signed_response_alg="RS256",
                    x_vendor_client_class="dcr-fallback")
    return info


def has_secret(template: Template, metadata: dict) -> bool:
    """Whether the client authenticates by a secret (not a device-key client, RFC 7523)."""
    return not template.device_keys and metadata.get("token_endpoint_auth_method") != "private_key_jwt"


def new_secret(ctx: Context, template: Template, metadata: dict | None = None) -> str | None:
    if not has_secret(template, metadata or {}):
        return None  # BYOK: the device authenticates with private_key_jwt
    if ctx.defects.on("registration-secret-reused"):  # DEFECT: one secret per template
        with ctx.lock:
            return ctx.shared_secrets.setdefault(template.software_id, secrets.token_urlsafe(32))
    return secrets.token_urlsafe(32)


def _consume(ctx: Context, token_hash: str) -> None:
    store = ctx.store
    if ctx.defects.on("initial-token-reusable"):  # DEFECT: never marked used
        return
    if ctx.defects.on("initial-token-race"):  # DEFECT: check, wait, then mark (not atomic)
        record = store.get_token(token_hash)
        if record is None or record.used:
            raise _unauthorized(ctx, "invalid_token", "the access token was already used")
        time.sleep(RACE_WINDOW_S)
        store.mark_used(token_hash)
        return
    if ctx.defects.on("initial-token-expiry-ignored"):  # DEFECT: expiry not part of the swap
        now = 0.0
    else:
        now = ctx.now()
    if not store.consume_token(token_hash, now):
        raise _unauthorized(ctx, "invalid_token", "the access token was already used")


def handle(ctx: Context, request: Request) -> Response:
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", "use POST", [("Allow", "POST")])
    token, record = _initial_token(ctx, request)
    try:
        body = parse_json_object(ctx, request)
        policy = ctx.config.open_registration
        template = _template(ctx, body, record) if policy is None else None
        _check_software_statement(ctx, body)
        if template is None:  # a server without templates: plain RFC 7591
            metadata = open_registration.registered_metadata(ctx, policy, body)
            template = client_policy(policy, metadata)
        else:
            metadata = registered_metadata(ctx, template, body)
    except OAuthError:
        if ctx.variants.on("initial-token-consumed-on-rejection"):  # VARIANT: any attempt uses it
            ctx.store.consume_token(digest(token), ctx.now())
        raise

    _consume(ctx, digest(token))
    client_id = "dyn-" + secrets.token_urlsafe(16)
    secret, rat = new_secret(ctx, template, metadata), secrets.token_urlsafe(32)
    now = ctx.now()
    client = DynamicClient(client_id, template.software_id, record.client_id, int(now), metadata)
    ctx.store.add_client(client, {SECRET: digest(secret) if secret else None, RAT: digest(rat)},
                         issued_at=now)

    info = client_information(ctx, client, secret=secret, rat=rat, template=template)
    if ctx.defects.on("registration-omits-secret-expiry"):  # DEFECT
        info.pop("client_secret_expires_at", None)
    if ctx.defects.on("registration-client-uri-wrong"):  # DEFECT: the client_id is not appended
        info["registration_client_uri"] = ctx.config.registration_endpoint
    if ctx.defects.on("registration-omits-metadata"):  # DEFECT: only identity and credentials
        for name in metadata:
            info.pop(name, None)
    status = 200 if ctx.defects.on("registration-returns-200") else 201  # DEFECT
    no_store = not ctx.defects.on("registration-without-no-store")  # DEFECT
    return json_response(status, info, no_store=no_store)
