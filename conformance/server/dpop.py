"""DPoP proof verification and server nonces (RFC 9449 §4.3, §8, §9).

:func:`verify_proof` checks, in the order of RFC 9449 §4.3: exactly one ``DPoP`` header, a
compact JWS with ``typ: dpop+jwt``, an asymmetric ``alg``, a public ``jwk`` without private
members, the signature by that ``jwk``, ``htm``, ``htu`` (compared without query and fragment),
``iat`` within the window, the server ``nonce`` when required, ``ath`` when an access token is
presented, and the uniqueness of ``jti``. It returns the RFC 7638 thumbprint of the key, which
the token endpoint stores as ``cnf.jkt`` (RFC 9449 §6).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import jose

if TYPE_CHECKING:
    from .context import Context
    from .http_messages import Request

INVALID_PROOF = "invalid_dpop_proof"
USE_NONCE = "use_dpop_nonce"


class DpopError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class NonceIssuer:
    """Stateless server nonces: ``b64url(issued_at || HMAC(key, issued_at)[:16])``.

    Any nonce this server issued within ``ttl_s`` is accepted, so concurrent clients and
    several nonces in flight work without shared state.
    """

    def __init__(self, ttl_s: int) -> None:
        self._key = secrets.token_bytes(32)
        self.ttl_s = ttl_s

    def _mac(self, stamp: bytes) -> bytes:
        return hmac.new(self._key, stamp, hashlib.sha256).digest()[:16]

    def issue(self, now: float) -> str:
        stamp = struct.pack(">Q", int(now))
        return jose.b64url_encode(stamp + self._mac(stamp))

    def valid(self, nonce: object, now: float) -> bool:
        if not isinstance(nonce, str) or len(nonce) > 64:
            return False
        try:
            raw = jose.b64url_decode(nonce)
        except jose.JoseError:
            return False
        if len(raw) != 24 or not hmac.compare_digest(self._mac(raw[:8]), raw[8:]):
            return False
        age = now - struct.unpack(">Q", raw[:8])[0]
        return -5 <= age <= self.ttl_s

    def issued_here(self, nonce: object) -> bool:
        """Whether this server issued ``nonce`` at all (its MAC holds), recent or not."""
        try:
            raw = jose.b64url_decode(nonce) if isinstance(nonce, str) and len(nonce) <= 64 else b""
        except jose.JoseError:
            return False
        return len(raw) == 24 and hmac.compare_digest(self._mac(raw[:8]), raw[8:])


@dataclass(frozen=True)
class Proof:
    jkt: str
    jwk: dict
    claims: dict


_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normalize_percent(path: str) -> str:
    """RFC 3986 §6.2.2.1-2: an encoded unreserved character decoded, other escapes upper-cased."""
    def one(match: re.Match) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()
    return _PERCENT.sub(one, path)


def normalize_htu(url: str) -> str | None:
    """Scheme and host lower-cased, default port dropped, percent-encoding normalized, no query or
    fragment (RFC 9449 §4.3: RFC 3986 §6.2.2 and §6.2.3 normalization)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{_normalize_percent(parts.path) or '/'}"


def expected_htus(ctx: Context, request: Request) -> set[str]:
    """The URL of this request as configured and as the Host header names it."""
    urls = {ctx.config.base_url + request.path}
    host = request.header("Host")
    if host:
        urls.add(f"https://{host}{request.path}")
    return {u for u in (normalize_htu(x) for x in urls) if u}


