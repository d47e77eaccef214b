"""The recorder (installations, launches, facts, redaction) and the grader on hand-made traffic."""

from __future__ import annotations

import base64
import json

import pytest

from conformance.client.redact import fingerprint
from conformance.requirements import REQUIREMENTS
from conformance.sdk import SDK_CHECKS, Recording, ScenarioEngine, grade
from conformance.sdk.checks import SDK_REQUIREMENTS, failures, requirement_info
from conformance.sdk.emulator import Emulator, EmulatorConfig
from conformance.sdk.http_messages import WireRequest

CONFIG = EmulatorConfig()
MAIN = (CONFIG.main_client_id, CONFIG.main_client_secret)


def basic(client_id: str, secret: str) -> tuple[str, str]:
    return "Authorization", "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def form(path: str, fields: dict, *headers: tuple[str, str]) -> WireRequest:
    body = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
    return WireRequest("POST", path, "", [("Content-Type", "application/x-www-form-urlencoded"), *headers], body,
                       CONFIG.base_url + path)


class Device:
    """Hand-driven traffic through a ScenarioEngine + Emulator (no DPoP: grading only)."""

    def __init__(self, scenario: str = "first-launch", installation_header: str | None = None, **options) -> None:
        self.engine = ScenarioEngine(Emulator(EmulatorConfig(require_dpop=False)), scenario, **options)
        self.header = [("X-Installation-Id", installation_header)] if installation_header else []
        self.paths = self.engine.paths

    def send(self, request: WireRequest):
        request.headers += self.header
        return self.engine.handle(request)

    def attest(self, installation: str | None = None):
        headers = [("X-Installation-Id", installation)] if installation else []
        return self.engine.handle(WireRequest("POST", self.paths.attestation, "", headers, b""))

    def initial_token(self) -> str:
        answer = self.send(form(self.paths.token, {"grant_type": "client_credentials", "scope": "dcr"}, basic(*MAIN)))
        return answer.json()["access_token"]

    def register(self, token: str, body: dict | None = None, scheme: str = "Bearer") -> dict:
        payload = json.dumps(body if body is not None else {"software_id": CONFIG.template}).encode()
        request = WireRequest("POST", self.paths.registration, "",
                              [("Content-Type", "application/json"), ("Authorization", f"{scheme} {token}")], payload)
        return self.send(request).json()

    def use(self, client_id: str, secret: str):
        return self.send(form(self.paths.token, {"grant_type": "client_credentials", "scope": "x"},
                              basic(client_id, secret)))

    def grade(self):
        return grade(self.engine.scenario.name, self.engine.recording)


def failed(results) -> set[str]:
    return {r.id for r in failures(results)}


# -- recorder ----------------------------------------------------------------------------------


def test_installations_are_linked_by_credentials_and_by_the_latest_attestation():
    device = Device()
    device.attest("phone-a")
    client = device.register(device.initial_token())  # no header: the latest attestation's device
    device.attest("phone-b")
    device.use(client["client_id"], client["client_secret"])  # no header: linked by client id
    recording = device.engine.recording
    assert recording.installations() == ["phone-a", "phone-b"]
    assert [(c.kind, c.installation, c.launch) for c in recording.calls] == [
        ("attestation", "phone-a", 1), ("token", "phone-a", 1), ("register", "phone-a", 1),
        ("attestation", "phone-b", 1), ("token", "phone-a", 1)]


def test_header_wins_and_launches_start_at_attestation_or_mark():
    device = Device(installation_header="tablet")
    device.initial_token()  # before any mark: launch 1
    device.attest("tablet")  # the launch had traffic: launch 2
    device.engine.launch("tablet")  # only a marker so far: still launch 2
    device.initial_token()
    device.engine.launch("tablet")  # launch 3
    assert [c.launch for c in device.engine.recording.calls] == [1, 2, 2, 2, 3]
    assert {c.installation for c in device.engine.recording.calls} == {"tablet"}


