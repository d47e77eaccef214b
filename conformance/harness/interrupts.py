"""SIGINT, SIGTERM and SIGHUP end a run the same way: the check running is cut off ("not run"),
the session stops (``session.shouldstop``), every registered client is deleted, the reports are
written and the run exits 128 + N (:mod:`~conformance.harness.exitcodes`). A second signal stops
the cleanup: what it leaves on the server is printed and listed in the reports. A third ends the
process at once.

Only a check's own code is cut off (:class:`RunInterrupted`, turned into a "not run" skip by the
plugin); anywhere else the run stops after the test at hand, whose call is then not started.
Under pytest-xdist the controller does not raise: it tells its workers (SIGUSR1: stop the tests,
SIGUSR2: stop the cleanup), keeps receiving their reports and leftovers, and ends when they do.
Workers count a forwarded signal only when the user's own (a Ctrl-C reaches the whole process
group) has not reached them already.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

from conformance.harness.cleanup import CleanupAbandoned
from conformance.harness.exitcodes import interrupted_status

SIGNALS = tuple(s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None)
#: Controller -> worker: "a signal ended the run" and "a second one stopped the cleanup".
FORWARD_STOP, FORWARD_ABANDON = getattr(signal, "SIGUSR1", None), getattr(signal, "SIGUSR2", None)

COLLECT, RUN, CLEANUP, DONE = "collect", "run", "cleanup", "done"


class RunInterrupted(KeyboardInterrupt):
    """Raised into a check's call by the first signal; the plugin reports the check "not run"."""


