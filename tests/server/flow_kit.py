"""The HAAPI code flow for the reference server's tests: plain httpx and real DPoP proofs."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

import httpx

from srv_kit import Dyn, basic, dpop_proof, new_dpop_key

HAAPI_MEDIA = "application/vnd.auth+json"
REDIRECT = "https://app.example/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Flow:
    """A dynamic client, its DPoP key and HAAPI access token, and the last server nonce."""

    kit: object
    dyn: Dyn
    key: object
    at: str
    nonce: str | None = None

    def haapi(self, method: str, url: str, data: dict | None = None, *, key=None,
              token: str | None = None) -> httpx.Response:
        """A HAAPI request (DPoP token + proof with ath), retried once on use_dpop_nonce."""
        key, token = key or self.key, token or self.at
        url = urljoin(self.kit.cfg.base_url, url)
        for _ in range(2):
            proof = dpop_proof(key, method, url.split("?")[0], nonce=self.nonce, access_token=token)
            headers = {"Accept": HAAPI_MEDIA, "Authorization": f"DPoP {token}", "DPoP": proof}
            response = self.kit.http().request(method, url, data=data, headers=headers)
            if response.headers.get("DPoP-Nonce"):
                self.nonce = response.headers["DPoP-Nonce"]
            if response.status_code == 401 and "use_dpop_nonce" in response.headers.get("WWW-Authenticate", ""):
                continue
            return response
        return response

    def authorize(self, challenge: str, **overrides) -> httpx.Response:
        params = {"client_id": self.dyn.client_id, "response_type": "code", "redirect_uri": REDIRECT,
                  "scope": "openid", "state": "st-1", "code_challenge": challenge,
                  "code_challenge_method": "S256", **overrides}
        params = {k: v for k, v in params.items() if v is not None}
        return self.haapi("GET", self.kit.cfg.authorization_endpoint + "?" + urlencode(params))

    def login(self, challenge: str, password: str | None = None, **overrides) -> httpx.Response:
        """authorize -> redirection-step -> the login form -> its POST (the last answer)."""
        redirect = self.authorize(challenge, **overrides)
        assert redirect.status_code == 200, redirect.text
        step = redirect.json()
        assert step["type"] == "redirection-step"
        form_step = self.haapi("GET", step["actions"][0]["model"]["href"])
        assert form_step.status_code == 200 and form_step.json()["type"] == "authentication-step"
        model = form_step.json()["actions"][0]["model"]
        assert [f["name"] for f in model["fields"]] == ["userName", "password"]
        username, expected = next(iter(self.kit.cfg.users.items()))
        return self.haapi(model["method"], model["href"],
                          {"userName": username, "password": expected if password is None else password})

    def code(self, challenge: str) -> str:
        response = self.login(challenge)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["type"] == "oauth-authorization-response" and body["properties"]["state"] == "st-1"
        return body["properties"]["code"]

    def token(self, form: dict, *, key=None, proof: bool = True, secret: str | None = None) -> httpx.Response:
        key = key or self.key
        url = self.kit.token_url
        for _ in range(2):
            headers = basic(self.dyn.client_id, secret or self.dyn.secret)
            if proof:
                headers["DPoP"] = dpop_proof(key, "POST", url, nonce=self.nonce)
            response = self.kit.http().post(url, data=form, headers=headers)
            if response.headers.get("DPoP-Nonce"):
                self.nonce = response.headers["DPoP-Nonce"]
            if response.status_code == 400 and response.json().get("error") == "use_dpop_nonce":
                continue
            return response
        return response

    def exchange(self, code: str, verifier: str, **kwargs) -> httpx.Response:
        return self.token({"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                           "redirect_uri": REDIRECT}, **kwargs)

    def refresh(self, refresh_token: str, **kwargs) -> httpx.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token}, **kwargs)

    def tokens(self) -> dict:
        verifier, challenge = pkce()
        response = self.exchange(self.code(challenge), verifier)
        assert response.status_code == 200, response.text
        return response.json()


def start(kit) -> Flow:
    dyn, key = kit.new_client(), new_dpop_key()
    response = kit.dyn_token(dyn, key)
    assert response.status_code == 200, response.text
    return Flow(kit, dyn, key, response.json()["access_token"], response.headers.get("DPoP-Nonce"))
