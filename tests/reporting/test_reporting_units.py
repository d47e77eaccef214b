"""Unit tests of the Allure helpers: statuses and messages, the redacting writer, run-level files."""

from __future__ import annotations

import json
import re
import time
from types import SimpleNamespace

import pytest
import respx
from allure_commons import model2
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Parameter, StatusDetails

from conformance.client.http import RequestSpec, Transport
from conformance.client.redact import Redactor, marker
from conformance.harness.aging import WAITING
from conformance.reporting import allure_results as ar

SECRET = "Zm9vYmFyLXN1cGVyLXNlY3JldC12YWx1ZQ"
INFO = SimpleNamespace(id="DCR-TOK-002", title="The token response is not cached.", level="MUST")
SHOULD_INFO = SimpleNamespace(id="DCR-REG-099", title="A SHOULD check.", level="SHOULD")


def _report(when, outcome="passed", longrepr=None, props=(), **extra):
    report = SimpleNamespace(when=when, outcome=outcome, longrepr=longrepr, user_properties=list(props),
                             passed=outcome == "passed", failed=outcome == "failed", skipped=outcome == "skipped")
    for key, value in extra.items():
        setattr(report, key, value)
    return report


class _Exc(SimpleNamespace):
    def errisinstance(self, kind):
        return isinstance(self.value, kind)


def _status(reports, excinfo=None, info=INFO):
    return ar._status_of({r.when: r for r in reports}, excinfo or {}, info, None)


def test_passed_check_has_no_message():
    assert _status([_report("setup"), _report("call"), _report("teardown")]) == ("passed", "", None)


def test_must_failure_message_leads_with_its_kind():
    text = "DCR-TOK-002 The token response is not cached.\nCache-Control is missing\n  expected: no-store"
    status, message, _ = _status([_report("setup"), _report("call", "failed", text)],
                                 {"call": _Exc(value=AssertionError())})
    assert status == "failed"
    assert message == ("MUST requirement not met: DCR-TOK-002 The token response is not cached.\n"
                       "Cache-Control is missing\n  expected: no-store")


def test_should_warning_and_strict_failure():
    status, message, _ = _status([_report("setup"), _report("call", props=[("dcr_warning", "no no-store")])],
                                 info=SHOULD_INFO)
    assert status == "passed" and message.startswith("SHOULD recommendation not met (warning): DCR-REG-099")
    status, message, _ = _status([_report("setup"), _report("call", "failed", "DCR-REG-099 t\nwhy")],
                                 {"call": _Exc(value=AssertionError())}, SHOULD_INFO)
    assert status == "failed" and message.startswith("SHOULD recommendation not met (failing in strict mode)")


def test_unreachable_target_errors_and_skips():
    status, message, _ = _status([_report("setup"), _report("call", "failed", "DCR-TOK-002 t\ntoken request: no HTTP "
                                                                              "answer (connection refused)")],
                                 {"call": _Exc(value=AssertionError())})
    assert status == "failed" and message.startswith("Target unreachable (MUST requirement not met)")
    status, message, trace = _status([_report("setup"), _report("call", "failed", "KeyError: 'x'")],
                                     {"call": _Exc(value=KeyError("x"))})
    assert status == "broken" and message.startswith("Suite error: ") and trace
    status, message, _ = _status([_report("setup", "failed", "prerequisite: no initial token")])
    assert status == "broken" and message.startswith("Suite error (setup): ")
    status, message, _ = _status([_report("setup", "skipped", ("f", 1, "Skipped: not claimed by profile: no x"))])
    assert (status, message) == ("skipped", "Not claimed: not claimed by profile: no x")


def test_expected_failures():
    status, message, _ = _status([_report("setup"), _report("call", "skipped", "boom", wasxfail="known (file)")],
                                 {"call": _Exc(value=AssertionError())})
    assert status == "skipped" and message.startswith("Expected failure: DCR-TOK-002")
    status, message, _ = _status([_report("setup"), _report("call", "failed", "[XPASS(strict)] known (file)")])
    assert status == "failed" and message.startswith("Unexpectedly passed: DCR-TOK-002")


def test_categories_sort_the_messages():
    def category(status, message):
        for cat in ar.CATEGORIES:
            if status in cat["matchedStatuses"] and re.fullmatch(cat.get("messageRegex", r"[\s\S]*"), message):
                return cat["name"]
        return None

    assert category("failed", "MUST requirement not met: X\nmore") == "MUST failures"
    assert category("passed", "SHOULD recommendation not met (warning): X\nmore") == "SHOULD warnings"
    assert category("failed", "Target unreachable (MUST requirement not met): X") == "Target unreachable or unusable"
    assert category("broken", "Suite error: X") == "Suite errors"
    assert category("passed", "") is None
    for cat in ar.CATEGORIES:  # Allure 3 compiles them as JavaScript regexes: no inline flags
        assert "(?" not in cat.get("messageRegex", "")


