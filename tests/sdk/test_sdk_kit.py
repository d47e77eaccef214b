"""The kit as vendors use it: the docs/sdk.md example under ``-p conformance.sdk.pytest_plugin``, async
clients, markers, and the emulated server's own answers."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from conformance.sdk import assert_client_conforms

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sdk.md"


@pytest.mark.parametrize("plugin", ["conformance.sdk.pytest_plugin", "conformance.sdk.kit"])  # kit: former name
def test_docs_example_runs_under_the_plugin(tmp_path, plugin):
    text = DOCS.read_text()
    example = re.search(r"<!-- kit-example -->\s*```python\n(.*?)```", text, re.DOTALL).group(1)
    (tmp_path / "test_my_sdk_dcr.py").write_text(example)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", plugin, "-q",
                           "-p", "no:cacheprovider", "-p", "no:randomly", "test_my_sdk_dcr.py"],
                          cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


@pytest.mark.dcr_scenario("second-launch", min_delay_s=1.0, main_client_id="app-main")
def test_marker_sets_scenario_options_and_emulator_settings(dcr_server):
    assert dcr_server.scenario.name == "second-launch"
    assert dcr_server.scenario.min_delay_s == 1.0
    assert dcr_server.main_client_id == "app-main"


def test_async_clients_are_routed_and_graded(dcr_server):
    dcr_server.use_scenario("attestation-ok")

    async def launch() -> str:
        async with httpx.AsyncClient() as http:
            answer = await http.post(dcr_server.attestation_endpoint, json={"installation_id": "async-app"})
            return answer.json()["result"]

    assert asyncio.run(launch()) == "accepted"
    results = assert_client_conforms(dcr_server)
    assert [(r.id, r.installation) for r in results] == [("DCR-SDK-004", "async-app")]


def test_emulator_answers_like_a_conformant_server(dcr_server):
    s = dcr_server
    with httpx.Client() as http:
        meta = http.get(s.metadata_url).json()
        assert meta["registration_endpoint"] == s.registration_endpoint
        assert http.post(s.registration_endpoint, json={"software_id": s.template_id}).status_code == 401
        wrong = http.post(s.token_endpoint, auth=(s.main_client_id, "wrong"),
                          data={"grant_type": "client_credentials", "scope": "dcr"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        assert "Basic" in wrong.headers["WWW-Authenticate"]
        token = http.post(s.token_endpoint, auth=(s.main_client_id, s.main_client_secret),
                          data={"grant_type": "client_credentials", "scope": "dcr"})
        assert token.headers["Cache-Control"] == "no-store"
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert http.post(s.registration_endpoint, json={"software_id": "other"}, headers=bearer).status_code == 400
        client = http.post(s.registration_endpoint, json={"software_id": s.template_id}, headers=bearer)
        assert client.status_code == 201
        again = http.post(s.registration_endpoint, json={"software_id": s.template_id}, headers=bearer)
        assert again.status_code == 401 and again.json()["error"] == "invalid_token"
        info = client.json()
        no_dpop = http.post(s.token_endpoint, auth=(info["client_id"], info["client_secret"]),
                            data={"grant_type": "client_credentials", "scope": s.scope})
        assert no_dpop.status_code == 400 and no_dpop.json()["error"] == "invalid_dpop_proof"
        rat = {"Authorization": f"Bearer {info['registration_access_token']}"}
        read = http.get(info["registration_client_uri"], headers=rat).json()
        assert read["client_secret"] != info["client_secret"]
        assert http.get(info["registration_client_uri"], headers=rat).status_code == 401  # rotated
        new_rat = {"Authorization": f"Bearer {read['registration_access_token']}"}
        assert http.delete(info["registration_client_uri"], headers=new_rat).status_code == 204
    with pytest.raises(Exception, match="not mocked|RESPX"):
        httpx.get("https://elsewhere.example/")
