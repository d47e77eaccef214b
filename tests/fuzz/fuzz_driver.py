"""Run the suite against a reference server started in this process; report what the server keeps.

    python tests/fuzz/fuzz_driver.py DEFECT|- RESULT.json PYTEST-ARGS...

Starts a :class:`~conformance.server.ReferenceServer` (with DEFECT, ``-`` for none), runs
``pytest.main(PYTEST-ARGS + --dcr-profile <its profile>)`` in this process, then writes the exit
status, the number of clients left in the server's store and the main clients' secrets (so the
caller can check that no output shows them) to RESULT.json. The server and the suite share one
process, as with the embedded server of a plain run; the caller runs several drivers at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conformance.server import ReferenceServer


def main(argv: list[str]) -> int:
    defect, result_path, *args = argv
    with ReferenceServer(defect=None if defect == "-" else defect) as srv:
        code = pytest.main([*args, "--dcr-profile", str(srv.profile_path)])
        left = srv.store.count_clients()
        secrets = [p.read_text() for p in (srv.profile_path.parent / "secrets").glob("*.txt")]
    Path(result_path).write_text(json.dumps({"exit": int(code), "clients_left": left, "secrets": secrets}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
