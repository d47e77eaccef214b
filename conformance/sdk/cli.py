"""``dcr-conformance sdk``: grade an app's DCR behaviour recorded by the observer.

Also ``python -m conformance.sdk`` (the same commands), and ``dcr-conformance verify-client``
(an alias of ``dcr-conformance sdk verify-client``). Commands:

* ``verify-client --scenario NAME [--observer URL | --recording FILE]``: fetch the recording
  from a running observer (``dcr-conformance serve --observe``) or read a saved one, grade it,
  print the verdict and write JUnit / Allure / summary files. Exit 0: every check passed (SHOULD
  findings are warnings); 1: a check failed (with ``--strict``: or warned); 2: wrong command line
  or recording; 3: the observer could not be reached.
* ``use-scenario NAME --observer URL``: switch a running observer to another scenario.
* ``scenarios``: the scenarios and what to do at each launch. ``checks``: the DCR-SDK checks.
  ``answers``: per check, the answers the specs allow and forbid (the docs/sdk.md table).

:func:`add_sdk_commands` is the one definition of these commands (options and handlers), used
here and by ``dcr-conformance sdk``; :func:`add_observe_argument` gives
``dcr-conformance serve`` its ``--observe`` option.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
DEFAULT_OBSERVER = "https://127.0.0.1:8443"


def _options(pairs: list[str]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--option {pair!r}: expected NAME=VALUE")
        options[name.strip()] = value.strip()
    return options


def _observer_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--observer", metavar="URL", default=None,
                        help=f"base URL of a running observer (default {DEFAULT_OBSERVER})")
    parser.add_argument("--ca-bundle", metavar="FILE",
                        help="CA certificate of the observer (printed at its start); without it, "
                             "a loopback observer is reached without certificate verification")


def add_observe_argument(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``serve --observe [SCENARIO]``: added by ``dcr-conformance`` to the server's own options."""
    parser.add_argument("--observe", nargs="?", const="first-launch", metavar="SCENARIO",
                        help="SDK observer mode: record an app's requests and play SCENARIO "
                             "(default first-launch); see docs/sdk.md")
    return parser


def _scenario_names() -> str:
    from .scenarios import SCENARIOS

    return ", ".join(SCENARIOS)


def add_verify_client_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--scenario", required=True, metavar="NAME",
                        help=f"the scenario the app ran: one of {_scenario_names()}")
    _observer_arguments(parser)
    parser.add_argument("--recording", metavar="FILE", help="grade a saved recording (JSON) instead")
    parser.add_argument("--save-recording", metavar="FILE", help="also save the fetched recording")
    parser.add_argument("--installation", metavar="ID", help="grade only this installation")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="override a grading option (min_delay_s, max_attempts, "
                             "max_rejected_retries, software_id)")
    parser.add_argument("--report-dir", metavar="DIR",
                        help="write summary.json, summary.md, junit.xml and allure-results/ into DIR")
    parser.add_argument("--junitxml", metavar="FILE", help="JUnit XML file (default: REPORT_DIR/junit.xml)")
    parser.add_argument("--alluredir", metavar="DIR", help="Allure results (default: REPORT_DIR/allure-results)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--strict", action="store_true",
                        help="SHOULD findings (warnings) fail the verdict, as MUST failures do")
    return parser


_EXIT_HELP = ("exit status: 0 every check passed (SHOULD findings are warnings); 1 a check failed (with "
              "--strict: or warned); 2 wrong command line or recording; 3 the observer could not be reached")


def add_verify_client_command(sub, help_text: str = "grade an app's recorded DCR traffic (SDK vendors)"
                              ) -> argparse.ArgumentParser:
    """Add the ``verify-client`` sub-command (``args.handler`` runs it) to a sub-parser set."""
    parser = sub.add_parser("verify-client", help=help_text, epilog=_EXIT_HELP,
                            description="Grade the DCR fallback an app took under a scenario, from the "
                                        "observer's recording (or a saved one).")
    add_verify_client_arguments(parser).set_defaults(handler=run_verify_client)
    return parser


def add_sdk_commands(sub) -> None:
    """``verify-client``, ``use-scenario``, ``scenarios``, ``checks``: each with ``args.handler``."""
    add_verify_client_command(sub)
    use = sub.add_parser("use-scenario", help="switch a running observer to a scenario",
                         description="Switch a running observer to another scenario.")
    use.add_argument("name", metavar="NAME", help=f"one of {_scenario_names()}")
    _observer_arguments(use)
    use.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                     help="a grading option (min_delay_s, max_attempts, max_rejected_retries, software_id)")
    use.set_defaults(handler=_use_scenario)
    sub.add_parser("scenarios", help="list the scenarios and what to do at each launch").set_defaults(
        handler=lambda args: _list_scenarios())
    sub.add_parser("checks", help="list the DCR-SDK checks").set_defaults(handler=lambda args: _list_checks())
    sub.add_parser("answers", help="the allowed and forbidden answers of every DCR-SDK check (markdown)").set_defaults(
        handler=_print_answers)


