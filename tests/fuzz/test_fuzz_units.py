"""The fuzzing parts on their own: the registration oracle, the assertion model, strategies, budget, pool."""

from __future__ import annotations

import json
import time
import types
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings

from conformance.client.fields import OMIT
from conformance.client.jose import decode_unverified
from conformance.fuzz import strategies
from conformance.fuzz.assertion_requests import token_request
from conformance.fuzz.budget import DEFAULT_EXAMPLES, Budget, in_ci
from conformance.fuzz.pool import TokenPool
from conformance.oracles.failures import PrerequisiteFailure
from conformance.oracles.client_assertion import ACCEPT, EITHER, REJECT, assertion_verdict, replay_verdict
from conformance.oracles.client_assertion import Perturbation as P
from conformance.oracles.registration import METADATA, REDIRECT, REQUEST, STATEMENT, expectation
from conformance.oracles.registration_faults import (MEDIA_TYPE, NOT_JSON, OUTSIDE, SYNTAX, UNKNOWN, Mutation, Payload,
                                                     RawBody)
from conformance.profile import TemplateSection, load_profile

TEMPLATE = TemplateSection(software_id="haapi-template", scope="urn:se:curity:scopes:haapi",
                           grant_types=("client_credentials",), token_endpoint_auth_method="client_secret_basic",
                           redirect_uris=("https://app.example/callback", "com.example.app:/callback"),
                           response_types=("code",), unauthorized_software_id="other-template")
QUICK = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                 suppress_health_check=list(HealthCheck))


def _mutation(field: str, value, fault: str) -> Mutation:
    return Mutation(field, field, ((field, value),), fault, f"{field} test")


# ------------------------------------------------------------------------- registration oracle


def test_only_unknown_members_must_be_accepted():
    payload = Payload((_mutation("x_fuzz_a", {"nested": [1]}, UNKNOWN),))
    assert expectation(payload, 100).must_accept
    assert expectation(Payload(), 30).must_accept


def test_a_large_body_may_be_refused_with_413():
    payload = Payload((_mutation("x_fuzz_a", "a" * 10_000, UNKNOWN),))
    allowed = expectation(payload, 10_050)
    assert not allowed.must_accept and 413 in allowed.statuses


def test_invalid_redirect_uri_fits_only_a_redirect_fault():
    scope = expectation(Payload((_mutation("scope", "openid", OUTSIDE),)), 80)
    assert scope.errors == {METADATA} and scope.statuses == {400}
    redirect = expectation(Payload((_mutation("redirect_uris", ["/cb"], SYNTAX),)), 80)
    assert redirect.errors == {REDIRECT, METADATA}
    both = expectation(Payload((_mutation("scope", "x", OUTSIDE),
                                _mutation("redirect_uris", ["/cb"], SYNTAX))), 80)
    assert REDIRECT in both.errors


def test_statement_faults_allow_the_statement_codes():
    allowed = expectation(Payload((_mutation("software_statement", "a.b.c", SYNTAX),)), 80)
    assert STATEMENT <= allowed.errors and REDIRECT not in allowed.errors


def test_raw_bodies():
    not_json = expectation(Payload(raw=RawBody(b"{", "application/json", NOT_JSON, "t")), 1)
    assert not_json.must_refuse and not_json.errors == {REQUEST, METADATA}
    media = expectation(Payload(raw=RawBody(b"{}", "text/plain", MEDIA_TYPE, "t")), 2)
    assert not media.must_refuse and 415 in media.statuses


# ------------------------------------------------------------------------- assertion model


