"""Units of the run's bounds: unresponsive endpoints, "not run" results, exit statuses, a cleanup
stopped by a second signal, redaction before a detail is cut to its first line."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from conformance.client.http import CONNECTION, TIMEOUT, CapturedRequest, Exchange, RequestSpec
from conformance.client.redact import Redactor
from conformance.harness.cleanup import ABANDONED, delete_clients
from conformance.harness.exitcodes import contract_status
from conformance.harness.interrupts import CleanupAbandoned
from conformance.harness.outcomes import NOT_RUN, record_not_run, record_report
from conformance.harness.unresponsive import EndpointWatch, GuardedTransport, endpoint_of

URL = "https://as.example/register"


def exchange(failure: str | None, error: str | None = "timed out after 1 s (waiting for the response)") -> Exchange:
    return Exchange(CapturedRequest("POST", URL, (), ""), None, error if failure else None, 1.0, failure=failure)


def test_an_endpoint_is_marked_after_n_consecutive_silent_failures_and_an_answer_resets_the_count():
    watch = EndpointWatch(after=3)
    for failure in (TIMEOUT, CONNECTION):
        watch.observe(URL + "?x=1", exchange(failure))
    watch.observe(URL, exchange(None))  # an answer (any status): the streak starts again
    for _ in range(2):
        watch.observe(URL, exchange(TIMEOUT))
    assert watch.blocked(URL) is None
    watch.observe(URL + "?again", exchange(TIMEOUT))
    mark = watch.blocked(URL + "?other")
    assert mark is not None and mark.failures == mark.timeouts == 3
    assert mark.evidence().startswith(f"endpoint unresponsive since {mark.since} (3 timeouts; last: timed out")
    assert watch.blocked("https://as.example/register/abc") is None  # another endpoint
    assert endpoint_of("https://as.example:8443/a/b?c=d#e") == "https://as.example:8443/a/b"


def test_a_guarded_transport_fails_a_marked_endpoint_at_once_without_sending():
    watch = EndpointWatch(after=1)
    watch.observe(URL, exchange(TIMEOUT))
    with GuardedTransport(None, 5.0, Redactor(), watch=watch) as transport:
        ex = transport.send(RequestSpec("POST", URL, form={"client_secret": "s3cr3t-value-1234"}))
    assert ex.failure == TIMEOUT and ex.elapsed_s == 0 and ex.response is None
    assert ex.error.startswith("endpoint unresponsive since ") and "got no response: endpoint unresponsive" in ex.describe()
    assert transport.exchanges == [ex]


@dataclass
class Report:
    nodeid: str
    when: str
    outcome: str
    user_properties: list = field(default_factory=list)
    longrepr: object = None

    passed = property(lambda self: self.outcome == "passed")
    failed = property(lambda self: self.outcome == "failed")
    skipped = property(lambda self: self.outcome == "skipped")


PROPS = [("dcr_check", "DCR-X-001"), ("dcr_title", "t"), ("dcr_level", "MUST"), ("dcr_profile", "p"),
         ("dcr_client", "c")]


def test_a_check_cut_off_after_its_setup_is_not_run_never_passed():
    outcomes: dict = {}
    record_report(outcomes, Report("a", "setup", "passed", PROPS), str)
    (outcome,) = outcomes.values()
    assert outcome.verdict == NOT_RUN
    record_report(outcomes, Report("b", "setup", "passed", PROPS), str)
    record_report(outcomes, Report("b", "call", "passed", PROPS), str)
    assert outcome.verdict == NOT_RUN  # one test of the cell passed, the other did not finish
    record_report(outcomes, Report("a", "call", "passed", PROPS), str)
    assert outcome.verdict == "passed"
    record_not_run(outcomes, "c", PROPS, "not run: interrupted by SIGTERM")
    assert (outcome.verdict, outcome.detail) == (NOT_RUN, "not run: interrupted by SIGTERM")


def test_a_detail_is_redacted_before_it_is_cut_to_one_line():
    """A secret masked by its key on an earlier line, or spanning lines, is masked first."""
    outcomes: dict = {}
    secret = "line-one-of-a-secret\nline-two-of-a-secret"
    redactor = Redactor([secret])
    longrepr = f"DCR-X-001 t\n{secret}\nmore"
    record_report(outcomes, Report("a", "call", "failed", PROPS, longrepr), redactor.redact_text)
    (outcome,) = outcomes.values()
    assert outcome.verdict == "failed"
    assert "line-one-of-a-secret" not in outcome.detail and "line-two" not in outcome.detail


@pytest.mark.parametrize("code, status", [(0, 0), (1, 1), (2, 1), (3, 3), (4, 2), (5, 2), (124, 124), (143, 143)])
def test_exit_statuses_of_the_table(code, status):
    assert contract_status(code) == status


@dataclass
class Dyn:
    client_id: str
    deleted: bool = False
    registration_client_uri: str = "https://as.example/register/x"


def test_a_second_signal_during_the_cleanup_lists_every_client_left():
    class Session:
        calls = 0

        def delete(self, dyn):
            Session.calls += 1
            raise CleanupAbandoned("SIGINT")

    class Claims:
        registration_management = True

    class Profile:
        name = "p"
        claims = Claims()

    registered = [(Session(), Profile(), Dyn("a")), (Session(), Profile(), Dyn("b", deleted=True)),
                  (Session(), Profile(), Dyn("c"))]
    left = delete_clients(registered, keep=False, redact=str)
    assert Session.calls == 1
    assert left == [{"profile": "p", "client_id": "a", "reason": ABANDONED},
                    {"profile": "p", "client_id": "c", "reason": ABANDONED}]
    assert delete_clients(registered[:1], keep=False, redact=str, abandoned=lambda: True)[0]["reason"] == ABANDONED


def test_sighup_cuts_a_check_off_and_a_second_signal_stops_the_cleanup():
    import os
    import signal

    from conformance.harness.interrupts import CLEANUP, RUN, Interrupts, RunInterrupted

    stopped, said = [], []
    interrupts = Interrupts(stop_session=stopped.append, out=said.append)
    interrupts.install()
    try:
        interrupts.phase, interrupts.in_call = RUN, True
        with pytest.raises(RunInterrupted, match="not run: interrupted by SIGHUP"):
            os.kill(os.getpid(), signal.SIGHUP)
        assert stopped == ["interrupted by SIGHUP"] and interrupts.exit_status() == 129
        interrupts.phase = CLEANUP
        with pytest.raises(CleanupAbandoned):
            os.kill(os.getpid(), signal.SIGTERM)
        assert interrupts.abandoned and interrupts.exit_status() == 129  # the first signal names the status
    finally:
        interrupts.uninstall()
    assert signal.getsignal(signal.SIGHUP) is not interrupts._handle