def test_hypothesis_minimal_example():
    exc = AssertionError("check failed")
    exc.add_note("Falsifying example: test(payload=...)")
    wrapped = AssertionError("re-raised")
    wrapped.__context__ = exc
    plain = SimpleNamespace(get_closest_marker=lambda name: None)
    fuzz = SimpleNamespace(get_closest_marker=lambda name: object() if name == "fuzz" else None)
    assert ar._hypothesis_example(plain, _Exc(value=wrapped), "msg") == "Falsifying example: test(payload=...)"
    assert ar._hypothesis_example(fuzz, _Exc(value=AssertionError()), "payload (minimal once shrunk): x") \
        == "payload (minimal once shrunk): x"
    assert ar._hypothesis_example(plain, _Exc(value=AssertionError()), "msg") is None


def test_timed_log_records_when_each_exchange_ended():
    log = ar.TimedLog(["old"])
    log.append("new")
    assert list(log) == ["old", "new"] and log.ended_at[0] is None and log.ended_at[1] > 0
    transport = SimpleNamespace(exchanges=[])
    assert ar.timed_log(transport) is transport.exchanges is ar.timed_log(transport)


def test_redacting_writer_masks_results_and_text_attachments(tmp_path):
    redactor = Redactor([SECRET])
    writer = ar.RedactingFileLogger(tmp_path, redactor.redact_text)
    result = model2.TestResult(uuid="u1", name=f"title {SECRET}", fullName="m#f", status="failed",
                        statusDetails=StatusDetails(message=f"got {SECRET}", trace=f'{{"client_secret": "{SECRET}x"}}'),
                        parameters=[Parameter(name="p", value=repr(SECRET))],
                        steps=[model2.TestStepResult(name=f"POST /x?token={SECRET}")])
    writer.report_result(result)
    writer.report_attached_data(body=f"stdout {SECRET}", file_name="a-attachment.txt")
    writer.report_attached_data(body=f"bytes {SECRET}".encode(), file_name="b-attachment.txt")
    writer.report_attached_data(body=b"\xff\xfe binary", file_name="c-attachment.png")
    writer.report_attached_data(body=ar.PreRedacted("already [redacted:00000000]"), file_name="d-attachment.json")
    source = tmp_path / "src.txt"
    source.write_text(f"file {SECRET}")
    writer.report_attached_file(source=str(source), file_name="e-attachment.txt")
    texts = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != "src.txt"}
    assert not [name for name, data in texts.items() if SECRET.encode() in data]
    (written,) = [json.loads(d) for n, d in texts.items() if n.endswith("-result.json")]
    assert written["statusDetails"]["message"] == f"got {marker(SECRET)}"
    assert written["uuid"] == "u1"
    assert texts["c-attachment.png"] == b"\xff\xfe binary"
    assert texts["d-attachment.json"] == b"already [redacted:00000000]"


@respx.mock
def test_an_exchange_step_is_redacted_on_the_writer_thread_title_and_transcript(tmp_path):
    respx.get(f"https://as.example/clients/{SECRET}").respond(404, json={"error": "invalid_token"})
    transport = Transport(redactor=Redactor([SECRET]))
    exchange = transport.send(RequestSpec("GET", f"https://as.example/clients/{SECRET}",
                                          {"Authorization": f"Bearer {SECRET}"}))
    writer = ar.RedactingFileLogger(tmp_path, transport.redactor.redact_text, background=True)
    test = model2.TestResult(uuid="u2", name="check", fullName="m#f", status="passed")
    ar._exchange_step(test, exchange, None, "setup", writer)
    assert object.__getattribute__(exchange.request, "_view") is None  # not redacted on the check's thread
    writer.report_result(test)
    writer.flush()
    texts = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert texts and not [name for name, text in texts.items() if SECRET in text]
    (result,) = [json.loads(t) for n, t in texts.items() if n.endswith("-result.json")]
    (step,) = result["steps"]
    assert step["name"].startswith(f"setup: GET /clients/{marker(SECRET)} → 404 Not Found")
    assert step["attachments"][0]["name"] == f"GET /clients/{marker(SECRET)} (redacted)"
    assert texts[step["attachments"][0]["source"]].startswith(f"GET https://as.example/clients/{marker(SECRET)}")


