"""Fuzzing throughput: DCR-FUZZ-001 registrations per second, against a bare httpx loop.

    .venv/bin/python benchmarks/fuzz_throughput.py [--examples 150] [--rounds 3] [--max-seconds 60]

Starts the reference server (``python -m conformance.server``) in a subprocess on loopback, so the
client side does not share its GIL with the server. Each round has two phases, side by side:

1. **fuzz**: the real DCR-FUZZ-001 machinery (Hypothesis, derandomized; the token pool; the
   session with capture and redaction; the oracle; read-back, use and delete of every client it
   creates) runs ``--examples`` registration attempts, and records the registration bodies it
   sent;
2. **bare**: one ``httpx.Client`` sends the same sequence with no Hypothesis, capture or oracle:
   per attempt an initial token, the recorded registration body, and for a 201 the same
   follow-ups (RFC 7592 read, the client's DPoP token request with the server nonce, delete).

It prints attempts and requests per second of both, their ratio, and the client CPU per attempt
(the process's, the token pool's thread included). Bounded in time: the
rounds stop once ``--max-seconds`` have passed (setup included), and every request has a timeout.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from conformance.client.http import Transport
from conformance.client.session import DcrSession
from conformance.fuzz.budget import Budget
from conformance.fuzz.pool import TokenPool
from conformance.fuzz.run import run_property
from conformance.fuzz.strategies import registration_payloads
from conformance.oracles.registration_faults import Payload
from conformance.profile import load_profile
from conformance.suite.test_fuzz_registration import RegistrationAttempt

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def start_server(workdir: Path) -> tuple[subprocess.Popen, Path]:
    profile = workdir / "profile.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance.server", "--port", "0", "--write-profile", str(profile)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not profile.exists():
        line = proc.stdout.readline()
        if not line:
            break
    while time.monotonic() < deadline and not profile.exists():
        time.sleep(0.05)
    if not profile.exists():
        proc.kill()
        raise SystemExit("the reference server did not start")
    time.sleep(0.2)  # the profile is written before the listener thread starts
    return proc, profile


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


class RecordingAttempt(RegistrationAttempt):
    """The check's attempt, recording each registration body and media type it sent."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.sequence: list[tuple[bytes, str | None]] = []

    def send(self, payload: Payload, token: str):
        dyn, ex = super().send(payload, token)
        body = ex.sent_body
        ctype = ex.spec.header("Content-Type")
        self.sequence.append((body or b"", ctype if isinstance(ctype, str) else None))
        return dyn, ex


def fuzz_phase(dcr_session: DcrSession, examples: int) -> dict:
    budget = Budget(examples=examples, derandomize=True)
    label = next(iter(dcr_session.profile.main_clients))
    before = len(dcr_session.transport.exchanges)
    started, cpu = time.perf_counter(), time.process_time()
    with TokenPool(dcr_session, label, depth=min(8, examples), limit=examples) as pool:  # as in the check
        attempt = RecordingAttempt(dcr_session, dcr_session.profile, pool, pool)

        def fuzzed_registration(payload: Payload) -> None:
            attempt(payload)

        run_property(budget, fuzzed_registration, ahead=True, payload=registration_payloads(dcr_session.profile.template))
    seconds = time.perf_counter() - started
    return {"attempts": attempt.attempts, "created": attempt.created, "seconds": seconds,
            "cpu": time.process_time() - cpu,
            "requests": len(dcr_session.transport.exchanges) - before, "sequence": attempt.sequence}


