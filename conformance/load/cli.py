"""``dcr-conformance load``: launch day, a fleet of devices taking the DCR fallback at once.

This module never imports Locust (it patches sockets for gevent): ``run_load`` imports the engine
only once the command line is known to be a load run. Exit status: 0 every oracle holds and every
objective is met, 1 one broke (or devices could not finish), 2 the command line or the profile is
wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from conformance.load.options import (DEFAULT_DEVICES, DEFAULT_MAX_DEVICES, DEFAULT_MAX_RATE, DEFAULT_RATE,
                                      DEFAULT_TIME_LIMIT_S, LoadOptions, UsageError, check_targets)

EXIT_USAGE = 2


def add_load_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    fleet = parser.add_argument_group("the fleet")
    fleet.add_argument("--profile", type=Path, metavar="FILE",
                       help="the deployment profile (its [load] table sets objectives); default: the embedded "
                            "reference server, in a process of its own")
    fleet.add_argument("--devices", type=int, default=DEFAULT_DEVICES, metavar="N",
                       help=f"devices taking the fallback (default {DEFAULT_DEVICES})")
    fleet.add_argument("--rate", type=float, default=DEFAULT_RATE, metavar="R",
                       help=f"devices starting per second (Locust's spawn rate; default {DEFAULT_RATE:g})")
    fleet.add_argument("--race-share", type=float, default=0.1, metavar="SHARE",
                       help="share of devices sending their registration with one initial token from several "
                            "connections at once (default 0.1)")
    fleet.add_argument("--race-connections", type=int, default=3, metavar="C",
                       help="connections a racing device sends from (default 3)")
    fleet.add_argument("--relaunches", type=int, default=1, metavar="K",
                       help="token requests per device with its stored client, after registering (default 1)")
    fleet.add_argument("--no-resource", dest="resource", action="store_false",
                       help="do not call the profile's resource_url")
    fleet.add_argument("--objectives", type=Path, metavar="FILE",
                       help="a TOML file whose [load] table sets the objectives (default: the profile's)")
    fleet.add_argument("--report-dir", type=Path, default=Path("reports/load"), metavar="DIR",
                       help="load-summary.json, locust-report.html, allure-results/ (default reports/load)")
    safety = parser.add_argument_group("safety")
    safety.add_argument("--confirm-target", action="append", default=[], metavar="HOST",
                        help="repeat each non-loopback host of the profile to allow loading it")
    safety.add_argument("--max-devices", type=int, default=DEFAULT_MAX_DEVICES, metavar="N",
                        help=f"cap on --devices (default {DEFAULT_MAX_DEVICES})")
    safety.add_argument("--max-rate", type=float, default=DEFAULT_MAX_RATE, metavar="R",
                        help=f"cap on --rate (default {DEFAULT_MAX_RATE:g})")
    safety.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="SECONDS",
                        help=f"the fleet's time (default {DEFAULT_TIME_LIMIT_S:g}); cleanup has its own")
    safety.add_argument("--cleanup-batch", type=int, default=20, metavar="N", help="concurrent deletes (default 20)")
    safety.add_argument("--cleanup-rate", type=float, default=50.0, metavar="R", help="deletes per second (default 50)")
    safety.add_argument("--cleanup-timeout", type=float, default=120.0, metavar="SECONDS",
                        help="time for the cleanup (default 120)")
    embedded = parser.add_argument_group("embedded reference server (no --profile)")
    embedded.add_argument("--defect", metavar="NAME", help="switch on one deliberate defect (serve --list-defects)")
    embedded.add_argument("--server-latency-ms", type=float, default=0.0, metavar="MS",
                          help="answer every request MS later: a deliberately slow server")
    dist = parser.add_argument_group("distributed (Locust master and workers)")
    dist.add_argument("--workers", type=int, default=0, metavar="K",
                      help="run K local Locust worker processes under a master on loopback")
    dist.add_argument("--master", action="store_true", help="be the master for workers on other machines")
    dist.add_argument("--expect-workers", type=int, default=1, metavar="K", help="with --master: workers to wait for")
    dist.add_argument("--master-bind-host", default="127.0.0.1", metavar="HOST",
                      help="with --master: the address to listen on (default 127.0.0.1)")
    dist.add_argument("--master-port", type=int, default=5557, metavar="PORT", help="the master's port (default 5557)")
    dist.add_argument("--worker", action="store_true", help="be a worker of the master at --master-host")
    dist.add_argument("--master-host", default="127.0.0.1", metavar="HOST", help="with --worker: the master's host")
    return parser


def options_from(args: argparse.Namespace) -> LoadOptions:
    return LoadOptions(
        profile=args.profile, devices=args.devices, rate=args.rate, max_devices=args.max_devices,
        max_rate=args.max_rate, race_share=args.race_share, race_connections=args.race_connections,
        relaunches=args.relaunches, resource=args.resource, time_limit_s=args.time_limit, workers=args.workers,
        report_dir=args.report_dir, objectives_file=args.objectives, confirm_target=list(args.confirm_target),
        defect=args.defect, server_latency_ms=args.server_latency_ms, cleanup_batch=args.cleanup_batch,
        cleanup_rate=args.cleanup_rate, cleanup_timeout_s=args.cleanup_timeout, master=args.master,
        expect_workers=args.expect_workers, master_bind_host=args.master_bind_host, master_port=args.master_port,
        worker=args.worker, master_host=args.master_host)


def run_load(args: argparse.Namespace) -> int:
    from conformance.profile import ProfileError

    options = options_from(args)
    try:
        options.check()
        if options.worker:
            if options.profile is not None:
                check_targets(_read_profile(options.profile), options.confirm_target)
            from conformance.load.engine import run_worker

            return run_worker(options)
        return _run_master(options)
    except (UsageError, ProfileError) as exc:
        print(f"dcr-conformance load: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _read_profile(path: Path):
    from conformance.load.objectives import read_profile

    return read_profile(path)


def _run_master(options: LoadOptions) -> int:
    from conformance.load.objectives import Objectives, objectives_from_file
    from conformance.server.defects import DEFECTS

    if options.defect and options.defect not in DEFECTS:
        raise UsageError(f"unknown defect {options.defect!r}; see dcr-conformance serve --list-defects")
    objectives = objectives_from_file(options.objectives_file) if options.objectives_file else Objectives()
    embedded = None
    if options.profile is not None:
        profile = _read_profile(options.profile)
        if profile.needs_discovery:
            raise UsageError(f"{options.profile}: a load run needs token_endpoint and registration_endpoint "
                             "in [server] (no discovery under load)")
        check_targets(profile, options.confirm_target)
        if options.objectives_file is None:
            objectives = objectives_from_file(options.profile)
    else:
        from conformance.load.embedded import EmbeddedServer

        embedded = EmbeddedServer(options.defect, options.server_latency_ms)  # before Locust patches sockets
        profile = _read_profile(Path(embedded.profile))
    try:
        from conformance.load.engine import run_fleet

        return run_fleet(options, profile, objectives, embedded)
    finally:
        if embedded is not None:
            embedded.stop()
