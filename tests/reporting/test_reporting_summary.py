"""The certification summary: its counts equal the JUnit file's, its digest seals its rows."""

from __future__ import annotations

import copy
import json

import pytest

from conformance.harness.outcomes import Outcome
from conformance.reporting import summary as summary_module
from conformance.reporting.summary import build_summary, render_markdown, results_digest, verify
from reporting_kit import NO_STORE_CHECKS, UNREACHABLE_SECRET, junit_cases, junit_totals, junit_verdicts, verdict_counts


def _runs(report_runs):
    return [report_runs[name] for name in ("clean", "no-store", "secret-expiry")]


def test_summary_counts_equal_the_junit_counts(report_runs):
    for run in _runs(report_runs):
        summary = run.summary()
        totals = junit_totals(run.junit)
        cases = summary["test_cases"]
        assert {k: cases[k] for k in totals} == totals, run.name
        junit = junit_cases(run.junit)
        assert cases["passed"] == sum(c["outcome"] == "passed" for c in junit), run.name
        assert cases["warnings"] == sum("dcr_warning" in c["props"] for c in junit), run.name
        # Per check × profile × main client: the same verdicts, hence the same totals.
        verdicts = junit_verdicts(junit)
        rows = {(r["check"], r["profile"], r["client"]): r["verdict"] for r in summary["results"]}
        assert rows == verdicts, run.name
        expected = {v: 0 for v in summary["totals"]} | dict(verdict_counts(verdicts))
        assert summary["totals"] == expected, run.name


def test_summary_files_and_verdicts(report_runs):
    clean = report_runs["clean"].summary()
    assert clean["verdict"] == "pass" and clean["exit_status"] == 0
    assert clean["profiles"] == ["reference"] and clean["suite_version"]
    assert clean["totals"]["failed"] == 0 and clean["totals"]["passed"] > 300
    assert {r["id"] for r in clean["requirements"]} >= {"RFC7591-3.2.1", "RFC6749-5.1", "RFC9449-8"}
    assert not verify(clean)

    no_store = report_runs["no-store"].summary()
    assert no_store["verdict"] == "fail"
    failed = {r["check"] for r in no_store["results"] if r["verdict"] == "failed"}
    assert failed == {"DCR-TOK-002"}  # the owner of RFC6749-5.1-NOSTORE; the others only needed a token
    blocked = [r for r in no_store["results"] if r["verdict"] == "blocked"]
    assert blocked and no_store["totals"]["blocked"] == len(blocked)
    assert all(r["detail"].startswith("blocked by DCR-TOK-002: ") for r in blocked)
    assert any("blocked by another check" in reason for reason in no_store["verdict_reasons"])
    assert not verify(no_store)
    md = (report_runs["no-store"].report_dir / "summary.md").read_text(encoding="utf-8")
    assert "| blocked |" in md and "BLOCK" in md
    assert all(r["check"].startswith(("DCR-TOK", "DCR-USE")) for r in no_store["results"])
    assert no_store["options"]["defect"] == "token-missing-no-store"
    assert no_store["options"]["keyword"] == " or ".join(NO_STORE_CHECKS)

    expiry = report_runs["secret-expiry"].summary()  # written by the xdist controller
    assert expiry["verdict"] == "fail" and expiry["options"]["workers"] == 1
    assert any(r["check"] == "DCR-REG-002" and r["verdict"] == "failed" for r in expiry["results"])
    for run in _runs(report_runs):
        md = (run.report_dir / "summary.md").read_text(encoding="utf-8")
        summary = run.summary()
        assert f"**Verdict: {summary['verdict'].upper()}**" in md
        assert summary["digest"]["value"] in md
        assert summary["digest"]["value"] in run.stdout  # printed on the console, e.g. into a CI log


def test_summary_per_requirement_and_main_client(clean_run):
    summary = clean_run.summary()
    clients = set(summary["main_clients"])
    assert "reference/basic" in clients and "reference/mtls" in clients
    row_count = sum(len(r["requirements"]) for r in summary["results"])
    cell_count = sum(sum(v for k, v in cell.items() if k != "status")
                     for req in summary["requirements"] for cell in req["clients"].values())
    assert cell_count == row_count
    for req in summary["requirements"]:
        assert req["url"].startswith("https://") and req["level"] in ("MUST", "SHOULD")
        assert set(req["clients"]) <= clients


def test_verify_detects_an_edited_summary(clean_run, tmp_path, capsys):
    summary = clean_run.summary()
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary))
    assert summary_module.main(["verify", str(path)]) == 0
    edited = copy.deepcopy(summary)
    edited["results"][0]["verdict"] = "failed" if edited["results"][0]["verdict"] != "failed" else "passed"
    path.write_text(json.dumps(edited))
    assert summary_module.main(["verify", str(path)]) == 1
    assert "digest mismatch" in capsys.readouterr().err


def test_unreachable_target_fails_the_summary_and_nothing_allure_without_alluredir(unreachable_run):
    """A target that refuses connections: exit status 3, a summary that says why, no secret;
    and without --alluredir no Allure file at all."""
    run, report = unreachable_run, unreachable_run.report_dir
    assert run.returncode == 3, run.describe()
    assert sorted(p.name for p in report.iterdir()) == ["junit.xml", "summary.json", "summary.md"]
    assert not list(report.parent.rglob("*-result.json")) and not list(report.parent.rglob("categories.json"))
    summary = json.loads((report / "summary.json").read_text())
    assert summary["verdict"] == "fail" and summary["exit_status"] == 3 and summary["profiles"] == ["unreachable"]
    assert summary["verdict_reasons"][0].startswith("target unreachable: ")
    assert "connection refused" in summary["verdict_reasons"][0]
    for text in [run.stdout, run.stderr, *(p.read_text() for p in report.iterdir())]:
        assert UNREACHABLE_SECRET not in text


