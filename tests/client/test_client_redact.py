"""Redaction: known values anywhere, sensitive keys whatever their value, fingerprints per value."""

from __future__ import annotations

import base64
import hashlib
import json
import threading

from conformance.client.redact import MARKER, Redactor, cut, fingerprint, is_redacted, marker


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


# -- idempotence: redacting redacted text changes nothing, one value has one fingerprint --------

_SECRET = "dyn-secret-0123456789abcdef"
_BASIC = base64.b64encode(f"main-basic:{_SECRET}".encode()).decode()


def _every_shape(r: Redactor) -> dict[str, str]:
    """The same secret in every place the redactor masks, redacted once."""
    return {
        "text": r.redact_text(f"echo {_SECRET} and {json.dumps(_SECRET)}"),
        "json text": r.redact_text(json.dumps({"client_secret": _SECRET, "nested": {"token": _SECRET}})),
        "json": json.dumps(r.redact_json({"client_secret": _SECRET, "jwk": {"kty": "oct", "k": _SECRET}})),
        "form": r.redact_form(f"client_secret={_SECRET}&scope=dcr"),
        "url": r.redact_url(f"https://{_SECRET}@h.example/cb?code={_SECRET}&state=s"),
        "headers": repr(r.redact_headers([("Authorization", f"Bearer {_SECRET}"), ("DPoP", _SECRET),
                                          ("Set-Cookie", _SECRET), ("X-Echo", _SECRET)])),
        "basic": repr(r.redact_headers([("Authorization", f"Basic {_BASIC}")])),
    }


def test_redacting_redacted_text_again_changes_nothing():
    for learnt in (False, True):
        r = Redactor([_SECRET] if learnt else [])
        once = _every_shape(r)
        for shape, text in once.items():
            assert _SECRET not in text or (shape in ("text", "headers") and not learnt), shape  # echoes: once known
            assert r.redact_text(text) == text, shape
            assert r.redact_text(r.redact_text(text)) == text, shape
        assert r.redact_form(once["form"]) == once["form"]
        assert r.redact_url(once["url"]) == once["url"]
        headers = r.redact_headers([("Authorization", f"Bearer {_SECRET}"), ("DPoP", _SECRET),
                                    ("Authorization", f"Basic {_BASIC}"), ("Cookie", "a=b")])
        assert r.redact_headers(headers) == headers
        doc = r.redact_json({"client_secret": _SECRET, "keys": [{"kty": "EC", "d": _SECRET}]})
        assert r.redact_json(doc) == doc


def test_one_value_one_fingerprint_in_every_shape():
    r = Redactor([_SECRET])
    fingerprints = set()
    for shape, text in _every_shape(r).items():
        if shape == "basic":
            continue  # Basic masks the base64 credentials as one value (and shows the client id)
        found = {m[10:18] for m in MARKER.findall(r.redact_text(text))}
        assert found, shape
        fingerprints |= found
    assert fingerprints == {fingerprint(_SECRET)}


def test_a_marker_is_never_learnt_as_a_secret():
    r = Redactor()
    r.learn_json({"client_secret": marker(_SECRET)})
    r.learn_form([("client_secret", marker(_SECRET))])
    r.learn_authorization(f"Bearer {marker(_SECRET)}")
    r.add_secret(f"{marker('a')} {marker('b')}")
    assert repr(r) == "<Redactor with 0 known forms of secrets>"
    text = f"the secret {marker(_SECRET)} again"
    assert r.redact_text(text) == text


def test_known_values_are_not_looked_for_inside_markers():
    mark = marker(_SECRET)
    inner = mark[1:-1]  # "redacted:xxxxxxxx": a (silly) known value that only occurs inside the marker
    r = Redactor([inner, mark[10:16]])
    assert r.redact_text(f"x {mark} y") == f"x {mark} y"


def test_a_secret_that_contains_a_marker_is_still_masked_whole():
    hostile = f"AAAA{marker('x-value')}BBBB-secret-tail"
    r = Redactor()
    r.learn_json({"client_secret": hostile})
    out = r.redact_text(f'echo {hostile} and {{"client_secret": "{hostile}"}}')
    assert "BBBB" not in out and "AAAA" not in out
    assert out.count(marker(hostile)) == 2


def test_is_redacted_only_for_nothing_but_markers():
    assert is_redacted(marker("a")) and is_redacted(f" {marker('a')} {marker('b')} ")
    assert not is_redacted(f"{marker('a')}x") and not is_redacted("[redacted:XYZ]") and not is_redacted("")


def test_cut_never_splits_a_marker():
    mark = marker(_SECRET)
    text = "a" * 10 + mark + "b" * 10
    for limit in range(len(text) + 2):
        head, dropped = cut(text, limit)
        assert head + text[len(head):] == text and dropped == len(text) - len(head)
        assert "[redacted" not in head or mark in head, limit
        assert len(head) <= max(limit, 10 + len(mark)), limit
    assert cut("short", 10) == ("short", 0)


def test_a_long_token_is_masked_whole_before_any_cut():
    """The first 64 KB of a 100 KB token never show: redact the whole text, then cut."""
    token = "T" * 100_000
    r = Redactor()
    body = json.dumps({"access_token": token, "token_type": "Bearer"})
    head, _ = cut(r.redact_text(body), 64 * 1024)
    assert "TTTT" not in head and marker(token) in head


def test_secrets_sharing_a_head_are_each_masked_longest_first():
    """JWTs all start with "eyJ": each known one is found, the longest form where two overlap."""
    # f-strings: Hypothesis draws on the plain constants of every loaded local module.
    head = f"eyJhbGciOiJIUzI1NiJ9"  # noqa: F541
    short, long = f"{head}.aaa", f"{head}.aaa.bbbbbbbb"
    others = [f"{head}.{i:04d}" for i in range(len(long) * 6)]
    red = Redactor([short, long, *others])
    text = f"a={long}; b={short}, c={others[7]} d={head}.unknown {marker(long)}"
    assert red.redact_text(text) == (f"a={marker(long)}; b={marker(short)}, c={marker(others[7])} "
                                     f"d={head}.unknown {marker(long)}")


def _replace_known_naively(variants: dict[str, str], text: str) -> str:
    """What Redactor._replace_known must do, one position at a time: the longest known form starting
    here is replaced; else a marker starting here is stepped over; else one character is kept."""
    out, at = [], 0
    while at < len(text):
        length = max((len(form) for form in variants if text.startswith(form, at)), default=0)
        if length:
            out.append(variants[text[at:at + length]])
            at += length
            continue
        marked = MARKER.match(text, at)
        if marked:
            out.append(marked.group(0))
            at = marked.end()
            continue
        out.append(text[at])
        at += 1
    return "".join(out)


def test_known_secrets_are_found_wherever_they_start_short_or_long_overlapping_or_in_markers():
    import random

    rng = random.Random(7)
    alphabet = "ab.-_%5B"
    for _ in range(300):
        secrets = ["".join(rng.choice(alphabet) for _ in range(rng.randint(4, 40))) for _ in range(rng.randint(1, 6))]
        secrets += [secrets[0][: rng.randint(4, max(4, len(secrets[0])))]]  # a prefix of another secret
        redactor = Redactor(secrets)
        pieces = [rng.choice(secrets + [marker("x"), "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))])
                  for _ in range(rng.randint(1, 12))]
        text = "".join(pieces)
        assert redactor._replace_known(text) == _replace_known_naively(redactor._variants, text), (secrets, text)
