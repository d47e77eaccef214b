"""Transport: wire encoding, capture and redaction, errors mapped to Exchange.error, TLS identities."""

from __future__ import annotations

import base64
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import respx

from conformance.client.http import CapturedRequest, Exchange, RequestSpec, TlsIdentity, Transport
from conformance.client.redact import marker

URL = "https://as.example/token"


@pytest.fixture
def transport():
    t = Transport(timeout_s=5)
    yield t
    t.close()


# -- RequestSpec ------------------------------------------------------------------------------


def test_spec_copy_is_deep_and_repr_hides_values():
    spec = RequestSpec("POST", URL, {"Authorization": "Basic c2VjcmV0"}, form={"client_secret": "s3cret!"})
    other = spec.with_form(scope="x").with_header("DPoP", ["a", "b"])
    assert spec.form == {"client_secret": "s3cret!"} and "DPoP" not in spec.headers
    assert other.form_value("scope") == "x" and other.header("dpop") == ["a", "b"]
    assert "s3cret" not in repr(spec) and "c2VjcmV0" not in repr(spec)
    assert spec.add_form("client_secret", "2").form_items()[-1] == ("client_secret", "2")
    assert spec.without_form("client_secret").form_items() == []
    assert spec.without_header("authorization").headers == {}


def test_body_encoding_and_implied_content_type():
    form = RequestSpec("POST", URL, form=[("a", "1 2"), ("a", "+")])
    assert form.body() == (b"a=1+2&a=%2B", "application/x-www-form-urlencoded")
    assert ("Content-Type", "application/x-www-form-urlencoded") in form.header_items()
    js = RequestSpec("POST", URL, json={"software_id": "t"})
    assert js.body()[0] == b'{"software_id": "t"}'
    explicit = RequestSpec("POST", URL, {"content-type": "text/plain"}, json={})
    assert [v for k, v in explicit.header_items() if k.lower() == "content-type"] == ["text/plain"]
    raw = RequestSpec("POST", URL, content=b"{broken")
    assert raw.body() == (b"{broken", None)


# -- sending and capture ----------------------------------------------------------------------


@respx.mock
def test_header_list_is_sent_several_times(transport):
    route = respx.post(URL).respond(400, json={"error": "invalid_request"})
    transport.send(RequestSpec("POST", URL, {"DPoP": ["proof-1", "proof-2"]}, form={"a": "b"}))
    assert route.calls.last.request.headers.get_list("DPoP") == ["proof-1", "proof-2"]


@respx.mock
def test_default_headers_are_sent_unless_the_spec_sets_them(transport):
    route = respx.post(URL).respond(200, json={})
    transport.send(RequestSpec("POST", URL, {"accept": "application/json"}, form={"a": "b"}))
    sent = route.calls.last.request.headers
    assert sent["User-Agent"].startswith("dcr-conformance/") and sent["Accept-Encoding"] == "gzip, deflate"
    assert sent.get_list("Accept") == ["application/json"]  # the spec's, not the default */*
    assert sent["Content-Type"] == "application/x-www-form-urlencoded" and sent["Content-Length"] == "3"


@respx.mock
def test_the_exchange_keeps_the_body_it_sent(transport):
    route = respx.post(URL).respond(200, json={})
    ex = transport.send(RequestSpec("POST", URL, json={"software_id": "t"}))
    assert ex.sent_body == ex.sent_bytes() == route.calls.last.request.content == b'{"software_id": "t"}'
    ex.sent_body = None  # an exchange built elsewhere: what its spec encodes to
    assert ex.sent_bytes() == b'{"software_id": "t"}'


@respx.mock
def test_a_cookie_an_answer_sets_is_not_sent_back(transport):
    route = respx.get(URL).respond(200, headers={"Set-Cookie": "sid=abc; Path=/"})
    first = transport.send(RequestSpec("GET", URL))
    transport.send(RequestSpec("GET", URL))
    assert first.response.headers["set-cookie"].startswith("sid=")
    assert "cookie" not in route.calls.last.request.headers  # each check sends what it builds


def test_spec_copies_share_no_mutable_json():
    body = {"redirect_uris": ["https://a.example/cb"], "jwks": {"keys": [{"kty": "EC"}]}, "n": 1, "x": None}
    spec = RequestSpec("POST", URL, json=body)
    copied = spec.copy()
    copied.json["redirect_uris"].append("https://b.example/cb")
    copied.json["jwks"]["keys"][0]["kty"] = "RSA"
    assert body == {"redirect_uris": ["https://a.example/cb"], "jwks": {"keys": [{"kty": "EC"}]}, "n": 1, "x": None}
    assert spec.replace(json=("a", ["b"])).copy().json == ("a", ["b"])  # anything else: deep-copied as before


