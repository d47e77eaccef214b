"""The run on Locust: one process (``LocalRunner``), or a master and workers (``MasterRunner`` /
``WorkerRunner`` over ZeroMQ: ``--workers K`` starts K local worker processes on loopback;
``--master`` / ``--worker --master-host`` spread them over machines).

Locust spawns the N device users at the requested rate (its spawn rate), keeps their request
statistics and, distributed, aggregates the workers' statistics on the master. Workers send each
client id the moment a registration names it (``dcr-load-client``) and each device's outcome
(``dcr-load-outcome``) to the master, where the oracle book lives. The run ends when every device
is done, at the time limit, or on Ctrl-C / SIGTERM; then every client is deleted, the verdicts
drawn and the reports written. Importing this module imports Locust.
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
import locust.runners
from locust.env import Environment
from locust.stats import stats_history

from conformance.client.redact import Redactor
from conformance.load import report
from conformance.load.cleanup import delete_all
from conformance.load.device import OPTION_PREFIX, DeviceUser, Fleet, fleet_params, params_of, profile_for
from conformance.load.objectives import Objectives
from conformance.load.options import LoadOptions
from conformance.load.oracles import OracleBook, delete_shape, judge

CLIENT_MESSAGE, OUTCOME_MESSAGE = "dcr-load-client", "dcr-load-outcome"
WORKER_READY_TIMEOUT_S = 90.0
STATS_SETTLE_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0  # a device mid-flow may finish it when the run is stopped
WORKER_REPORT_INTERVAL_S = 1.0
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass
class RunState:
    """What the master (or the single process) learns during the run."""

    book: OracleBook
    redactor: Redactor
    errors: list[str] = field(default_factory=list)
    signals: list[int] = field(default_factory=list)

    def on_client(self, handle: dict[str, Any]) -> None:
        self.redactor.add_secret(handle.get("registration_access_token"))
        self.book.client_registered(handle)

    def on_outcome(self, outcome: dict[str, Any]) -> None:
        if outcome.get("error"):
            self.errors.append(f"device {outcome.get('device')}: {outcome['error']}")
        self.book.device_finished(outcome)


def locust_options(params: dict[str, Any]) -> argparse.Namespace:
    """Locust's default options plus the fleet's (``dcr_*``: a master sends them to its workers)."""
    from locust.argument_parser import get_empty_argument_parser, setup_parser_arguments

    parser = get_empty_argument_parser()
    setup_parser_arguments(parser)
    options = parser.parse_args(args=[])
    vars(options).update(params)
    return options


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run_fleet(options: LoadOptions, profile, objectives: Objectives, embedded=None) -> int:
    """Run the fleet, clean up, report; the exit status (0 every oracle holds, 1 one broke)."""
    state = RunState(OracleBook(options.devices), Redactor(profile.secrets()))
    params = {**fleet_params(options), f"{OPTION_PREFIX}profile": str(profile.path)}
    env = Environment(user_classes=[DeviceUser], host=embedded.base_url if embedded else profile.server.token_endpoint,
                      parsed_options=locust_options(params), stop_timeout=STOP_TIMEOUT_S)
    distributed = bool(options.workers or options.master)
    baseline_ids = set(embedded.client_ids()) if embedded else set()
    workers: list[subprocess.Popen] = []
    if distributed:
        port = options.master_port if options.master else free_port(options.master_bind_host)
        runner = env.create_master_runner(master_bind_host=options.master_bind_host, master_bind_port=port)
        runner.register_message(CLIENT_MESSAGE, lambda environment, msg, **_: state.on_client(msg.data))
        runner.register_message(OUTCOME_MESSAGE, lambda environment, msg, **_: state.on_outcome(msg.data))
        expected = options.workers or options.expect_workers
        if options.workers:
            workers = [start_worker(options.master_bind_host, port) for _ in range(options.workers)]
        mode = f"master and {expected} workers"
    else:
        runner = env.create_local_runner()
        Fleet.current = Fleet(profile, params_of(env.parsed_options), state.on_client, state.on_outcome)
        expected, mode = 0, "one process"
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, lambda s=sig: state.signals.append(s))
    history = gevent.spawn(stats_history, runner)
    target = embedded.base_url if embedded else profile.server.token_endpoint
    print(f"dcr-conformance load: {options.devices} devices at {options.rate:g}/s against {target} ({mode}); "
          "Ctrl-C stops the fleet and deletes its clients", flush=True)
    started = time.time()
    try:
        if distributed and not _wait_for_workers(runner, expected, workers, state):
            state.errors.append(f"fewer than {expected} Locust workers connected within {WORKER_READY_TIMEOUT_S:g} s")
        else:
            runner.start(options.devices, spawn_rate=options.rate)
            _wait_for_devices(options, state)
            _settle_stats(runner, state)
    finally:
        runner.quit()
        _stop_workers(workers)
        history.kill(block=False)
    store_growth = embedded.count() - len(baseline_ids) if embedded else None

    def on_delete(ex) -> None:
        verdict = judge(ex, delete_shape)
        if not verdict.ok:
            state.book.violation(verdict.oracle, f"cleanup: {verdict.evidence}")
        env.events.request.fire(request_type="DELETE", name="delete", response_time=ex.elapsed_s * 1000.0,
                                response_length=len(ex.response.content) if ex.response is not None else 0,
                                response=None, context={}, exception=Exception(verdict.short) if verdict.short else None,
                                start_time=time.time() - ex.elapsed_s, url=ex.request.url)

    cleaned = delete_all(profile, list(state.book.clients.values()), batch=options.cleanup_batch,
                         rate=options.cleanup_rate, timeout_s=options.cleanup_timeout_s, on_exchange=on_delete,
                         stop=lambda: len(state.signals) >= 2)
    left = set(cleaned.left)
    if embedded:
        left |= set(embedded.client_ids()) - baseline_ids  # also what a device never heard of
    return _finish(options, profile, objectives, env, state, started, mode, store_growth,
                   len(cleaned.deleted), sorted(left), embedded)


def _wait_for_workers(runner, expected: int, workers: list[subprocess.Popen], state: RunState) -> bool:
    deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
    while len(runner.clients.ready) < expected:
        if time.monotonic() > deadline or state.signals or any(w.poll() is not None for w in workers):
            return False
        gevent.sleep(0.1)
    return True


def _wait_for_devices(options: LoadOptions, state: RunState) -> None:
    deadline = time.monotonic() + options.time_limit_s
    while state.book.devices_done < options.devices and not state.signals:
        if time.monotonic() > deadline:
            state.errors.append(f"time limit: {state.book.devices_done} of {options.devices} devices finished "
                                f"within {options.time_limit_s:g} s")
            return
        gevent.sleep(0.1)


def _settle_stats(runner, state: RunState) -> None:
    """Wait until Locust's statistics hold every sample the devices reported (workers report
    theirs every second), bounded."""
    deadline = time.monotonic() + STATS_SETTLE_TIMEOUT_S
    while runner.stats.total.num_requests < state.book.requests_fired and time.monotonic() < deadline:
        gevent.sleep(0.1)


def start_worker(master_host: str, port: int) -> subprocess.Popen:
    """A local Locust worker process: ``dcr-conformance load --worker`` (its own session, so that
    a Ctrl-C reaches the master only, which then stops it)."""
    argv = [sys.executable, "-m", "conformance.cli", "load", "--worker", "--master-host", master_host,
            "--master-port", str(port)]
    return subprocess.Popen(argv, start_new_session=True)


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 15
    for worker in workers:
        try:
            worker.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.terminate()
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                worker.kill()


def _finish(options, profile, objectives, env, state: RunState, started: float, mode: str,
            store_growth: int | None, deleted: int, left: list[str], embedded) -> int:
    stats = env.runner.stats
    steps = report.step_figures(stats)
    rate, ok, seconds = report.registrations_per_s(stats)
    misses = report.objective_misses(objectives, steps, rate)
    verdicts = state.book.verdicts(store_growth=store_growth, objective_misses=misses,
                                   objectives_set=bool(objectives), left=left, cleaned=deleted)
    failed = any(not v.passed for v in verdicts) or bool(state.errors)
    code = EXIT_FAILED if failed else EXIT_OK
    directory = Path(options.report_dir)
    directory.mkdir(parents=True, exist_ok=True)
    summary = {
        "profile": profile.name,
        "target": embedded.base_url if embedded else (profile.server.issuer or profile.server.token_endpoint),
        "mode": mode,
        "devices": options.devices,
        "devices_done": state.book.devices_done,
        "rate": options.rate,
        "race_share": options.race_share,
        "main_clients": dict(sorted(state.book.mains.items())),
        "duration_s": round(time.time() - started, 2),
        "interrupted": bool(state.signals),
        "steps": steps,
        "registrations": {"per_s": round(rate, 2), "ok": ok, "seconds": round(seconds, 2)},
        "objectives": objectives.describe(),
        "oracles": [{"oracle": v.oracle, "title": v.title, "passed": v.passed, "summary": v.summary,
                     "evidence": v.evidence} for v in verdicts],
        "clients": {"registered": len(state.book.clients), "deleted": deleted, "left": left,
                    "store_growth": store_growth},
        "should": state.book.should,
        "errors": state.errors,
        "report_dir": str(directory),
        "exit_status": code,
    }
    redact = state.redactor.redact_text
    report.write_summary(directory, summary, redact)
    report.write_html(directory, env, redact)
    report.write_allure(directory, verdicts, profile.name, started, redact)
    print(report.console(summary, redact), flush=True)
    return code


def run_worker(options: LoadOptions) -> int:
    """A Locust worker: devices as its master says, outcomes sent back to it."""
    locust.runners.WORKER_REPORT_INTERVAL = WORKER_REPORT_INTERVAL_S
    env = Environment(user_classes=[DeviceUser], stop_timeout=STOP_TIMEOUT_S)
    runner = env.create_worker_runner(options.master_host, options.master_port)

    def send(kind: str):
        return lambda data: runner.send_message(kind, data)

    def set_up(environment, **_kwargs) -> None:
        params = params_of(environment.parsed_options)
        params["index_offset"] = max(runner.worker_index, 0) * 1_000_000
        try:
            Fleet.current = Fleet(profile_for(params, options.profile), params, send(CLIENT_MESSAGE),
                                  send(OUTCOME_MESSAGE))
        except Exception as exc:  # the devices report it: the master must not wait for them
            Fleet.current = None
            Fleet.setup_error = (f"worker {runner.worker_index}: {type(exc).__name__}: {exc}", send(OUTCOME_MESSAGE))

    env.events.test_start.add_listener(set_up)
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, lambda: runner.quit())
    runner.greenlet.join()
    return EXIT_OK
