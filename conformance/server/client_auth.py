"""Client authentication at the token, revocation and introspection endpoints.

The six methods of the metadata (RFC 8414 §2): ``client_secret_basic`` and
``client_secret_post`` (RFC 6749 §2.3.1, Basic credentials form-urlencoded before base64 per
App. B; secret clients may use either, like Curity's ``basic-and-form-post``),
``client_secret_jwt`` and ``private_key_jwt`` (RFC 7521 §4.2, RFC 7523 §3), ``tls_client_auth``
and ``self_signed_tls_client_auth`` (RFC 8705 §2). A request using more than one method is
refused (RFC 6749 §2.3.1). Failures are ``invalid_client`` with 401 and
``WWW-Authenticate: Basic`` (RFC 6749 §5.2).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from urllib.parse import unquote_plus

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from ..vocabulary import JWT_BEARER_ASSERTION_TYPE, MTLS_METHODS, SECRET_METHODS
from . import jose
from .config import ConfiguredClient
from .context import Context
from .errors import OAuthError
from .http_messages import Request
from .store import ACTIVE, SECRET, DynamicClient, digest


@dataclass(frozen=True)
class ClientIdentity:
    """The authenticated client: a configured one or a dynamic one."""

    client_id: str
    method: str
    configured: ConfiguredClient | None = None
    dynamic: DynamicClient | None = None

    @property
    def role(self) -> str:
        return "dynamic" if self.dynamic is not None else self.configured.role


def invalid_client(ctx: Context, description: str, *, basic: bool = False) -> OAuthError:
    headers = [("WWW-Authenticate", 'Basic realm="dcr-conformance"')]
    if basic and ctx.defects.on("basic-failure-without-www-authenticate"):  # DEFECT: no header
        headers = []
    if not basic and ctx.variants.on("invalid-client-400-without-authorization-header"):
        return OAuthError(400, "invalid_client", description)  # VARIANT: 401 is a MAY here
    return OAuthError(401, "invalid_client", description, headers)


def _lookup(ctx: Context, client_id: str) -> tuple[ConfiguredClient | None, DynamicClient | None]:
    configured = ctx.config.clients.get(client_id)
    if configured is not None:
        return configured, None
    dynamic = ctx.store.get_client(client_id)
    # An inactive or revoked client (Curity's DCR GraphQL status) is as unknown: invalid_client.
    if dynamic is not None and dynamic.status != ACTIVE \
            and not ctx.defects.on("graphql-status-ignored"):  # DEFECT: the status is not checked
        return None, None
    return None, dynamic


def _dynamic_method(ctx: Context, client: DynamicClient) -> str:
    return client.metadata.get("token_endpoint_auth_method", "client_secret_basic")


def authenticate(ctx: Context, request: Request, form: dict[str, str],
                 endpoint_url: str) -> ClientIdentity:
    """Identify and authenticate the client of a form request, or raise ``OAuthError``."""
    authorizations = request.header_all("Authorization")
    if len(authorizations) > 1:
        raise OAuthError(400, "invalid_request", "more than one Authorization header")
    basic = None
    if authorizations and authorizations[0][:6].lower() == "basic ":
        basic = authorizations[0][6:].strip()
    methods = []
    if basic is not None:
        methods.append("basic")
    if "client_secret" in form:
        methods.append("post")
    if "client_assertion" in form or "client_assertion_type" in form:
        methods.append("jwt")
    if len(methods) > 1 and not ctx.defects.on("multiple-auth-methods-accepted"):  # DEFECT
        raise OAuthError(400, "invalid_request", "only one client authentication method is allowed")
    if methods:
        method = methods[0]
        if method == "basic":
            return _basic(ctx, basic, form)
        if method == "post":
            return _post(ctx, form)
        return _assertion(ctx, form, endpoint_url)
    return _certificate_or_none(ctx, request, form)


# -- secrets ---------------------------------------------------------------------------------


def _check_secret(ctx: Context, client_id: str, secret: str, method: str, *,
                  basic: bool) -> ClientIdentity:
    configured, dynamic = _lookup(ctx, client_id)
    if ctx.variants.on("registered-auth-method-only"):  # VARIANT: only the registered method
        registered = configured.auth_method if configured is not None else \
            _dynamic_method(ctx, dynamic) if dynamic is not None else None
        if registered in SECRET_METHODS and registered != method:
            raise invalid_client(ctx, f"this client authenticates by {registered}", basic=basic)
    if configured is not None and configured.auth_method in SECRET_METHODS:
        if configured.secret is not None and hmac.compare_digest(
                configured.secret.encode("utf-8", "surrogatepass"),
                secret.encode("utf-8", "surrogatepass")):
            return ClientIdentity(client_id, method, configured=configured)
    elif dynamic is not None and _dynamic_method(ctx, dynamic) in SECRET_METHODS:
        if ctx.defects.on("dynamic-secret-not-checked"):  # DEFECT: any secret works
            return ClientIdentity(client_id, method, dynamic=dynamic)
        if ctx.store.has_credential(client_id, SECRET, digest(secret)):
            return ClientIdentity(client_id, method, dynamic=dynamic)
        if ctx.defects.on("secret-of-another-client-accepted") and any(  # DEFECT: any client's secret
                ctx.store.has_credential(other, SECRET, digest(secret)) for other in ctx.store.client_ids()):
            return ClientIdentity(client_id, method, dynamic=dynamic)
    raise invalid_client(ctx, "client authentication failed", basic=basic)


def _basic(ctx: Context, credentials: str, form: dict[str, str]) -> ClientIdentity:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise invalid_client(ctx, "malformed Basic credentials", basic=True) from None
    raw_id, sep, raw_secret = decoded.partition(":")
    if not sep:
        raise invalid_client(ctx, "malformed Basic credentials", basic=True)
    if ctx.defects.on("basic-not-form-decoded"):  # DEFECT: RFC 6749 App. B decoding skipped
        client_id, secret = raw_id, raw_secret
    else:
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
    if "client_id" in form and form["client_id"] != client_id:
        raise invalid_client(ctx, "client_id differs from the Basic user name", basic=True)
    return _check_secret(ctx, client_id, secret, "client_secret_basic", basic=True)


def _post(ctx: Context, form: dict[str, str]) -> ClientIdentity:
    client_id = form.get("client_id")
    if not client_id:
        raise OAuthError(400, "invalid_request", "client_secret_post needs client_id")
    return _check_secret(ctx, client_id, form["client_secret"], "client_secret_post", basic=False)


# -- JWT assertions (RFC 7521 §4.2, RFC 7523 §3) ----------------------------------------------


def _assertion(ctx: Context, form: dict[str, str], endpoint_url: str) -> ClientIdentity:
    defects, settings, now = ctx.defects, ctx.settings, ctx.now()
    if form.get("client_assertion_type") != JWT_BEARER_ASSERTION_TYPE or not form.get("client_assertion"):
        raise OAuthError(400, "invalid_request",
                         f"client_assertion and client_assertion_type={JWT_BEARER_ASSERTION_TYPE} are required")
    try:
        jws = jose.parse_compact(form["client_assertion"])
    except jose.JoseError as exc:
        raise invalid_client(ctx, f"client_assertion: {exc}") from None
    claims, header = jws.claims, jws.header
    if jose.has_critical_extensions(header) and not defects.on("jws-crit-ignored"):  # DEFECT
        raise invalid_client(ctx, "client_assertion: crit names extensions this server does not understand")
    iss, sub = claims.get("iss"), claims.get("sub")
    if defects.on("jwt-subject-not-checked"):  # DEFECT: the client is whoever iss names
        client_id = iss
    elif defects.on("jwt-issuer-not-checked"):  # DEFECT: the client is whoever sub names
        client_id = sub
    else:
        client_id = sub
        if iss != sub:
            raise invalid_client(ctx, "iss and sub must both be the client_id")
    if not isinstance(client_id, str) or not client_id:
        raise invalid_client(ctx, "iss and sub are required")
    if "client_id" in form and form["client_id"] != client_id \
            and not defects.on("jwt-client-id-mismatch-accepted"):  # DEFECT
        raise invalid_client(ctx, "client_id does not match the assertion's sub")

    configured, dynamic = _lookup(ctx, client_id)
    alg = header.get("alg")
    if configured is not None and configured.auth_method == "client_secret_jwt":
        method, algs = "client_secret_jwt", ("HS256",)
        key: object = (configured.secret or "").encode()
        if defects.on("client-secret-jwt-broken"):  # DEFECT: MAC checked with the wrong key
            key = key[::-1]
    elif configured is not None and configured.auth_method == "private_key_jwt":
        method, algs, key = "private_key_jwt", jose.ASYMMETRIC_ALGS, configured.public_key
        if header.get("kid") is not None and header.get("kid") != configured.kid:
            raise invalid_client(ctx, "unknown key id")
    elif dynamic is not None and _dynamic_method(ctx, dynamic) == "private_key_jwt":
        method, algs = "private_key_jwt", jose.ASYMMETRIC_ALGS
        key = _dynamic_key(ctx, dynamic, header.get("kid"))
    else:
        raise invalid_client(ctx, "client authentication failed")

    if alg == "none" and defects.on("jwt-alg-none-accepted"):  # DEFECT: unsigned JWT accepted
        pass
    elif defects.on("jwt-signature-not-verified"):  # DEFECT: signature never checked
        pass
    else:
        if alg not in algs or (alg != "HS256" and not jose.alg_fits_key(alg, key)):
            raise invalid_client(ctx, "alg is not allowed for this client")
        jws_checked = jws
        if alg == "ES256" and defects.on("private-key-jwt-es256-broken"):  # DEFECT: wrong input
            jws_checked = jose.CompactJws(jws.header, jws.claims, jws.signing_input + b".",
                                          jws.signature)
        try:
            jose.verify(jws_checked, alg, key)
        except jose.JoseError:
            raise invalid_client(ctx, "the assertion signature does not verify") from None

    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences
    accepted = {ctx.config.issuer, ctx.config.token_endpoint, endpoint_url}
    if not (isinstance(audiences, list) and accepted & {a for a in audiences if isinstance(a, str)}):
        if not defects.on("jwt-audience-not-checked"):  # DEFECT: any audience
            raise invalid_client(ctx, "aud must name this authorization server")
    exp = claims.get("exp")
    if not _is_number(exp):
        raise invalid_client(ctx, "exp is required")
    if exp <= now - settings.clock_skew_s and not defects.on("jwt-expired-accepted"):  # DEFECT
        raise invalid_client(ctx, "the assertion has expired")
    if exp > now + settings.assertion_max_lifetime_s + settings.clock_skew_s:
        raise invalid_client(ctx, "exp is too far in the future")
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is not None and (not _is_number(value) or value > now + settings.clock_skew_s):
            raise invalid_client(ctx, f"{name} is in the future")
    jti = claims.get("jti")
    if jti is None and ctx.variants.on("assertion-jti-optional"):  # VARIANT: RFC 7523 §3: MAY
        return ClientIdentity(client_id, method, configured=configured, dynamic=dynamic)
    if not isinstance(jti, str) or not jti or len(jti) > 256:
        raise invalid_client(ctx, "jti is required")
    if not defects.on("jwt-replay-accepted"):  # DEFECT: jti may be reused
        if not ctx.store.remember_once(f"jwt:{client_id}:{jti}",
                                       max(exp, now) + settings.clock_skew_s, now):
            raise invalid_client(ctx, "the assertion's jti was already used")
    return ClientIdentity(client_id, method, configured=configured, dynamic=dynamic)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _dynamic_key(ctx: Context, client: DynamicClient, kid: object) -> object:
    keys = (client.metadata.get("jwks") or {}).get("keys") or []
    for jwk in keys:
        if kid is None or jwk.get("kid") == kid:
            try:
                return jose.public_key_from_jwk(jwk)
            except jose.JoseError:
                continue
    raise invalid_client(ctx, "unknown key id")


# -- mutual TLS (RFC 8705 §2) ----------------------------------------------------------------


def _certificate_or_none(ctx: Context, request: Request, form: dict[str, str]) -> ClientIdentity:
    client_id = form.get("client_id")
    if not client_id and request.peer_cert is not None \
            and ctx.defects.on("mtls-client-id-optional"):  # DEFECT: client found by its DN
        client_id = _client_by_certificate(ctx, request.peer_cert)
    if not client_id:
        raise invalid_client(ctx, "client authentication is required")
    configured, dynamic = _lookup(ctx, client_id)
    if configured is not None and configured.auth_method in MTLS_METHODS:
        return _mtls(ctx, configured, request.peer_cert)
    if (configured or dynamic) is not None and ctx.defects.on("public-client-accepted"):  # DEFECT
        return ClientIdentity(client_id, "none", configured=configured, dynamic=dynamic)
    raise invalid_client(ctx, "client authentication is required")


def _client_by_certificate(ctx: Context, der: bytes) -> str | None:
    cert = x509.load_der_x509_certificate(der)
    for client in ctx.config.clients.values():
        if client.subject is not None and client.subject == cert.subject:
            return client.client_id
        if client.pinned_cert_der == der:
            return client.client_id
    return None


def _issued_by_ca(ctx: Context, cert: x509.Certificate) -> bool:
    ca = ctx.ca_cert
    if cert.issuer != ca.subject:
        return False
    public = ca.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(cert.signature, cert.tbs_certificate_bytes,
                      ec.ECDSA(cert.signature_hash_algorithm))
    except InvalidSignature:
        return False
    return True


def _mtls(ctx: Context, client: ConfiguredClient, der: bytes | None) -> ClientIdentity:
    defects = ctx.defects
    if der is None:
        raise invalid_client(ctx, "a client certificate is required")
    cert = x509.load_der_x509_certificate(der)
    if client.auth_method == "tls_client_auth":
        # The TLS layer already verified the chain to a trust anchor; the trust store also holds
        # pinned self-signed certificates, so the issuer is checked here again.
        if not _issued_by_ca(ctx, cert) and not defects.on("mtls-any-ca-accepted"):  # DEFECT
            raise invalid_client(ctx, "the certificate is not issued by the trusted CA")
        compared = cert.issuer if defects.on("tls-client-auth-broken") else cert.subject  # DEFECT
        if compared != client.subject and not defects.on("mtls-dn-not-checked"):  # DEFECT
            raise invalid_client(ctx, "the certificate subject does not match the client")
        return ClientIdentity(client.client_id, "tls_client_auth", configured=client)
    if der == client.pinned_cert_der:
        return ClientIdentity(client.client_id, "self_signed_tls_client_auth", configured=client)
    if defects.on("self-signed-any-cert-accepted") and cert.issuer == cert.subject:  # DEFECT
        return ClientIdentity(client.client_id, "self_signed_tls_client_auth", configured=client)
    raise invalid_client(ctx, "the certificate is not the registered one")
