"""Plain-httpx helpers for the reference server's own tests (independent of conformance.client).

JWTs are built with PyJWT, not with the server's own JOSE code, so a bug there cannot agree
with itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from conformance.pki import TestPKI

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
HAAPI = "urn:se:curity:scopes:haapi"
TEMPLATE_SCOPE = f"{HAAPI} openid"  # the reference templates' scope: HAAPI, and the user's openid
TIMEOUT = httpx.Timeout(10.0)


def tls_context(pki: TestPKI, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    if cert is not None:
        context.load_cert_chain(str(cert), str(key))
    return context


def basic(client_id: str, secret: str) -> dict[str, str]:
    """Authorization: Basic with RFC 6749 App. B form-encoding before base64."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_jwt(header: dict, claims: dict) -> str:
    return ".".join(b64url(json.dumps(p).encode()) for p in (header, claims)) + "."


def load_key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def assertion(client_id: str, key, alg: str, audience: str, *, kid: str | None = None,
              headers: dict | None = None, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "exp": now + 60, "iat": now,
              "jti": uuid.uuid4().hex}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    hdr = dict(headers or {})
    if kid:
        hdr["kid"] = kid
    return jwt.encode(claims, key, algorithm=alg, headers=hdr)


def new_dpop_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key) -> dict:
    return json.loads(ECAlgorithm.to_jwk(key.public_key()))


def private_jwk(key) -> dict:
    return json.loads(ECAlgorithm.to_jwk(key))


def jkt(key) -> str:
    jwk = public_jwk(key)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")},
                           separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def dpop_proof(key, method: str, url: str, *, nonce: str | None = None,
               access_token: str | None = None, header: dict | None = None,
               alg: str = "ES256", signing_key=None, **claims) -> str:
    body = {"jti": uuid.uuid4().hex, "htm": method, "htu": url, "iat": int(time.time())}
    if nonce is not None:
        body["nonce"] = nonce
    if access_token is not None:
        body["ath"] = b64url(hashlib.sha256(access_token.encode()).digest())
    body.update(claims)
    hdr = {"typ": "dpop+jwt", "jwk": public_jwk(key)}
    hdr.update(header or {})
    return jwt.encode(body, signing_key or key, algorithm=alg, headers=hdr)


@dataclass
class Dyn:
    """A registered dynamic client as the tests hold it."""

    client_id: str
    secret: str | None
    rat: str
    uri: str
    body: dict


