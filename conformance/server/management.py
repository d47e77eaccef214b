"""RFC 7592 client configuration endpoint: GET, PUT, DELETE on ``registration_client_uri``.

Each request carries the client's registration access token (RAT) as a Bearer token and acts
on that one client only (§2.1-§2.3). With ``rotate_on_read`` (Curity's default, ``reuse=false``)
GET and PUT return a new ``client_secret`` and RAT and the old ones stop working at once, which
§2.1 allows. DELETE answers 204 and invalidates the client, its secret, its RAT and (§2.3
SHOULD) the tokens issued to it. A RAT presented for an unknown client gets 401 and is revoked
(§2.1 SHOULD).

Curity extensions: a RAT older than ``read-write-ttl`` may only DELETE (GET and
PUT get 401 ``invalid_token``), and a Bearer access token with scope ``dcrm`` issued to a
management client (``management-clients``) manages every dynamic client: GET and PUT return the
client without its credentials (nothing rotates), DELETE works as with the client's own RAT.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from . import open_registration
from .access import managers_token, presented_at_registration, presented_token
from .client_metadata import metadata_error, parse_json_object, registered_metadata
from .context import Context
from .errors import OAuthError, bearer_challenge
from .http_messages import Request, Response, json_response
from .registration import bearer_401_challenge, client_information, new_secret
from .store import RAT, SECRET, DynamicClient, TokenRecord, digest

FORBIDDEN_IN_PUT = ("registration_access_token", "registration_client_uri",
                    "client_secret_expires_at", "client_id_issued_at")


def _unauthorized(ctx: Context, error: str | None, description: str | None) -> OAuthError:
    headers = [("WWW-Authenticate", bearer_401_challenge(ctx, error, description))]
    if ctx.defects.on("management-missing-www-authenticate"):  # DEFECT: no challenge
        headers = []
    if ctx.defects.on("bearer-challenge-without-params"):  # DEFECT: a bare Bearer challenge
        headers = [("WWW-Authenticate", "Bearer")]
    return OAuthError(401, error, description, headers)


def handle(ctx: Context, request: Request, client_id: str) -> Response:
    if request.method not in ("GET", "PUT", "DELETE"):
        raise OAuthError(405, "invalid_request", "use GET, PUT or DELETE",
                         [("Allow", "GET, PUT, DELETE")])
    if request.method != "GET" and ctx.defects.on("management-write-without-token"):  # DEFECT
        unchecked = _write_without_token(ctx, request, client_id)
        if unchecked is not None:
            return unchecked
    presented = presented_at_registration(ctx, request)
    if presented is None:
        raise _unauthorized(ctx, None, None)
    if presented.scheme != "bearer" or not presented.token:
        raise _unauthorized(ctx, "invalid_token", "a Bearer registration access token is needed")
    rat_hash = digest(presented.token)
    store = ctx.store
    owner = store.client_for_rat(rat_hash)
    manager = owner is None and _management_token(ctx, store.get_token(rat_hash))
    client = store.get_client(client_id)
    if client is None:
        if request.method == "GET" and ctx.defects.on("management-unknown-client-200"):  # DEFECT
            return json_response(200, {"client_id": client_id}, no_store=True)
        if request.method == "PUT" and ctx.defects.on("management-put-unknown-client-404"):  # DEFECT
            raise OAuthError(404, "invalid_request", "no such client")
        if ctx.defects.on("management-unknown-client-403"):  # DEFECT: 403, not 401 (a live token kept)
            raise OAuthError(403, "insufficient_scope", "the token belongs to another client",
                             [("WWW-Authenticate", bearer_challenge("insufficient_scope"))])
        if owner is not None and request.method in ("PUT", "DELETE") \
                and ctx.defects.on("unknown-client-write-keeps-token"):  # DEFECT: not revoked
            owner = None
        if owner is not None and not ctx.variants.on("management-unknown-client-token-kept"):
            store.drop_credential(RAT, rat_hash)  # RFC 7592 §2.1-§2.3: SHOULD be revoked (VARIANT: kept)
        raise _unauthorized(ctx, "invalid_token", "the token is not valid for this client")
    if owner != client_id and not manager:
        if not (owner is not None and ctx.defects.on("management-cross-client-read")):  # DEFECT
            if owner is not None and ctx.variants.on("management-foreign-token-403"):  # VARIANT
                raise OAuthError(403, "insufficient_scope", "the token belongs to another client",
                                 [("WWW-Authenticate", bearer_challenge("insufficient_scope"))])
            if owner is None and ctx.defects.on("management-invalid-token-without-challenge"):  # DEFECT
                raise OAuthError(401, "invalid_token", "the token is not valid for this client")
            raise _unauthorized(ctx, "invalid_token", "the token is not valid for this client")
    template = ctx.config.template_of(client)
    if template is None:  # the template left the configuration
        raise _unauthorized(ctx, "invalid_token", "the client's template is gone")
    if owner == client_id and _read_write_expired(ctx, rat_hash):
        if request.method != "DELETE" \
                or ctx.defects.on("read-write-ttl-blocks-delete"):  # DEFECT: DELETE refused too
            raise _unauthorized(ctx, "invalid_token", "the registration access token is older "
                                "than read-write-ttl: it may only DELETE the client")

    if request.method == "DELETE":
        return _delete(ctx, client)
    chosen: dict[str, str] = {}  # credentials a PUT set itself (only under defects)
    replaced: list[str] = []  # members whose invalid value a default replaced (variant, defect)
    if request.method == "PUT":
        client, chosen, replaced = _update(ctx, request, client, template)
    if owner != client_id:  # a dcrm token (or management-cross-client-read): no rotation
        secret, rat = None, None
    elif RAT in chosen:  # only under put-forbidden-fields-accepted: the client's own RAT
        secret, rat = None, chosen[RAT]
    elif request.method == "GET" and ctx.variants.on("rotate-on-put-only"):  # VARIANT: no rotation
        secret, rat = None, presented.token
    elif request.method == "PUT" and ctx.defects.on("put-response-new-client-id"):  # DEFECT (below): no
        secret, rat = None, presented.token  # rotation either, so that the client keeps its credentials
    else:
        secret, rat = _rotate(ctx, client, template, rat_hash, presented.token,
                              rotate_secret=SECRET not in chosen
                              and not ctx.variants.on("rotate-token-only"))  # VARIANT: RAT only
    info = client_information(ctx, client, secret=secret, rat=rat, template=template)
    if request.method == "GET" and ctx.defects.on("management-read-broken"):  # DEFECT
        info["client_id"] = client.software_id
    if request.method == "PUT" and ctx.defects.on("put-response-new-client-id"):  # DEFECT: client_id changes
        info["client_id"] = f"{client.client_id}-renamed"
    if request.method == "PUT" and ctx.defects.on("management-put-drops-metadata"):  # DEFECT
        for name in client.metadata:
            info.pop(name, None)
    if ctx.defects.on("put-replaced-field-not-returned"):  # DEFECT: the replaced value not returned
        for name in replaced:
            info.pop(name, None)
    return json_response(200, info, no_store=True)


def client_id_from_query(query: str) -> str | None:
    """The ``client_id`` of ``REGISTRATION_ENDPOINT?client_id=<id>`` (variant management-uri-query)."""
    values = parse_qs(query, keep_blank_values=True).get("client_id") or []
    return values[0] if len(values) == 1 and values[0] else None


def _write_without_token(ctx: Context, request: Request, client_id: str) -> Response | None:
    """Only under the ``management-write-without-token`` defect: PUT and DELETE act on the client
    whatever token they carry (none, or another client's); its own token takes the normal path."""
    presented = presented_token(request)
    if presented is not None and presented.token \
            and ctx.store.client_for_rat(digest(presented.token)) == client_id:
        return None
    client = ctx.store.get_client(client_id)
    template = ctx.config.template_of(client) if client is not None else None
    if template is None:
        return None
    if request.method == "DELETE":
        return _delete(ctx, client)
    client, _, _ = _update(ctx, request, client, template)
    info = client_information(ctx, client, secret=None, rat=None, template=template)
    return json_response(200, info, no_store=True)


def _management_token(ctx: Context, record: TokenRecord | None) -> bool:
    """A management client's dcrm token (see :func:`~.access.managers_token`)."""
    if ctx.defects.on("management-refuses-dcrm-token"):  # DEFECT: only the client's own RAT
        return False
    return managers_token(ctx, record)


def _read_write_expired(ctx: Context, rat_hash: str) -> bool:
    """The RAT is older than ``read-write-ttl`` (its age counts from when it was issued)."""
    if ctx.defects.on("read-write-ttl-not-enforced"):  # DEFECT: GET/PUT at any age
        return False
    issued_at = ctx.store.credential_issued_at(RAT, rat_hash)
    return issued_at is None or ctx.now() - issued_at > ctx.settings.registration_token_read_write_ttl_s


def _rotate(ctx: Context, client: DynamicClient, template, rat_hash: str,
            presented: str, rotate_secret: bool = True) -> tuple[str | None, str]:
    """New secret and RAT when rotation is on; else the presented RAT is echoed (RFC 7592 §3
    requires registration_access_token in the response; the secret is stored hashed only)."""
    if not ctx.settings.rotate_on_read:
        return None, presented
    secret = new_secret(ctx, template, client.metadata) if rotate_secret else None
    rat = secrets.token_urlsafe(32)
    keep_old = ctx.defects.on("rotation-old-credentials-still-valid")  # DEFECT: old ones live on
    new = {SECRET: digest(secret) if secret else None, RAT: digest(rat)}
    if not ctx.store.rotate(client.client_id, rat_hash, new, keep_old=keep_old, issued_at=ctx.now()):
        raise _unauthorized(ctx, "invalid_token", "the token was rotated concurrently")
    return secret, rat


def _update(ctx: Context, request: Request, client: DynamicClient,
            template) -> tuple[DynamicClient, dict[str, str], list[str]]:
    """RFC 7592 §2.2: a full replacement of the metadata, within the template.

    Returns the updated client, the credentials the request set itself (only under defects) and
    the members whose invalid value a default replaced (only under a variant or a defect).
    """
    defects = ctx.defects
    chosen: dict[str, str] = {}
    body = parse_json_object(ctx, request)
    replaced = _invalid_types_replaced(ctx, body)
    if body.get("client_id") != client.client_id \
            and not defects.on("put-client-id-mismatch-accepted"):  # DEFECT
        raise metadata_error("client_id must be present and equal the client's")
    forbidden = [name for name in FORBIDDEN_IN_PUT if name in body]
    if forbidden:
        if not defects.on("put-forbidden-fields-accepted"):
            raise metadata_error(f"{', '.join(forbidden)} must not be sent in an update")
        rat = body.get("registration_access_token")
        if isinstance(rat, str) and rat:  # DEFECT: the client chooses its own RAT
            ctx.store.set_credential(client.client_id, RAT, digest(rat), issued_at=ctx.now())
            chosen[RAT] = rat
    if "software_id" in body and body["software_id"] != client.software_id:
        raise metadata_error("software_id cannot change")
    if "client_secret" in body:
        secret = body["client_secret"]
        if not isinstance(secret, str):
            raise metadata_error("client_secret must be a string")
        if not ctx.store.has_credential(client.client_id, SECRET, digest(secret)):
            if not defects.on("put-client-chosen-secret-accepted"):  # DEFECT
                raise metadata_error("client_secret does not match the current secret")
            ctx.store.set_credential(client.client_id, SECRET, digest(secret), issued_at=ctx.now())
            chosen[SECRET] = secret
    if ctx.config.open_registration is not None:  # no templates: RFC 7591 §2 rules (RFC 7592 §2.2)
        metadata = open_registration.registered_metadata(ctx, ctx.config.open_registration, body)
    else:
        metadata = registered_metadata(ctx, template, body, update=True)
    ctx.store.update_metadata(client.client_id, metadata)
    return DynamicClient(client.client_id, client.software_id, client.initial_client,
                         client.issued_at, metadata), chosen, replaced


#: Members RFC 7591 §2 gives a default ("If omitted, ..."), so a default can replace an invalid value.
_DEFAULTED = ("grant_types", "response_types")


def _invalid_types_replaced(ctx: Context, body: dict) -> list[str]:
    """RFC 7592 §2.2: "the authorization server MAY replace any invalid values with suitable default
    values, and it MUST return any such fields to the client in the response". Only under the
    ``update-invalid-types-replaced`` variant (and the defect that then omits them): a grant_types
    or response_types that is not an array of strings is dropped, so the default replaces it."""
    if not (ctx.variants.on("update-invalid-types-replaced")  # VARIANT
            or ctx.defects.on("put-replaced-field-not-returned")):  # DEFECT (see handle)
        return []
    invalid = [name for name in _DEFAULTED if name in body and not (
        isinstance(body[name], list) and all(isinstance(value, str) for value in body[name]))]
    for name in invalid:
        del body[name]
    return invalid


def _delete(ctx: Context, client: DynamicClient) -> Response:
    defects, store = ctx.defects, ctx.store
    if defects.on("delete-not-effective"):  # DEFECT: nothing is deleted
        return Response(204)
    victims = [client.client_id]
    if defects.on("delete-affects-other-clients"):  # DEFECT: the whole template goes
        victims = store.client_ids(client.software_id)
    for client_id in victims:
        store.delete_client(client_id)
        if not defects.on("delete-keeps-tokens-active"):  # DEFECT: tokens stay active
            keep_refresh = defects.on("refresh-survives-delete")  # DEFECT: refresh tokens stay
            store.revoke_client_tokens(client_id, refresh=not keep_refresh)
    if defects.on("delete-returns-200"):  # DEFECT
        return json_response(200, {"client_id": client.client_id, "deleted": True})
    return Response(204)
