"""No check passes against a broken server (issue: broken infrastructure is never a refusal).

The whole suite runs once against four loopback HTTPS servers that answer every request the same
wrong way (:mod:`broken_servers`: an HTML 500, an HTML 200, JSON of the wrong types, nulls). A
check passes only on a well-formed protocol answer, so none may pass, except where the refusal
really happened at the transport: plain HTTP is not served, and a client certificate from an
untrusted CA is refused in the TLS handshake (the broken servers trust the test CA only).

Checks that pass today are listed in ``KNOWN_PASSES`` with the finding (none are left);
they are strict expected failures, so fixing a check turns its entry into an error until the entry
is deleted.
"""

from __future__ import annotations

import pytest

from broken_servers import KINDS, MAIN_CLIENTS, BrokenServer
from conformance.catalogue import load_checks
from conformance.pki import default_pki
from conformance.server.profile_writer import PROFILE_LABELS
from verdicts import FAILED, PASSED, SKIPPED, WARNED, verdict_runs

#: Tests whose pass rests on a refusal at the transport, which no application can fake: check id ->
#: the part of the test id naming that case (None: every test of the check).
TRANSPORT_REFUSALS = {
    "DCR-REG-017": None,  # the registration endpoint is not served over plain HTTP (connection refused)
    "DCR-TOK-019": None,  # nor the token endpoint: the plain-HTTP request is refused in the handshake
    "DCR-TOK-028": None,  # nor a DPoP token request: the plain-HTTP request is refused in the handshake
    "DCR-TOK-015": "untrusted-ca",  # a certificate from an untrusted CA is refused in the TLS handshake
}


def _transport_refusal(record: dict) -> bool:
    if record["check"] not in TRANSPORT_REFUSALS:
        return False
    part = TRANSPORT_REFUSALS[record["check"]]
    return part is None or part in record["test"]


#: (broken server kind, check id) -> why it passes today although it must not (the finding).
KNOWN_PASSES: dict[tuple[str, str], str] = {
}


@pytest.fixture(scope="module")
def broken_runs(tmp_path_factory) -> dict[str, dict]:
    """The suite once against each of the four broken servers (four sessions, run at once)."""
    return verdict_runs(tmp_path_factory)["broken"]


def _cases():
    for kind in KINDS:
        for check_id in sorted(load_checks()):
            finding = KNOWN_PASSES.get((kind, check_id))
            marks = [pytest.mark.xfail(reason=finding, strict=True)] if finding else []
            yield pytest.param(kind, check_id, id=f"{kind}-{check_id}", marks=marks)


@pytest.mark.parametrize(("kind", "check_id"), list(_cases()))
def test_no_check_passes_against_a_broken_server(broken_runs, kind, check_id):
    """No test of the check passed (or only warned) against the broken server."""
    outcomes = broken_runs[kind].get(check_id, {})
    if not any(name != SKIPPED for name in outcomes):
        pytest.skip(f"{check_id} does not run with this server's main clients {MAIN_CLIENTS[kind]}")
    passing = [r for r in outcomes.get(PASSED, []) + outcomes.get(WARNED, []) if not _transport_refusal(r)]
    assert not passing, (f"{check_id} passed against a server answering every request with {kind}: "
                         + "; ".join(f"{r['test']} {r['outcome']} {r['reason']}".strip() for r in passing[:4]))
    refusals_only = all(_transport_refusal(r) for name, records in outcomes.items() if name != SKIPPED
                        for r in records)
    assert outcomes.get(FAILED) or refusals_only, f"{check_id}: no test failed"


def test_every_check_ran_against_some_broken_server(broken_runs):
    ran = {check_id for table in broken_runs.values() for check_id, outcomes in table.items()
           if any(name != SKIPPED or any("blocked" in str(r.get("reason", ""))[:40] for r in records)
                  for name, records in outcomes.items())}  # blocked: it ran, and did not pass
    assert sorted(set(load_checks()) - ran) == []


def test_broken_servers_answer_every_request_the_same_wrong_way(tmp_path):
    import ssl

    import httpx

    pki = default_pki()
    for kind, (status, content_type, body) in KINDS.items():
        with BrokenServer(kind, pki, tmp_path / kind) as server:
            verify = ssl.create_default_context(cafile=str(pki.ca_cert))
            with httpx.Client(verify=verify, timeout=5) as client:
                for method, path in (("GET", "/.well-known/oauth-authorization-server"),
                                     ("POST", "/oauth/v2/oauth-token"), ("DELETE", "/x")):
                    answer = client.request(method, server.base_url + path, content=b"a=b")
                    assert (answer.status_code, answer.headers["content-type"], answer.content) == \
                        (status, content_type, body)
            with pytest.raises(httpx.TransportError):  # plain HTTP: refused at the transport
                httpx.get(server.base_url.replace("https:", "http:"), timeout=5)
            profile = server.profile_path.read_text()
            assert {label for label in PROFILE_LABELS if f"[main_clients.{label}]" in profile} \
                == set(MAIN_CLIENTS[kind])
