"""Allure results and JUnit properties of a conformance run."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.catalogue import load_checks
from conformance.requirements import REQUIREMENTS
from reporting_kit import junit_cases, junit_totals


def _label(result: dict, name: str) -> list[str]:
    return [label["value"] for label in result.get("labels", []) if label["name"] == name]


def _check_id(result: dict) -> str:
    return next(t for t in _label(result, "tag") if t.startswith("DCR-"))


def test_one_result_per_test_case(report_runs):
    for run in report_runs.values():
        results = run.allure_results()
        assert len(results) == junit_totals(run.junit)["tests"], run.name


def _titles() -> dict[str, set[str]]:
    """Check id -> the titles of the functions declaring it (one id may span functions)."""
    import importlib
    import pkgutil

    import conformance.suite as suite

    load_checks()
    titles: dict[str, set[str]] = {}
    for module_info in pkgutil.iter_modules(suite.__path__):
        if module_info.name.startswith("test_"):
            module = importlib.import_module(f"conformance.suite.{module_info.name}")
            for function in vars(module).values():
                for mark in getattr(function, "pytestmark", []):
                    if mark.name == "dcr_check":
                        titles.setdefault(mark.args[0].id, set()).add(mark.args[0].title)
    return titles


def test_each_check_reads_as_its_catalogue_entry(clean_run):
    checks, titles = load_checks(), _titles()
    results = clean_run.allure_results()
    assert results
    for result in results:
        info = checks[_check_id(result)]
        params = {p["name"]: p["value"] for p in result.get("parameters", [])}
        client = params["main client"].strip("'")
        # The check id and the main client lead every title: eight results of one check read apart.
        head, _, title = result["name"].partition("] ")
        assert head in (f"{info.id} [{client}", f"{info.id} [{client}, once per profile"), result["name"]
        assert title in titles[info.id]
        # The tree: profile > step > check (not the Python modules the checks live in).
        assert _label(result, "parentSuite") == ["reference"] and _label(result, "suite") == [info.step]
        assert _label(result, "subSuite") == [f"{info.id} {title}"]
        assert _label(result, "package") == []
        assert _label(result, "epic") == ["reference"]
        assert _label(result, "feature") == [info.step]
        assert _label(result, "story") == list(info.requirements)
        assert _label(result, "severity") == ["critical" if info.level == "MUST" else "normal"]
        assert {link["url"] for link in result["links"]} == {REQUIREMENTS[r].url for r in info.requirements}
        assert all(link["url"].startswith(("https://www.rfc-editor.org/rfc/rfc", "https://openid.net/",
                                           "https://curity.io/")) for link in result["links"])
        assert "target" not in params
        assert params["profile"] == "'reference'" and params["main client"].strip("'") in (
            "basic", "post", "hs256", "es256", "rs256", "ps256", "mtls", "selfsigned")
        assert result["status"] == "passed" and "statusDetails" not in result


def test_http_exchanges_are_steps_and_a_passed_check_has_one_redacted_transcript(clean_run):
    results = clean_run.allure_results()
    with_steps = [r for r in results if r.get("steps")]
    assert len(with_steps) > len(results) * 0.9
    # The client_secret_basic client's result: an mTLS client's request carries nothing to redact.
    token = next(r for r in sorted(with_steps, key=lambda r: r["name"])
                 if _check_id(r) == "DCR-TOK-001" and "[basic" in r["name"])
    step = token["steps"][-1]
    assert step["name"].startswith("POST /oauth/v2/oauth-token → 200 OK (") and step["name"].endswith(" ms)")
    assert 0 <= step["stop"] - step["start"] < 5000
    # A check that passed: the steps are the timeline, one attachment holds every transcript in order.
    assert not any(s.get("attachments") for s in token["steps"])
    (attachment,) = token["attachments"]
    assert attachment["type"] == "text/plain"
    assert attachment["name"] == f"HTTP exchanges ({len(token['steps'])}, redacted)"
    bundle = (clean_run.alluredir / attachment["source"]).read_text()
    heads = [line for line in bundle.splitlines() if line.startswith("=== ")]
    assert heads == [f"=== {n}/{len(token['steps'])}  {s['name']}" for n, s in enumerate(token["steps"], 1)]
    # A readable HTTP transcript (the last one: the token request): request line, one header per
    # line, pretty JSON, status line.
    text = bundle.rsplit("=== ", 1)[1].split("\n\n", 1)[1]
    request, _, response = text.partition("\n\n" + "HTTP/")
    lines = request.splitlines()
    assert lines[0].startswith("POST https://127.0.0.1:") and lines[0].endswith("/oauth/v2/oauth-token")
    assert any(line.lower().startswith("content-type: application/x-www-form-urlencoded") for line in lines)
    assert "grant_type=client_credentials" in lines
    assert "[redacted:" in request  # the Authorization header, the secret or the client assertion
    assert response.startswith(("1.1 200 OK", "2 200 OK")), response[:80]
    body = json.loads(response[response.index("\n{"):])  # pretty-printed: one member per line
    assert body["access_token"].startswith("[redacted:")
    assert '\n  "access_token": "[redacted:' in response
    # Exchanges the fixtures made before the check ran are marked as set-up steps.
    registered = [r for r in with_steps if _check_id(r) == "DCR-MGT-001"]
    assert any(s["name"].startswith("setup: ") for r in registered for s in r["steps"])


def test_a_failed_or_warned_check_has_a_transcript_per_step(report_runs):
    run = report_runs["no-store"]
    results = run.allure_results()
    explained = [r for r in results if r["status"] == "failed" or "statusDetails" in r and r["status"] == "passed"]
    assert [r for r in explained if r["status"] == "failed"]
    checked = 0
    for result in explained:
        assert not result.get("attachments"), result["name"]
        for step in result.get("steps", []):
            (attachment,) = step["attachments"]
            text = (run.alluredir / attachment["source"]).read_text()
            assert text.startswith(step["name"].removeprefix("setup: ").split(" ", 1)[0] + " https://")
            checked += 1
    assert checked, "no step of a failed or warned check was looked at"


def test_statuses_and_messages_of_failures_and_warnings(report_runs):
    results = report_runs["no-store"].allure_results()
    failed = [r for r in results if r["status"] == "failed"]
    warned = [r for r in results if r["status"] == "passed" and "statusDetails" in r]
    broken = [r for r in results if r["status"] == "broken"]
    assert failed and broken
    for result in failed:  # only the check owning the broken requirement fails
        message = result["statusDetails"]["message"]
        assert message.startswith("MUST requirement not met: DCR-TOK-002 "), message[:200]
        assert "expected:" in message and "sent " in message and "got " in message
    for result in warned:
        assert result["statusDetails"]["message"].startswith("SHOULD recommendation not met (warning): DCR-")
    for result in broken:  # the checks that needed a token are blocked, not failed (issue 13)
        message = result["statusDetails"]["message"]
        assert message.startswith("Blocked: DCR-") and "\nblocked by DCR-TOK-002: " in message, message[:200]
        assert "[RFC6749-5.1-NOSTORE]" in message


def test_run_level_files(report_runs):
    clean = report_runs["clean"].alluredir
    categories = json.loads((clean / "categories.json").read_text())
    names = [c["name"] for c in categories]
    assert {"MUST failures", "SHOULD warnings", "Target unreachable or unusable", "Interrupted runs", "Suite errors"} <= set(names)
    executor = json.loads((clean / "executor.json").read_text())
    assert executor["name"] == "dcr-conformance" and executor["buildName"].startswith("dcr-conformance ")
    env = _properties(clean / "environment.properties")
    assert env["suite.version"] and env["python"].startswith("3.") and env["profiles"] == "reference"
    assert env["profile.reference.token_endpoint"].startswith("https://127.0.0.1:")
    assert env["target"] == "embedded reference server"
    # xdist: the controller merges what the workers knew (each worker has its own server).
    env = _properties(report_runs["secret-expiry"].alluredir / "environment.properties")
    assert env["target"] == "embedded reference server (defect registration-omits-secret-expiry)"
    assert env["profile.reference-registration-omits-secret-expiry.registration_endpoint"].startswith("https://")
    assert env["selection.keyword"] == "DCR-REG-001 or DCR-REG-002 or DCR-REG-005"
    # ... and the categories and executor survive the workers' --clean-alluredir.
    xdist = report_runs["secret-expiry"].alluredir
    assert json.loads((xdist / "categories.json").read_text()) == categories
    assert json.loads((xdist / "executor.json").read_text())["name"] == "dcr-conformance"


def _properties(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        out[key.replace("\\:", ":").replace("\\=", "=").replace("\\ ", " ")] = value
    return out


def test_junit_test_cases_carry_requirement_and_level(report_runs):
    for run in report_runs.values():
        cases = junit_cases(run.junit)
        assert cases
        for case in cases:
            props = case["props"]
            assert case["name"].startswith(props["dcr_check"] + "["), case["name"]
            assert props["dcr_level"] in ("MUST", "SHOULD")
            requirements = props["dcr_requirements"].split()
            assert requirements and all(r in REQUIREMENTS for r in requirements)
            assert props["dcr_profile"] and props["dcr_client"]
    no_store = junit_cases(report_runs["no-store"].junit)
    warned = [c for c in no_store if "dcr_warning" in c["props"]]
    assert all(c["outcome"] == "passed" and c["props"]["dcr_level"] == "SHOULD" for c in warned)
    blocked = [c for c in no_store if "dcr_blocked" in c["props"]]
    assert blocked and all(c["outcome"] == "skipped" and c["props"]["dcr_blocked"].startswith("blocked by DCR-TOK-002: ")
                           and c["message"].startswith("blocked by DCR-TOK-002: ") for c in blocked)
