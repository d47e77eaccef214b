"""A cancelled run cleans up and reports like a finished one: SIGTERM (what CI cancellation and
``timeout`` send), SIGHUP and SIGINT delete every registered client, write summary.json with the
process's exit status (128 + N) and count a check cut off as "not run", never passed; a second
signal stops the cleanup without a traceback; --max-run-time ends the run with status 124."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "conformance.cli"]


@pytest.fixture
def served(tmp_path):
    """``dcr-conformance serve --state FILE`` in its own process: (profile path, state file)."""
    state, profile = tmp_path / "state.db", tmp_path / "served" / "profile.toml"
    server = subprocess.Popen([*CLI, "serve", "--port", "0", "--state", str(state), "--write-profile", str(profile)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in server.stdout:
            if line.startswith("Ctrl-C or SIGTERM stops it"):
                break
        assert profile.exists(), "the server did not start"
        yield profile, state
    finally:
        server.terminate()
        server.wait(timeout=30)


def clients_in(state: Path) -> int:
    with sqlite3.connect(state) as db:
        return db.execute("SELECT count(*) FROM clients").fetchone()[0]


def start_run(profile: Path, report_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "run", "--profile", str(profile), "--report-dir", str(report_dir), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=report_dir.parent)


def wait_for_clients(run: subprocess.Popen, state: Path, at_least_s: float, budget_s: float = 90) -> int:
    """Wait ``at_least_s``, then until the run has clients registered on the server."""
    start = time.monotonic()
    while time.monotonic() - start < budget_s and run.poll() is None:
        time.sleep(0.5)
        if time.monotonic() - start >= at_least_s and clients_in(state) > 0:
            return clients_in(state)
    raise AssertionError("the run registered no client in time")


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_sigterm_in_a_run_leaves_no_client_and_writes_the_summary(served, tmp_path, workers):
    profile, state = served
    run = start_run(profile, tmp_path / "r", *workers)
    # Some seconds in, while checks hold clients (from the last checks' wait on, the earlier
    # clients are already being deleted, so the signal must come before it).
    assert wait_for_clients(run, state, at_least_s=3) > 0
    run.send_signal(signal.SIGTERM)
    stdout, stderr = run.communicate(timeout=90)
    assert run.returncode == 143, stdout[-3000:] + stderr[-3000:]
    text = stdout + stderr
    assert "Traceback" not in text, text[max(0, text.find("Traceback") - 300):text.find("Traceback") + 3000]
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    with sqlite3.connect(state) as db:
        left = db.execute("SELECT client_id, issued_at FROM clients").fetchall()
    assert left == [], (left, summary["leftover_clients"], stderr[-2000:])
    assert summary["exit_status"] == run.returncode == 143
    assert summary["verdict"] in ("incomplete", "fail") and summary["leftover_clients"] == []
    assert summary["verdict_reasons"][0].startswith("run interrupted by SIGTERM: ")
    assert summary["totals"]["not run"] > 0
    assert (tmp_path / "r" / "junit.xml").exists()
    assert "RUN INCOMPLETE: run interrupted by SIGTERM" in stdout
    assert "not run" in stdout.split("dcr-conformance summary")[-1]


def test_two_sigints_a_second_apart_stop_the_cleanup_without_a_traceback(served, tmp_path):
    profile, state = served
    run = start_run(profile, tmp_path / "r")
    wait_for_clients(run, state, at_least_s=2)
    run.send_signal(signal.SIGINT)
    time.sleep(1)
    run.send_signal(signal.SIGINT)
    stdout, stderr = run.communicate(timeout=90)
    assert run.returncode == 130
    text = stdout + stderr
    at = max(text.find("Traceback"), text.find("INTERNALERROR"))
    assert at < 0, text[max(0, at - 300):at + 3000]
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["exit_status"] == 130
    left = clients_in(state)
    # What it leaves behind is said: each client still on the server is listed (printed and in the summary).
    listed = {e["client_id"] for e in summary["leftover_clients"]}
    assert len(listed) >= left
    if left:
        assert "cleanup stopped: " in stderr and "left on the server" in stderr


def test_max_run_time_ends_the_run_with_its_reports_and_status_124(tmp_path):
    run = subprocess.run([*CLI, "run", "-k", "DCR-TOK or DCR-REG", "--max-run-time", "4",
                          "--report-dir", str(tmp_path / "r")], capture_output=True, text=True, timeout=150,
                         cwd=tmp_path)
    assert run.returncode == 124, run.stdout[-3000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stdout + run.stderr
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["exit_status"] == 124 and summary["verdict"] in ("incomplete", "fail")
    not_run = [r for r in summary["results"] if r["verdict"] == "not run"]
    assert not_run and all("--dcr-max-run-time of 4 s reached" in r["detail"] for r in not_run)
    assert summary["leftover_clients"] == []
