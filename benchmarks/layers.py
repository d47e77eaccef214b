"""The harness's cost per HTTP exchange, layer by layer, against a bare httpx request, side by side.

    .venv/bin/python benchmarks/layers.py [--exchanges 300] [--rounds 5] [--tests 300]

Starts the reference server (``python -m conformance.server``) in a subprocess on loopback, and
records a corpus of real exchanges of the DCR steps through
:class:`~conformance.client.session.DcrSession` (initial token, registration, read-back, the
dynamic client's DPoP token request, delete). Then, per round, alternating, the client CPU time
(this process's) of:

* **bare**: ``httpx.Client`` sending the corpus's requests again (as sent, same bodies and
  headers) over one keep-alive connection: the floor a request costs;
* **transport**: :meth:`Transport.send` of the same specs (capture, redaction, deadline, size cap,
  JSON parsed once);
* **capture**: ``Transport._capture`` alone, on the corpus's responses (no network);
* **redaction**: the redactor's calls of a capture alone (URL, headers, bodies);
* **allure**: one step and one redacted transcript file per exchange
  (``allure_results._exchange_step`` into a test result, the run's writer, synchronous here) and
  the result file of a test with those steps;
* **pytest**: per test, a pytest run of ``--tests`` empty tests with allure-pytest, the dcr
  plugins and JUnit XML on, minus the same run with them off (``-p no:...``), in subprocesses
  (their CPU).

Prints the median µs of client CPU per exchange (per test for pytest) and each layer's ratio to
a bare request. Bounded: every request has a timeout, the corpus and the rounds are fixed sizes,
each pytest run has a timeout. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.fuzz_throughput import start_server, stop_server  # noqa: E402
from conformance.client.http import Transport  # noqa: E402
from conformance.client.session import DcrSession  # noqa: E402
from conformance.profile import load_profile  # noqa: E402


def corpus(session: DcrSession, exchanges: int) -> list:
    """Real exchanges of the five DCR steps, ``exchanges`` of them (about)."""
    label = next(iter(session.profile.main_clients))
    start = len(session.transport.exchanges)
    while len(session.transport.exchanges) - start < exchanges:
        token, _ = session.initial_token(label)
        dyn, _ = session.register(token)
        if dyn is not None:
            session.read(dyn)
            session.use(dyn)
            session.delete(dyn)
    return [e for e in session.transport.exchanges[start:] if e.response is not None and e.spec is not None]


def cpu_per(items: int, work) -> float:
    """Client CPU µs per item of ``work()``."""
    started = time.process_time()
    work()
    return (time.process_time() - started) / items * 1e6


def bare(profile, exchanges) -> None:
    ca = str(profile.server.ca_bundle)
    with httpx.Client(verify=ca, timeout=10, trust_env=False) as client:
        for ex in exchanges:
            spec = ex.spec
            body, _ = spec.body()
            client.request(spec.method, spec.url, headers=spec.header_items(), content=body).read()


def transport(transport_: Transport, exchanges) -> None:
    for ex in exchanges:
        transport_.send(ex.spec)


def capture(transport_: Transport, exchanges) -> None:
    for ex in exchanges:
        body, _ = ex.spec.body()
        transport_._capture(ex.spec, ex.spec.header_items(), body, None, ex.response, None, ex.elapsed_s)


def redaction(transport_: Transport, exchanges) -> None:
    red = transport_.redactor
    for ex in exchanges:
        body, ctype = ex.spec.body()
        red.redact_url(ex.spec.url)
        red.redact_headers(ex.spec.header_items())
        red.redact_body((body or b"").decode("utf-8", "replace"), ctype)
        red.redact_headers([(k.decode(), v.decode()) for k, v in ex.response.headers.raw])
        red.redact_body(ex.response.text, ex.response.headers.get("content-type"))


def allure(workdir: Path, redact, exchanges) -> None:
    from allure_commons.model2 import TestResult

    from conformance.reporting.allure_results import RedactingFileLogger, _exchange_step

    writer = RedactingFileLogger(workdir, redact)
    test = TestResult(uuid="bench", name="bench")
    now = time.time()
    for ex in exchanges:
        _exchange_step(test, ex, now, None, writer)  # a TypeError in trees older than the writer argument
    writer.report_result(test)


PYTEST_FILE = "import pytest\n\n@pytest.mark.parametrize('n', range({tests}))\ndef test_nothing(n):\n    pass\n"
OFF = ["-p", "no:allure_pytest", "-p", "no:dcr_conformance", "-p", "no:dcr_conformance_reporting", "-p", "no:junitxml"]


def pytest_cpu(workdir: Path, tests: int, plugins: bool) -> float:
    """CPU seconds of a pytest run of ``tests`` empty tests, with or without the reporting plugins."""
    path = workdir / "test_bench_hooks.py"
    path.write_text(PYTEST_FILE.format(tests=tests))
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path), "-p", "no:randomly"]
    if plugins:
        args += ["--alluredir", str(workdir / "allure"), "--junitxml", str(workdir / "junit.xml")]
    else:
        args += OFF
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tests", type=int, default=300, help="empty tests per pytest run (default 300)")
    args = parser.parse_args()
    rows: dict[str, list[float]] = {k: [] for k in ("bare", "transport", "capture", "redaction", "allure", "pytest")}
    with tempfile.TemporaryDirectory(prefix="dcr-layers-") as tmp:
        proc, profile_path = start_server(Path(tmp))
        try:
            profile = load_profile(profile_path)
            live = Transport.for_profile(profile)
            session = DcrSession(profile, live)
            exchanges = corpus(session, args.exchanges)
            n = len(exchanges)
            for number in range(args.rounds):
                rows["bare"].append(cpu_per(n, lambda: bare(profile, exchanges)))
                rows["transport"].append(cpu_per(n, lambda: transport(live, exchanges)))
                rows["capture"].append(cpu_per(n, lambda: capture(live, exchanges)))
                rows["redaction"].append(cpu_per(n, lambda: redaction(live, exchanges)))
                out = Path(tmp) / f"allure-{number}"
                out.mkdir()
                try:
                    rows["allure"].append(cpu_per(n, lambda: allure(out, live.redactor.redact_text, exchanges)))
                except TypeError:  # an older tree: its steps need allure-pytest's listener (not measured)
                    rows["allure"].append(float("nan"))
                with_plugins = pytest_cpu(Path(tmp), args.tests, True)
                without = pytest_cpu(Path(tmp), args.tests, False)
                rows["pytest"].append((with_plugins - without) / args.tests * 1e6)
            live.close()
        finally:
            stop_server(proc)
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(f"client CPU per exchange, medians of {args.rounds} alternating rounds over {n} recorded exchanges:")
    for key, label in (("bare", "bare httpx request"), ("transport", "Transport.send (everything of the client)"),
                       ("capture", "  of which capture (redaction included)"), ("redaction", "  of which redaction"),
                       ("allure", "Allure step + redacted transcript file"),
                       ("pytest", "pytest + allure-pytest + dcr plugins + JUnit, per test")):
        print(f"  {label:<58} {med[key]:8.0f} µs  {med[key] / med['bare']:5.2f} x bare")
    print(json.dumps({k: round(v, 1) for k, v in med.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
