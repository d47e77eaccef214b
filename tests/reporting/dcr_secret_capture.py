"""A pytest plugin the redaction tests load into a conformance run (``-p dcr_secret_capture``).

It records, in the run's own process, every secret value the run used or received, so that the
test can look for them in the reports afterwards. It learns them independently of the suite's
redactor (one bug must not hide itself by agreeing with itself):

* what was sent: ``Authorization`` credentials (and the Basic password), ``DPoP`` proofs, form,
  query and JSON fields that carry secrets (client secrets, assertions, tokens);
* what came back: every secret-bearing member of a JSON answer (client secrets, access, refresh
  and registration access tokens), read from the raw response;
* the profile's secrets: main-client secrets, the private keys of the main clients and of the
  embedded server's whole test PKI, and the PKI's secret seed;
* every EC key generated in the process (DPoP keys, registration keys), as PEM and JWK ``d``.

The values go to ``$DCR_SECRET_CAPTURE_DIR/secrets-<pid>.json`` (a directory outside the report
directory), at the end of the session while the embedded server still runs.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

SECRET_FIELDS = {"client_secret", "client_assertion", "access_token", "refresh_token", "registration_access_token",
                 "initial_access_token", "token", "id_token", "code", "code_verifier", "password", "assertion",
                 "d", "p", "q", "dp", "dq", "qi", "k"}

_values: dict[str, set[str]] = defaultdict(set)
_lock = threading.Lock()


def _add(kind: str, value) -> None:
    if isinstance(value, str) and value:
        with _lock:
            _values[kind].add(value)


def _walk_json(kind: str, obj) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in SECRET_FIELDS and isinstance(value, str):
                _add(f"{kind}:{key}", value)
            else:
                _walk_json(kind, value)
    elif isinstance(obj, list):
        for value in obj:
            _walk_json(kind, value)


def _from_request(spec) -> None:
    for name, value in spec.headers.items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if not isinstance(v, str):
                continue
            if name.lower() == "authorization":
                scheme, _, creds = v.strip().partition(" ")
                _add("sent:authorization", creds.strip() or v)
                if scheme.lower() == "basic":
                    try:
                        user, _, password = base64.b64decode(creds).decode("utf-8").partition(":")
                        from urllib.parse import unquote_plus

                        _add("sent:basic-password", unquote_plus(password))
                        _add("sent:basic-password", password)
                    except Exception:
                        pass
            elif name.lower() == "dpop":
                _add("sent:dpop", v)
    for key, value in spec.form_items():
        if key in SECRET_FIELDS:
            _add(f"sent:{key}", value)
    for key, value in parse_qsl(urlsplit(spec.url).query):
        if key in SECRET_FIELDS:
            _add(f"sent:{key}", value)
    from conformance.client.http import MISSING

    if spec.json is not MISSING:
        _walk_json("sent", spec.json)


def _from_response(exchange) -> None:
    if exchange.response is None:
        return
    try:
        body = exchange.response.json()
    except ValueError:
        return
    _walk_json("received", body)


def _b64url_int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _add_key(kind: str, key) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    _add(f"{kind}:pem", pem)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        _add(f"{kind}:jwk-d", _b64url_int(key.private_numbers().private_value))
    elif isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        for part in (n.d, n.p, n.q, n.dmp1, n.dmq1, n.iqmp):
            _add(f"{kind}:jwk-private", _b64url_int(part))


def _add_pem_file(kind: str, path) -> None:
    from cryptography.hazmat.primitives import serialization

    try:
        data = Path(path).read_bytes()
    except OSError:
        return
    _add(f"{kind}:pem", data.decode())
    try:
        _add_key(kind, serialization.load_pem_private_key(data, password=None))
    except Exception:
        pass


def pytest_configure(config: pytest.Config) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from conformance.client import http

    original_send = http.Transport.send

    def send(self, spec):
        _from_request(spec)
        exchange = original_send(self, spec)
        _from_response(exchange)
        return exchange

    http.Transport.send = send
    original_generate = ec.generate_private_key

    def generate(*args, **kwargs):
        key = original_generate(*args, **kwargs)
        _add_key("generated", key)
        return key

    ec.generate_private_key = generate


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    from conformance.harness.runstate import state_of

    state = state_of(session.config)
    for session_ in state.sessions().values():
        profile = session_.profile
        for value in profile.secrets():
            _add("profile:secret", value)
        clients = [*profile.main_clients.values(), profile.introspector, profile.unlisted_client]
        for client in clients:
            if client is None:
                continue
            _add("profile:client_secret", client.client_secret)
            for path in (client.private_key, client.other_private_key):
                if path:
                    _add_pem_file("profile:private_key", path)
    server = state.embedded_server
    if server is not None and server.pki is not None:
        pki = server.pki
        for name in vars(pki):
            if name.endswith("_key"):
                _add_pem_file(f"pki:{name}", getattr(pki, name))
        _add("pki:secret_seed", pki.secret_seed.read_text().strip())
    directory = Path(os.environ["DCR_SECRET_CAPTURE_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    with _lock:
        data = {kind: sorted(values) for kind, values in _values.items()}
    (directory / f"secrets-{os.getpid()}.json").write_text(json.dumps(data))