def test_recording_holds_fingerprints_and_redacted_text_only(tmp_path):
    device = Device()
    device.attest("phone")
    token = device.initial_token()
    client = device.register(token)
    device.use(client["client_id"], client["client_secret"])
    recording = device.engine.recording
    text = recording.to_json()
    for secret in (CONFIG.main_client_secret, token, client["client_secret"], client["registration_access_token"]):
        assert secret not in text
    registration = recording.calls[2]
    assert registration.token == fingerprint(token) and registration.token_role == "initial"
    assert registration.issued_secret == fingerprint(client["client_secret"])
    assert f"[redacted:{registration.issued_secret}]" in registration.text
    assert recording.calls[3].client_role == "dynamic" and recording.calls[1].client_role == "main"
    copy = Recording.load(recording.save(tmp_path / "r.json"))
    assert [r.to_dict() for r in grade("first-launch", copy)] == [r.to_dict() for r in grade("first-launch", recording)]


def test_clients_registered_before_the_recording_are_unknown_not_main():
    device = Device()
    device.engine.set_main_clients(frozenset({CONFIG.main_client_id}))
    device.attest("p")
    client = device.register(device.initial_token())
    device.engine.use_scenario("second-launch")  # a new recording: the client is not known there
    device.attest("p")
    device.use(client["client_id"], client["client_secret"])
    roles = [(c.kind, c.client_role) for c in device.engine.recording.calls]
    assert roles == [("attestation", None), ("token", "unknown")]
    assert device.engine.recording_of("first-launch").calls[1].client_role == "main"


def test_metadata_only_installations_are_not_graded():
    device = Device()
    device.engine.handle(WireRequest("GET", "/.well-known/oauth-authorization-server"))  # "default"
    assert {r.installation for r in device.grade()} == {"(none)"}  # nothing to grade is a failure
    device.attest("phone")  # discovery before the first attestation belongs to that launch
    assert device.engine.recording.installations() == ["phone"]
    assert [(c.kind, c.launch) for c in device.engine.recording.calls] == [("metadata", 1), ("attestation", 1)]
    assert {r.installation for r in device.grade()} == {"phone"}


# -- checks on traffic the reference SDK does not produce ----------------------------------------


def test_initial_token_in_the_body_or_with_the_dpop_scheme_fails_006():
    device = Device()
    device.attest("p")
    token = device.initial_token()
    device.register(token, {"software_id": CONFIG.template, "initial_access_token": token}, scheme="Bearer")
    assert "DCR-SDK-006" in failed(device.grade())  # also presented in the body

    device = Device()
    device.attest("p")
    device.register(device.initial_token(), scheme="DPoP")
    results = [r for r in device.grade() if r.id == "DCR-SDK-006"]
    assert not results[0].passed and "'dpop' scheme" in results[0].message


def test_wrong_template_fails_007_and_scenario_mismatch_is_refused():
    device = Device()
    device.attest("p")
    device.register(device.initial_token(), {"software_id": "another-template"})
    result = next(r for r in device.grade() if r.id == "DCR-SDK-007")
    assert not result.passed and "'another-template'" in result.message
    assert result.evidence and "[redacted:" in result.evidence[0]
    with pytest.raises(ValueError, match="first-launch"):
        grade("second-launch", device.engine.recording)


def test_missing_behaviour_is_a_failure_not_a_pass():
    assert {r.verdict for r in grade("first-launch", Recording("first-launch"))} == {"fail"}
    device = Device("second-launch")
    device.attest("p")
    client = device.register(device.initial_token())
    device.use(client["client_id"], client["client_secret"])
    result = next(r for r in device.grade() if r.id == "DCR-SDK-002")
    assert not result.passed and "only 1 launch" in result.message
    device = Device("attestation-ok")
    assert "DCR-SDK-004" in failed(grade("attestation-ok", [c.to_dict() for c in device.engine.recording.calls]))


def test_registration_loop_after_revocation_fails_009():
    device = Device("revoked-client")
    device.attest("p")
    old = device.register(device.initial_token())
    device.use(old["client_id"], old["client_secret"])
    device.attest("p")
    assert device.use(old["client_id"], old["client_secret"]).status == 401
    for _ in range(2):  # registers twice after one rejection
        new = device.register(device.initial_token())
    device.use(new["client_id"], new["client_secret"])
    result = next(r for r in device.grade() if r.id == "DCR-SDK-009")  # an inferred rule: SHOULD, a warning
    assert result.warned and result.level == "SHOULD" and "2 registrations" in result.message
    assert result in failures([result], strict=True) and failures([result]) == []