@pytest.mark.parametrize("perturbations, outcome", [
    ((), ACCEPT),
    ((P("exp", "offset", 60),), ACCEPT),
    ((P("exp", "offset", -700),), REJECT),
    ((P("exp", "offset", -30),), EITHER),
    ((P("exp", "offset", 3600),), EITHER),
    ((P("exp", "omit"),), REJECT),
    ((P("exp", "value", "1700000000"),), REJECT),
    ((P("exp", "absolute", 1e300),), EITHER),
    ((P("iat", "omit"),), ACCEPT),
    ((P("iat", "value", None),), EITHER),
    ((P("nbf", "offset", 900),), REJECT),
    ((P("nbf", "offset", -5),), ACCEPT),
    ((P("aud", "issuer"),), EITHER),
    ((P("aud", "trailing_slash"),), REJECT),
    ((P("iss", "other_client"),), REJECT),
    ((P("alg", "none"),), REJECT),
    ((P("alg", "same_family"),), EITHER),
    ((P("typ", "omit"),), ACCEPT),
    ((P("header", "x_fuzz_a", 1),), ACCEPT),
    ((P("claim", "x_fuzz_a", {"b": 2}),), ACCEPT),
    ((P("client_id", "omit"),), ACCEPT),
    ((P("form", "two_assertions"),), REJECT),
    ((P("aud", "issuer"), P("signature", "broken")), REJECT),
    ((P("kid", "unknown"), P("typ", "JWT")), EITHER),
])
def test_the_assertion_model(perturbations, outcome):
    assert assertion_verdict(perturbations).outcome == outcome


def test_replays():
    assert replay_verdict(True, True).outcome == REJECT
    assert replay_verdict(True, False).outcome == EITHER
    assert replay_verdict(False, True).outcome == EITHER


# ------------------------------------------------------------------------- strategies


@QUICK
@given(payload=strategies.registration_payloads(TEMPLATE))
def test_payloads_are_one_request_each(payload):
    if payload.raw is not None:
        assert isinstance(payload.raw.content, bytes)
        return
    groups = [m.group for m in payload.mutations]
    assert len(groups) == len(set(groups)) and 1 <= len(groups) <= 4
    body = {k: v for k, v in payload.metadata().items() if v is not OMIT}
    json.dumps(body, allow_nan=False)  # valid JSON, whatever the mutation
    for m in payload.mutations:
        if m.fault == UNKNOWN:
            assert m.field not in strategies.KNOWN_MEMBERS
    assert payload.describe()


def test_every_rfc7591_member_is_fuzzed():
    seen: set[str] = set()

    @settings(QUICK, max_examples=400)
    @given(payload=strategies.registration_payloads(TEMPLATE))
    def collect(payload):
        for m in payload.mutations:
            seen.update(k for k, _ in m.members)

    collect()
    rfc7591 = {"redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types", "client_name",
               "client_uri", "logo_uri", "scope", "contacts", "tos_uri", "policy_uri", "jwks_uri", "jwks",
               "software_id", "software_version", "software_statement"}
    assert rfc7591 <= seen, sorted(rfc7591 - seen)


@pytest.fixture(scope="module")
def reference():
    from conformance.pki import default_pki
    from conformance.server import ReferenceServer

    with ReferenceServer(pki=default_pki()) as srv:
        yield srv, load_profile(srv.profile_path)


def test_every_assertion_case_builds_a_token_request(reference):
    _, profile = reference
    clients = {k: c for k, c in profile.main_clients.items() if c.auth_method in ("private_key_jwt", "client_secret_jwt")}

    @QUICK
    @given(case=strategies.assertion_cases(clients))
    def build(case):
        spec = token_request(profile, case)
        assert spec.form_value("grant_type") == "client_credentials"
        assertion = spec.form_value("client_assertion")
        targets = {p.target for p in case.perturbations}
        if not targets & {"shape", "signature"}:
            header, claims = decode_unverified(assertion)
            assert "alg" in header
        if not case.perturbations:
            header, claims = decode_unverified(assertion)
            client = profile.main_clients[case.label]
            assert claims["iss"] == claims["sub"] == client.client_id
            assert claims["aud"] == profile.token_endpoint_for(client)
            assert assertion_verdict(()).outcome == ACCEPT

    build()


# ------------------------------------------------------------------------- budget and pool


def _config(tmp_path, **options):
    values = {"--dcr-fuzz-examples": None, "--dcr-fuzz-seed": None, "--dcr-report-dir": None,
              "--dcr-race-width": 16, **options}
    return types.SimpleNamespace(getoption=values.__getitem__,
                                 invocation_params=types.SimpleNamespace(dir=tmp_path))