def access_token_hash(access_token: str) -> str:
    return jose.b64url_encode(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def verify_proof(ctx: Context, request: Request, *, access_token: str | None = None,
                 require_nonce: bool = False) -> Proof:
    """Validate the request's DPoP proof; raise :class:`DpopError` with the RFC 9449 code."""
    defects, now = ctx.defects, ctx.now()
    headers = request.header_all("DPoP")
    if not headers:
        raise DpopError(INVALID_PROOF, "a DPoP proof is required")
    if len(headers) > 1 and not defects.on("dpop-multiple-headers-accepted"):  # DEFECT: first wins
        raise DpopError(INVALID_PROOF, "exactly one DPoP header is allowed")
    try:
        jws = jose.parse_compact(headers[0].strip())
    except jose.JoseError as exc:
        raise DpopError(INVALID_PROOF, f"the proof is not a JWT: {exc}") from None
    header, claims = jws.header, jws.claims
    if jose.has_critical_extensions(header) and not defects.on("jws-crit-ignored"):  # DEFECT
        raise DpopError(INVALID_PROOF, "crit names extensions this server does not understand")

    if header.get("typ") != "dpop+jwt" and not defects.on("dpop-typ-not-checked"):  # DEFECT
        raise DpopError(INVALID_PROOF, "typ must be dpop+jwt")
    alg = header.get("alg")
    symmetric_ok = defects.on("dpop-symmetric-alg-accepted")  # DEFECT: none / HS256 accepted
    if alg not in jose.ASYMMETRIC_ALGS and not (symmetric_ok and alg in ("none", "HS256")):
        raise DpopError(INVALID_PROOF, "alg must be an asymmetric algorithm")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise DpopError(INVALID_PROOF, "the proof header has no jwk")
    try:
        if defects.on("dpop-private-jwk-accepted"):  # DEFECT: private members are not refused
            key = jose.public_key_from_any_jwk(jwk)
        else:
            key = jose.public_key_from_jwk(jwk)
        jkt = jose.jwk_thumbprint(jwk)
    except (jose.JoseError, KeyError, TypeError) as exc:
        raise DpopError(INVALID_PROOF, f"unusable jwk: {exc}") from None
    if alg in jose.ASYMMETRIC_ALGS and not jose.alg_fits_key(alg, key):
        raise DpopError(INVALID_PROOF, "alg does not fit the jwk")
    if alg not in jose.ASYMMETRIC_ALGS:
        pass  # only reachable under dpop-symmetric-alg-accepted: nothing is verified
    elif not defects.on("dpop-signature-not-verified"):  # DEFECT: signature skipped
        try:
            jose.verify(jws, alg, key)
        except jose.JoseError:
            raise DpopError(INVALID_PROOF, "the proof signature does not verify") from None

    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 256:
        raise DpopError(INVALID_PROOF, "jti is required")
    if claims.get("htm") != request.method and not defects.on("dpop-htm-not-checked"):  # DEFECT
        raise DpopError(INVALID_PROOF, "htm does not match the request method")
    htu = claims.get("htu")
    if defects.on("dpop-htu-compared-verbatim"):  # DEFECT: no RFC 3986 normalization
        host = request.header("Host")
        htu_ok = htu in {ctx.config.base_url + request.path, f"https://{host}{request.path}"}
    else:
        htu_ok = isinstance(htu, str) and normalize_htu(htu) in expected_htus(ctx, request)
    if not htu_ok and not defects.on("dpop-htu-not-checked"):  # DEFECT: any htu
        raise DpopError(INVALID_PROOF, "htu does not match the request URL")
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise DpopError(INVALID_PROOF, "iat is required")
    window = ctx.settings.dpop_iat_window_s
    if abs(now - iat) > window and not defects.on("dpop-iat-not-checked"):  # DEFECT: any iat
        raise DpopError(INVALID_PROOF, "iat is outside the accepted window")
    # DEFECT dpop-iat-not-checked: no server nonce stands in for iat either (RFC 9449 §4.3 check 11)
    require_nonce = require_nonce and not defects.on("dpop-iat-not-checked")
    if require_nonce and not ctx.nonces.valid(claims.get("nonce"), now):
        at_resource = access_token is not None and "nonce" in claims
        at_token = access_token is None and "nonce" in claims
        if at_resource and defects.on("resource-any-nonce-accepted"):  # DEFECT: any nonce
            pass
        elif at_token and defects.on("token-any-nonce-accepted"):  # DEFECT: any nonce
            pass
        elif at_token and not ctx.nonces.issued_here(claims["nonce"]) \
                and ctx.variants.on("token-unknown-nonce-invalid-proof"):  # VARIANT
            raise DpopError(INVALID_PROOF, "the nonce was not issued by this server")
        else:
            raise DpopError(USE_NONCE, "a fresh server nonce is required")
    if access_token is not None:
        if claims.get("ath") != access_token_hash(access_token) \
                and not defects.on("resource-ath-not-checked"):  # DEFECT: ath ignored
            raise DpopError(INVALID_PROOF, "ath does not match the access token")
    if not ctx.store.remember_once(f"dpop:{jkt}:{jti}", now + 2 * window + 5, now):
        raise DpopError(INVALID_PROOF, "jti was already used")
    return Proof(jkt, jwk, claims)
