"""Runs of the whole suite whose verdicts the tests of this directory judge, computed once per
test run (shared by pytest-xdist workers through a file, as the defect matrix is): the suite
against the four broken servers, and under the conformant variants. The two run side by side in
two spawned processes, so the worker computing them uses both cores while the other waits.

A run records, per check id and profile, the outcome of each of its tests: ``passed``, ``warned``
(passed with a SHOULD finding), ``failed`` or ``skipped``, with the first line of the reason.
"""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from tests.selftest import defect_matrix, runner
from conformance.catalogue import load_checks
from conformance.harness.outcomes import FINDINGS_PROPERTY
from conformance.server.variants import VARIANTS, compatible_groups

PASSED, WARNED, FAILED, SKIPPED = "passed", "warned", "failed", "skipped"


class Recorder:
    """A pytest plugin object: the outcome of every check's test, by check id and profile."""

    def __init__(self) -> None:
        self.outcomes: list[dict] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        check_id = props.get("dcr_check")
        if check_id is None or (report.when != "call" and not report.failed and not report.skipped):
            return
        if report.failed:
            outcome, reason = FAILED, _reason(str(report.longrepr))
        elif report.skipped:
            outcome = SKIPPED
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        elif "dcr_warning" in props:
            outcome, reason = WARNED, str(props["dcr_warning"]).splitlines()[0]
        else:
            outcome, reason = PASSED, ""
        self.outcomes.append({"check": check_id, "profile": props.get("dcr_profile", ""),
                              "test": report.nodeid.rsplit("::", 1)[-1], "outcome": outcome,
                              "reason": reason[:300],
                              # the requirement ids the SHOULD findings name (warned, or strict-failed)
                              "findings": str(props.get(FINDINGS_PROPERTY, "")).split()})


def _reason(text: str) -> str:
    """The line after the check's title (``DCR-XXX-NNN title`` / the finding), else the first."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].startswith("DCR-"):
        return lines[1].strip()
    return lines[-1].strip() if lines else ""


def run(profiles: list[str | os.PathLike] | None = None, *, args: list[str] = (),
        only: set[str] | None = None, modules: list[str] | None = None) -> list[dict]:
    """The suite against ``profiles`` (None: the plugin's embedded server), in this process."""
    recorder = Recorder()
    argv = list(defect_matrix.MATRIX_ARGS) + list(args)
    for path in (profiles or [])[1:]:
        argv += ["--dcr-profile", str(path)]
    first = profiles[0] if profiles else None
    runner.run_suite(first, only=only, args=argv, plugins=[recorder],
                       modules=modules or [runner.SUITE])
    return recorder.outcomes


def shared(name: str, directory: Path | None, compute: Callable[[], object]) -> object:
    """``compute()`` once per test run: per process, or once for all processes sharing ``directory``."""
    if directory is None:
        if name not in _CACHE:
            _CACHE[name] = compute()
        return _CACHE[name]
    path = Path(directory) / f"dcr-verdicts-{name}.json"
    with open(Path(directory) / f"dcr-verdicts-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first process computes, the others wait and read
        if path.exists():
            return json.loads(path.read_text())
        value = compute()
        path.write_text(json.dumps(value))
        return value


_CACHE: dict[str, object] = {}


def shared_directory(tmp_path_factory) -> Path | None:
    return tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else None


def by_check(outcomes: list[dict]) -> dict[str, dict[str, list[dict]]]:
    """``{check id: {outcome: [records]}}``."""
    table: dict[str, dict[str, list[dict]]] = {}
    for record in outcomes:
        table.setdefault(record["check"], {}).setdefault(record["outcome"], []).append(record)
    return table


# ------------------------------------------------------------------ the two runs

ALL_AT_ONCE, THE_OTHERS = "all-compatible", "the-others"
#: Every compatible variant at once; then the second member of each incompatible pair.
GROUPS = dict(zip((ALL_AT_ONCE, THE_OTHERS), compatible_groups()))
#: The checks each group is judged on: all of them at once; the others' own checks.
JUDGED = {ALL_AT_ONCE: sorted(load_checks()),
          THE_OTHERS: sorted({c for name in GROUPS.get(THE_OTHERS, ()) for c in VARIANTS[name].checks})}


def variant_outcome(group: str) -> dict[str, dict]:
    """The suite on the reference server under one group of variants (``by_check``)."""
    args = [arg for name in GROUPS[group] for arg in ("--dcr-variant", name)]
    if group == ALL_AT_ONCE:
        return by_check(run(args=args))
    where = defect_matrix.check_modules()
    modules = sorted({m for c in JUDGED[group] for m in where.get(c, ())})
    return by_check(run(args=args, only=set(JUDGED[group]), modules=modules))


def broken_outcome(workdir: str, kind: str) -> dict[str, dict]:
    """The suite once against one broken server (``by_check``)."""
    from broken_servers import BrokenServer
    from conformance.pki import default_pki

    server = BrokenServer(kind, default_pki(), Path(workdir) / kind).start()
    try:
        outcomes = run([server.profile_path], args=["--dcr-fuzz-examples", "5"])
    finally:
        server.stop()
    return by_check([o for o in outcomes if o["profile"] == f"broken-{kind}"])


def verdict_runs(tmp_path_factory) -> dict[str, dict]:
    """``{"broken": {kind: broken_outcome()}, "variants": {group: variant_outcome()}}``, once per test run."""
    def compute() -> dict[str, dict]:
        from broken_servers import KINDS

        workdir = str(tmp_path_factory.mktemp("broken-servers"))
        # One run per broken server and per variant group, at once: the runs mostly wait (on
        # timeouts, on designed token expiries), so six processes on two cores finish sooner.
        with ProcessPoolExecutor(len(KINDS) + len(GROUPS), mp_context=multiprocessing.get_context("spawn")) as pool:
            broken = {kind: pool.submit(broken_outcome, workdir, kind) for kind in KINDS}
            variants = {group: pool.submit(variant_outcome, group) for group in GROUPS}
            return {"broken": {kind: f.result() for kind, f in broken.items()},
                    "variants": {group: f.result() for group, f in variants.items()}}
    return shared("runs", shared_directory(tmp_path_factory), compute)