def test_budget_modes(tmp_path):
    local = Budget.from_config(_config(tmp_path), environ={})
    assert local.examples == DEFAULT_EXAMPLES and local.seed is None and not local.derandomize
    assert local.database == tmp_path / "reports" / "hypothesis"
    assert local.settings().database is not None and "reports/hypothesis" in local.describe()
    ci = Budget.from_config(_config(tmp_path), environ={"CI": "true"})
    assert ci.derandomize and ci.database is None and ci.settings().derandomize
    seeded = Budget.from_config(_config(tmp_path, **{"--dcr-fuzz-seed": 7}), environ={"CI": "true"})
    assert seeded.seed == 7 and not seeded.derandomize and "--dcr-fuzz-seed 7" in seeded.describe() and "run --fuzz-seed 7" in seeded.describe()
    sized = Budget.from_config(_config(tmp_path, **{"--dcr-fuzz-examples": 12, "--dcr-report-dir": str(tmp_path / "r")}),
                               environ={})
    assert sized.examples == 12 and sized.machine_runs >= 10 and sized.database == tmp_path / "r" / "hypothesis"
    assert in_ci({"CI": "1"}) and not in_ci({"CI": "false"}) and not in_ci({})


def test_hypothesis_keeps_its_caches_in_the_user_cache_not_the_working_directory(tmp_path):
    from hypothesis.configuration import storage_directory

    cache = tmp_path / "cache"
    try:
        Budget.from_config(_config(tmp_path), environ={"XDG_CACHE_HOME": str(cache)})
        assert storage_directory("unicode_data", intent_to_write=False).path == \
            cache / "dcr-conformance" / "hypothesis" / "unicode_data"
    finally:
        Budget.from_config(_config(tmp_path))  # the process's own cache again


@pytest.fixture
def reference_session(reference):
    """A session against the module's reference server (its transport closed after the test)."""
    from conformance.client.http import Transport
    from conformance.client.session import DcrSession

    _, profile = reference
    session = DcrSession(profile, Transport.for_profile(profile))
    yield session
    session.transport.close()


def test_the_pool_hands_out_fresh_distinct_tokens(reference_session):
    dcr_session = reference_session
    with TokenPool(dcr_session, "basic", depth=3) as pool:
        tokens = [pool.get() for _ in range(6)]
    assert len({t.value for t in tokens}) == 6 and not any(t.stale for t in tokens)
    with TokenPool(dcr_session, "basic", depth=2, max_age_s=0.0) as pool:  # every pooled token too old
        deadline = time.monotonic() + 10
        while pool.fetched < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        token = pool.get()  # the stale ones dropped (and the one on the wire, waited for once), one fetched now
    assert token.value and pool.discarded >= 2 and int(token.label[1:]) >= 3  # not #1 or #2, the stale ones


def test_the_deleter_deletes_every_queued_client_before_it_closes(reference_session):
    dcr_session = reference_session
    from conformance.fuzz.pool import Deleter

    with TokenPool(dcr_session, "basic", depth=2) as pool:
        clients = [dcr_session.register(pool.get().value)[0] for _ in range(4)]
    assert all(dyn is not None for dyn in clients)
    with Deleter(dcr_session) as deleter:
        for dyn in clients:
            deleter.delete(dyn)
    assert deleter.deleted == 4 and all(dyn.deleted for dyn in clients)
    for dyn in clients:  # gone on the server: RFC 7592 §2.3 (a deleted client's RAT is refused)
        assert dcr_session.read(dyn).status in (401, 403, 404)
    with pytest.raises(RuntimeError):
        deleter.delete(clients[0])


def test_a_pool_with_a_limit_fetches_no_token_nobody_will_use(reference_session):
    dcr_session = reference_session
    with TokenPool(dcr_session, "basic", depth=8, limit=3) as pool:
        tokens = [pool.get() for _ in range(3)]
        time.sleep(0.3)  # time enough to fill a pool of 8
        assert pool.fetched == 3
        tokens.append(pool.get())  # past the limit (a shrinking replay): fetched inline
    assert pool.fetched == 4 and len({t.value for t in tokens}) == 4


