"""Client authentication at the token, revocation and introspection endpoints.

:func:`authenticate` applies one client's method to a copy of a :class:`RequestSpec`:

============================== =================================================================
``client_secret_basic``         ``Authorization: Basic`` of the id and secret, each
                                form-urlencoded first (RFC 6749 §2.3.1, Appendix B)
``client_secret_post``          ``client_id`` and ``client_secret`` in the body (RFC 6749 §2.3.1)
``client_secret_jwt``           HS256 assertion keyed with the secret (RFC 7523 §2.2, OIDC Core §9)
``private_key_jwt``             ES256 / RS256 / PS256 assertion (RFC 7523 §2.2, OIDC Core §9)
``tls_client_auth``             client certificate in the handshake + ``client_id`` in the body
``self_signed_tls_client_auth`` (RFC 8705 §2: the client MUST send ``client_id``)
============================== =================================================================

It works for main clients (:class:`~conformance.profile.ClientConfig`) and dynamic clients
(:class:`~conformance.client.registration.DynamicClient`): anything with ``client_id``,
``auth_method``, ``client_secret`` and, for keys, ``private_key`` (a path or a key object),
``alg``, ``kid``, ``certificate``.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from conformance.client import jose
from conformance.client.http import RequestSpec, TlsIdentity
from conformance.vocabulary import AUTH_METHODS, JWT_METHODS, MTLS_METHODS


def form_urlencode(value: str) -> str:
    """``application/x-www-form-urlencoded`` of one value (RFC 6749 Appendix B, HTML form rules):
    space becomes ``+``; everything but ALPHA / DIGIT / ``-`` ``.`` ``_`` ``*`` is percent-encoded."""
    return quote_plus(value, safe="*").replace("~", "%7E")


def basic_credentials(client_id: str, secret: str) -> str:
    """The ``Authorization`` value for ``client_secret_basic`` (RFC 6749 §2.3.1 + RFC 7617)."""
    pair = f"{form_urlencode(client_id)}:{form_urlencode(secret)}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


@functools.lru_cache(maxsize=64)
def _load_key_file(path: Path, mtime_ns: int) -> jose.PrivateKey:
    return jose.load_private_key(path)


def signing_key(client: Any) -> jose.PrivateKey:
    """The client's private key: a key object, or loaded (once) from the ``private_key`` path."""
    key = getattr(client, "private_key", None)
    if key is None:
        raise ValueError(f"client {client.client_id!r} has no private key for private_key_jwt")
    if isinstance(key, (str, Path)):
        path = Path(key)
        return _load_key_file(path, path.stat().st_mtime_ns)
    return key


def authenticate(
    spec: RequestSpec,
    client: Any,
    *,
    audience: str | None = None,
    secret_override: str | None = None,
    assertion_overrides: dict[str, Any] | None = None,
    include_client_id: bool = True,
) -> RequestSpec:
    """A copy of ``spec`` authenticated as ``client`` by its ``auth_method``.

    ``audience``: the ``aud`` of JWT assertions (default: the request URL without query; the
    token endpoint URL is the usual value, RFC 7523 §3 item 3). ``secret_override`` replaces the
    secret (wrong-secret negatives). ``assertion_overrides`` go to
    :func:`~conformance.client.jose.client_assertion` (claims, ``header``, ``sign_with``,
    ``signature``, ``lifetime_s``...). ``include_client_id`` adds ``client_id`` next to a JWT
    assertion (optional per RFC 7521 §4.2).
    """
    method = client.auth_method
    secret = secret_override if secret_override is not None else getattr(client, "client_secret", None)
    out = spec.copy()
    if method == "client_secret_basic":
        _need(secret, client, method)
        return out.with_header("Authorization", basic_credentials(client.client_id, secret))
    if method == "client_secret_post":
        _need(secret, client, method)
        return out.with_form(client_id=client.client_id, client_secret=secret)
    if method in JWT_METHODS:
        overrides = dict(assertion_overrides or {})
        alg = overrides.pop("alg", None) or getattr(client, "alg", None)
        if method == "client_secret_jwt":
            _need(secret, client, method)
            key: Any = secret
            alg = alg or "HS256"
        else:
            key = signing_key(client)
            alg = alg or jose.key_algs(key)[0]
        overrides.setdefault("kid", getattr(client, "kid", None))
        assertion = jose.client_assertion(
            client.client_id, key, alg, audience or jose.strip_query(spec.url), **overrides
        )
        fields = {"client_assertion_type": jose.ASSERTION_TYPE, "client_assertion": assertion}
        if include_client_id:
            fields = {"client_id": client.client_id, **fields}
        return out.with_form(**fields)
    if method in MTLS_METHODS:
        cert, key_path = getattr(client, "certificate", None), getattr(client, "private_key", None)
        if cert is None or not isinstance(key_path, (str, Path)):
            raise ValueError(f"client {client.client_id!r} has no certificate / key for {method}")
        out.identity = TlsIdentity(Path(cert), Path(key_path))
        return out.with_form(client_id=client.client_id)
    raise ValueError(f"unsupported auth_method {method!r}; supported: {', '.join(AUTH_METHODS)}")


def _need(secret: str | None, client: Any, method: str) -> None:
    if secret is None:
        raise ValueError(f"client {client.client_id!r} has no client_secret for {method}")