def test_retry_after_is_honoured_by_011():
    device = Device("server-errors", fail_count=1, min_delay_s=0.0)
    device.attest("p")
    first = device.send(form(device.paths.token, {"grant_type": "client_credentials", "scope": "dcr"}, basic(*MAIN)))
    assert first.status == 503
    device.initial_token()
    recording = device.engine.recording
    recording.calls[1].retry_after = "30"  # as if the server had asked for 30 s
    result = next(r for r in grade("server-errors", recording) if r.id == "DCR-SDK-011")
    assert result.warned and "at least 30 s" in result.message  # RFC 9110 "ought to wait": a warning


# -- catalogue ---------------------------------------------------------------------------------


def test_every_check_cites_known_requirements_and_has_a_title():
    assert list(SDK_CHECKS) == [f"DCR-SDK-{n:03d}" for n in range(1, 13)]
    for check in SDK_CHECKS.values():
        assert check.title and check.requirements
        for rid in check.requirements:
            assert rid in REQUIREMENTS or rid in SDK_REQUIREMENTS
            assert requirement_info(rid).url.startswith("https://")
    assert SDK_CHECKS["DCR-SDK-009"].inferred and not SDK_CHECKS["DCR-SDK-001"].inferred


def test_paths_come_from_the_profile(tmp_path):
    from conformance.sdk.recording import Paths

    profile = tmp_path / "p.toml"
    profile.write_text('[server]\ntoken_endpoint = "https://as.test/t"\n'
                       'registration_endpoint = "https://as.test/reg"\n[use]\nresource_url = "https://rs.test/api"\n')
    paths = Paths.from_profile(profile)
    assert (paths.token, paths.registration, paths.resource) == ("/t", "/reg", "/api")
    assert paths.revocation == Paths().revocation  # not named: the default
    assert paths.kind("/reg/abc") == "manage" and paths.kind("/t") == "token"