@respx.mock
def test_a_bundled_transcript_is_redacted_on_the_writer_thread_titles_included(tmp_path):
    respx.get(f"https://as.example/clients/{SECRET}").respond(200, json={"client_secret": SECRET})
    transport = Transport(redactor=Redactor([SECRET]))
    spec = RequestSpec("GET", f"https://as.example/clients/{SECRET}", {"Authorization": f"Bearer {SECRET}"})
    exchanges = [transport.send(spec), transport.send(spec)]
    writer = ar.RedactingFileLogger(tmp_path, transport.redactor.redact_text, background=True)
    test = model2.TestResult(uuid="u3", name="check", fullName="m#f", status="passed")
    titled = [(ar._exchange_step(test, exchange, None, None, writer, attach=False), exchange) for exchange in exchanges]
    assert all(SECRET in title for title, _ in titled)  # raw: the writer redacts
    test.attachments.append(model2.Attachment(source="bundle-attachment.txt", name="HTTP exchanges (2, redacted)"))
    writer.attach_exchanges(titled, "bundle-attachment.txt")
    writer.report_result(test)
    writer.flush()
    texts = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert not [name for name, text in texts.items() if SECRET in text]
    (result,) = [json.loads(t) for n, t in texts.items() if n.endswith("-result.json")]
    assert [step.get("attachments") for step in result["steps"]] == [None, None]
    bundle = texts["bundle-attachment.txt"]
    heads = [line for line in bundle.splitlines() if line.startswith("=== ")]
    assert heads == [f"=== {n}/2  GET /clients/{marker(SECRET)} → 200 OK" + step["name"].rsplit(" OK", 1)[1]
                     for n, step in enumerate(result["steps"], 1)]
    assert bundle.count(f"GET https://as.example/clients/{marker(SECRET)}") == 2


