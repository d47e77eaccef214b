"""One fault per negative vector: each mutated request differs from its valid one in exactly one respect.

DCR-TOK-010 builds each bad client assertion with :func:`assertion_vector` and DCR-USE-003 each bad
DPoP proof with :func:`proof_vector`, the valid request and the mutated one from one builder; the
checks send the valid one first. Here both are built with the same clock and compared member by
member: form fields, JOSE header members, claims (``jti`` aside, fresh per request) and whether
the signature verifies with the client's key. A ``crit`` header counts with the extension members
it lists (RFC 7515 §4.1.11 requires them), an unsigned ``alg`` with its missing signature.
"""

from __future__ import annotations

import json
import time

import jwt
import pytest

from conformance.client.auth import signing_key
from conformance.client.jose import DpopKey, b64url_decode
from conformance.profile import load_profile
from conformance.suite.test_token import BAD_ASSERTIONS, assertion_vector
from conformance.suite.test_use import BAD_PROOFS, HTU_FORMS, MADE_UP_NONCE, proof_vector
from conformance.vocabulary import JWT_METHODS

NOW = time.time()


def _parts(token: str) -> tuple[dict, dict, bytes, bytes]:
    head, payload, signature = token.split(".")
    return (json.loads(b64url_decode(head)), json.loads(b64url_decode(payload)), f"{head}.{payload}".encode(),
            b64url_decode(signature) if signature else b"")


def _verifies(token: str, key) -> bool:
    header, _, message, signature = _parts(token)
    algorithm = jwt.algorithms.get_default_algorithms().get(header.get("alg"))
    if algorithm is None or not signature:
        return False
    try:
        return bool(algorithm.verify(message, algorithm.prepare_key(key), signature))
    except Exception:
        return False


def _jwt_respects(valid: str, mutated: str, key) -> set[str]:
    vh, vc, _, _ = _parts(valid)
    mh, mc, _, _ = _parts(mutated)
    assert _verifies(valid, key), "the valid JWT does not verify"
    crit_members = set(mh.get("crit") or []) - set(vh.get("crit") or [])
    respects = {f"header {k}" for k in vh.keys() | mh.keys() if vh.get(k) != mh.get(k) and k not in crit_members}
    respects |= {f"claim {k}" for k in vc.keys() | mc.keys() if k != "jti" and vc.get(k) != mc.get(k)}
    if vh.get("alg") == mh.get("alg") and not _verifies(mutated, key):
        respects.add("signature")
    return respects


def _form(spec) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in spec.form_items():
        out.setdefault(name, []).append(value)
    return out


@pytest.fixture(scope="module")
def jwt_clients(tmp_path_factory):
    from conformance.server import ReferenceServer

    with ReferenceServer() as srv:  # its profile names one main client per JWT method and alg
        profile = load_profile(srv.profile_path)
        yield profile, [c for c in profile.main_clients.values() if c.auth_method in JWT_METHODS]


@pytest.mark.parametrize("defect", BAD_ASSERTIONS)
def test_each_bad_assertion_has_one_fault(jwt_clients, defect):
    profile, clients = jwt_clients
    assert {c.auth_method for c in clients} == set(JWT_METHODS)
    for client in clients:
        key = client.client_secret if client.auth_method == "client_secret_jwt" else signing_key(client).public_key()
        valid, mutated = assertion_vector(profile, client, defect, now=NOW)
        assert (valid.method, valid.url, valid.headers, valid.identity) == \
            (mutated.method, mutated.url, mutated.headers, mutated.identity)
        vf, mf = _form(valid), _form(mutated)
        respects = {f"form {k}" for k in vf.keys() | mf.keys() if k != "client_assertion" and vf.get(k) != mf.get(k)}
        if len(vf["client_assertion"]) != len(mf["client_assertion"]):
            respects.add("form client_assertion (count)")
        respects |= _jwt_respects(vf["client_assertion"][0], mf["client_assertion"][0], key)
        assert len(respects) == 1, f"{defect} / {client.label}: {sorted(respects)}"
        if defect != "client-id-mismatch":  # RFC 7521 §4.2: a body client_id names the assertion's client
            sub = _parts(mf["client_assertion"][0])[1].get("sub")
            assert mf.get("client_id", [sub]) == [sub], f"{defect} / {client.label}: client_id {mf['client_id']}"


@pytest.mark.parametrize("proof", list(BAD_PROOFS))
def test_each_bad_dpop_proof_has_one_fault(proof):
    key, url = DpopKey.generate(), "https://as.example/token"
    valid = proof_vector(key, url, None, "a-nonce", now=NOW)
    mutated = proof_vector(key, url, proof, "a-nonce", now=NOW)
    public = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(_parts(valid)[0]["jwk"]))
    if isinstance(mutated, list):
        respects = {"header DPoP (count)"} | _jwt_respects(valid, mutated[0], public)
    else:
        respects = _jwt_respects(valid, mutated, public)
    assert len(respects) == 1, f"{proof}: {sorted(respects)}"


@pytest.mark.parametrize("proof", [MADE_UP_NONCE, *HTU_FORMS])
def test_each_nonce_and_htu_vector_changes_one_claim(proof):
    """DCR-TOK-025's htu forms and DCR-TOK-026's made-up nonce: the same proof, one claim changed."""
    key, url = DpopKey.generate(), "https://as.example/token"
    valid = proof_vector(key, url, None, "a-nonce", now=NOW)
    mutated = proof_vector(key, url, proof, "a-nonce", now=NOW)
    public = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(_parts(valid)[0]["jwk"]))
    claim = "nonce" if proof == MADE_UP_NONCE else "htu"
    assert _jwt_respects(valid, mutated, public) == {f"claim {claim}"}, proof


def test_a_two_fault_vector_would_be_seen(jwt_clients):
    """The diff is not blind: the old sub-not-client vector (sub and a body client_id naming
    different clients) shows two faults."""
    profile, clients = jwt_clients
    client = next(c for c in clients if c.auth_method == "private_key_jwt")
    valid, mutated = assertion_vector(profile, client, "sub-not-client", now=NOW)
    mutated = mutated.with_form(client_id=client.client_id)  # what the vector sent before
    vf, mf = _form(valid), _form(mutated)
    respects = {f"form {k}" for k in vf.keys() | mf.keys() if k != "client_assertion" and vf.get(k) != mf.get(k)}
    respects |= _jwt_respects(vf["client_assertion"][0], mf["client_assertion"][0], signing_key(client).public_key())
    assert respects == {"form client_id", "claim sub"}
