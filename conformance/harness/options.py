"""The ``--dcr-*`` command-line options of the pytest plugin.

The run state reads its own (:class:`~conformance.harness.runstate.RunState`); the reporting and
fuzzing ones are read where they are used.
"""

from __future__ import annotations

import argparse

import pytest

from conformance.client.bounds import DEFAULT_MAX_RESPONSE_BYTES
from conformance.harness.unresponsive import DEFAULT_UNRESPONSIVE_AFTER


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("dcr", "dcr-conformance: OAuth 2.0 DCR fallback conformance")
    group.addoption("--dcr-profile", action="append", default=[], metavar="FILE",
                    help="profile of a deployment under test (repeatable); none: the embedded reference server")
    group.addoption("--dcr-strict", action="store_true", default=False,
                    help="SHOULD-level findings fail the run instead of being reported as warnings")
    group.addoption("--dcr-expected-failures", metavar="FILE", default=None,
                    help="TOML/JSON file of known failures per check id and main-client label")
    group.addoption("--dcr-defect", metavar="NAME", default=None,
                    help="switch on one deliberate defect of the embedded reference server")
    group.addoption("--dcr-variant", action="append", default=[], metavar="NAME",
                    help="switch on a conformant variant of the embedded reference server (repeatable)")
    group.addoption("--dcr-embedded-rotation", choices=("on", "off"), default="on",
                    help="whether the embedded server rotates credentials on RFC 7592 GET/PUT")
    group.addoption("--dcr-keep-clients", action="store_true", default=False,
                    help="do not delete the clients the suite registered (debugging)")
    group.addoption("--dcr-max-wait", type=float, default=10.0, metavar="SECONDS",
                    help="longest a check may sleep to see a token expire (default 10)")
    group.addoption("--dcr-report-dir", metavar="DIR", default=None,
                    help="write the certification summary (summary.json, summary.md) into DIR")
    group.addoption("--dcr-fuzz-examples", type=int, default=None, metavar="N",
                    help="Hypothesis examples per fuzzing property (default: a fast budget)")
    group.addoption("--dcr-fuzz-seed", type=int, default=None, metavar="N",
                    help="run the fuzzing checks with this seed (CI=true: derandomized; default: random, "
                         "failing examples kept in reports/hypothesis)")
    group.addoption("--dcr-max-response-bytes", type=_positive_int, default=DEFAULT_MAX_RESPONSE_BYTES, metavar="N",
                    help="a response body larger than N bytes is read no further and fails its check "
                         f"(default {DEFAULT_MAX_RESPONSE_BYTES} = 1 MiB)")
    group.addoption("--dcr-unresponsive-after", type=_positive_int, default=DEFAULT_UNRESPONSIVE_AFTER, metavar="N",
                    help="after N consecutive timeouts or connection failures of one endpoint, the checks that "
                         f"still need it fail at once (default {DEFAULT_UNRESPONSIVE_AFTER})")
    group.addoption("--dcr-max-run-time", type=float, default=None, metavar="SECONDS",
                    help="end the run after SECONDS: the checks left are 'not run', the reports are written "
                         "and the exit status is 124")
    group.addoption("--dcr-cli-exit-statuses", action="store_true", default=False,
                    help="report the exit statuses of 'dcr-conformance run' (README) in summary.json instead of "
                         "pytest's (set by dcr-conformance run)")
    group.addoption("--dcr-race-width", type=int, default=16, metavar="N",
                    help="concurrent registrations with one initial token (DCR-REG-007, DCR-FUZZ-003; default 16)")


def option(config: pytest.Config, name: str):
    """The value of an option that may not exist in this run (a plugin not loaded): else None."""
    try:
        return config.getoption(name)
    except (ValueError, AttributeError):
        return None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


#: Every --dcr-* option with its default: a run that changes none of them did not ask for the suite.
DEFAULTS = {"--dcr-profile": [], "--dcr-strict": False, "--dcr-expected-failures": None, "--dcr-defect": None,
            "--dcr-embedded-rotation": "on", "--dcr-keep-clients": False, "--dcr-max-wait": 10.0,
            "--dcr-report-dir": None, "--dcr-fuzz-examples": None, "--dcr-fuzz-seed": None,
            "--dcr-race-width": 16, "--dcr-max-response-bytes": DEFAULT_MAX_RESPONSE_BYTES,
            "--dcr-unresponsive-after": DEFAULT_UNRESPONSIVE_AFTER, "--dcr-max-run-time": None,
            "--dcr-cli-exit-statuses": False}
#: How a command line names the suite's checks (``--pyargs conformance.suite``, a path into it).
_SUITE_NAMES = ("conformance.suite", "conformance/suite")


def requested(config: pytest.Config) -> bool:
    """Whether this run asked for dcr-conformance: a --dcr-* option differs from its default, or
    the arguments name the suite. The plugin is installed in every pytest run of the environment;
    in the others it stays silent and writes nothing (until a check is collected)."""
    if any(option(config, name) not in (None, default) and option(config, name) != default
           for name, default in DEFAULTS.items()):
        return True
    return any(name in str(arg) for arg in config.invocation_params.args for name in _SUITE_NAMES)
