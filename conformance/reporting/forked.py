"""Work done by a forked child of the run's process, on the machine's other core.

The run's process is busy at one core while its checks send requests; the Allure files they leave
(a result and a transcript a check, 1,600 in a full run, redacted and serialised) cost it half a
millisecond of CPU each, and more in turns taken for the interpreter lock. A child forked from
the writer's thread holds everything the parent held at the fork (the queued files, the redactor
with every secret learnt so far) and writes a batch of files while the parent goes on: nothing
serialised between the two, no lock shared.

Only the forking thread lives on in a child, so a child must take no lock another thread may have
held at the fork: the writer's tasks read captured exchanges and finished results, redact (a
redactor's readers take no lock), serialise and write files, and print nothing.

The child ignores the stop signals (the parent handles them and waits for it), is killed by
the kernel after ``limit_s`` (``alarm``), never collects garbage (it is short-lived, and a
collection would copy the parent's heap page by page), and leaves with ``os._exit``: no
``atexit`` handler and no buffered output of the parent runs twice.
"""

from __future__ import annotations

import gc
import os
import signal
import warnings
from collections.abc import Callable, Iterable

from conformance.forking import STOP_SIGNALS


def run_in_child(tasks: Iterable[Callable[[], None]], limit_s: int) -> bool:
    """Run ``tasks`` in a forked child and wait for it: True if every one of them returned
    (the child exited 0), False if one raised, the child was killed or could not be forked."""
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:  # the child: only this thread exists here
        code = 1
        try:
            for number in STOP_SIGNALS - {signal.SIGALRM}:
                signal.signal(number, signal.SIG_IGN)  # the parent's: it waits for this child
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(max(1, int(limit_s)))
            gc.disable()
            warnings.simplefilter("ignore")  # nobody to tell: stderr is the parent's
            for task in tasks:
                task()
            code = 0
        finally:
            os._exit(code)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # reaped elsewhere: its files cannot be vouched for
        return False
    return os.waitstatus_to_exitcode(status) == 0