class Interrupts:
    """The signal handlers of one run and what they received."""

    def __init__(self, *, controller: bool = False, stop_session: Callable[[str], None] = lambda reason: None,
                 out: Callable[[str], None] | None = None) -> None:
        self.controller = controller
        self.stop_session = stop_session  # sets the session's shouldstop
        self.signum: int | None = None  # the first signal
        self.count = 0
        self.phase = COLLECT
        self.in_call = False  # a check's own code is running (it may be cut off)
        self.abandoned = False  # a second signal: the cleanup stops
        self.worker_pids: list[int] = []
        self._forwarded_at: float | None = None  # a worker told by its controller, at this monotonic time
        self._cut_pending = False  # the check is cut off once its request at hand has its answer
        self._previous: dict[int, object] = {}
        self._out = out or (lambda text: print(text, file=sys.stderr, flush=True))

    @property
    def interrupted(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    def exit_status(self) -> int | None:
        return interrupted_status(self.signum) if self.signum is not None else None

    # ------------------------------------------------------------------ install

    def install(self) -> None:
        """Handle the signals from now on (main thread only; idempotent)."""
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        if not self.controller:
            for signum in (FORWARD_STOP, FORWARD_ABANDON):
                if signum is not None:
                    self._previous[signum] = signal.signal(signum, self._handle_forwarded)

    def arm_deadline(self, seconds: float, on_deadline: Callable[[], str | None]) -> None:
        """At ``seconds`` from now (SIGALRM), call ``on_deadline``; when a check's code is running and
        it returns a reason, the check is cut off like by a signal ("not run"), the run goes on."""
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
            return

        def expire(signum, frame) -> None:
            reason = on_deadline()
            if reason and self.phase == RUN and self.in_call:
                raise RunInterrupted(reason)

        self._previous.setdefault(signal.SIGALRM, signal.signal(signal.SIGALRM, expire))
        signal.setitimer(signal.ITIMER_REAL, max(0.01, seconds))

    def uninstall(self) -> None:
        if getattr(signal, "SIGALRM", None) in self._previous:
            signal.setitimer(signal.ITIMER_REAL, 0)
        for signum, handler in self._previous.items():
            try:
                signal.signal(signum, handler)
            except (TypeError, ValueError):
                pass
        self._previous = {}

    # ------------------------------------------------------------------ handlers

    def _handle(self, signum: int, frame) -> None:
        if _unraisable(frame):
            redeliver(signum)
            return
        if self._forwarded_at is not None and time.monotonic() - self._forwarded_at < 1.0:
            self._forwarded_at = None  # the user's own signal, which the controller forwarded too
            return
        self.count += 1
        if self.count >= 3:
            self._out(f"dcr-conformance: {signal.Signals(signum).name} a third time: stopping now; the reports "
                      "may be missing and registered clients may stay on the server")
            os._exit(self.exit_status() or interrupted_status(signum))
        if self.signum is None:
            self._first(signum, frame)
        else:
            self._second(signal.Signals(signum).name)

    def _handle_forwarded(self, signum: int, frame) -> None:
        if _unraisable(frame):
            redeliver(signum)
            return
        if signum == FORWARD_STOP and self._cut_pending:
            self._cut_off(frame)
            return
        if signum == FORWARD_STOP and self.signum is None:
            self.count += 1
            self._forwarded_at = time.monotonic()
            self._first(signal.SIGTERM, frame)
        elif signum == FORWARD_ABANDON and not self.abandoned:
            self.count = max(self.count, 1) + 1
            self._second("a second signal")

    @property
    def reason(self) -> str:
        return f"interrupted by {self.name}"

    def _cut_off(self, frame) -> None:
        """Raise into the check's call, between two requests: never in the middle of one (a
        registration whose answer is lost would leave a client no cleanup knows); each request is
        bounded, so this waits at most ``timeout_s``."""
        self._cut_pending = False
        if not (self.in_call and self.phase == RUN):
            return
        if _in_request(frame) and FORWARD_STOP is not None:
            self._cut_pending = True
            redeliver(FORWARD_STOP)
            return
        raise RunInterrupted(f"not run: {self.reason}")

    def _first(self, signum: int, frame=None) -> None:
        self.signum = signum
        name = signal.Signals(signum).name
        if self.controller and not self.worker_pids:  # no worker ready yet: nothing registered either
            raise KeyboardInterrupt(self.reason)
        if self.controller:
            self._out(f"\ndcr-conformance: {name} received: the workers stop, delete their clients and report "
                      "(a second signal stops the cleanup)")
            self._forward(FORWARD_STOP)
            self.stop_session(self.reason)
            return
        if self.phase == COLLECT:
            raise KeyboardInterrupt(self.reason)
        if self.phase == RUN:
            self.stop_session(self.reason)
            self._cut_off(frame)
            return
        if self.phase == CLEANUP:
            self.abandoned = True
            raise CleanupAbandoned(name)

    def _second(self, name: str) -> None:
        self.abandoned = True
        if self.controller:
            self._out(f"dcr-conformance: {name} again: the workers stop deleting clients; those left are "
                      "listed in the reports")
            self._forward(FORWARD_ABANDON)
            return
        if self.phase == CLEANUP:
            raise CleanupAbandoned(name)
        if self.phase == RUN:
            self._out(f"dcr-conformance: {name} again: the registered clients will not be deleted; they are "
                      "listed in the reports")

    def _forward(self, signum: int | None) -> None:
        for pid in self.worker_pids:
            try:
                os.kill(pid, signum)
            except (OSError, TypeError):
                pass


def redeliver(signum: int, delay_s: float = 0.05) -> None:
    """Send ``signum`` to this process again in a moment (the handler was called where it must not raise)."""
    timer = threading.Timer(delay_s, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()


def _in_request(frame) -> bool:
    """Whether ``frame`` is inside :meth:`conformance.client.http.Transport.send`."""
    from conformance.client.http import Transport

    send = Transport.send.__code__
    while frame is not None:
        if frame.f_code is send:
            return True
        frame = frame.f_back
    return False


def _unraisable(frame) -> bool:
    """Whether ``frame`` runs where Python prints an exception and drops it (a gc callback, such as
    Hypothesis's, or a ``__del__``): a handler must not raise there, or the signal is lost."""
    callbacks = {getattr(cb, "__code__", None) for cb in gc.callbacks}
    while frame is not None:
        if frame.f_code in callbacks or frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def startup_handler(signum: int, frame) -> None:
    """Before the harness takes over: end the start-up like Ctrl-C (never inside a gc callback)."""
    if _unraisable(frame):
        redeliver(signum)
        return
    raise KeyboardInterrupt(f"interrupted by {signal.Signals(signum).name}")