def test_the_unreachable_result_for_allure(monkeypatch):
    from allure_commons.logger import AllureMemoryLogger

    import allure_commons
    from conformance.reporting import allure_results

    memory = AllureMemoryLogger()
    allure_commons.plugin_manager.register(memory)
    try:
        allure_results.write_unreachable_result("connection refused to https://x/?token=abc", str.upper)
    finally:
        allure_commons.plugin_manager.unregister(memory)
    (result,) = memory.test_cases
    assert result["status"] == "broken"
    assert result["statusDetails"]["message"] == "TARGET UNREACHABLE: CONNECTION REFUSED TO HTTPS://X/?TOKEN=ABC"


# ---------------------------------------------------------------------------- unit tests


_REQS = {"DCR-A": ("RFC7591-3.2.1",), "DCR-B": ("RFC7591-3.2.1-S",), "DCR-C": ("RFC6749-5.1", "RFC7591-3.2.1")}


def _summary(*outcomes, **kwargs):
    base = dict(cases={}, profiles=["p"], exit_status=0, target="embedded reference server")
    return build_summary(outcomes, _REQS, **(base | kwargs))


@pytest.mark.parametrize("outcomes,verdict", [
    ([Outcome("DCR-A", "t", "MUST", "p", "c")], "pass"),
    ([Outcome("DCR-A", "t", "MUST", "p", "c", "failed")], "fail"),
    ([Outcome("DCR-A", "t", "MUST", "p", "c", "error")], "fail"),
    ([Outcome("DCR-B", "t", "SHOULD", "p", "c", "warning")], "pass"),
    ([Outcome("DCR-B", "t", "SHOULD", "p", "c", "failed")], "pass"),  # --dcr-strict: the run fails, MUSTs hold
    ([Outcome("DCR-A", "t", "MUST", "p", "c", "expected failure")], "pass"),
    ([Outcome("DCR-A", "t", "MUST", "p", "c", "not claimed")], "pass"),
    ([], "fail"),
])
def test_verdict_rules(outcomes, verdict):
    summary = _summary(*outcomes)
    assert summary["verdict"] == verdict
    assert not verify(summary)


def test_an_interrupted_run_does_not_pass():
    summary = _summary(Outcome("DCR-A", "t", "MUST", "p", "c"), interruption="target unreachable: refused")
    assert summary["verdict"] == "fail" and "target unreachable: refused" in summary["verdict_reasons"]


def test_digest_is_over_canonical_rows_and_independent_of_order():
    a, b = Outcome("DCR-A", "t", "MUST", "p", "c"), Outcome("DCR-C", "u", "MUST", "p", "d", "failed", "why")
    first, second = _summary(a, b), _summary(b, a)
    assert first["results"] == second["results"]
    assert first["digest"]["value"] == second["digest"]["value"] == results_digest(first["results"])
    assert _summary(a)["digest"]["value"] != first["digest"]["value"]


def test_requirements_table_counts_per_client():
    summary = _summary(Outcome("DCR-A", "t", "MUST", "p", "c1"), Outcome("DCR-C", "u", "MUST", "p", "c1", "failed"),
                       Outcome("DCR-C", "u", "MUST", "p", "c2", "not claimed"))
    reqs = {r["id"]: r for r in summary["requirements"]}
    cell = reqs["RFC7591-3.2.1"]["clients"]["p/c1"]
    assert (cell["passed"], cell["failed"], cell["status"]) == (1, 1, "failed")
    assert reqs["RFC6749-5.1"]["clients"]["p/c2"]["not claimed"] == 1
    assert list(reqs) == ["RFC6749-5.1", "RFC7591-3.2.1"]  # registry order
    md = render_markdown(summary)
    assert "| [RFC7591-3.2.1](https://www.rfc-editor.org/rfc/rfc7591#section-3.2.1) | MUST | FAIL | n/c |" in md
    # passed, not applicable, not claimed, xfail, warning, blocked, not run, XPASS, failed, error
    assert "| p/c1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 1 | 0 |" in md


def test_details_are_redacted_once_more():
    summary = build_summary([Outcome("DCR-A", "t", "MUST", "p", "c", "failed", "got token SECRETSECRET")], _REQS,
                            cases={}, profiles=["p"], exit_status=1, target="x",
                            redact=lambda s: s.replace("SECRETSECRET", "[redacted:x]"))
    assert summary["results"][0]["detail"] == "got token [redacted:x]"


def test_a_partial_run_says_so_in_both_files():
    summary = _summary(Outcome("DCR-A", "t", "MUST", "p", "c"), selection=(1, 77))
    assert summary["selection"] == {"partial": True, "checks_selected": 1, "checks_total": 77}
    assert summary["verdict_reasons"][0] == "partial run (1 of 77 checks selected)"
    assert "partial run (1 of 77 checks selected)" in render_markdown(summary).splitlines()[2]
    assert _summary(Outcome("DCR-A", "t", "MUST", "p", "c"))["selection"] == {"partial": False}
    assert not verify(summary)
