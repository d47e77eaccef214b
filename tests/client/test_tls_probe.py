"""TLS probes (conformance.client.tls_probe) against the reference server's real TLS, and the judging
of negotiated suites (conformance.oracles.tls, RFC 8414 §6.1)."""

from __future__ import annotations

import socket

import pytest

from conformance.client.discovery import metadata_answer
from conformance.client.http import Transport
from conformance.client.tls_probe import (TLS_1_2, UNPROTECTED_SUITES, Negotiated, RecordingTransport, can_offer,
                                          offer)
from conformance.oracles.tls import unprotected
from conformance.server import ReferenceServer


@pytest.fixture(scope="module")
def server():
    srv = ReferenceServer().start()
    yield srv
    srv.stop()


def test_a_pinned_transport_negotiates_tls_1_2_and_logs_to_the_session(server):
    base = Transport(server.pki.ca_cert, 5)
    with RecordingTransport(base, minimum=TLS_1_2, maximum=TLS_1_2) as pinned:
        ex = metadata_answer(pinned, server.base_url)
    assert ex.status == 200 and base.exchanges == [ex]
    assert [h.version for h in pinned.handshakes] == ["TLSv1.2"]
    with RecordingTransport(base) as free:
        assert metadata_answer(free, server.base_url).status == 200
    assert [h.version for h in free.handshakes] == ["TLSv1.3"]
    assert all(unprotected(h) is None for h in pinned.handshakes + free.handshakes)
    base.close()


def test_an_offer_of_unprotected_suites_is_refused_by_a_default_server(server):
    if not can_offer(UNPROTECTED_SUITES):
        pytest.skip("this OpenSSL cannot offer eNULL / aNULL suites")
    answer = offer(server.base_url, UNPROTECTED_SUITES, 5)
    assert answer.negotiated is None and answer.error.startswith("TLS handshake refused") and not answer.timed_out


def test_an_offer_is_bounded_and_says_why_no_handshake_was_made():
    with socket.socket() as silent:  # accepts connections (backlog) and never answers a ClientHello
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        answer = offer(f"https://127.0.0.1:{port}/", UNPROTECTED_SUITES if can_offer(UNPROTECTED_SUITES)
                       else "DEFAULT", 0.5)
    assert answer.timed_out and answer.negotiated is None
    refused = offer(f"https://127.0.0.1:{port}/", "DEFAULT", 2)  # nothing listens any more
    assert refused.error.startswith("connection failed") and not refused.timed_out


@pytest.mark.parametrize(("cipher", "bits", "verdict"), [
    ("TLS_AES_256_GCM_SHA384", 256, None),
    ("ECDHE-ECDSA-AES128-GCM-SHA256", 128, None),
    ("ECDHE-RSA-CHACHA20-POLY1305", 256, None),
    ("NULL-SHA256", 0, "encrypts nothing"),
    ("ECDHE-ECDSA-NULL-SHA", 0, "encrypts nothing"),
    ("AECDH-AES256-SHA", 256, "anonymous"),
    ("ADH-AES128-GCM-SHA256", 128, "anonymous"),
    ("EXP-RC4-MD5", 40, "export-grade"),
    (None, None, "no cipher suite"),
])
def test_a_suite_without_confidentiality_or_integrity_is_named(cipher, bits, verdict):
    why = unprotected(Negotiated("TLSv1.2", cipher, bits))
    assert (why is None) if verdict is None else (verdict in why)