@respx.mock
def test_every_request_has_a_timeout(transport):
    route = respx.get(URL).respond(200)
    transport.send(RequestSpec("GET", URL))
    transport.send(RequestSpec("GET", URL, timeout_s=1.5))
    timeouts = [c.request.extensions["timeout"] for c in route.calls]
    assert timeouts[0] == {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    assert timeouts[1]["read"] == 1.5


@respx.mock
def test_capture_is_redacted_and_raw_response_kept(transport):
    basic = base64.b64encode(b"main:pa%3Ass").decode()
    body = {"client_id": "dyn-1", "client_secret": "dyn-secret-123", "registration_access_token": "rat-456"}
    respx.post(URL).respond(201, json=body, headers={"Cache-Control": "no-store", "Set-Cookie": "sid=abc"})
    spec = RequestSpec(
        "POST", URL, {"Authorization": f"Basic {basic}", "Accept": "application/json"}, json={"software_id": "t", "client_secret": "req-secret"}
    )
    ex = transport.send(spec)
    assert ex.status == 201 and ex.json()["client_secret"] == "dyn-secret-123"  # raw for oracles
    assert ex.header("cache-control") == "no-store" and ex.headers_all("Cache-Control") == ["no-store"]
    assert transport.exchanges == [ex] and ex.elapsed_s >= 0
    captured = json.dumps(ex.to_dict())
    for secret in ("dyn-secret-123", "rat-456", "req-secret", basic, "pa:ss", "sid=abc"):
        assert secret not in captured, secret
    assert ex.request.method == "POST" and ex.request.url == URL
    assert ("Authorization", f"Basic {marker(basic)} (client_id=main)") in ex.request.headers
    assert ex.reply.status == 201 and '"client_id":"dyn-1"' in ex.reply.body
    text = ex.describe()
    assert text.startswith(f"sent POST {URL}") and "got 201 Created" in text and "dyn-secret-123" not in text
    assert "dyn-secret-123" not in repr(ex)


@respx.mock
def test_learnt_secrets_masked_in_later_exchanges(transport):
    respx.post(URL).respond(200, json={"access_token": "at-abcdef-123", "token_type": "Bearer"})
    respx.get("https://api.example/echo").respond(200, text="you sent at-abcdef-123")
    transport.send(RequestSpec("POST", URL, form={"grant_type": "client_credentials"}))
    ex = transport.send(RequestSpec("GET", "https://api.example/echo?x=at-abcdef-123"))
    assert "at-abcdef-123" not in ex.reply.body and "at-abcdef-123" not in ex.request.url
    assert ex.text == "you sent at-abcdef-123"


@respx.mock
def test_describe_truncates_long_bodies(transport):
    respx.get(URL).respond(500, text="x" * 5000)
    text = transport.send(RequestSpec("GET", URL)).describe(body_limit=100)
    assert "(4900 more characters)" in text and len(text) < 600


@respx.mock
def test_json_is_none_for_non_json(transport):
    respx.get(URL).respond(200, text="<html>")
    ex = transport.send(RequestSpec("GET", URL))
    assert ex.json() is None and ex.text == "<html>"


# -- errors -----------------------------------------------------------------------------------


def _connect_error(cause: BaseException) -> httpx.ConnectError:
    err = httpx.ConnectError(str(cause))
    err.__cause__ = cause
    return err


@pytest.mark.parametrize(
    "exc, expected, failure",
    [
        (_connect_error(ConnectionRefusedError(111, "Connection refused")), "connection refused", "connection"),
        (_connect_error(ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] alert")), "TLS handshake refused",
         "tls"),
        (httpx.ReadTimeout("read timed out"), "timed out after 5 s (waiting for the response)", "timeout"),
        (httpx.ConnectTimeout("connect timed out"), "timed out after 5 s (connecting)", "timeout"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), "connection closed by the server",
         "connection"),
        (httpx.RemoteProtocolError("illegal status line: bytearray(b'SSH-2.0')"), "connection closed by the server",
         "protocol"),
        (httpx.LocalProtocolError("Illegal header value b'a\\nb'"), "LocalProtocolError", "protocol"),
        (httpx.ReadError(""), "ReadError", "connection"),
    ],
)
@respx.mock
def test_transport_errors_become_exchange_error(transport, exc, expected, failure):
    respx.post(URL).mock(side_effect=exc)
    ex = transport.send(RequestSpec("POST", URL, form={"client_secret": "s3cret-value"}))
    assert ex.response is None and ex.status is None and ex.reply is None
    assert ex.error.startswith(expected) and ex.failure == failure
    assert f"got no response: {expected}" in ex.describe() and "s3cret-value" not in ex.describe()
    assert ex.json() is None and ex.header("x") is None and ex.headers_all("x") == []


