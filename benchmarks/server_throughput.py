"""Throughput of the reference server for the three DCR-fallback steps, on loopback only.

    .venv/bin/python benchmarks/server_throughput.py [--seconds 1.0] [--levels 1,8,32]

Starts ``python -m conformance.server`` in a subprocess (so client and server do not share a
GIL), then for each step and concurrency level sends requests over pooled HTTPS keep-alive
connections (one ``httpx.Client``, N worker threads) for a fixed time and prints requests per
second and latency percentiles:

- token:    main client (client_secret_basic), ``client_credentials`` + ``scope=dcr``;
- register: RFC 7591 registration with a fresh initial token each (tokens fetched beforehand);
- use:      dynamic client ``client_credentials`` with a fresh DPoP proof (server nonce known).

Bounded in time: setup plus ``3 x len(levels) x seconds`` (well under 30 s by default).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote_plus

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

HAAPI = "urn:se:curity:scopes:haapi"


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


class Target:
    """The server subprocess and what the profile says about it."""

    def __init__(self, workdir: Path) -> None:
        profile = workdir / "profile.toml"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "conformance.server", "--port", "0", "--write-profile",
             str(profile)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("Ctrl-C") or not line:
                break
        data = tomllib.loads(profile.read_text())
        self.server = data["server"]
        basic = data["main_clients"]["basic"]
        self.main_id = basic["client_id"]
        self.main_secret = (profile.parent / basic["client_secret_file"]).read_text()
        context = ssl.create_default_context(cafile=self.server["ca_bundle"])
        self.context = context

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_level(fn, concurrency: int, seconds: float, client: httpx.Client) -> dict:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(_):
        nonlocal errors
        local, bad = [], 0
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            ok = fn(client)
            if ok is None:  # nothing left to send (pre-fetched tokens exhausted)
                break
            local.append(time.perf_counter() - start)
            bad += not ok
        with lock:
            latencies.extend(local)
            errors += bad

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa
    return {"n": len(latencies), "s": elapsed, "rps": len(latencies) / elapsed,
            "p50": pick(0.5) if latencies else 0.0, "p95": pick(0.95) if latencies else 0.0,
            "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per step and level")
    parser.add_argument("--levels", default="1,8,32", help="concurrency levels")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    with tempfile.TemporaryDirectory(prefix="dcr-bench-") as tmp:
        target = Target(Path(tmp))
        try:
            rows = bench(target, levels, args.seconds)
        finally:
            target.stop()
    print(f"{'step':<9} {'conc':>4} {'requests':>8} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'errors':>6}")
    for step, level, r in rows:
        print(f"{step:<9} {level:>4} {r['n']:>8} {r['rps']:>8.0f} {r['p50']:>7.1f} "
              f"{r['p95']:>7.1f} {r['errors']:>6}")
    return 0


def bench(target: Target, levels: list[int], seconds: float) -> list:
    server = target.server
    token_url, reg_url = server["token_endpoint"], server["registration_endpoint"]
    main_auth = _basic(target.main_id, target.main_secret)
    form = {"grant_type": "client_credentials", "scope": "dcr"}
    limits = httpx.Limits(max_connections=max(levels), max_keepalive_connections=max(levels))
    client = httpx.Client(verify=target.context, timeout=10, limits=limits)
    rows = []

    def token_step(c):
        return c.post(token_url, data=form, headers=main_auth).status_code == 200

    for level in levels:
        rows.append(("token", level, run_level(token_step, level, seconds, client)))

    # Registration: initial tokens fetched beforehand so only registration is timed.
    budget = int(max(r["rps"] for _, _, r in rows) * seconds * 0.9) + 50
    with ThreadPoolExecutor(max(levels)) as pool:
        tokens = list(pool.map(lambda _: client.post(token_url, data=form, headers=main_auth)
                               .json()["access_token"], range(budget * len(levels))))
    lock = threading.Lock()
    registered: list[dict] = []

    def register_step(c):
        with lock:
            if not tokens:
                return None
            token = tokens.pop()
        response = c.post(reg_url, json={"software_id": "haapi-template"},
                          headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 201 and len(registered) < 64:
            registered.append(response.json())
        return response.status_code == 201

    for level in levels:
        rows.append(("register", level, run_level(register_step, level, seconds, client)))

    # Use: dynamic clients with DPoP; the nonce is fetched once (valid for minutes).
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    dyn = registered[0]
    dyn_auth = _basic(dyn["client_id"], dyn["client_secret"])
    use_form = {"grant_type": "client_credentials", "scope": HAAPI}

    def proof(nonce=None):
        claims = {"jti": uuid.uuid4().hex, "htm": "POST", "htu": token_url,
                  "iat": int(time.time())}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode(claims, key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": jwk})

    first = client.post(token_url, data=use_form, headers={**dyn_auth, "DPoP": proof()})
    nonce = first.headers.get("DPoP-Nonce")

    def use_step(c):
        response = c.post(token_url, data=use_form, headers={**dyn_auth, "DPoP": proof(nonce)})
        return response.status_code == 200

    for level in levels:
        rows.append(("use", level, run_level(use_step, level, seconds, client)))
    client.close()
    return rows


if __name__ == "__main__":
    sys.exit(main())
