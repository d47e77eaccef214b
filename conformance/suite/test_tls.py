"""Transport security where the flow starts: TLS 1.2 at the metadata host and at the registration
endpoint (RFC 8414 §6.1, RFC 7591 §5), and suites that give confidentiality and integrity (RFC 8414
§6.1). Each check also needs the endpoint's answer over the connection it judges, so that a host
whose TLS works but whose application does not never passes."""

from __future__ import annotations

from conformance.client.discovery import metadata_answer
from conformance.client.http import TLS, Exchange
from conformance.client.session import DcrSession
from conformance.client.tls_probe import TLS_1_2, UNPROTECTED_SUITES, RecordingTransport, can_offer, offer
from conformance.oracles.expect import expect, fail
from conformance.oracles.failures import PrerequisiteFailure, prerequisite
from conformance.oracles.metadata import metadata_document
from conformance.oracles.tls import unprotected
from conformance.suite import steps
from conformance.suite.check import check, not_applicable
from conformance.catalogue import allowed as ok, declare_answers, forbidden as no

_TLS_8414 = ("RFC 8414 §6.1", "MUST", "The authorization server MUST support TLS version 1.2 [RFC5246] and MAY "
             "support additional TLS mechanisms meeting its security requirements.")
_TLS_7591 = ("RFC 7591 §5", "MUST", "The server MUST support TLS 1.2 [RFC5246] and MAY support additional "
             "transport-layer security mechanisms meeting its security requirements.")
_SUITE = ("RFC 8414 §6.1", "MUST", "To protect against information disclosure and tampering, confidentiality "
          "protection MUST be applied using TLS with a ciphersuite that provides confidentiality and integrity "
          "protection.")

# The answers the specs allow and forbid, per check (rendered into docs/catalogue.md).
ANSWERS = declare_answers({
    "DCR-META-006": (
        ok("the metadata document over a connection limited to TLS 1.2; TLS 1.3 supported too, or not", *_TLS_8414),
        no("a handshake limited to TLS 1.2 refused", *_TLS_8414),
    ),
    "DCR-META-007": (
        ok("the metadata fetched over a suite with encryption and an authenticated handshake; a handshake offering "
           "only suites without encryption (eNULL) or without authentication (aNULL) refused", *_SUITE),
        ok("not applicable when this machine's OpenSSL cannot offer such suites (the client's own offer holds "
           "only protected ones, so nothing would be judged)", *_SUITE),
        no("a suite without encryption, an anonymous or an export-grade suite negotiated", *_SUITE),
    ),
    "DCR-REG-018": (
        ok("a registration answered over a connection limited to TLS 1.2; TLS 1.3 supported too, or not", *_TLS_7591),
        no("a handshake limited to TLS 1.2 refused", *_TLS_7591),
    ),
})


def _over_tls_1_2(ex: Exchange, probe: RecordingTransport, what: str) -> None:
    """The request went over TLS 1.2: a refused handshake is the check's failure; no answer at all
    (timeout, connection, certificate) is not TLS 1.2's doing, so it blocks the check."""
    if ex.failure == TLS:
        fail(f"{what}: a handshake limited to TLS 1.2 was refused ({ex.error})",
             "a TLS 1.2 handshake (the server MUST support TLS 1.2)", ex)
    if ex.error:
        raise PrerequisiteFailure(f"prerequisite: {what} over TLS 1.2: no answer ({ex.error})")
    versions = sorted({h.version or "?" for h in probe.handshakes})
    expect(versions == ["TLSv1.2"], f"{what}: the connection negotiated {', '.join(versions) or 'nothing'}",
           "TLSv1.2 (the client offered nothing else)", ex)


def _metadata_served(ex: Exchange, issuer: str) -> None:
    """The answer is the issuer's metadata document (RFC 8414 §3.2, §3.3), or the check is blocked:
    no document at all, or another issuer's, is DCR-META-001's finding, not a TLS one."""
    with prerequisite():
        doc = metadata_document(ex)
        expect(doc.get("issuer") == issuer, f"issuer in the metadata is {doc.get('issuer')!r}",
               f"the issuer's own metadata document (issuer {issuer!r})", ex)


@check("DCR-META-006", "RFC8414-6.1", per_profile=True, needs=("issuer",))
def test_metadata_is_served_over_tls_1_2(dcr_session, profile):
    """The metadata document is served over a connection limited to TLS 1.2."""
    with RecordingTransport(dcr_session.transport, minimum=TLS_1_2, maximum=TLS_1_2) as probe:
        ex = metadata_answer(probe, profile.server.issuer)
    _over_tls_1_2(ex, probe, "metadata request")
    _metadata_served(ex, profile.server.issuer)


@check("DCR-META-007", "RFC8414-6.1-c", per_profile=True, needs=("issuer",))
def test_metadata_suites_give_confidentiality_and_integrity(dcr_session, profile):
    """The metadata comes over a suite with encryption and authentication, and a handshake offering only suites without them is refused."""
    with RecordingTransport(dcr_session.transport) as probe:
        ex = metadata_answer(probe, profile.server.issuer)
    _metadata_served(ex, profile.server.issuer)
    for negotiated in probe.handshakes:
        why = unprotected(negotiated)
        expect(why is None, f"the metadata was fetched over {negotiated.describe()}: {why}",
               "a suite giving confidentiality and integrity", ex)
    if not can_offer(UNPROTECTED_SUITES):
        not_applicable("this machine's OpenSSL cannot offer suites without encryption or authentication, "
                       "so the server's choice among them cannot be tried")
    weak = offer(profile.server.issuer, UNPROTECTED_SUITES, profile.server.timeout_s)
    if weak.negotiated is not None:
        fail(f"a TLS 1.2 handshake with {weak.host}:{weak.port} offering only suites without encryption (eNULL) "
             f"or without authentication (aNULL) was accepted: {weak.negotiated.describe()}; "
             f"{unprotected(weak.negotiated) or 'a suite outside the offer'}",
             "the handshake refused (RFC 8414 §6.1: a ciphersuite that provides confidentiality and integrity)")
    if weak.timed_out:
        raise PrerequisiteFailure(f"prerequisite: the handshake offering only unprotected suites: {weak.error}")


@check("DCR-REG-018", "RFC7591-5-b", per_profile=True)
def test_registration_endpoint_supports_tls_1_2(dcr_session, initial_token):
    """A registration is answered over a connection limited to TLS 1.2."""
    with RecordingTransport(dcr_session.transport, minimum=TLS_1_2, maximum=TLS_1_2) as probe:
        pinned = DcrSession(dcr_session.profile, probe, on_registered=dcr_session.on_registered)
        dyn, ex = pinned.register(initial_token)
    _over_tls_1_2(ex, probe, "registration")
    steps.registration_answer(dcr_session, dyn, ex)  # a failed registration is DCR-REG-001's: it blocks