def test_real_connection_refused(transport):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ex = transport.send(RequestSpec("GET", f"https://127.0.0.1:{port}/", timeout_s=2))
    assert ex.error == "connection refused"


def test_bad_identity_files_become_error(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with Transport() as t:
        ex = t.send(RequestSpec("GET", URL, identity=TlsIdentity(bad, bad)))
    assert ex.error.startswith("TLS configuration could not be loaded")


def test_invalid_url_becomes_error(transport):
    assert transport.send(RequestSpec("GET", "ftp://x/")).error.startswith("invalid URL")
    for _ in range(2):  # a URL that does not parse is refused every time (parsed URLs are kept)
        ex = transport.send(RequestSpec("GET", "https://[::1/"))
        assert ex.error.startswith("invalid URL") and ex.response is None


@respx.mock
def test_every_url_is_sent_as_given_past_the_kept_parsed_urls(transport):
    route = respx.get(url__startswith="https://as.example/c/").respond(200, json={})
    urls = [f"https://as.example/c/{n}?q={n}" for n in range(300)] * 2  # more than the transport keeps
    for url in urls:
        assert transport.send(RequestSpec("GET", url)).status == 200
    assert [str(call.request.url) for call in route.calls] == urls


# -- TLS identities ---------------------------------------------------------------------------


def test_ssl_context_loads_ca_and_identity(pki):
    t = Transport(pki.ca)
    ctx = t.ssl_context(TlsIdentity(pki.client_cert, pki.client_key))
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert any(c["subject"] == ((("commonName", "Test CA"),),) for c in ctx.get_ca_certs())
    assert t.client(None) is t.client(None)
    assert t.client(TlsIdentity(pki.client_cert, pki.client_key)) is t.client(TlsIdentity(pki.client_cert, pki.client_key))
    assert t.client(None) is not t.client(TlsIdentity(pki.client_cert, pki.client_key))
    t.close()
    with pytest.raises(RuntimeError):
        t.client(None)


class _PeerHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802
        cert = self.connection.getpeercert()
        cn = dict(x[0] for x in cert["subject"])["commonName"] if cert else None
        body = json.dumps({"peer": cn}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def mtls_server(pki):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca))
    ctx.load_cert_chain(pki.server_cert, pki.server_key)
    ctx.verify_mode = ssl.CERT_REQUIRED
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _PeerHandler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_real_mtls_handshake_presents_the_identity(pki, mtls_server):
    with Transport(pki.ca, timeout_s=5) as t:
        first = t.send(RequestSpec("GET", mtls_server, identity=TlsIdentity(pki.client_cert, pki.client_key)))
        second = t.send(RequestSpec("GET", mtls_server, identity=TlsIdentity(pki.other_cert, pki.other_key)))
        refused = t.send(RequestSpec("GET", mtls_server))
    assert first.json() == {"peer": "main-mtls"}, first.describe()
    assert second.json() == {"peer": "other-dn"}
    assert first.request.client_certificate == str(pki.client_cert)
    assert refused.response is None and refused.error, refused.describe()
    assert refused.error.startswith(("TLS handshake refused", "connection reset", "connection closed")), refused.error


def test_untrusted_server_certificate(pki, mtls_server):
    with Transport(pki.rogue_ca, timeout_s=5) as t:
        ex = t.send(RequestSpec("GET", mtls_server, identity=TlsIdentity(pki.client_cert, pki.client_key)))
    assert ex.error.startswith("TLS server certificate not trusted"), ex.error


def test_transport_for_profile_knows_profile_secrets(profile):
    with Transport.for_profile(profile) as t:
        assert t.timeout_s == 5 and t.ca_bundle == profile.server.ca_bundle
        text = t.redactor.redact_text(" ".join(profile.secrets()))
        assert not any(s in text for s in profile.secrets())


def test_exchange_repr_has_no_body():
    ex = Exchange(CapturedRequest("GET", URL, (), ""), response=None, error="connection refused", elapsed_s=0.01)
    assert repr(ex) == f"<Exchange GET {URL} -> connection refused in 10 ms>"


# -- redact before cutting, bounds ----------------------------------------------------------------


@respx.mock
def test_a_long_token_is_redacted_whole_before_the_capture_is_cut(transport):
    """The capture keeps 64 KB of a body; a 100 KB token in it must not show its first 64 KB."""
    token = "T0k" * 40_000
    respx.post(URL).respond(200, json={"access_token": token, "token_type": "Bearer"})
    ex = transport.send(RequestSpec("POST", URL, form={"grant_type": "client_credentials"}))
    assert ex.json()["access_token"] == token  # the raw response is whole for oracles
    shown = ex.reply.body + ex.describe() + json.dumps(ex.to_dict())
    assert "T0kT0k" not in shown and marker(token) in ex.reply.body


