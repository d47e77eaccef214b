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
    device.attest("phone")
    assert device.engine.recording.installations() == ["default", "phone"]
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
    result = next(r for r in device.grade() if r.id == "DCR-SDK-009")
    assert not result.passed and "2 registrations" in result.message


def test_retry_after_is_honoured_by_011():
    device = Device("server-errors", fail_count=1, min_delay_s=0.0)
    device.attest("p")
    first = device.send(form(device.paths.token, {"grant_type": "client_credentials", "scope": "dcr"}, basic(*MAIN)))
    assert first.status == 503
    device.initial_token()
    recording = device.engine.recording
    recording.calls[1].retry_after = "30"  # as if the server had asked for 30 s
    result = next(r for r in grade("server-errors", recording) if r.id == "DCR-SDK-011")
    assert not result.passed and "at least 30 s" in result.message


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