def test_grading_knows_nothing_of_the_reference_server():
    import subprocess
    import sys

    code = ("import sys, conformance.sdk.checks, conformance.sdk.emulator, conformance.sdk.recording; "
            "bad = [m for m in sys.modules if m.startswith('conformance.server')]; assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


# -- attribution that does not depend on one SDK's order of requests ------------------------------


def test_discovery_before_attestation_opens_no_launch():
    device = Device("second-launch", installation_header="phone")
    for _ in range(2):
        device.send(WireRequest("GET", "/.well-known/oauth-authorization-server"))
        device.attest("phone")
        if device.engine.recording.calls[-1].launch == 1:
            client = device.register(device.initial_token())
        device.use(client["client_id"], client["client_secret"])
    assert [(c.kind, c.launch) for c in device.engine.recording.calls] == [
        ("metadata", 1), ("attestation", 1), ("token", 1), ("register", 1), ("token", 1),
        ("metadata", 2), ("attestation", 2), ("token", 2)]
    assert not failed(device.grade()) - {"DCR-SDK-001"}  # 001 wants DPoP, which Device does not send


def test_an_unnamed_attestation_is_taken_over_by_the_installation_its_credentials_name():
    device = Device("second-launch")
    device.attest()  # no header anywhere: the first installation is "default"
    client = device.register(device.initial_token())
    device.use(client["client_id"], client["client_secret"])
    device.attest("tablet")  # another device, named, runs in between
    device.engine.handle(form(device.paths.token, {"grant_type": "client_credentials", "scope": "dcr"},
                              basic(*MAIN), ("X-Installation-Id", "tablet")))
    device.attest()  # unnamed: provisionally the tablet's (identified last)...
    device.use(client["client_id"], client["client_secret"])  # ...until its client id names it
    calls = device.engine.recording.calls
    assert [(c.kind, c.installation, c.launch) for c in calls] == [
        ("attestation", "default", 1), ("token", "default", 1), ("register", "default", 1), ("token", "default", 1),
        ("attestation", "tablet", 1), ("token", "tablet", 1),
        ("attestation", "default", 2), ("token", "default", 2)]
    assert calls[6].text.startswith("#7 default launch 2:")  # the evidence is relabelled too
    assert calls[7].attributed_by == "credential"
    result = next(r for r in grade("second-launch", device.engine.recording, installation="default")
                  if r.id == "DCR-SDK-002")
    assert result.passed, result


def test_the_dpop_key_identifies_an_installation():
    from conformance.client.jose import DpopKey

    device = Device()
    key = DpopKey.generate()
    device.attest("phone")
    proof = key.proof("POST", CONFIG.base_url + device.paths.token)
    device.send(form(device.paths.token, {"grant_type": "client_credentials", "scope": "dcr"}, basic(*MAIN),
                     ("DPoP", proof)))
    device.attest("other")
    call = device.engine.handle(form(device.paths.token, {"grant_type": "client_credentials", "scope": "dcr"},
                                     basic(*MAIN), ("DPoP", key.proof("POST", CONFIG.base_url + device.paths.token))))
    assert call.status == 200
    last = device.engine.recording.calls[-1]
    assert (last.installation, last.attributed_by, last.dpop_jkt) == ("phone", "credential", key.thumbprint)


# -- accepted answers ----------------------------------------------------------------------------


def _dpop_bound_registration(device: Device, scheme: str, with_proof: bool = True):
    from conformance.client.jose import DpopKey

    key = DpopKey.generate()
    token_url = CONFIG.base_url + device.paths.token
    answer = device.send(form(device.paths.token, {"grant_type": "client_credentials", "scope": "dcr"},
                              basic(*MAIN), ("DPoP", key.proof("POST", token_url))))
    assert answer.json()["token_type"] == "DPoP"
    token = answer.json()["access_token"]
    headers = [("Content-Type", "application/json"), ("Authorization", f"{scheme} {token}")]
    if with_proof:
        headers.append(("DPoP", key.proof("POST", CONFIG.base_url + device.paths.registration, access_token=token)))
    return device.send(WireRequest("POST", device.paths.registration, "", headers,
                                   json.dumps({"software_id": CONFIG.template}).encode()))


def test_a_dpop_bound_initial_token_with_the_dpop_scheme_passes_006():
    device = Device()
    device.attest("p")
    assert _dpop_bound_registration(device, "DPoP").status == 201
    result = next(r for r in device.grade() if r.id == "DCR-SDK-006")
    assert result.passed and "(DPoP)" in result.message

    device = Device()  # RFC 9449 §7.2: a conformant server refuses it as Bearer; 006 leaves that to 001
    device.attest("p")
    assert _dpop_bound_registration(device, "Bearer").status == 401
    assert next(r for r in device.grade() if r.id == "DCR-SDK-006").passed

    device = Device()  # the DPoP scheme without a proof
    device.attest("p")
    assert _dpop_bound_registration(device, "DPoP", with_proof=False).status == 401
    result = next(r for r in device.grade() if r.id == "DCR-SDK-006")
    assert not result.passed and "without a DPoP proof" in result.message


def _access_token(device: Device, client: dict) -> str:
    answer = device.send(form(device.paths.token, {"grant_type": "client_credentials", "scope": CONFIG.scope},
                              basic(client["client_id"], client["client_secret"])))
    return answer.json()["access_token"]


def _resource(device: Device, token: str) -> WireRequest:
    return device.send(WireRequest("GET", device.paths.resource, "", [("Authorization", f"Bearer {token}")]))


def test_a_still_valid_cached_token_passes_002_and_an_unknown_one_does_not():
    device = Device("second-launch")
    device.attest("p")
    client = device.register(device.initial_token())
    token = _access_token(device, client)
    device.attest("p")
    assert _resource(device, token).status == 200  # no token request in launch 2
    result = next(r for r in device.grade() if r.id == "DCR-SDK-002")
    assert result.passed and "still-valid cached token" in result.message

    device = Device("second-launch")
    device.attest("p")
    client = device.register(device.initial_token())
    device.use(client["client_id"], client["client_secret"])
    device.attest("p")
    assert _resource(device, "made-up").status == 401
    result = next(r for r in device.grade() if r.id == "DCR-SDK-002")
    assert not result.passed and "no still-valid token" in result.message


def test_a_revoked_clients_cached_token_is_refused_at_the_resource():
    device = Device("revoked-client")
    device.attest("p")
    client = device.register(device.initial_token())
    token = _access_token(device, client)
    device.attest("p")
    refused = _resource(device, token)
    assert refused.status == 401 and refused.json()["error"] == "invalid_token"


def test_every_check_declares_its_allowed_and_forbidden_answers():
    from conformance.sdk.answers import ALLOWED, FORBIDDEN, SDK_ANSWERS, WARNING

    assert set(SDK_ANSWERS) == set(SDK_CHECKS)
    for check_id, check in SDK_CHECKS.items():
        verdicts = {a.verdict for a in check.answers}
        # a MUST check forbids something (it may also warn); a SHOULD check only warns
        assert ALLOWED in verdicts and verdicts <= {ALLOWED, FORBIDDEN, WARNING}, check_id
        assert (FORBIDDEN in verdicts) == (check.level == "MUST"), check_id
        assert all(a.source and a.words and a.behaviour for a in check.answers)
        for answer in check.answers:  # a failure needs MUST words; a warning is a SHOULD or an inferred rule
            if answer.verdict == FORBIDDEN:
                assert "MUST" in answer.words, (check_id, answer.behaviour)
            if answer.verdict == WARNING:
                assert "SHOULD" in answer.words or "inferred" in answer.source, (check_id, answer.behaviour)
    scheme = " ".join(a.behaviour for a in SDK_CHECKS["DCR-SDK-006"].answers if a.verdict == ALLOWED)
    assert "Authorization: DPoP" in scheme and "Authorization: Bearer" in scheme


def test_docs_show_the_declared_answers(capsys):
    from pathlib import Path

    from conformance.sdk.answers import answers_markdown
    from conformance.sdk.cli import main as sdk_main

    text = (Path(__file__).resolve().parents[2] / "docs" / "sdk.md").read_text()
    shown = text.split("<!-- sdk-answers -->\n", 1)[1].split("<!-- /sdk-answers -->", 1)[0]
    assert shown == answers_markdown(), "docs/sdk.md is stale: paste `python -m conformance.sdk answers`"
    assert sdk_main(["answers"]) == 0 and capsys.readouterr().out == answers_markdown()


# -- levels: SHOULD findings are warnings ------------------------------------------------------


def test_initial_token_in_the_query_is_a_should_warning_of_006_and_in_two_places_a_failure():
    """RFC 6750 §2.3: the query method "SHOULD NOT be used": a warning (a failure only when strict);
    §2: "Clients MUST NOT use more than one method to transmit the token in each request": a failure."""
    device = Device()
    device.attest("p")
    token = device.initial_token()
    device.send(WireRequest("POST", device.paths.registration, f"access_token={token}",
                            [("Content-Type", "application/json")],
                            json.dumps({"software_id": CONFIG.template}).encode()))
    result = next(r for r in device.grade() if r.id == "DCR-SDK-006")
    assert result.verdict == "warn" and result.passed and result.level == "MUST"
    assert "SHOULD NOT be used" in result.message and "DCR-SDK-006" not in failed(device.grade())
    assert result in failures([result], strict=True)

    device = Device()
    device.attest("p")
    token = device.initial_token()
    device.send(WireRequest("POST", device.paths.registration, f"access_token={token}",
                            [("Content-Type", "application/json"), ("Authorization", f"Bearer {token}")],
                            json.dumps({"software_id": CONFIG.template}).encode()))
    result = next(r for r in device.grade() if r.id == "DCR-SDK-006")
    assert result.verdict == "fail" and "MUST NOT use more than one method" in result.message


def test_verify_client_reports_warnings_and_fails_them_only_when_strict(tmp_path, monkeypatch, capsys):
    import conformance.sdk.checks as checks
    from conformance.sdk.checks import Result
    from conformance.sdk.cli import main as sdk_main

    device = Device()
    device.attest("p")
    device.engine.recording.save(tmp_path / "r.json")
    warned = Result("DCR-SDK-011", "After a 5xx answer the app pauses", "warn", "SHOULD", ("SUITE-SDK-RETRY",),
                    "first-launch", "p", "retried 0.010 s after a 503 (at least 0.2 s expected)")
    passed = Result("DCR-SDK-001", "First launch", "pass", "MUST", ("CURITY-SDK-FALLBACK",), "first-launch", "p", "ok")
    monkeypatch.setattr(checks, "grade", lambda *args, **kwargs: [passed, warned])
    argv = ["verify-client", "--scenario", "first-launch", "--recording", str(tmp_path / "r.json")]
    assert sdk_main(argv + ["--report-dir", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "PASS (1/2 checks passed, 1 warning(s) (SHOULD))" in out and "WARN DCR-SDK-011" in out
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["exit_status"] == 0
    junit = (tmp_path / "out" / "junit.xml").read_text()
    assert 'failures="0"' in junit and "WARNING (SHOULD)" in junit
    assert sdk_main(argv + ["--strict"]) == 1
    assert "FAIL (1/2 checks passed, 1 warning(s) (SHOULD, failing in strict mode))" in capsys.readouterr().out
