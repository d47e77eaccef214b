"""Start-up: from the command to the first request the target sees, against a bare Python process.

    .venv/bin/python benchmarks/startup.py [--rounds 5] [-k DCR-TOK-001]

Starts the reference server in this process with a middleware noting when each request arrives,
then, alternating, ``--rounds`` times each:

* **run**: ``python -m conformance.cli run --profile P -k EXPR`` (``dcr-conformance run``; run
  as a module so that the tree it is started in is the one measured);
* **bare**: ``python -c "import httpx; httpx.get(<token endpoint>)"`` (interpreter and httpx
  start-up: the floor any Python client pays).

Prints the median time from starting each command to the server seeing its first request, and
the difference. Bounded: every command has a timeout.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.suite_throughput import Recorder  # noqa: E402

BARE = "import sys, httpx; httpx.get(sys.argv[1], verify=sys.argv[2])"


def first_request_after(command: list[str], recorder: Recorder, timeout_s: float) -> float:
    recorder.reset(keep=False)
    started = time.time()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout_s)
    if not recorder.times:
        raise SystemExit(f"no request reached the server: {' '.join(command)}")
    return min(recorder.times) - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("-k", dest="keyword", default="DCR-TOK-001")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    from conformance.profile import load_profile
    from conformance.server import ReferenceServer

    recorder = Recorder()
    runs, bares = [], []
    with tempfile.TemporaryDirectory(prefix="dcr-startup-") as tmp, ReferenceServer(middleware=recorder) as server:
        profile = load_profile(server.profile_path)
        run = [sys.executable, "-m", "conformance.cli", "run", "--profile", str(server.profile_path), "--report-dir", tmp, "-k", args.keyword]
        bare = [sys.executable, "-c", BARE, profile.server.token_endpoint, str(profile.server.ca_bundle)]
        for _ in range(args.rounds):
            runs.append(first_request_after(run, recorder, args.timeout))
            bares.append(first_request_after(bare, recorder, args.timeout))
    run_s, bare_s = statistics.median(runs), statistics.median(bares)
    print(f"command to first request, medians of {args.rounds} alternating rounds:")
    print(f"  dcr-conformance run: {run_s:.2f} s (rounds: {', '.join(f'{x:.2f}' for x in runs)})")
    print(f"  bare python + httpx: {bare_s:.2f} s (rounds: {', '.join(f'{x:.2f}' for x in bares)})")
    print(f"  difference {run_s - bare_s:+.2f} s, ratio {run_s / bare_s:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