def _print_answers(args) -> int:
    from .answers import answers_markdown

    print(answers_markdown(), end="")
    return EXIT_OK


def _verify(url: str, ca_bundle: str | None) -> object:
    if ca_bundle:
        return ca_bundle
    host = urlsplit(url).hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    return not loopback


def _request(method: str, url: str, ca_bundle: str | None, **kwargs) -> object:
    import httpx

    verify = _verify(url, ca_bundle)
    if isinstance(verify, str):
        import ssl

        verify = ssl.create_default_context(cafile=verify)
    return httpx.request(method, url, verify=verify, timeout=10.0, trust_env=False, **kwargs)


def _fetch_recording(args: argparse.Namespace):
    import httpx

    from .recording import Recording

    base = (args.observer or DEFAULT_OBSERVER).rstrip("/")
    try:
        response = _request("GET", f"{base}/observer/recording", args.ca_bundle,
                            params={"scenario": args.scenario})
    except httpx.HTTPError as exc:
        raise ConnectionError(f"cannot reach the observer at {base}: {exc}") from None
    if response.status_code == 400:
        raise ValueError(response.json().get("error_description", response.text[:300]))
    if response.status_code != 200:
        raise ValueError(f"the observer answered {response.status_code}: {response.text[:300]}")
    return Recording.from_dict(response.json())


def run_verify_client(args: argparse.Namespace) -> int:
    from .checks import failures, grade
    from .recording import Recording
    from .report import render_text, write_allure, write_junit, write_summary
    from .scenarios import get_scenario

    try:
        options = _options(args.option)
        if args.recording:
            recording = Recording.load(args.recording)
        else:
            recording = _fetch_recording(args)
        scenario = get_scenario(args.scenario, **{**recording.options, **options})
        if args.save_recording:
            recording.save(args.save_recording)
        results = grade(scenario, recording, installation=args.installation)
    except ConnectionError as exc:
        print(f"verify-client: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except (KeyError, ValueError, OSError) as exc:
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"verify-client: {text}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps([r.to_dict() for r in results], indent=1))
    else:
        print(render_text(results, strict=args.strict))
    report_dir = Path(args.report_dir) if args.report_dir else None
    if report_dir is not None:
        target = (f"recording {args.recording}" if args.recording
                  else f"observer {(args.observer or DEFAULT_OBSERVER).rstrip('/')}")
        write_summary(results, report_dir, target=target, strict=args.strict)
    junit = args.junitxml or (report_dir / "junit.xml" if report_dir else None)
    if junit:
        write_junit(results, junit, strict=args.strict)
    allure = args.alluredir or (report_dir / "allure-results" if report_dir else None)
    if allure:
        write_allure(results, allure, strict=args.strict)
    return EXIT_FAILED if failures(results, strict=args.strict) else EXIT_OK


def _use_scenario(args: argparse.Namespace) -> int:
    import httpx

    base = (args.observer or DEFAULT_OBSERVER).rstrip("/")
    try:
        body = {"scenario": args.name, "options": _options(args.option)}
        response = _request("POST", f"{base}/observer/scenario", args.ca_bundle, json=body)
    except httpx.HTTPError as exc:
        print(f"use-scenario: cannot reach the observer at {base}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except ValueError as exc:
        print(f"use-scenario: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if response.status_code != 200:
        print(f"use-scenario: {response.json().get('error_description', response.text)}", file=sys.stderr)
        return EXIT_USAGE
    data = response.json()
    print(f"scenario {data['scenario']}: {data['summary']}")
    for number, step in enumerate(data["steps"], 1):
        print(f"  launch {number}: {step}")
    return EXIT_OK


def _list_scenarios() -> int:
    from .scenarios import SCENARIOS

    for scenario in SCENARIOS.values():
        print(f"{scenario.name}: {scenario.summary}")
        for number, step in enumerate(scenario.steps, 1):
            print(f"  launch {number}: {step}")
        print(f"  checks: {', '.join(scenario.checks)}")
    return EXIT_OK


def _list_checks() -> int:
    from .checks import SDK_CHECKS, requirement_info

    for check in SDK_CHECKS.values():
        reqs = ", ".join(check.requirements)
        inferred = " (inferred)" if check.inferred else ""
        print(f"{check.id} {check.level}{inferred}: {check.title} [{reqs}]")
        for rid in check.requirements:
            print(f"    {rid}: {requirement_info(rid).url}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m conformance.sdk", description=__doc__.splitlines()[0],
                                     epilog="the same commands as: dcr-conformance sdk ...")
    add_sdk_commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        code = args.handler(args)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stdout stays open until exit)
        code = EXIT_OK
    return code
