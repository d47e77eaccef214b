"""The embedded reference server for a load run, in a process of its own.

Locust patches the load process for gevent, and the server must not share that process's core
anyway: ``python -m conformance.load.embedded`` runs a
:class:`~conformance.server.reference.ReferenceServer` and answers one JSON line per command on
stdin (``count``: the client store's size; ``ids``: its client ids; ``stop``, or end of input:
stop). It runs in its own session, so a Ctrl-C meant for the load run does not stop it before
the cleanup. ``--latency-ms`` wraps the server's app (its ``middleware`` option) to answer every
request that much later: the deliberately slow server that misses objectives.
"""

from __future__ import annotations

import argparse
import json
import select
import subprocess
import sys
import time
from typing import Any

START_TIMEOUT_S = 60.0
ANSWER_TIMEOUT_S = 10.0


def slow(latency_s: float):
    """A ``ReferenceServer`` middleware answering every request ``latency_s`` later."""

    def wrap(app):
        def handle(request):
            time.sleep(latency_s)
            return app(request)

        return handle

    return wrap


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.load.embedded")
    parser.add_argument("--defect")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args(argv)
    from conformance.server.reference import ReferenceServer

    middleware = slow(args.latency_ms / 1000.0) if args.latency_ms > 0 else None
    with ReferenceServer(defect=args.defect, middleware=middleware) as srv:
        print(json.dumps({"base_url": srv.base_url, "profile": str(srv.profile_path),
                          "count": srv.store.count_clients()}), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "count":
                print(json.dumps({"count": srv.store.count_clients()}), flush=True)
            elif command == "ids":
                print(json.dumps({"ids": srv.store.client_ids()}), flush=True)
            elif command == "stop":
                break
    return 0


class EmbeddedServer:
    """The parent's handle on the server process."""

    def __init__(self, defect: str | None = None, latency_ms: float = 0.0) -> None:
        argv = [sys.executable, "-m", "conformance.load.embedded"]
        if defect:
            argv += ["--defect", defect]
        if latency_ms:
            argv += ["--latency-ms", str(latency_ms)]
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        start_new_session=True)
        first = self._answer(START_TIMEOUT_S)
        self.base_url: str = first["base_url"]
        self.profile: str = first["profile"]

    def _answer(self, timeout_s: float) -> dict[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout_s)
        line = stdout.readline() if ready else ""
        if not line:
            self.stop()
            raise RuntimeError("the embedded reference server did not answer (see its errors above)")
        return json.loads(line)

    def _ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._answer(ANSWER_TIMEOUT_S)

    def count(self) -> int:
        return int(self._ask("count")["count"])

    def client_ids(self) -> list[str]:
        return list(self._ask("ids")["ids"])

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write("stop\n")
                self.process.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


if __name__ == "__main__":
    sys.exit(main())
