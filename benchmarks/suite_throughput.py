"""A full certification run against a bare httpx loop sending the same requests, side by side.

    .venv/bin/python benchmarks/suite_throughput.py [--rounds 3] [--max-seconds 600] [-k EXPR]

Starts the reference server in this process (initial-token TTL 5 s, read-write TTL 8 s, as the
embedded one) with a recording middleware: every request's arrival time, method, path, headers
and body. Each round, alternating, so that machine load hits every side alike:

1. **suite**: ``dcr-conformance run --profile P`` in a subprocess (everything: pytest, capture,
   redaction, oracles, Allure results, JUnit XML);
2. **suite, no Allure**: the same pytest arguments without ``--alluredir`` and with
   ``-p no:allure_pytest`` (what the Allure layer costs);
3. **bare**: a subprocess sending the requests the suite sent (recorded in round 1, same order,
   method, path, headers and body) over one ``httpx.Client`` keep-alive pool, nothing else.

Figures, measured on the server's clock: **start-up** (command to the suite's first request),
**span** (first to last request), and the span's ratio to the bare loop's; the suite's **wall**
time (command to exit, on this process's clock) and its **ending** (last request to exit); and
the CPU time of each side's process (less sensitive to the machine's load than the wall time).
The designed waits of the run (``initial_token_ttl_s`` + 1 s for DCR-REG-008 / REV-008, the
read-write TTL + 1 s for DCR-MGT-014) are reported beside it; the target is wall <= max(longest
wait, 1.5 x bare) + 1 s.

The bare loop is an approximation of "the same requests": it replays what was sent, so a token
in it is stale or used and the server's answer is often an error, usually cheaper to produce than
the original answer; mutual-TLS requests are sent without the client certificate. It is a lower
bound for the wire and server time of the run, not a run of the checks.

Bounded: each suite run has a timeout, and rounds stop after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INITIAL_TTL_S, READ_WRITE_TTL_S, MARGIN_S = 5, 8, 1.0
_SKIP_HEADERS = {"host", "content-length", "connection", "transfer-encoding"}


class Recorder:
    """Middleware of the reference server: when each request came, and what it was."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.requests: list[dict] = []
        self.keep = False

    def reset(self, keep: bool) -> None:
        with self.lock:
            self.times, self.requests, self.keep = [], [], keep

    def __call__(self, app):
        def handle(request):
            now = time.time()
            with self.lock:
                self.times.append(now)
                if self.keep:
                    self.requests.append({
                        "method": request.method,
                        "path": request.path + (f"?{request.query}" if request.query else ""),
                        "headers": [(k, v) for k, v in request.headers.items() if k.lower() not in _SKIP_HEADERS],
                        "body": request.body.decode("latin-1"),
                    })
            return app(request)
        return handle


#: ``dcr-conformance run`` with its pytest arguments, less the Allure ones, and Allure's plugin off.
NO_ALLURE = r"""
import sys, pytest
from conformance.cli import build_parser, pytest_arguments
argv = pytest_arguments(build_parser().parse_args(sys.argv[1:]))
i = argv.index("--alluredir")
argv = argv[:i] + argv[i + 2:]
argv.remove("--clean-alluredir")
sys.exit(int(pytest.main(argv + ["-p", "no:allure_pytest"])))
"""


def run_suite(profile: Path, report_dir: Path, extra: list[str], timeout_s: float,
              allure: bool = True) -> tuple[float, float, int]:
    """Run ``dcr-conformance run``: the wall-clock times it was started and ended at, and its exit status."""
    arguments = ["run", "--profile", str(profile), "--report-dir", str(report_dir), *(["--"] + extra if extra else [])]
    command = [sys.executable, "-m", "conformance.cli"] if allure else [sys.executable, "-c", NO_ALLURE]
    command += arguments
    started = time.time()
    proc = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=timeout_s, env={**os.environ, "CI": "true"})
    return started, time.time(), proc.returncode


BARE_LOOP = r"""
import json, sys, httpx
base, ca, path = sys.argv[1:4]
requests = json.load(open(path))
with httpx.Client(base_url=base, verify=ca, timeout=10, trust_env=False) as client:
    for r in requests:
        client.request(r["method"], r["path"], headers=r["headers"], content=r["body"].encode("latin-1")).read()
"""