@respx.mock
def test_the_capture_is_cut_after_redaction_and_says_how_much(transport):
    secret = "s3cret-" * 3
    respx.get(URL).respond(500, text=("y" * 70_000) + secret)
    transport.redactor.add_secret(secret)
    ex = transport.send(RequestSpec("GET", URL))
    assert ex.reply.body.endswith(f"… ({70_000 + len(marker(secret)) - 64 * 1024} more characters)")
    assert len(ex.reply.body) < 64 * 1024 + 100


@respx.mock
def test_a_body_over_the_cap_keeps_status_and_headers_as_evidence():
    respx.get(URL).respond(200, text="z" * 2000, headers={"X-Trace": "abc"})
    with Transport(timeout_s=5, max_response_bytes=1000) as t:
        ex = t.send(RequestSpec("GET", URL))
    assert ex.error == "response larger than 1000 bytes (Content-Length: 2000; not read)"
    assert ex.failure == "too-large" and ex.response is None and ex.status is None
    assert ex.reply.status == 200 and ("X-Trace", "abc") in ex.reply.headers and ex.reply.body == ""
    text = ex.describe()
    assert "got 200 OK, then no usable body: response larger than 1000 bytes" in text and "X-Trace: abc" in text
    assert ex.to_dict()["failure"] == "too-large"


def test_install_deadline_refuses_a_transport_it_cannot_bound():
    from conformance.client.bounds import install_deadline

    with pytest.raises(RuntimeError, match="cannot bound"):
        install_deadline(httpx.MockTransport(lambda request: httpx.Response(200)))


def test_the_transport_asks_only_for_content_codings_it_can_bound(transport):
    assert transport.client().headers["accept-encoding"] == "gzip, deflate"
    assert "max_response_bytes=1048576" in repr(transport)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
@respx.mock
def test_a_compressed_body_within_the_cap_is_decoded(transport, coding):
    import zlib

    data = json.dumps({"client_id": "c" * 3000}).encode()
    wbits = {"gzip": 31, "deflate": 15, "raw-deflate": -15}[coding]
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    respx.get(URL).respond(200, content=packer.compress(data) + packer.flush(),
                           headers={"Content-Encoding": coding.removeprefix("raw-"), "Content-Type": "application/json"})
    ex = transport.send(RequestSpec("GET", URL))
    assert ex.error is None and ex.json() == {"client_id": "c" * 3000}


@respx.mock
def test_a_body_that_decodes_past_the_cap_is_refused():
    import gzip

    respx.get(URL).respond(200, content=gzip.compress(b"\0" * 5000), headers={"Content-Encoding": "gzip"})
    with Transport(timeout_s=5, max_response_bytes=4096) as t:
        ex = t.send(RequestSpec("GET", URL))
    assert ex.failure == "too-large" and "decode to more" in ex.error


@respx.mock
def test_a_body_that_cannot_be_decoded_is_a_protocol_failure(transport):
    respx.get(URL).respond(200, stream=httpx.ByteStream(b"not gzip at all"), headers={"Content-Encoding": "gzip"})
    ex = transport.send(RequestSpec("GET", URL))
    assert ex.failure == "protocol" and ex.response is None and "incorrect header check" in ex.error, ex.error


@respx.mock
def test_a_head_answer_may_declare_any_length():
    respx.head(URL).respond(200, headers={"Content-Length": str(10**12)})
    with Transport(timeout_s=5, max_response_bytes=1000) as t:
        ex = t.send(RequestSpec("HEAD", URL))
    assert ex.error is None and ex.status == 200


@respx.mock
def test_an_answer_nested_deeper_than_python_parses_is_no_json_and_no_crash(transport):
    """A hostile server's JSON nested 100,000 deep: captured, read as "not JSON", never a traceback."""
    deep = "[" * 100_000 + "]" * 100_000
    respx.post(URL).respond(200, content=deep.encode(), headers={"Content-Type": "application/json"})
    ex = transport.send(RequestSpec("POST", URL, form={"a": "b"}))
    assert ex.status == 200 and ex.json() is None
    assert ex.reply.body.startswith("[[[")


def test_secrets_nested_deep_in_an_answer_are_learnt():
    """The redactor walks a JSON value without recursion, however deep it nests."""
    from conformance.client.redact import Redactor

    value: object = {"client_secret": "deep-secret-123"}
    for _ in range(5_000):
        value = [value]
    redactor = Redactor()
    redactor.learn_json(value)
    assert "deep-secret-123" not in redactor.redact_text("echo deep-secret-123")
