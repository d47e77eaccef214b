"""The ``dcr-conformance`` command line: conformance checks of OAuth 2.0 DCR fallback deployments.

``run`` drives the checks through pytest (against the embedded reference server when no profile
is given), ``serve`` runs the reference server alone (``--observe`` records an app's traffic),
``sdk`` grades an app's recorded DCR fallback (``sdk verify-client``, ``sdk scenarios``, ...;
``verify-client`` is also a top-level alias), ``requirements`` prints the registry.

Exit status of ``run`` (README, "Exit status"): 0 every claimed MUST holds, 1 a check failed,
2 the profile or the command line is wrong (or no check was selected), 3 the target is unusable
(unreachable, or its TLS certificate not trusted), 124 ``--max-run-time`` reached, 128 + N
interrupted by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP); :mod:`conformance.harness.exitcodes`.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from conformance import __version__
from conformance.harness.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_USAGE, contract_status  # noqa: F401
from conformance.harness.exitcodes import EXIT_UNUSABLE as EXIT_UNREACHABLE  # noqa: F401 (a name others use)

#: The pytest markers ``-m`` selects with (one per protocol step, the level, fuzzing).
MARKERS = ("token", "register", "use", "manage", "revoke", "must", "should", "fuzz")
EXIT_STATUS_HELP = ("exit status: 0 every claimed MUST holds; 1 a check failed; 2 the profile or the "
                    "command line is wrong, or no check was selected; 3 the target is unusable (unreachable, "
                    "or its TLS certificate not trusted); 124 --max-run-time reached; 128+N interrupted by "
                    "signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP)")
#: pytest11 plugins of dependencies (anyio via httpx, respx and Locust from the extras) the run never uses.
UNUSED_PYTEST_PLUGINS = ("anyio", "respx", "locust")


def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="run the conformance checks",
                         description="Run the checks against deployments (--profile) or, without a "
                                     "profile, against the embedded reference server.",
                         epilog=EXIT_STATUS_HELP + ". The profile format: docs/profiles.md; the checks: "
                                "docs/requirements.md (or: dcr-conformance requirements).")
    run.add_argument("--profile", action="append", default=[], metavar="FILE",
                     help="a deployment profile (repeatable); default: the embedded reference server")
    run.add_argument("--report-dir", default="reports", metavar="DIR",
                     help="where JUnit XML, Allure results and the summary go (default: reports)")
    run.add_argument("--junitxml", metavar="FILE", help="JUnit XML file (default: REPORT_DIR/junit.xml)")
    run.add_argument("--alluredir", metavar="DIR", help="Allure results (default: REPORT_DIR/allure-results)")
    run.add_argument("-k", dest="keyword", metavar="EXPR", help="only checks matching EXPR (e.g. DCR-REG)")
    run.add_argument("-m", dest="marker", metavar="MARKER",
                     help="only checks with MARKER (" + ", ".join(MARKERS) + "; and / or / not combine them)")
    run.add_argument("-n", dest="workers", metavar="N", help="run in N processes (pytest-xdist)")
    run.add_argument("--fuzz-examples", type=int, metavar="N", help="Hypothesis examples per fuzzing property")
    run.add_argument("--fuzz-seed", type=int, metavar="N", help="seed of the fuzzing checks (replays a failure)")
    run.add_argument("--strict", action="store_true", help="SHOULD-level findings fail the run")
    run.add_argument("--expected-failures", metavar="FILE", help="known failures of this deployment")
    run.add_argument("--defect", metavar="NAME", help="embedded server only: switch on one deliberate defect "
                     "(dcr-conformance serve --list-defects lists them)")
    run.add_argument("--variant", metavar="NAME", action="append", default=[],
                     help="embedded server only: switch on a conformant variant (repeatable; serve --list-variants lists them)")
    run.add_argument("--max-response-bytes", type=int, metavar="N",
                     help="a response body larger than N bytes fails its check (default 1048576 = 1 MiB)")
    run.add_argument("--unresponsive-after", type=int, metavar="N",
                     help="after N consecutive timeouts or connection failures of an endpoint, the checks "
                          "still needing it fail at once (default 3)")
    run.add_argument("--max-run-time", type=float, metavar="SECONDS",
                     help="end the run after SECONDS with its reports written; the checks left are 'not run' "
                          "(exit status 124)")
    run.add_argument("--html", action="store_true",
                     help="also build the Allure HTML report into REPORT_DIR/allure-report (needs Node.js: npx)")
    run.add_argument("--history", metavar="DIR",
                     help="with --html: a previous Allure HTML report, whose history (trend) the new one continues")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest as they are")


#: The subcommands, in the order ``--help`` lists them.
COMMANDS = ("run", "serve", "sdk", "verify-client", "load", "requirements")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``only`` (a subcommand's name), just that subcommand: ``run`` then
    imports neither the reference server, nor the SDK grader, nor Locust (start-up is the time to
    the first request). Anything else (no subcommand, ``--help``, an unknown word) builds them all."""
    parser = argparse.ArgumentParser(prog="dcr-conformance", description="Conformance checks of OAuth 2.0 "
                                     "Dynamic Client Registration as mobile apps use it when attestation fails.",
                                     epilog=EXIT_STATUS_HELP)
    parser.add_argument("--version", action="version", version=f"dcr-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = {only} if only in COMMANDS else set(COMMANDS)
    if "run" in wanted:
        _run_parser(sub)
    if wanted & {"serve", "sdk", "verify-client"}:
        from conformance.sdk.cli import add_observe_argument, add_sdk_commands, add_verify_client_command

        if "serve" in wanted:
            from conformance.server.cli import add_serve_arguments

            add_observe_argument(add_serve_arguments(sub.add_parser(
                "serve", help="run the embedded reference server alone",
                description="Run the embedded reference server alone (real HTTPS on loopback).")))
        if "sdk" in wanted:
            sdk = sub.add_parser("sdk", help="grade an app's DCR fallback (SDK vendors): verify-client, scenarios, ...",
                                 description="Grade an app's or SDK's DCR fallback from the traffic the observer "
                                             "(dcr-conformance serve --observe) recorded.")
            add_sdk_commands(sdk.add_subparsers(dest="sdk_command", required=True, metavar="SDK_COMMAND"))
        if "verify-client" in wanted:
            add_verify_client_command(sub, help_text="alias of: dcr-conformance sdk verify-client")
    if "load" in wanted:
        from conformance.load.cli import add_load_arguments

        add_load_arguments(sub.add_parser("load", help="launch day: a fleet of devices on Locust, with oracles"))
    if "requirements" in wanted:
        req = sub.add_parser("requirements", help="print the requirement registry and the checks citing it")
        req.add_argument("--markdown", metavar="FILE", help="write docs/requirements.md-style Markdown to FILE")
        req.add_argument("--coverage", metavar="FILE",
                         help="write docs/coverage.md: every normative statement of the RFCs, its checks or why none")
        req.add_argument("--catalogue", metavar="FILE",
                         help="write docs/catalogue.md (the answers each check allows and forbids) to FILE")
    return parser


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    """The pytest command line equivalent to ``dcr-conformance run`` with these options."""
    report_dir = Path(args.report_dir)
    # Checks never use bare asserts (conformance/oracles/expect.py), so rewriting them would only cost start-up time.
    # --tb=short: one block per failure, headed by its test id (check, profile, main client).
    argv = ["--pyargs", "conformance.suite", "-q", "-p", "no:cacheprovider", "--assert=plain", "--tb=short", "-rfE"]
    # Plugins of other installed packages that the checks never use: importing them only delays the first request.
    for plugin in UNUSED_PYTEST_PLUGINS:
        argv += ["-p", f"no:{plugin}"]
    for profile in args.profile:
        argv += ["--dcr-profile", profile]
    argv += ["--junitxml", args.junitxml or str(report_dir / "junit.xml")]
    argv += ["--alluredir", args.alluredir or str(report_dir / "allure-results"), "--clean-alluredir"]
    argv += ["--dcr-report-dir", str(report_dir), "--dcr-cli-exit-statuses"]
    if args.max_response_bytes is not None:
        argv += ["--dcr-max-response-bytes", str(args.max_response_bytes)]
    if args.unresponsive_after is not None:
        argv += ["--dcr-unresponsive-after", str(args.unresponsive_after)]
    if args.max_run_time is not None:
        argv += ["--dcr-max-run-time", str(args.max_run_time)]
    if args.keyword:
        argv += ["-k", args.keyword]
    if args.marker:
        argv += ["-m", args.marker]
    if args.workers:
        argv += ["-n", args.workers]
    if args.fuzz_examples is not None:
        argv += ["--dcr-fuzz-examples", str(args.fuzz_examples)]
    if getattr(args, "fuzz_seed", None) is not None:
        argv += ["--dcr-fuzz-seed", str(args.fuzz_seed)]
    if args.strict:
        argv.append("--dcr-strict")
    if args.expected_failures:
        argv += ["--dcr-expected-failures", args.expected_failures]
    if args.defect:
        argv += ["--dcr-defect", args.defect]
    for variant in args.variant:
        argv += ["--dcr-variant", variant]
    extra = list(args.pytest_args)
    if extra and extra[0] == "--":
        extra = extra[1:]
    return argv + extra


def exit_status(pytest_code: int) -> int:
    """Map pytest's exit code onto the README's table (the harness's 124 and 128 + N pass as they are)."""
    return contract_status(pytest_code)


class _OnceNodesLine:
    """pytest-xdist prints "bringing up nodes..." twice when quiet and not on a terminal; once is enough."""

    @staticmethod
    def pytest_sessionstart(session) -> None:
        reporter = session.config.pluginmanager.getplugin("terminaldistreporter")
        if reporter is None or not hasattr(reporter, "ensure_show_status"):
            return
        shown = []
        original = reporter.ensure_show_status

        def once() -> None:
            if not shown:
                shown.append(True)
                original()
        reporter.ensure_show_status = once


def _run(args: argparse.Namespace) -> int:
    import pytest

    if (args.defect or args.variant) and args.profile:
        print("dcr-conformance: --defect and --variant apply to the embedded reference server; drop --profile",
              file=sys.stderr)
        return EXIT_USAGE
    if args.variant:
        from conformance.server.variants import ActiveVariants

        try:
            ActiveVariants(args.variant)
        except ValueError as exc:  # UnknownVariant, IncompatibleVariants
            print(f"dcr-conformance: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.history and not args.html:
        print("dcr-conformance: --history continues the trend of an HTML report; add --html", file=sys.stderr)
        return EXIT_USAGE
    from conformance.harness.targets import describe_target

    for line in describe_target(args.profile, args.defect):
        print(line, flush=True)
    Path(args.report_dir).mkdir(parents=True, exist_ok=True)
    # Until the harness takes the signals over (conformance.harness.interrupts), SIGTERM and SIGHUP
    # end the start-up like Ctrl-C: nothing is registered yet, so nothing is left behind.
    import signal

    from conformance.harness.interrupts import startup_handler

    for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is not None:
            signal.signal(signum, startup_handler)
    try:
        code = exit_status(int(pytest.main(pytest_arguments(args), plugins=[_OnceNodesLine()])))
    except KeyboardInterrupt:
        print("dcr-conformance: interrupted while starting; no check ran, no client was registered", file=sys.stderr)
        return 128 + signal.SIGINT
    finally:  # the run is over (its reports written): a late signal changes nothing
        for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if signum is not None:
                signal.signal(signum, signal.SIG_IGN)
    if args.html:
        from conformance.reporting.html import build_html_report

        build_html_report(Path(args.alluredir or Path(args.report_dir) / "allure-results"),
                          Path(args.report_dir) / "allure-report", history=args.history)
    return code


def _requirements(args: argparse.Namespace) -> int:
    from conformance.catalogue import catalogue_markdown, requirements_markdown

    if args.coverage:
        from conformance.coverage import coverage_markdown

        Path(args.coverage).write_text(coverage_markdown())
    if args.catalogue:
        Path(args.catalogue).write_text(catalogue_markdown(), encoding="utf-8")
    text = requirements_markdown()
    if args.markdown:
        Path(args.markdown).write_text(text)
    elif not args.coverage:
        print(text)
    return EXIT_OK


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "run":
        return _run(args)
    if args.command in ("verify-client", "sdk"):
        return args.handler(args)
    if args.command == "serve" and args.observe is not None:
        from conformance.sdk.observer import run_observer  # the server itself knows no SDK

        return run_observer(args)
    if args.command == "load":
        from conformance.load.cli import run_load

        return run_load(args)
    if args.command == "serve":
        from conformance.server.cli import run_serve

        return run_serve(args)
    return _requirements(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on a wrong command line, as the contract wants
        return int(exc.code or 0)
    try:
        code = _dispatch(args)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (``| head``): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit must not fail again
        code = EXIT_OK
    return code


def console() -> None:
    """The ``dcr-conformance`` command: :func:`main`, then exit. Everything still alive is
    frozen out of the cyclic collector first (``gc.freeze``): the interpreter's last collection at
    exit would otherwise walk all a run kept (about 0.9 s after a full run) only to free it."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console()
