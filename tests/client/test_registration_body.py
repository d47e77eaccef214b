"""The registration request is the profile's: ``[template] software_id`` and the ``[registration]``
body go on the wire as written, with a fresh device key when the body asks for one (checked on
the bytes sent to a real reference server without templates, which registers them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conformance.client.http import Transport
from conformance.client.registration import registration_body
from conformance.client.session import DcrSession
from conformance.profile import load_profile
from conformance.server import ReferenceServer

REGISTRATION = """[registration]
redirect_uris = ["com.example.app:/callback"]
grant_types = ["authorization_code", "client_credentials"]
response_types = ["code"]
token_endpoint_auth_method = "private_key_jwt"
scope = "urn:se:curity:scopes:haapi"
client_name = "Example App"
contacts = ["ops@app.example"]
software_version = "2.1.0"
device_jwks = true

[registration.extensions]
x_app_flavour = "beta"
dpop_bound_access_tokens = true

"""


@pytest.fixture(scope="module")
def open_server():
    with ReferenceServer(templates=False) as srv:
        yield srv


def _profile_with(srv: ReferenceServer, table: str) -> Path:
    text = Path(srv.profile_path).read_text(encoding="utf-8")
    text, count = re.subn(r"\[registration\]\n(?:.+\n)*\n", table, text)
    assert count == 1
    path = Path(srv.profile_path).with_name("profile-registration-body.toml")
    path.write_text(text, encoding="utf-8")
    return path


def _sent(exchange) -> dict:
    return json.loads(exchange.response.request.content)  # the bytes httpx put on the wire


def test_the_profiles_registration_body_is_what_is_sent(open_server):
    profile = load_profile(_profile_with(open_server, REGISTRATION))
    created = []
    with Transport.for_profile(profile) as transport:
        session = DcrSession(profile, transport, on_registered=created.append)
        dyn, _ = session.register_new("basic")
        exchange = transport.exchanges[-1]
        sent = _sent(exchange)
        assert exchange.status == 201, exchange.describe()
        expected = {
            "redirect_uris": ["com.example.app:/callback"],
            "grant_types": ["authorization_code", "client_credentials"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": "urn:se:curity:scopes:haapi",
            "client_name": "Example App",
            "contacts": ["ops@app.example"],
            "software_version": "2.1.0",
            "x_app_flavour": "beta",
            "dpop_bound_access_tokens": True,
        }
        jwks = sent.pop("jwks")
        assert sent == expected  # no software_id: the profile names no template
        assert len(jwks["keys"]) == 1 and "d" not in jwks["keys"][0]
        assert dyn is not None and dyn.auth_method == "private_key_jwt" and dyn.private_key is not None
        assert jwks["keys"][0]["x"] == registration_body(profile, device_key=dyn.private_key)["jwks"]["keys"][0]["x"]
        # the per-device key is the client's own: it authenticates with it
        used = session.use(dyn)
        assert used.status == 200, used.describe()
        # a second registration sends another device key
        session.register_new("basic")
        assert _sent(transport.exchanges[-1])["jwks"] != jwks
        assert [session.delete(client).status for client in created] == [204, 204]


def test_a_template_profile_sends_software_id_then_the_body(open_server):
    table = REGISTRATION.replace("[registration]\n", "").split("[registration.extensions]")[0]
    text = Path(open_server.profile_path).read_text(encoding="utf-8")
    text = re.sub(r"\[registration\]\n(?:.+\n)*\n", "[template]\nsoftware_id = \"app-template\"\n"
                  "token_endpoint_auth_methods = [\"client_secret_basic\", \"private_key_jwt\"]\n\n"
                  "[registration]\n" + table.replace("device_jwks = true\n", "") + "\n", text)
    path = Path(open_server.profile_path).with_name("profile-template-body.toml")
    path.write_text(text, encoding="utf-8")
    profile = load_profile(path)
    body = registration_body(profile, {"client_name": "Other"})
    assert list(body)[0] == "software_id" and body["software_id"] == "app-template"
    assert body["client_name"] == "Other" and body["token_endpoint_auth_method"] == "private_key_jwt"
    assert profile.sends_device_jwks and profile.dynamic_auth_method == "private_key_jwt"
