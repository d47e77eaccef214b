"""Per-request cost of the client transport (capture, redaction, deadline, size cap), side by side.

    .venv/bin/python benchmarks/transport_overhead.py [--requests 2000] [--rounds 3] [--baseline-rev REV]

Starts the reference server (``python -m conformance.server``) in a subprocess on loopback and sends
``--requests`` small requests per round, one at a time over a keep-alive connection, the
main-client token request (``client_credentials``, ``scope=dcr``, a JSON answer of a few hundred
bytes), through:

* ``transport``: :class:`conformance.client.http.Transport` as it is in the working tree;
* ``baseline``: the same class from git revision ``--baseline-rev`` (its ``http.py`` loaded
  beside the current one), or, without the option, a bare ``httpx.Client`` with the same TLS
  context and no capture.

Rounds alternate between the two, so machine load affects both alike. Prints, per side, the best
round's requests per second, wall time and client CPU time (the sending thread's) per request,
and the differences. On a busy machine the wall time is noisy; the client CPU time is not.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from urllib.parse import quote_plus

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conformance.client.http import RequestSpec, Transport  # noqa: E402


class Target:
    def __init__(self, workdir: Path) -> None:
        profile = workdir / "profile.toml"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "conformance.server", "--port", "0", "--write-profile", str(profile)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("Ctrl-C") or not line:
                break
        data = tomllib.loads(profile.read_text())
        self.server = data["server"]
        basic = data["main_clients"]["basic"]
        self.main_id = basic["client_id"]
        self.main_secret = (profile.parent / basic["client_secret_file"]).read_text()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _load(rev: str, path: str):
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{path}"],
                            capture_output=True, text=True, check=True).stdout
    spec = importlib.util.spec_from_loader(f"baseline_{Path(path).stem}", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)  # noqa: S102
    return module


def _baseline_module(rev: str):
    """``http.py`` of ``rev``, redacting with the ``redact.py`` of ``rev``."""
    module = _load(rev, "conformance/client/http.py")
    module.Redactor = _load(rev, "conformance/client/redact.py").Redactor
    return module


def _basic(target: Target) -> dict[str, str]:
    raw = f"{quote_plus(target.main_id)}:{quote_plus(target.main_secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


FORM = {"grant_type": "client_credentials", "scope": "dcr"}


def _token_spec(target: Target, spec_class):
    return spec_class("POST", target.server["token_endpoint"], headers=_basic(target), form=dict(FORM))


def _round_transport(transport_class, spec_class, target: Target, n: int) -> float:
    with transport_class(target.server["ca_bundle"], timeout_s=10) as transport:
        spec = _token_spec(target, spec_class)
        transport.send(spec)  # connect outside the timing
        transport.exchanges.clear()
        start, cpu = time.perf_counter(), time.thread_time()
        for _ in range(n):
            ex = transport.send(spec)
            if ex.status != 200:
                raise SystemExit(f"unexpected answer: {ex.describe()}")
            if len(transport.exchanges) > 200:  # keep the log (and the memory) small
                transport.exchanges.clear()
        return time.perf_counter() - start, time.thread_time() - cpu


def _round_bare(target: Target, n: int) -> float:
    context = Transport(target.server["ca_bundle"]).ssl_context()
    with httpx.Client(verify=context, timeout=10) as client:
        headers = _basic(target)
        client.post(target.server["token_endpoint"], data=FORM, headers=headers)
        start, cpu = time.perf_counter(), time.thread_time()
        for _ in range(n):
            response = client.post(target.server["token_endpoint"], data=FORM, headers=headers)
            response.json()
            if response.status_code != 200:
                raise SystemExit(f"unexpected answer: {response.status_code}")
        return time.perf_counter() - start, time.thread_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-rev", help="git revision whose Transport is the baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dcr-bench-") as tmp:
        target = Target(Path(tmp))
        try:
            if args.baseline_rev:
                old = _baseline_module(args.baseline_rev)
                label = f"Transport @ {args.baseline_rev}"
                baseline = lambda: _round_transport(old.Transport, old.RequestSpec, target, args.requests)  # noqa: E731
            else:
                label = "bare httpx.Client"
                baseline = lambda: _round_bare(target, args.requests)  # noqa: E731
            times = {"transport": [], "baseline": []}
            for _ in range(args.rounds):
                times["baseline"].append(baseline())
                times["transport"].append(_round_transport(Transport, RequestSpec, target, args.requests))
        finally:
            target.stop()
    n = args.requests
    best = {k: (min(w for w, _ in v), min(c for _, c in v)) for k, v in times.items()}
    for key, name in (("baseline", label), ("transport", "Transport (working tree)")):
        runs = ", ".join(f"{n / w:.0f}" for w, _ in times[key])
        wall, cpu = best[key]
        print(f"{name:28} best {n / wall:6.0f} req/s, {wall / n * 1e6:6.0f} us wall and {cpu / n * 1e6:5.0f} us "
              f"client CPU per request (rounds: {runs} req/s)")
    (bw, bc), (tw, tc) = best["baseline"], best["transport"]
    print(f"difference per request (best rounds): {(tw - bw) / n * 1e6:+.0f} us wall, {(tc - bc) / n * 1e6:+.0f} us client CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
