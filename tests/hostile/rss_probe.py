"""Run in a fresh process: send one GET per URL through a Transport and report, per request, the
growth of the process's peak RSS (``ru_maxrss``) over a warmed-up baseline.

    python rss_probe.py CA_BUNDLE TIMEOUT_S WARM_URL URL [URL ...]   -> one JSON line per URL
"""

from __future__ import annotations

import json
import resource
import sys
import time

from conformance.client.http import RequestSpec, Transport


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def main(ca: str, timeout: str, warm: str, *urls: str) -> None:
    with Transport(ca, timeout_s=float(timeout)) as transport:
        for _ in range(3):  # imports, TLS contexts, pools: part of the baseline
            transport.send(RequestSpec("GET", warm))
        for url in urls:
            before = peak_kib()
            start = time.perf_counter()
            ex = transport.send(RequestSpec("GET", url))
            seconds = time.perf_counter() - start
            print(json.dumps({"url": url, "growth_mib": (peak_kib() - before) / 1024, "seconds": seconds,
                              "error": ex.error, "failure": ex.failure, "status": ex.status,
                              "baseline_mib": before / 1024}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