def test_the_pool_deletes_the_clients_it_is_given_on_its_thread_before_it_closes(reference_session):
    dcr_session = reference_session
    with TokenPool(dcr_session, "basic", depth=2) as pool:
        clients = [dcr_session.register(pool.get().value)[0] for _ in range(4)]
        for dyn in clients:
            pool.delete(dyn)
        assert pool.get().value  # tokens still come while it deletes
    assert pool.deleted == 4 and all(dyn.deleted for dyn in clients)
    threads = {ex.thread for ex in dcr_session.transport.exchanges if ex.spec.method == "DELETE"}
    assert threads == {"dcr-token-pool-basic"}
    for dyn in clients:  # gone on the server: RFC 7592 §2.3
        assert dcr_session.read(dyn).status in (401, 403, 404)


class _NoTokens:
    """A session whose main client gets no initial token, and that records the deletes."""

    def __init__(self) -> None:
        self.profile = SimpleNamespace(claims=SimpleNamespace(initial_token_ttl_s=60))
        self.deleted: list = []

    def initial_token(self, label):
        return None, SimpleNamespace(describe=lambda: "HTTP 500")

    def delete(self, dyn):
        self.deleted.append(dyn)
        return SimpleNamespace(status=204)


def test_a_pool_whose_tokens_failed_still_deletes_what_it_is_given():
    session = _NoTokens()
    with TokenPool(session, "basic", depth=2) as pool:
        deadline = time.monotonic() + 5
        while pool._failure is None and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(PrerequisiteFailure, match="could not get an initial token"):
            pool.get()
        pool.delete("client-1")
        pool.delete("client-2")
    assert session.deleted == ["client-1", "client-2"] and pool.deleted == 2


class _SlowTokens:
    """A session whose initial tokens take a while: a fetch on the pool's thread is still in flight
    when the run asks for the next token."""

    def __init__(self, delay_s: float = 0.05) -> None:
        self.profile = SimpleNamespace(claims=SimpleNamespace(initial_token_ttl_s=60))
        self.delay_s = delay_s
        self.issued = 0

    def initial_token(self, label):
        time.sleep(self.delay_s)
        self.issued += 1
        return f"token-{self.issued}", SimpleNamespace(describe=lambda: "HTTP 200")


def test_a_pool_with_a_limit_counts_the_token_it_is_fetching():
    """The run asks while the thread's fetch is on the wire: it waits for that token rather than
    fetching one more, so ``limit`` tokens are fetched for ``limit`` examples."""
    session = _SlowTokens(delay_s=0.1)
    with TokenPool(session, "basic", depth=8, limit=1) as pool:
        time.sleep(0.03)  # the thread's fetch has started, and not ended
        tokens = [pool.get()]
        time.sleep(0.15)  # time enough for another fetch to end, were one sent
        assert session.issued == pool.fetched == 1
        tokens.append(pool.get())  # past the limit: fetched inline
    assert session.issued == 2 and len({t.value for t in tokens}) == 2


def test_a_raw_body_nested_deeper_than_python_parses_binds_no_key():
    """DCR-FUZZ-001 sends raw bodies nested thousands deep; a server may even accept one. What was
    sent is read from the request as sent, and a body too deep to parse binds no key (no crash)."""
    from conformance.client.http import Exchange, RequestSpec
    from conformance.client.http import CapturedRequest
    from conformance.oracles.registration import device_key_binding

    deep = b"[" * 50_000 + b"]" * 50_000
    spec = RequestSpec("POST", "https://as.example/register", content=deep)
    ex = Exchange(CapturedRequest("POST", spec.url, (), deep.decode()), None, None, 0.01, spec=spec)
    assert device_key_binding({"token_endpoint_auth_method": "private_key_jwt"}, None, ex) is None


def test_the_same_request_gives_the_same_payload_strategy_and_another_request_another():
    """Built once per request shape, so what Hypothesis sets up on it is kept across checks."""
    body = {"software_id": "haapi-template", "redirect_uris": ["https://app.example/cb"]}
    first = strategies.registration_payloads(TEMPLATE, method="client_secret_basic", body=body)
    assert strategies.registration_payloads(TEMPLATE, method="client_secret_basic", body=dict(body)) is first
    other = strategies.registration_payloads(TEMPLATE, method="client_secret_basic", body={**body, "x": 1})
    assert other is not first
    assert strategies.registration_payloads(TEMPLATE, method="private_key_jwt", body=body) is not first
