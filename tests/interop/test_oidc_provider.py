"""Interop: the whole catalogue against node oidc-provider (npm), a real third-party server on loopback.

The checks that fail and warn there must be exactly those docs/interop.md documents (its "Expected
result" table): a new failure, or a documented one that went away, fails this test until the
document says why. Runs only where Node.js and npm are installed (and the pinned oidc-provider can
be installed); bounded by a timeout on the suite run (about a minute; measured in docs/interop.md).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "interop.md"
FUZZ_SEED = 1  # a fixed seed: the same fuzzed requests every run (a random run may find more)
FUZZ_EXAMPLES = 50
SUITE_TIMEOUT_S = 240
_ROW = re.compile(r"^\|\s*(DCR-[A-Z]+-\d{3})\s*\|\s*(FAIL|WARN)\s*\|", re.MULTILINE)


def _runner():
    spec = importlib.util.spec_from_file_location("run_oidc_provider", ROOT / "interop" / "run_oidc_provider.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


def documented() -> tuple[set[str], set[str]]:
    """(failing, warning) check ids of the "Expected result" table of docs/interop.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Expected result", 1)[1].split("\n## ", 1)[0]
    rows = _ROW.findall(section)
    return {c for c, r in rows if r == "FAIL"}, {c for c, r in rows if r == "WARN"}


def test_documented_table_is_readable():
    failing, warning = documented()
    assert failing and not failing & warning


def test_oidc_provider_fails_exactly_the_documented_checks(tmp_path):
    runner = _runner()
    missing = runner.node_available()
    if missing:
        pytest.skip(f"interop with oidc-provider needs Node.js and npm: {missing}")
    try:
        runner.install()
    except Exception as exc:  # no registry access, or npm failed: an environment, not a verdict
        pytest.skip(f"could not install oidc-provider with npm ci: {exc}")
    result = runner.run(tmp_path, timeout=SUITE_TIMEOUT_S, fuzz_seed=FUZZ_SEED,
                        extra=["--dcr-fuzz-examples", str(FUZZ_EXAMPLES)])
    failing, warning = documented()
    report = (f"reports in {result.report_dir}; "
              f"newly failing {sorted(result.failing - failing)}, no longer failing {sorted(failing - result.failing)}, "
              f"newly warning {sorted(result.warnings - warning)}, no longer warning {sorted(warning - result.warnings)}")
    assert result.returncode in (0, 1), report
    assert result.failing == failing, report
    assert result.warnings == warning, report
