"""The forged credentials of the negatives (conformance.suite.forged) leave nothing behind: their
folder is made when the first file is written and removed when the process exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys, tempfile
tempfile.tempdir = sys.argv[1]
from conformance.suite import forged
paths = []
if sys.argv[2] == "use":
    cert, key = forged.unregistered_self_signed()
    paths = [str(cert), str(key)]
    assert all(__import__("os").path.exists(p) for p in paths)
print(json.dumps(paths))
"""


def _run(scratch: Path, mode: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(scratch), mode], capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout)


def test_importing_makes_no_folder(tmp_path):
    assert _run(tmp_path, "import") == []
    assert list(tmp_path.iterdir()) == []


def test_the_forged_files_are_removed_when_the_process_exits(tmp_path):
    paths = _run(tmp_path, "use")
    assert paths and all(Path(p).parent.parent == tmp_path for p in paths)
    assert list(tmp_path.iterdir()) == []  # the folder went with the process
