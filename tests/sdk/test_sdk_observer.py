"""The observer's control endpoints, ``python -m conformance.sdk`` and ``serve --observe``."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import xml.etree.ElementTree as ET

import httpx
import pytest

from conformance.reporting.summary import main as summary_main
from conformance.sdk.cli import main as sdk_main
from sdk_drive import run_launches


def _client(observer) -> httpx.Client:
    return httpx.Client(verify=ssl.create_default_context(cafile=str(observer.ca_cert)), timeout=5,
                        base_url=observer.base_url)


def test_control_endpoints(observer):
    with _client(observer) as http:
        chosen = http.post("/observer/scenario", json={"scenario": "rotation", "options": {"min_delay_s": "0.5"}})
        assert chosen.status_code == 200
        assert chosen.json()["options"]["min_delay_s"] == 0.5 and len(chosen.json()["steps"]) == 3
        assert http.post("/attestation", headers={"X-Installation-Id": "cli-phone"}).json() == {
            "result": "rejected", "installation_id": "cli-phone", "launch": 1}
        # a launch mark right after the attestation call opens no new launch
        assert http.post("/observer/launch", headers={"X-Installation-Id": "cli-phone"}).status_code == 204
        status = http.get("/observer").json()
        assert status["scenario"] == "rotation" and status["installations"] == {
            "cli-phone": {"launches": 1, "calls": 2}}
        verdict = http.get("/observer/verdict").json()
        assert verdict["passed"] is False and {r["installation"] for r in verdict["results"]} == {"cli-phone"}
        assert http.get("/observer/recording").json()["scenario"] == "rotation"
        assert http.post("/observer/scenario", json={"scenario": "nope"}).status_code == 400
        assert http.post("/observer/scenario", json=["rotation"]).status_code == 400
        assert http.post("/observer/scenario", json={"scenario": "rotation", "options": {"x": 1}}).status_code == 400
        assert http.get("/observer/nothing").status_code == 404
        assert http.post("/observer/reset").json()["scenario"] == "rotation"
        assert http.get("/observer").json()["calls"] == 0
        # the reference server still answers underneath
        assert http.get("/.well-known/oauth-authorization-server").json()["issuer"] == observer.base_url


def test_verify_client_writes_reports_and_exits_by_verdict(network_sdk, observer, tmp_path, capsys):
    run_launches(network_sdk("second-launch"), "second-launch")
    base = ["verify-client", "--scenario", "second-launch", "--observer", observer.base_url,
            "--ca-bundle", str(observer.ca_cert)]
    saved = tmp_path / "recording.json"
    code = sdk_main([*base, "--report-dir", str(tmp_path / "reports"), "--save-recording", str(saved)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASS (5/5 checks passed)" in out
    summary = json.loads((tmp_path / "reports" / "summary.json").read_text())
    assert summary["verdict"] == "pass" and summary["totals"]["passed"] == 5 and len(summary["results"]) == 5
    assert summary["target"] == f"observer {observer.base_url}"
    assert summary_main(["verify", str(tmp_path / "reports" / "summary.json")]) == 0  # the server runs' digest
    assert "OK, results digest" in capsys.readouterr().out
    suite = ET.parse(tmp_path / "reports" / "junit.xml").getroot().find("testsuite")
    assert suite.get("tests") == "5" and suite.get("failures") == "0"
    assert len(list((tmp_path / "reports" / "allure-results").glob("*-result.json"))) == 5
    assert "CURITY-SDK-STORE" in (tmp_path / "reports" / "summary.md").read_text()  # DCR-SDK-002's clause

    # a stricter grading option, offline from the saved recording
    assert sdk_main(["verify-client", "--scenario", "second-launch", "--recording", str(saved), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == "DCR-SDK-001"
    assert sdk_main(["verify-client", "--scenario", "second-launch", "--recording", str(saved),
                     "--option", "software_id=other"]) == 1
    assert "DCR-SDK-007" in capsys.readouterr().out

    run_launches(network_sdk("second-launch", frozenset({"reregisters-every-launch"})), "second-launch")
    assert sdk_main([*base, "--junitxml", str(tmp_path / "j.xml")]) == 1
    out = capsys.readouterr().out
    assert "FAIL DCR-SDK-002" in out and "asked for a new registration" in out
    failure = ET.parse(tmp_path / "j.xml").getroot().find(".//failure")
    assert failure is not None and "[redacted:" in failure.text


def test_verify_client_usage_and_unreachable(tmp_path, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert sdk_main(["verify-client", "--scenario", "first-launch", "--observer", f"https://127.0.0.1:{port}"]) == 3
    assert sdk_main(["verify-client", "--scenario", "nope", "--recording", str(tmp_path / "none.json")]) == 2
    (tmp_path / "r.json").write_text(json.dumps({"scenario": "first-launch", "calls": []}))
    assert sdk_main(["verify-client", "--scenario", "second-launch", "--recording", str(tmp_path / "r.json")]) == 2
    assert "made under scenario 'first-launch'" in capsys.readouterr().err
    assert sdk_main(["scenarios"]) == 0 and "server-down" in capsys.readouterr().out
    assert sdk_main(["checks"]) == 0 and "DCR-SDK-012 SHOULD (inferred)" in capsys.readouterr().out


def _start(tmp_path, *args):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)


def test_serve_observe_prints_how_to_and_the_verdict_on_stop(tmp_path):
    proc = _start(tmp_path, "--observe", "second-launch", "--write-profile", str(tmp_path / "p" / "profile.toml"))
    try:
        banner = {}
        for _ in range(30):
            line = proc.stdout.readline()
            if not line or line.startswith("Ctrl-C"):
                break
            key, _, value = line.partition(": ")
            banner[key.strip()] = value.strip()
        head = next(k for k in banner if k.startswith("dcr-conformance observer at "))
        url = head.split()[3]
        assert "scenario second-launch" in head
        assert banner["template (software_id)"] == "haapi-template"
        assert banner["main client"].startswith("main-basic ")
        # attribution does not depend on one SDK's requests: the header is optional, not asked for
        stand_in = banner["attestation stand-in"]
        assert "X-Installation-Id optional" in stand_in and "send X-Installation-Id" not in stand_in
        secret = (tmp_path / "p" / "secrets" / "basic.txt").read_text()
        context = ssl.create_default_context(cafile=banner["CA certificate"])
        with httpx.Client(verify=context, timeout=5) as http:
            assert http.post(url + "/attestation", json={"installation_id": "emulator"}).json()["result"] == "rejected"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "DCR-SDK verdict for scenario second-launch: FAIL" in out and "stopped" in out
    assert secret not in out + err


@pytest.mark.parametrize("args, message", [(("--observe", "nope"), "unknown scenario 'nope'"),
                                           (("--observe", "--defect", "delete-returns-200"), "--defect")])
def test_serve_observe_usage_errors(tmp_path, args, message):
    proc = _start(tmp_path, *args)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2 and message in err
