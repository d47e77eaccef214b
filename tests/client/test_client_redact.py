"""Redaction: known values anywhere, sensitive keys whatever their value, fingerprints per value."""

from __future__ import annotations

import base64
import hashlib
import json
import threading

from conformance.client.redact import Redactor, fingerprint, marker


def test_marker_is_sha256_prefix_and_differs_per_value():
    assert marker("s3cret-a") == f"[redacted:{hashlib.sha256(b's3cret-a').hexdigest()[:8]}]"
    assert fingerprint("s3cret-a") != fingerprint("s3cret-b")


def test_known_secret_replaced_everywhere_including_encoded_forms():
    r = Redactor(["p@ss word+/="])
    text = 'a p@ss word+/= b p%40ss+word%2B%2F%3D c "p@ss word+/="'
    out = r.redact_text(text)
    assert "p@ss" not in out and "p%40ss" not in out
    assert out.count(marker("p@ss word+/=")) == 3


def test_short_values_are_not_replaced_globally():
    r = Redactor(["abc"])
    assert r.redact_text("abcdef") == "abcdef"


def test_overlapping_secrets_longest_first():
    r = Redactor(["secret", "secret-long-value"])
    assert r.redact_text("x secret-long-value y") == f"x {marker('secret-long-value')} y"


def test_json_keys_masked_by_key_and_jwk_private_members():
    r = Redactor()
    doc = {
        "client_id": "dyn-1",
        "client_secret": "never-seen-before",
        "registration_access_token": "rat-value-123",
        "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "xx", "y": "yy", "d": "private-d"}]},
        "nested": [{"access_token": "at-1234"}],
        "code": 400,
    }
    out = r.redact_json(doc)
    dumped = json.dumps(out)
    for secret in ("never-seen-before", "rat-value-123", "private-d", "at-1234"):
        assert secret not in dumped
    assert out["client_id"] == "dyn-1"
    assert out["jwks"]["keys"][0]["x"] == "xx"
    assert out["code"] == 400  # non-string values under "code" are not secrets


def test_json_text_masked_by_key_even_when_malformed():
    r = Redactor()
    out = r.redact_text('{"client_secret": "abc\\"def", "d": "dd", broken')
    assert 'abc' not in out and marker('abc"def') in out and marker("dd") in out


def test_learnt_values_are_masked_in_later_text():
    r = Redactor()
    r.learn_json({"client_secret": "dyn-secret-xyz", "other": {"refresh_token": "rt-abcdef"}})
    assert r.redact_text("echo dyn-secret-xyz and rt-abcdef") == (
        f"echo {marker('dyn-secret-xyz')} and {marker('rt-abcdef')}"
    )


def test_form_masked_by_key_keeping_layout():
    r = Redactor()
    body = "grant_type=client_credentials&client_secret=s%2B1%3A&client_assertion=eyJ.x.y&scope=dcr"
    out = r.redact_form(body)
    assert out == f"grant_type=client_credentials&client_secret={marker('s+1:')}&client_assertion={marker('eyJ.x.y')}&scope=dcr"


def test_headers_masked_scheme_kept_and_basic_client_id_shown():
    r = Redactor()
    basic = base64.b64encode(b"main-secret:s%3Aecret").decode()
    out = dict(
        r.redact_headers(
            [
                ("Authorization", f"Basic {basic}"),
                ("DPoP", "eyJhbGciOiJFUzI1NiJ9.e30.sig"),
                ("Cookie", "sid=1"),
                ("Set-Cookie", "sid=2; Secure"),
                ("Content-Type", "application/json"),
            ]
        )
    )
    assert out["Authorization"] == f"Basic {marker(basic)} (client_id=main-secret)"
    assert out["DPoP"] == marker("eyJhbGciOiJFUzI1NiJ9.e30.sig")
    assert out["Cookie"].startswith("[redacted:") and out["Set-Cookie"].startswith("[redacted:")
    assert out["Content-Type"] == "application/json"


def test_learn_authorization_learns_bearer_and_basic_secret():
    r = Redactor()
    r.learn_authorization("Bearer initial-token-1")
    r.learn_authorization("Basic " + base64.b64encode(b"id:pa%2Bss-word").decode())
    out = r.redact_text("initial-token-1 pa+ss-word")
    assert "initial-token-1" not in out and "pa+ss-word" not in out


def test_pem_private_key_blocks_masked():
    r = Redactor()
    pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----"
    out = r.redact_text(f"key: {pem} done")
    assert "MHcCAQEE" not in out and out == f"key: {marker(pem)} done"


def test_url_userinfo_and_query_masked():
    r = Redactor()
    out = r.redact_url("https://user:pw@as.example/cb?code=abc123&state=s1")
    assert "pw" not in out and "abc123" not in out and "state=s1" in out


def test_thread_safe_adds_and_redactions():
    r = Redactor()
    values = [f"secret-value-{i:04d}" for i in range(200)]

    def add(chunk):
        for v in chunk:
            r.add_secret(v)
            assert v not in r.redact_text(f"x {v} y")

    threads = [threading.Thread(target=add, args=(values[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    text = " ".join(values)
    assert not any(v in r.redact_text(text) for v in values)