def run_bare(base_url: str, ca: str, recorded: Path, timeout_s: float) -> None:
    subprocess.run([sys.executable, "-c", BARE_LOOP, base_url, ca, str(recorded)], cwd=ROOT,
                   check=True, timeout=timeout_s, stdout=subprocess.DEVNULL)


def child_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def span(times: list[float]) -> float:
    return max(times) - min(times) if times else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="start no round after this")
    parser.add_argument("--timeout", type=float, default=300.0, help="per suite run")
    parser.add_argument("--no-allure-side", action="store_true", help="skip the suite-without-Allure side")
    parser.add_argument("-k", dest="keyword", help="only checks matching EXPR (passed to pytest)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from conformance.profile import load_profile
    from conformance.server import ReferenceServer

    deadline = time.monotonic() + args.max_seconds
    recorder = Recorder()
    extra = ["-k", args.keyword] if args.keyword else []
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="dcr-suite-bench-") as tmp, \
            ReferenceServer(initial_token_ttl_s=INITIAL_TTL_S, registration_token_read_write_ttl_s=READ_WRITE_TTL_S,
                            middleware=recorder) as server:
        profile = load_profile(server.profile_path)
        ca = str(profile.server.ca_bundle)
        recorded = Path(tmp) / "requests.json"
        for number in range(1, args.rounds + 1):
            if number > 1 and time.monotonic() > deadline:
                break
            row: dict = {"round": number}
            recorder.reset(keep=number == 1)
            cpu = child_cpu()
            started, ended, code = run_suite(server.profile_path, Path(tmp) / f"reports-{number}", extra, args.timeout)
            row.update(startup=min(recorder.times) - started, suite=span(recorder.times), requests=len(recorder.times),
                       ending=ended - max(recorder.times), wall=ended - started, status=code,
                       suite_cpu=child_cpu() - cpu)
            if number == 1:
                recorded.write_text(json.dumps(recorder.requests))
            if not args.no_allure_side:
                recorder.reset(keep=False)
                cpu = child_cpu()
                run_suite(server.profile_path, Path(tmp) / f"reports-plain-{number}", extra, args.timeout, allure=False)
                row.update(no_allure=span(recorder.times), no_allure_cpu=child_cpu() - cpu)
            recorder.reset(keep=False)
            cpu = child_cpu()
            run_bare(server.base_url, ca, recorded, args.timeout)
            row.update(bare=span(recorder.times), bare_cpu=child_cpu() - cpu)
            rows.append(row)
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), flush=True)

    longest_wait = max(INITIAL_TTL_S, READ_WRITE_TTL_S) + MARGIN_S
    med = {key: statistics.median(r[key] for r in rows) for key in rows[0] if key not in ("round", "status")}
    ratio = statistics.median(r["suite"] / r["bare"] for r in rows)
    print(f"\n{int(med['requests'])} requests per run; medians of {len(rows)} alternating rounds (server clock):")
    print(f"  start-up, command to first request: {med['startup']:.2f} s")
    print(f"  suite span {med['suite']:.2f} s, bare loop {med['bare']:.2f} s: suite/bare = {ratio:.2f}")
    if "no_allure" in med:
        print(f"  suite without Allure {med['no_allure']:.2f} s: "
              f"{statistics.median(r['no_allure'] / r['bare'] for r in rows):.2f} x bare; Allure adds "
              f"{statistics.median((r['suite'] - r['no_allure']) / r['suite'] for r in rows):.0%} of the span")
    cpu_line = f"  client CPU (whole process, start-up included): suite {med['suite_cpu']:.1f} s"
    if "no_allure_cpu" in med:
        cpu_line += f", without Allure {med['no_allure_cpu']:.1f} s"
    print(cpu_line + f", bare {med['bare_cpu']:.1f} s: suite/bare = "
          f"{statistics.median(r['suite_cpu'] / r['bare_cpu'] for r in rows):.1f}")
    print(f"  suite wall, command to exit: {med['wall']:.2f} s (after the last request: {med['ending']:.2f} s)")
    target = max(longest_wait, 1.5 * med["bare"]) + 1
    met = sum(r["wall"] <= target for r in rows)
    print(f"  longest designed wait {longest_wait:.0f} s; target wall <= max(wait, 1.5 x bare) + 1 s = {target:.1f} s: "
          f"{'met' if med['wall'] <= target else 'NOT met'} (in {met} of {len(rows)} rounds)")
    return 0 if all(r["status"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