def _written_eventually(directory, count: int, within_s: float = 2.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if len([p for p in directory.iterdir() if not p.name.endswith(".tmp")]) >= count:
            return True
        time.sleep(0.01)
    return False


def _result(number: int) -> model2.TestResult:
    return model2.TestResult(uuid=f"u{number}", name=f"check {SECRET}", fullName="m#f", status="passed")


def test_the_run_writer_holds_its_files_while_checks_run_and_writes_them_while_one_waits(tmp_path):
    writer = ar.RedactingFileLogger(tmp_path, Redactor([SECRET]).redact_text, background=True)
    writer.report_result(_result(1))
    writer.report_attached_data(f"transcript {SECRET}", "a-attachment.txt")
    assert not _written_eventually(tmp_path, 1, within_s=0.3)  # held: the checks have the interpreter
    with WAITING.sleeping():  # a check sleeps through a designed wait (conformance.harness.aging)
        assert _written_eventually(tmp_path, 2)
    writer.report_result(_result(2))
    assert not _written_eventually(tmp_path, 3, within_s=0.3)  # held again once nobody waits
    writer.flush()  # the end of the run: everything, and nothing held from here on
    assert len(list(tmp_path.iterdir())) == 3
    writer.report_result(_result(3))
    assert _written_eventually(tmp_path, 4)
    assert not [p for p in tmp_path.iterdir() if SECRET in p.read_text()]


def test_the_run_writer_holds_a_bounded_number_of_files(tmp_path, monkeypatch):
    monkeypatch.setattr(ar, "HELD_MAX", 3)
    writer = ar.RedactingFileLogger(tmp_path, Redactor([SECRET]).redact_text, background=True)
    for number in range(3):
        writer.report_result(_result(number))
    assert not _written_eventually(tmp_path, 1, within_s=0.3)
    writer.report_result(_result(3))  # one more than it may hold: it writes down to the bound
    assert _written_eventually(tmp_path, 1)
    time.sleep(0.2)
    assert len(list(tmp_path.iterdir())) <= 2
    writer.flush()
    assert len(list(tmp_path.iterdir())) == 4


def test_the_writer_is_swapped_for_the_run_and_put_back(tmp_path):
    import allure_commons

    manager = allure_commons.plugin_manager
    original = AllureFileLogger(tmp_path)
    manager.register(original, "test-file-logger")
    cleanups = []
    config = SimpleNamespace(add_cleanup=cleanups.append)
    try:
        assert ar.install_redacting_writer(config, str.upper)
        assert not manager.is_registered(original)
        swapped = [p for p in manager.get_plugins() if isinstance(p, ar.RedactingFileLogger)]
        assert len(swapped) == 1
        for cleanup in reversed(cleanups):
            cleanup()
        assert manager.is_registered(original) and manager.get_name(original) == "test-file-logger"
        assert not [p for p in manager.get_plugins() if isinstance(p, ar.RedactingFileLogger)]
    finally:
        if manager.is_registered(original):
            manager.unregister(original)


def test_environment_properties_are_escaped_and_merged(tmp_path):
    path = ar.write_environment(tmp_path, {"a key:with=odd": "line one\nline two \\ end", "plain": "v"})
    assert path.read_text() == "a\\ key\\:with\\=odd=line one\\nline two \\\\ end\nplain=v\n"
    merged = ar.merge_environments([{"x": "1", "y": "same"}, {"x": "2", "y": "same"}, {"z": "3"}])
    assert merged == {"x": "1 | 2", "y": "same", "z": "3"}


@pytest.mark.parametrize("env,url", [
    ({"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "7"},
     "https://github.com/o/r/actions/runs/7"),
    ({"CI_JOB_URL": "https://gitlab.example/j/1"}, "https://gitlab.example/j/1"),
    ({}, None),
])
def test_executor_links_the_ci_build(tmp_path, monkeypatch, env, url):
    for key in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "CI_JOB_URL", "BUILD_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    executor = json.loads(ar.write_executor(tmp_path, "reference").read_text())
    assert executor.get("buildUrl") == url and executor["reportName"].endswith(": reference")


def test_only_containers_of_fixtures_that_went_wrong_are_written(tmp_path):
    writer = ar.RedactingFileLogger(tmp_path, Redactor([SECRET]).redact_text)
    quiet = model2.TestResultContainer(uuid="c1", befores=[model2.TestBeforeResult(name="target", status="passed")],
                                       afters=[model2.TestAfterResult(name="target::<lambda>")])
    failed = model2.TestResultContainer(uuid="c2", befores=[model2.TestBeforeResult(
        name="registered", status="failed", statusDetails=StatusDetails(message=f"no token {SECRET}"))])
    writer.report_container(quiet)
    writer.report_container(failed)
    (written,) = [json.loads(p.read_text()) for p in tmp_path.glob("*-container.json")]
    assert written["uuid"] == "c2"
    assert written["befores"][0]["statusDetails"]["message"] == f"no token {marker(SECRET)}"


def test_interrupted_runs_and_unusable_targets_have_their_category():
    def category(status, message):
        return next((c["name"] for c in ar.CATEGORIES if status in c["matchedStatuses"]
                     and re.fullmatch(c.get("messageRegex", r"[\s\S]*"), message)), None)

    assert category("broken", "Run interrupted: KeyboardInterrupt") == "Interrupted runs"
    assert category("broken", "Target unusable: profile 'x': no metadata") == "Target unreachable or unusable"
    assert category("broken", "Target unreachable: refused") == "Target unreachable or unusable"


def test_an_exchange_reads_as_an_http_transcript():
    text = ar.exchange_text({
        "request": {"method": "POST", "url": "https://idsvr.example/reg", "client_certificate": "CN=main",
                    "headers": [["Content-Type", "application/json"], ["Authorization", "Bearer [redacted:0a1b2c3d]"]],
                    "body": '{"software_id":"haapi-template","scope":"a b"}'},
        "elapsed_ms": 3.2, "error": None,
        "response": {"status": 201, "reason": "Created", "http_version": "HTTP/1.1",
                     "headers": [["Content-Type", "application/json"]], "body": '{"client_id":"dyn-1"}'}})
    assert text.splitlines() == [
        "POST https://idsvr.example/reg", "(TLS client certificate: CN=main)",
        "Content-Type: application/json", "Authorization: Bearer [redacted:0a1b2c3d]", "",
        "{", '  "software_id": "haapi-template",', '  "scope": "a b"', "}", "",
        "HTTP/1.1 201 Created  (3.2 ms)", "Content-Type: application/json", "",
        "{", '  "client_id": "dyn-1"', "}"]
    refused = ar.exchange_text({"request": {"method": "GET", "url": "https://x/", "headers": [], "body": None},
                                "elapsed_ms": 1.0, "error": "connection refused", "response": None})
    assert refused.splitlines()[-1] == "no response: connection refused (after 1.0 ms)"


def test_the_console_table_fits_the_width_and_keeps_check_ids():
    from conformance.harness.console import write_table
    from conformance.harness.outcomes import Outcome

    class Terminal:
        def __init__(self):
            self.lines = []

        def section(self, title, **kwargs):
            self.lines.append(f"== {title}")

        def write_line(self, line):
            self.lines.append(line)

    title = "A second registration with the same initial token is refused (401 invalid_token expected)."
    outcomes = {("DCR-FUZZ-003", "p", c): Outcome("DCR-FUZZ-003", title, "MUST", "p", c)
                for c in ("basic", "post", "selfsigned")}
    for width, shortened in ((60, True), (200, False)):
        tr = Terminal()
        write_table(tr, outcomes, width)
        rows = tr.lines[1:]
        assert all(len(row) <= width for row in rows), rows
        assert rows[1].startswith("DCR-FUZZ-003 A second") and rows[1].endswith("pass  pass  pass")
        assert ("…" in rows[1]) is shortened and (title in rows[1]) is not shortened
    tr = Terminal()
    write_table(tr, outcomes, 30)  # too narrow for titles: ids and verdicts stay whole
    assert tr.lines[2].split() == ["DCR-FUZZ-003", "pass", "pass", "pass"]
