"""What the run's forked children share: whether ``fork`` is there, and the signals the parent
handles (conformance.harness.interrupts), which a child leaves to it. Used by fuzzing's example
generator (conformance.fuzz.ahead) and the Allure writer's children (conformance.reporting.forked)."""

from __future__ import annotations

import multiprocessing
import signal

#: The signals the run's handlers act on (conformance.harness.interrupts: Ctrl-C, SIGTERM, SIGHUP, the
#: SIGALRM of --max-run-time, and the SIGUSR1 / SIGUSR2 an xdist worker gets from its controller for
#: them).
STOP_SIGNALS = frozenset(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGALRM", "SIGUSR1", "SIGUSR2")
                         if hasattr(signal, name))


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
