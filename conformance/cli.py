"""The ``dcr-conformance`` command line (contract: shared/docs/profiles.md, "Command line").

``run`` drives the checks through pytest (against the embedded reference server when no profile
is given), ``serve`` runs the reference server alone (``--observe`` records an app's traffic),
``verify-client`` grades an app's recorded DCR fallback, ``requirements`` prints the registry. Exit status of ``run``: 0 every claimed MUST holds, 1 a check failed, 2 the profile or
the command line is wrong, 3 the target could not be reached.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
#: pytest11 plugins of dependencies (anyio via httpx, respx and Locust from the extras) the run never uses.
UNUSED_PYTEST_PLUGINS = ("anyio", "respx", "locust")


def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="run the conformance checks",
                         description="Run the checks against deployments (--profile) or, without a "
                                     "profile, against the embedded reference server.")
    run.add_argument("--profile", action="append", default=[], metavar="FILE",
                     help="a deployment profile (repeatable); default: the embedded reference server")
    run.add_argument("--report-dir", default="reports", metavar="DIR",
                     help="where JUnit XML, Allure results and the summary go (default: reports)")
    run.add_argument("--junitxml", metavar="FILE", help="JUnit XML file (default: REPORT_DIR/junit.xml)")
    run.add_argument("--alluredir", metavar="DIR", help="Allure results (default: REPORT_DIR/allure-results)")
    run.add_argument("-k", dest="keyword", metavar="EXPR", help="only checks matching EXPR (e.g. DCR-REG)")
    run.add_argument("-m", dest="marker", metavar="MARKER", help="only checks with MARKER (token, register, "
                     "use, manage, revoke, must, should, fuzz)")
    run.add_argument("-n", dest="workers", metavar="N", help="run in N processes (pytest-xdist)")
    run.add_argument("--fuzz-examples", type=int, metavar="N", help="Hypothesis examples per fuzzing property")
    run.add_argument("--strict", action="store_true", help="SHOULD-level findings fail the run")
    run.add_argument("--expected-failures", metavar="FILE", help="known failures of this deployment")
    run.add_argument("--defect", metavar="NAME", help="embedded server only: switch on one deliberate defect")
    run.add_argument("--variant", metavar="NAME", action="append", default=[],
                     help="embedded server only: switch on a conformant variant (repeatable)")
    run.add_argument("--html", action="store_true", help="also build the Allure HTML report (needs Node.js)")
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help="after --: passed to pytest as they are")


COMMANDS = ("run", "serve", "verify-client", "load", "requirements")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line; with ``only``, just that subcommand (``run`` then imports neither the
    reference server nor the SDK grader: start-up is the time to the first request)."""
    parser = argparse.ArgumentParser(prog="dcr-conformance", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    wanted = set(COMMANDS) if only not in COMMANDS else {only}
    if "run" in wanted:
        _run_parser(sub)
    if "serve" in wanted or "verify-client" in wanted:
        from conformance.sdk.cli import add_observe_argument, add_verify_client_command

        if "serve" in wanted:
            from conformance.server.cli import add_serve_arguments

            add_observe_argument(add_serve_arguments(
                sub.add_parser("serve", help="run the embedded reference server alone")))
        if "verify-client" in wanted:
            add_verify_client_command(sub)
    if "load" in wanted:
        from conformance.load.cli import add_load_arguments

        add_load_arguments(sub.add_parser("load", help="launch day: a fleet of devices on Locust, with oracles"))
    if "requirements" in wanted:
        req = sub.add_parser("requirements", help="print the requirement registry and the checks citing it")
        req.add_argument("--markdown", metavar="FILE", help="write docs/requirements.md-style Markdown to FILE")
    return parser


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    """The pytest command line equivalent to ``dcr-conformance run`` with these options."""
    report_dir = Path(args.report_dir)
    # Checks never use bare asserts (conformance/oracles/expect.py), so rewriting them would only cost start-up time.
    argv = ["--pyargs", "conformance.suite", "-q", "-p", "no:cacheprovider", "--assert=plain", "--tb=line", "-rfE"]
    # Plugins of other installed packages that the checks never use: importing them only delays the first request.
    for plugin in UNUSED_PYTEST_PLUGINS:
        argv += ["-p", f"no:{plugin}"]
    for profile in args.profile:
        argv += ["--dcr-profile", profile]
    argv += ["--junitxml", args.junitxml or str(report_dir / "junit.xml")]
    argv += ["--alluredir", args.alluredir or str(report_dir / "allure-results"), "--clean-alluredir"]
    argv += ["--dcr-report-dir", str(report_dir)]
    if args.keyword:
        argv += ["-k", args.keyword]
    if args.marker:
        argv += ["-m", args.marker]
    if args.workers:
        argv += ["-n", args.workers]
    if args.fuzz_examples is not None:
        argv += ["--dcr-fuzz-examples", str(args.fuzz_examples)]
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
    """Map pytest's exit code onto the contract's 0/1/2/3."""
    import pytest

    if pytest_code == EXIT_UNREACHABLE:
        return EXIT_UNREACHABLE
    return {pytest.ExitCode.OK: EXIT_OK, pytest.ExitCode.TESTS_FAILED: EXIT_FAILED,
            pytest.ExitCode.USAGE_ERROR: EXIT_USAGE, pytest.ExitCode.NO_TESTS_COLLECTED: EXIT_USAGE,
            pytest.ExitCode.INTERRUPTED: EXIT_FAILED}.get(pytest_code, EXIT_FAILED)


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
    Path(args.report_dir).mkdir(parents=True, exist_ok=True)
    code = exit_status(int(pytest.main(pytest_arguments(args))))
    if args.html:
        from conformance.reporting.html import build_html_report

        build_html_report(Path(args.alluredir or Path(args.report_dir) / "allure-results"),
                          Path(args.report_dir) / "allure-report")
    return code


def _requirements(args: argparse.Namespace) -> int:
    from conformance.catalogue import requirements_markdown

    text = requirements_markdown()
    if args.markdown:
        Path(args.markdown).write_text(text)
    else:
        print(text)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on a wrong command line, as the contract wants
        return int(exc.code or 0)
    if args.command == "run":
        return _run(args)
    if args.command == "verify-client":
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


if __name__ == "__main__":
    sys.exit(main())
