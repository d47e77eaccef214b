"""The exit statuses of ``dcr-conformance run`` (the README's table), and how pytest's map onto them.

A run cut short never exits 0 or 1: a signal gives the shell's ``128 + N`` (130 SIGINT, 143
SIGTERM, 129 SIGHUP), ``--max-run-time`` gives 124 (the status of ``timeout(1)``). The checks
that did not finish are "not run" in every report.
"""

from __future__ import annotations


EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNUSABLE = 0, 1, 2, 3
#: The run reached ``--max-run-time``; the checks left are "not run".
EXIT_OUT_OF_TIME = 124
#: pytest's own statuses (``pytest.ExitCode``) that the table renames. pytest's INTERRUPTED (2) that
#: the harness did not turn into 128 + N is a collection error (a check module failed to import): 1.
_PYTEST = {0: EXIT_OK, 1: EXIT_FAILED, 2: EXIT_FAILED, 3: EXIT_UNUSABLE, 4: EXIT_USAGE, 5: EXIT_USAGE}


def interrupted_status(signum: int) -> int:
    """The status of a run ended by signal ``signum``: 128 + its number, as shells report it."""
    return 128 + int(signum)


def contract_status(code: int) -> int:
    """Map pytest's exit code onto the table; the harness's own statuses (124, 128 + N) pass as they are.
    pytest exits 3 for an internal error too: the target-unusable path is pytest.exit(returncode=3)."""
    return _PYTEST.get(int(code), int(code))
