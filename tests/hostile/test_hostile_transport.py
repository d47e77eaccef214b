"""The transport against hostile servers: every request ends within its time budget, memory stays
bounded whatever the server sends, the evidence says what happened, and no exception escapes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.client.http import (
    CONNECTION,
    SERVER_CERTIFICATE,
    TIMEOUT,
    TOO_LARGE,
    RequestSpec,
    Transport,
)
from conformance.client.redact import marker
from hostile_servers import ANSWER, HUGE, wait_until

TIMEOUT_S = 1.5
#: Slack over the time budget for thread scheduling on a loaded machine (the bug took minutes).
MARGIN_S = 1.0
MIB = 1024 * 1024


@pytest.fixture
def transport(hostile_pki):
    with Transport(hostile_pki.ca, timeout_s=TIMEOUT_S) as t:
        yield t


def _timed(transport: Transport, url: str, **spec):
    start = time.perf_counter()
    ex = transport.send(RequestSpec(spec.pop("method", "GET"), url, **spec))
    return ex, time.perf_counter() - start


def test_the_well_behaved_baseline(hostile, transport):
    server = hostile("answer")
    ex, _ = _timed(transport, server.url + "/token")
    assert ex.status == 200 and ex.error is None and ex.failure is None
    token = ex.json()["access_token"]
    assert ex.reply.body == ANSWER.decode().replace(token, marker(token))  # learnt from the answer, masked


# -- time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour, phase", [
    ("drip", "waiting for the response"),  # head and body one byte per second
    ("drip_body", "reading the response body"),  # head at once, body one byte per second
    ("silent", "waiting for the response"),  # accepts, never answers
])
def test_a_slow_or_silent_server_ends_the_request_at_its_time_budget(hostile, transport, behaviour, phase):
    server = hostile(behaviour)
    ex, seconds = _timed(transport, server.url + "/token", method="POST", form={"client_secret": "slow-secret-123"})
    assert TIMEOUT_S - 0.05 <= seconds < TIMEOUT_S + MARGIN_S, seconds
    assert ex.error == f"timed out after {TIMEOUT_S:g} s ({phase})" and ex.failure == TIMEOUT
    assert ex.status is None and ex.response is None
    text = ex.describe()
    assert ex.error in text and "slow-secret-123" not in text
    if behaviour == "drip_body":
        assert ex.reply is not None and ex.reply.status == 200 and "got 200 OK, then no usable body" in text


def test_a_spec_timeout_is_the_budget_of_that_request(hostile, transport):
    server = hostile("drip")
    ex, seconds = _timed(transport, server.url + "/", timeout_s=0.5)
    assert 0.45 <= seconds < 0.5 + MARGIN_S and ex.error.startswith("timed out after 0.5 s")


def test_the_budget_covers_several_slow_requests_in_a_row(hostile, transport):
    """Two requests to a dripping server take two budgets, not two times the bytes it drips."""
    server = hostile("drip_body")
    start = time.perf_counter()
    for _ in range(3):
        assert transport.send(RequestSpec("GET", server.url + "/", timeout_s=0.4)).failure == TIMEOUT
    assert 1.2 <= time.perf_counter() - start < 1.2 + MARGIN_S


# -- size ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour, detail", [
    ("huge", f"Content-Length: {HUGE}; not read"),
    ("huge_chunked", "read no further than"),
    ("gzip_bomb", "bytes decode to more"),
])
def test_a_huge_body_is_read_no_further_than_the_cap(hostile, transport, behaviour, detail):
    server = hostile(behaviour)
    ex, seconds = _timed(transport, server.url + "/register")
    assert ex.error.startswith(f"response larger than {MIB} bytes ("), ex.error
    assert detail in ex.error and ex.failure == TOO_LARGE
    assert ex.response is None and ex.status is None and ex.reply.status == 200
    assert f"got 200 OK, then no usable body: response larger than {MIB} bytes" in ex.describe()
    assert seconds < TIMEOUT_S + MARGIN_S
    # the connection was dropped: the server stops sending long before 200 MB
    assert wait_until(lambda: not server._open, 5), "the connection was kept open"
    assert server.sent < 40 * MIB, f"the server could send {server.sent} bytes"


def test_the_connection_after_a_dropped_one_works(hostile, transport):
    huge, fine = hostile("huge"), hostile("answer")
    assert transport.send(RequestSpec("GET", huge.url + "/")).failure == TOO_LARGE
    assert transport.send(RequestSpec("GET", huge.url + "/")).failure == TOO_LARGE  # a new connection
    assert transport.send(RequestSpec("GET", fine.url + "/")).json()["ok"] is True


def test_the_cap_is_a_transport_parameter(hostile, hostile_pki):
    server = hostile("answer")
    with Transport(hostile_pki.ca, timeout_s=TIMEOUT_S, max_response_bytes=len(ANSWER)) as exact:
        assert exact.send(RequestSpec("GET", server.url)).status == 200  # a body of exactly the cap is fine
    with Transport(hostile_pki.ca, timeout_s=TIMEOUT_S, max_response_bytes=len(ANSWER) - 1) as small:
        ex = small.send(RequestSpec("GET", server.url))
    assert ex.error == f"response larger than {len(ANSWER) - 1} bytes (Content-Length: {len(ANSWER)}; not read)"
    with pytest.raises(ValueError):
        Transport(max_response_bytes=0)


def test_memory_stays_bounded_while_200_mb_are_offered(hostile, hostile_pki):
    """A fresh process sends to each huge server; its peak RSS grows by a few MiB at most
    (unbounded, each would add 200 MB or more)."""
    fine = hostile("answer")
    urls = [hostile(name).url + "/" for name in ("huge", "huge_chunked", "gzip_bomb")]
    probe = Path(__file__).with_name("rss_probe.py")
    run = subprocess.run([sys.executable, str(probe), str(hostile_pki.ca), str(TIMEOUT_S), fine.url, *urls],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(results) == 3, run.stdout
    for result in results:
        assert result["failure"] == TOO_LARGE, result
        assert result["growth_mib"] < 20, result
        assert result["seconds"] < TIMEOUT_S + MARGIN_S, result


# -- connections and certificates --------------------------------------------------------------


def test_a_reset_connection_is_a_connection_failure(hostile, transport):
    server = hostile("reset")
    ex, seconds = _timed(transport, server.url + "/")
    assert ex.failure == CONNECTION and ex.certificate_problem is None and ex.target_unusable is None
    assert ex.error.startswith(("connection reset by the server", "connection closed by the server")), ex.error
    assert seconds < TIMEOUT_S


@pytest.mark.parametrize("cert, problem", [
    ("expired", "expired"),
    ("self-signed", "self-signed"),
    ("unknown-issuer", "unknown issuer"),
    ("wrong-host", "wrong host"),
])
def test_a_server_certificate_the_bundle_rejects_makes_the_target_unusable(hostile, transport, cert, problem):
    server = hostile("answer", cert=cert)
    ex, seconds = _timed(transport, server.url + "/token")
    assert ex.failure == SERVER_CERTIFICATE and ex.certificate_problem == problem
    assert ex.error.startswith("TLS server certificate not trusted: "), ex.error
    assert ex.target_unusable == f"the TLS certificate of 127.0.0.1:{server.port} is {problem}: {ex.error}"
    assert ex.to_dict()["certificate_problem"] == problem
    assert seconds < TIMEOUT_S
    assert not server.requests  # the handshake failed: nothing was sent


def test_a_refused_client_certificate_is_not_a_server_certificate_problem(hostile, transport):
    ex = transport.send(RequestSpec("GET", "https://127.0.0.1:9/"))  # nobody listens on the discard port
    assert ex.failure == CONNECTION and ex.error == "connection refused" and ex.target_unusable is None