class Kit:
    """Requests against one server, one pooled httpx.Client per TLS identity."""

    def __init__(self, srv) -> None:
        self.srv = srv
        self.pki: TestPKI = srv.pki
        self.cfg = srv.config
        self._clients: dict[str, httpx.Client] = {}

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def http(self, identity: str | None = None) -> httpx.Client:
        """identity: None, 'mtls', 'other_dn', 'rogue', 'selfsigned', 'other_selfsigned'."""
        if identity not in self._clients:
            pki = self.pki
            pairs = {None: (None, None), "mtls": (pki.client_cert, pki.client_key),
                     "other_dn": (pki.other_dn_cert, pki.other_dn_key),
                     "rogue": (pki.rogue_client_cert, pki.rogue_client_key),
                     "selfsigned": (pki.self_signed_cert, pki.self_signed_key),
                     "other_selfsigned": (pki.other_self_signed_cert, pki.other_self_signed_key)}
            cert, key = pairs[identity]
            self._clients[identity] = httpx.Client(verify=tls_context(pki, cert, key),
                                                   timeout=TIMEOUT)
        return self._clients[identity]

    # -- endpoints ----------------------------------------------------------------------------

    @property
    def token_url(self) -> str:
        return self.cfg.token_endpoint

    def client(self, label: str):
        return self.cfg.client_by_label(label)

    def auth_for(self, label: str, **assertion_overrides) -> tuple[dict, dict, str | None]:
        """(headers, form fields, TLS identity) authenticating a configured client."""
        c = self.client(label)
        if c.auth_method == "client_secret_basic":
            return basic(c.client_id, c.secret), {}, None
        if c.auth_method == "client_secret_post":
            return {}, {"client_id": c.client_id, "client_secret": c.secret}, None
        if c.auth_method == "client_secret_jwt":
            token = assertion(c.client_id, c.secret.encode(), "HS256", self.token_url,
                              **assertion_overrides)
            return {}, {"client_assertion_type": JWT_BEARER, "client_assertion": token}, None
        if c.auth_method == "private_key_jwt":
            private, _ = self.pki.jwt_key(c.alg)
            token = assertion(c.client_id, load_key(private), c.alg, self.token_url, kid=c.kid,
                              **assertion_overrides)
            return {}, {"client_assertion_type": JWT_BEARER, "client_assertion": token}, None
        identity = "mtls" if c.auth_method == "tls_client_auth" else "selfsigned"
        return {}, {"client_id": c.client_id}, identity

    def token(self, label: str = "basic", scope: str | None = "dcr", headers: dict | None = None,
              **form) -> httpx.Response:
        auth_headers, auth_form, identity = self.auth_for(label)
        data = {"grant_type": "client_credentials", **auth_form, **form}
        if scope is not None:
            data["scope"] = scope
        return self.http(identity).post(self.token_url, data=data,
                                        headers={**auth_headers, **(headers or {})})

    def initial_token(self, label: str = "basic") -> str:
        response = self.token(label)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def register(self, token: str | None = None, body: dict | None = None,
                 **kwargs) -> httpx.Response:
        token = token or self.initial_token()
        payload = {"software_id": "haapi-template"} if body is None else body
        return self.http().post(self.cfg.registration_endpoint, json=payload,
                                headers={"Authorization": f"Bearer {token}"}, **kwargs)

    def new_client(self, body: dict | None = None, label: str = "basic") -> Dyn:
        response = self.register(self.initial_token(label), body)
        assert response.status_code == 201, response.text
        data = response.json()
        return Dyn(data["client_id"], data.get("client_secret"),
                   data["registration_access_token"], data["registration_client_uri"], data)

    def dyn_token(self, dyn: Dyn, key=None, scope: str | None = HAAPI, *, secret: str | None = None,
                  retry_nonce: bool = True, proof_kwargs: dict | None = None,
                  extra_headers: dict | None = None) -> httpx.Response:
        """Step 3: the dynamic client's token request with a DPoP proof (nonce retry once)."""
        key = key or new_dpop_key()
        data = {"grant_type": "client_credentials"}
        if scope is not None:
            data["scope"] = scope
        nonce = None
        for _ in range(2):
            headers = basic(dyn.client_id, secret if secret is not None else dyn.secret)
            kwargs = {"nonce": nonce, **(proof_kwargs or {})}
            headers["DPoP"] = dpop_proof(key, "POST", self.token_url, **kwargs)
            headers.update(extra_headers or {})
            response = self.http().post(self.token_url, data=data, headers=headers)
            if retry_nonce and response.status_code == 400 and nonce is None \
                    and response.json().get("error") == "use_dpop_nonce":
                nonce = response.headers["DPoP-Nonce"]
                continue
            return response
        return response

    def nonce(self) -> str:
        """A fresh server nonce (from a use_dpop_nonce answer)."""
        dyn_like = self.token(scope=None, headers={"DPoP": dpop_proof(new_dpop_key(), "POST",
                                                                      self.token_url)})
        return dyn_like.headers["DPoP-Nonce"]

    def resource(self, token: str, key=None, *, scheme: str = "DPoP", proof: bool = True,
                 nonce: str | None = None, retry_nonce: bool = True,
                 **proof_kwargs) -> httpx.Response:
        url = self.cfg.resource_url
        for _ in range(2):
            headers = {"Authorization": f"{scheme} {token}"}
            if proof:
                kwargs = {"nonce": nonce, "access_token": token, **proof_kwargs}
                headers["DPoP"] = dpop_proof(key, "GET", url, **kwargs)
            response = self.http().get(url, headers=headers)
            if proof and retry_nonce and nonce is None and response.status_code == 401 \
                    and "use_dpop_nonce" in response.headers.get("WWW-Authenticate", ""):
                nonce = response.headers["DPoP-Nonce"]
                continue
            return response
        return response

    def introspect(self, token: str, label: str = "introspector", *, dyn: Dyn | None = None,
                   auth: bool = True) -> httpx.Response:
        if dyn is not None:
            headers, form = basic(dyn.client_id, dyn.secret), {}
        elif auth:
            headers, form, _ = self.auth_for(label)
        else:
            headers, form = {}, {}
        return self.http().post(self.cfg.introspection_endpoint,
                                data={"token": token, **form}, headers=headers)

    def revoke(self, token: str, *, dyn: Dyn | None = None, label: str = "basic") -> httpx.Response:
        if dyn is not None:
            headers, form = basic(dyn.client_id, dyn.secret), {}
        else:
            headers, form, _ = self.auth_for(label)
        return self.http().post(self.cfg.revocation_endpoint, data={"token": token, **form},
                                headers=headers)

    def manage(self, method: str, dyn: Dyn, rat: str | None = None, *,
               uri: str | None = None, **kwargs) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        token = dyn.rat if rat is None else rat
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http().request(method, uri or dyn.uri, headers=headers, **kwargs)


def adopt(dyn: Dyn, response: httpx.Response) -> Dyn:
    """Take rotated credentials from an RFC 7592 GET/PUT answer."""
    data = response.json()
    return Dyn(dyn.client_id, data.get("client_secret", dyn.secret),
               data.get("registration_access_token", dyn.rat), dyn.uri, data)
