"""Redaction everywhere: no secret a run used or received shows up in its reports or its console."""

from __future__ import annotations

import pytest

from conformance.client.redact import fingerprint
from reporting_kit import SecretScanner, needles_of, scan_run


def _assert_clean(run) -> None:
    findings, needles, scanned = scan_run(run, {"stdout": run.stdout, "stderr": run.stderr})
    assert needles > 100, f"too few secrets captured to prove anything ({needles})"
    assert scanned > 100_000, f"too little report text scanned ({scanned} characters)"
    assert not findings, f"{len(findings)} secret(s) in the reports of run {run.name}:\n" + "\n".join(findings[:20])


def test_no_secret_in_the_reports_of_a_clean_run(clean_run):
    assert (clean_run.report_dir / "allure-results").is_dir()
    assert (clean_run.report_dir / "summary.md").is_file()
    _assert_clean(clean_run)


def test_no_secret_in_the_reports_of_runs_where_checks_fail(failing_runs):
    for run in failing_runs:
        assert run.summary()["verdict"] == "fail"
        _assert_clean(run)


@pytest.mark.parametrize("kind", [
    "received:client_secret", "received:access_token", "received:registration_access_token",
    "sent:client_assertion", "sent:dpop", "sent:authorization", "profile:client_secret", "generated:jwk-d",
    "received:refresh_token", "received:code", "sent:password", "sent:code_verifier",  # the HAAPI code flow
])
def test_the_scan_covers_every_kind_of_secret(report_runs, kind):
    """The capture saw each kind of secret, and the reports show the marker of some of them,
    so the attachments that would have held them were really written and scanned."""
    values = [v for run in report_runs.values() for v in run.secrets().get(kind, [])]
    assert values, f"no {kind} captured"
    markers = {f"[redacted:{fingerprint(v)}]" for v in values}
    if kind.startswith(("generated", "profile")):
        return  # never on the wire as such: nothing to mark
    seen = False
    for run in report_runs.values():
        for path in run.alluredir.glob("*-attachment.*"):
            text = path.read_text(encoding="utf-8")
            if any(m in text for m in markers):
                seen = True
                break
        if seen:
            break
    assert seen, f"no redaction marker of any {kind} in the attachments"


def test_private_keys_of_the_pki_are_captured(clean_run):
    pems = [v for kind, values in clean_run.secrets().items() if kind.startswith("pki:") for v in values
            if "PRIVATE KEY" in v]
    assert len(pems) >= 8, "expected the CA, server, client, rogue, self-signed and JWT keys"


def test_the_scanner_finds_every_form_of_a_planted_secret():
    secret = "s3cr3t-Value_with:+%/ &=and-more-characters-0123456789"
    pem = ("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgabcdefghijklmnop\n"
           "qrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+/abcdefghijklmnopqrst\n-----END PRIVATE KEY-----\n")
    needles = {n: "planted" for v in (secret, pem) for n in needles_of(v)}
    scanner = SecretScanner(needles)
    from urllib.parse import quote_plus

    texts = [
        f"x{secret}y",
        "prefix " * 7 + quote_plus(secret, safe=""),
        '{"a": "' + secret.replace("\\", "\\\\") + '"}',
        "only the random part: s3cr3t-Value_with and more",
        "key line: qrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+/abcdefghijklmnopqrst!",
    ]
    for text in texts:
        for shift in range(8):  # at every alignment
            assert scanner.find(" " * shift + text), (shift, text)
    assert not scanner.find("nothing secret in here at all, only [redacted:0123abcd] markers" * 10)