def _basic(client_id: str, secret: str) -> str:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def bare_phase(profile, sequence: list[tuple[bytes, str | None]]) -> dict:
    """The same registration attempts with one httpx.Client and nothing else."""
    server = profile.server
    main = next(iter(profile.main_clients.values()))
    main_auth = {"Authorization": _basic(main.client_id, main.client_secret), "Accept": "application/json"}
    token_url, reg_url = server.token_endpoint, server.registration_endpoint
    use_form = {"grant_type": "client_credentials", "scope": profile.use.scope or profile.template.scope}
    nonce: str | None = None
    requests = created = 0

    def proof(key, jwk: dict, value: str | None) -> str:
        claims = {"jti": uuid.uuid4().hex, "htm": "POST", "htu": token_url, "iat": int(time.time())}
        if value:
            claims["nonce"] = value
        return jwt.encode(claims, key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": jwk})

    started, cpu = time.perf_counter(), time.process_time()
    with httpx.Client(verify=str(server.ca_bundle), timeout=10, trust_env=False) as client:
        for body, ctype in sequence:
            token = client.post(token_url, data={"grant_type": "client_credentials", "scope": "dcr"},
                                headers=main_auth).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if ctype is not None:
                headers["Content-Type"] = ctype
            response = client.post(reg_url, content=body, headers=headers)
            requests += 2
            if response.status_code != 201:
                continue
            created += 1
            info = response.json()
            uri, rat, secret = info["registration_client_uri"], info["registration_access_token"], info["client_secret"]
            read = client.get(uri, headers={"Authorization": f"Bearer {rat}", "Accept": "application/json"})
            requests += 1
            if read.status_code == 200:
                rat = read.json().get("registration_access_token") or rat
                secret = read.json().get("client_secret") or secret
            dyn_auth = {"Authorization": _basic(info["client_id"], secret), "Accept": "application/json"}
            key = ec.generate_private_key(ec.SECP256R1())  # each client its own DPoP key, as the suite's
            jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
            use = client.post(token_url, data=use_form, headers={**dyn_auth, "DPoP": proof(key, jwk, nonce)})
            requests += 1
            if use.status_code == 400 and use.headers.get("DPoP-Nonce"):
                nonce = use.headers["DPoP-Nonce"]
                use = client.post(token_url, data=use_form, headers={**dyn_auth, "DPoP": proof(key, jwk, nonce)})
                requests += 1
            client.delete(uri, headers={"Authorization": f"Bearer {rat}"})
            requests += 1
    return {"attempts": len(sequence), "created": created, "seconds": time.perf_counter() - started,
            "cpu": time.process_time() - cpu, "requests": requests}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=150, help="registration attempts per phase (default 150)")
    parser.add_argument("--rounds", type=int, default=3, help="fuzz/bare rounds (default 3)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="stop starting rounds after this (default 60)")
    args = parser.parse_args()
    deadline = time.monotonic() + args.max_seconds

    with tempfile.TemporaryDirectory(prefix="dcr-fuzz-bench-") as tmp:
        proc, profile_path = start_server(Path(tmp))
        try:
            profile = load_profile(profile_path)
            host = urlsplit(profile.server.registration_endpoint).hostname
            if host not in LOOPBACK:
                raise SystemExit(f"refusing to benchmark a non-loopback target: {host}")
            transport = Transport.for_profile(profile)
            dcr_session = DcrSession(profile, transport)
            fuzz_phase(dcr_session, 10)  # warm-up: imports, TLS, strategies
            rows = []
            for number in range(1, args.rounds + 1):
                if time.monotonic() > deadline:
                    break
                fuzz = fuzz_phase(dcr_session, args.examples)
                bare = bare_phase(profile, fuzz["sequence"])
                rows.append((number, fuzz, bare))
            transport.close()
        finally:
            stop_server(proc)

    print(f"{'round':>5} {'attempts':>8} {'201s':>5} {'fuzz att/s':>10} {'fuzz req/s':>10} "
          f"{'bare att/s':>10} {'bare req/s':>10} {'fuzz/bare':>9} {'CPU ms/att fuzz':>15} {'bare':>5}")
    ratios, rates = [], []
    for number, fuzz, bare in rows:
        f_rate, b_rate = fuzz["attempts"] / fuzz["seconds"], bare["attempts"] / bare["seconds"]
        ratios.append(f_rate / b_rate)
        rates.append(f_rate)
        print(f"{number:>5} {fuzz['attempts']:>8} {fuzz['created']:>5} {f_rate:>10.0f} "
              f"{fuzz['requests'] / fuzz['seconds']:>10.0f} {b_rate:>10.0f} "
              f"{bare['requests'] / bare['seconds']:>10.0f} {ratios[-1]:>9.2f} "
              f"{fuzz['cpu'] / fuzz['attempts'] * 1000:>15.1f} {bare['cpu'] / bare['attempts'] * 1000:>5.1f}")
    if ratios:
        median = statistics.median(ratios)
        print(f"median fuzz/bare ratio {median:.2f}: the fuzzing machinery runs at {median:.0%} of a bare "
              f"httpx loop sending the same registrations ({1 / median:.1f}x the time); median "
              f"{statistics.median(rates):.0f} fuzzed registrations/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
