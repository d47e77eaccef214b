"""``dcr-conformance load`` end to end against the embedded reference server.

Each run is a subprocess: Locust patches sockets for gevent on import, which must never happen
inside the test process (nor inside ``dcr-conformance run``).
"""

from __future__ import annotations

import json
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ORACLES = ["distinct-client-ids", "initial-token-single-use", "no-5xx", "rfc-shape",
           "one-client-per-device", "objectives", "nothing-left-behind"]
MAIN_CLIENTS = 8  # the reference profile has one main client per authentication method
_UNREDACTED = re.compile(r'"(client_secret|registration_access_token|access_token)"\s*:\s*"(?!\[redacted)')


def load(report: Path, *args: str, timeout: float = 240) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "load", "--report-dir", str(report), *args],
                          capture_output=True, text=True, timeout=timeout)
    summary_file = report / "load-summary.json"
    assert summary_file.exists(), proc.stdout + proc.stderr
    return proc, json.loads(summary_file.read_text())


def verdicts(summary: dict) -> dict[str, bool]:
    return {v["oracle"]: v["passed"] for v in summary["oracles"]}


def assert_figures(summary: dict, proc: subprocess.CompletedProcess, devices: int) -> None:
    steps = summary["steps"]
    for step in ("initial-token", "register", "device-token", "relaunch-token", "resource", "delete"):
        assert steps[step]["requests"] >= devices if step != "register" else steps[step]["requests"] == devices
        assert 0 < steps[step]["p50"] <= steps[step]["p95"] <= steps[step]["p99"], (step, steps[step])
    assert summary["registrations"]["ok"] == devices and summary["registrations"]["per_s"] > 0
    assert re.search(r"registrations/s: \d+\.\d", proc.stdout)
    assert re.search(r"^register\s+\d+\s+0\s+\d+\s+\d+\s+\d+", proc.stdout, re.M)  # p50 p95 p99 printed


def assert_reports(report: Path, summary: dict) -> None:
    results = [json.loads(p.read_text()) for p in (report / "allure-results").glob("*-result.json")]
    assert sorted(r["fullName"].split("#")[1] for r in results) == sorted(ORACLES)
    assert {r["status"] for r in results} <= {"passed", "failed"}
    html = (report / "locust-report.html").read_text()
    assert "register" in html and "initial-token" in html
    for text in [json.dumps(summary), html, *(json.dumps(r) for r in results)]:
        assert not _UNREDACTED.search(text)


def test_small_fleet_in_one_process_holds_every_oracle(tmp_path):
    report = tmp_path / "one"
    proc, summary = load(report, "--devices", "16", "--rate", "40", "--race-share", "0.25")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary["mode"] == "one process"
    assert verdicts(summary) == dict.fromkeys(ORACLES, True)
    assert_figures(summary, proc, 16)
    assert len(summary["main_clients"]) == MAIN_CLIENTS  # every authentication method in turn
    assert summary["clients"] == {"registered": 16, "deleted": 16, "left": [], "store_growth": 16}
    assert summary["steps"]["register-replay"]["requests"] == 4 * 2  # 4 racing devices, 2 replays each
    assert_reports(report, summary)


def test_small_fleet_on_two_locust_workers_holds_every_oracle(tmp_path):
    report = tmp_path / "two"
    proc, summary = load(report, "--devices", "12", "--rate", "40", "--workers", "2", "--race-share", "0.5")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert summary["mode"] == "master and 2 workers"
    assert verdicts(summary) == dict.fromkeys(ORACLES, True)
    assert_figures(summary, proc, 12)
    assert summary["clients"]["left"] == [] and summary["clients"]["store_growth"] == 12
    assert summary["steps"]["register-replay"]["failures"] == 0
    assert_reports(report, summary)


def test_the_initial_token_race_is_caught_under_load(tmp_path):
    proc, summary = load(tmp_path / "race", "--devices", "8", "--rate", "40", "--race-share", "0.5",
                         "--defect", "initial-token-race", "--relaunches", "0", "--no-resource")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    passed = verdicts(summary)
    assert not passed["initial-token-single-use"] and not passed["one-client-per-device"]
    assert passed["distinct-client-ids"] and passed["no-5xx"] and passed["nothing-left-behind"]
    race = next(v for v in summary["oracles"] if v["oracle"] == "initial-token-single-use")
    assert "registered 3 clients" in race["evidence"][0] or "registered 2 clients" in race["evidence"][0]
    assert "[redacted" in race["evidence"][0]  # the token and the new secrets are not shown
    assert summary["clients"]["registered"] > 8 and summary["clients"]["left"] == []
    assert "FAIL initial-token-single-use" in proc.stdout


def test_a_slow_server_misses_its_objective_and_exits_1(tmp_path):
    objectives = tmp_path / "objectives.toml"
    objectives.write_text("[load]\n[load.latency_ms.register]\np95 = 100\n")
    proc, summary = load(tmp_path / "slow", "--devices", "4", "--rate", "40", "--race-share", "0",
                         "--relaunches", "0", "--no-resource", "--server-latency-ms", "250",
                         "--objectives", str(objectives))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    passed = verdicts(summary)
    assert not passed["objectives"]
    assert all(passed[o] for o in ORACLES if o != "objectives")
    missed = next(v for v in summary["oracles"] if v["oracle"] == "objectives")["evidence"]
    assert len(missed) == 1 and missed[0].startswith("register p95 ") and missed[0].endswith("> 100 ms")
    assert summary["steps"]["register"]["p95"] >= 250


def test_sigterm_stops_the_fleet_and_still_deletes_every_client(tmp_path):
    report = tmp_path / "term"
    proc = subprocess.Popen([sys.executable, "-m", "conformance.cli", "load", "--report-dir", str(report),
                             "--devices", "200", "--rate", "4", "--relaunches", "0", "--no-resource"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 120)
        assert ready and "Ctrl-C stops the fleet" in proc.stdout.readline()  # signal handlers are in place
        time.sleep(3)  # a few devices registered
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    summary = json.loads((report / "load-summary.json").read_text())
    assert proc.returncode == 1, out + err  # the fleet did not finish: one-client-per-device fails
    assert summary["interrupted"] and summary["devices_done"] < 200 and summary["clients"]["registered"] > 0
    assert summary["clients"]["left"] == [] and summary["clients"]["deleted"] == summary["clients"]["registered"]
    assert verdicts(summary)["nothing-left-behind"]


@pytest.mark.parametrize("args, message", [
    (["--devices", "5000"], "exceeds the cap --max-devices"),
    (["--rate", "500"], "--max-rate"),
    (["--race-connections", "1"], "--race-connections"),
    (["--defect", "no-such-defect"], "unknown defect"),
])
def test_out_of_bounds_runs_are_refused(tmp_path, args, message):
    proc = subprocess.run([sys.executable, "-m", "conformance.cli", "load", "--report-dir", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and message in proc.stderr
    assert not (tmp_path / "load-summary.json").exists()
