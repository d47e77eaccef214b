"""Hypothesis examples generated ahead, in a child process, while the parent sends them.

Drawing one registration payload costs Hypothesis about as much CPU as the bare HTTP requests of
the example it describes; in one process the two take turns. Here a forked child runs the same
``@given`` with the same seed and settings, generation only, and pipes each example (pickled) to
the parent, which runs the test body on it. The pipe's buffer bounds how far ahead the child gets.

Hypothesis' generate phase draws the same examples, in the same order, for the same seed and
settings whatever the test body does until it fails (only the example database, shrinking and
``target()`` react to outcomes): so the parent sees exactly the examples an in-process run would
have sent. When an example fails, the caller replays the same seeded run in-process, where
Hypothesis meets the same failure, shrinks it, saves it to the database and raises it
(:func:`conformance.fuzz.run.run_property`).

Where ``fork`` is not available, or the child dies or falls silent, :class:`Ahead` says so
(:class:`GeneratorUnavailable`) and the caller runs in-process as before.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import threading
import warnings
from typing import Any, Callable, Iterator

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.strategies import SearchStrategy

from conformance.forking import STOP_SIGNALS, fork_available

#: The child's silence, in seconds, after which it is given up (Hypothesis fills its per-machine
#: caches on a first run, a few seconds; one example takes about a millisecond).
CHILD_SILENCE_S = 60.0
_END = b""


class GeneratorUnavailable(RuntimeError):
    """No child could generate the examples (no ``fork``, or it died or fell silent)."""


def _generate(conn, parent_end, decorate: Callable[[Callable], Callable], test_settings: settings,
              strategies: dict[str, Any]) -> None:
    """In the child: run the seeded ``@given`` with a body that pipes each example out."""
    for stop in STOP_SIGNALS - {signal.SIGTERM, signal.SIGALRM}:
        signal.signal(stop, signal.SIG_IGN)  # the parent handles them and ends the child
    for stop in (signal.SIGTERM, signal.SIGALRM):
        signal.signal(stop, signal.SIG_DFL)  # never the parent's handlers (cut-off, cleanup)
    parent_end.close()  # the only reader left is the parent: if it dies, the next write fails
    warnings.simplefilter("ignore")  # the child has nobody to tell: the parent's run reports

    def produce(**values: Any) -> None:
        conn.send_bytes(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))

    quiet = settings(test_settings, verbosity=Verbosity.quiet)
    try:
        decorate(quiet(given(**strategies)(produce)))()
        conn.send_bytes(_END)
    except BrokenPipeError:  # the parent stopped reading: it has what it needs
        pass
    finally:
        conn.close()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM, SIGHUP and SIGALRM while the child is forked, then hand them to the
    run's handlers. Those raise to cut the check off; raised inside an at-fork hook (logging's)
    the exception would be lost as "ignored". Blocking the signals would not do: another thread
    may take them, and Python runs the handler in the main thread at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be set from the main thread (where the checks run)
        return
    held: list[int] = []
    previous = {}
    for number in STOP_SIGNALS:
        handler = signal.getsignal(number)
        if handler is not None:  # None: set outside Python, and could not be put back
            previous[number] = signal.signal(number, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in held:
            signal.raise_signal(number)  # the run's handler acts on it now


@contextlib.contextmanager
def _gc_frozen() -> Iterator[None]:
    """Fork with the parent's objects frozen out of the cyclic collector (``gc.freeze``): the
    child's collections then never walk (and so never copy, page by page) the parent's heap. The
    parent's objects are unfrozen again once the child is started, unless some were frozen
    before (a conformance run freezes what it keeps, :mod:`conformance.harness.heap`, and
    unfreezes it at its end: unfreezing here would hand all of it back to the collector)."""
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()


#: How much the pipe holds (Linux ``F_SETPIPE_SZ``; the default 64 KiB holds one or two of the
#: largest examples, tens of kilobytes, and the child stalls behind them).
PIPE_BYTES = 1 << 20


def _widen(conn) -> None:
    """Let the pipe hold :data:`PIPE_BYTES`, so the child keeps its lead over large examples
    (where the platform allows; else the default size)."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):
        pass


#: Examples drawn in the parent before the fork (:func:`_warm`), once per strategy object.
WARM_EXAMPLES = 10
#: The strategy objects set up so far, the last ones (held: a weak set's callback, run when one is
#: collected, is a place where a signal handler that raises would be "ignored" with a traceback).
WARMED_KEPT = 16
_warmed: list[Any] = []


def _warm(strategies: dict[str, Any]) -> None:
    """Set the strategies up here, before the fork, so that every child inherits them instead of
    doing it while the parent waits for its examples: each strategy of the tree is validated
    (Hypothesis does that on the first draw from each; ``text()``'s code-point tables alone take
    tens of milliseconds: the child's fifth example came 57 ms after its fourth, the first unicode
    text, before this), then a few examples are drawn (on its first draws Hypothesis also reads
    the constants of the code under test, once per process: 36 ms)."""
    if all(any(strategy is done for done in _warmed) for strategy in strategies.values()):
        return  # set up by an earlier fork of this process
    for strategy in strategies.values():
        _validate_tree(strategy)

    @seed(0)
    @settings(max_examples=WARM_EXAMPLES, database=None, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @given(**strategies)
    def draw(**values: Any) -> None:
        pass

    draw()
    _warmed[:] = [*_warmed, *strategies.values()][-WARMED_KEPT:]


def _validate_tree(root: SearchStrategy) -> None:
    """``validate()`` every strategy reachable from ``root`` (through the attributes of each,
    lists and tuples of them, and what a lazy or deferred strategy wraps)."""
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SearchStrategy):
            node.validate()
            children = list(getattr(node, "__dict__", {}).values())
            if isinstance(getattr(type(node), "wrapped_strategy", None), property):
                children.append(node.wrapped_strategy)
        elif isinstance(node, (list, tuple)):
            children = list(node)
        else:
            continue
        stack.extend(child for child in children if isinstance(child, (SearchStrategy, list, tuple)))


class Ahead:
    """The examples of a seeded ``@given`` run, generated in a child. Iterate once; close after."""

    def __init__(self, decorate: Callable[[Callable], Callable], test_settings: settings,
                 strategies: dict[str, Any], *, silence_s: float = CHILD_SILENCE_S) -> None:
        if not fork_available():
            raise GeneratorUnavailable("this platform cannot fork")
        _warm(strategies)
        context = multiprocessing.get_context("fork")
        self._conn, child_end = context.Pipe(duplex=False)
        _widen(self._conn)
        self._silence_s = silence_s
        self._process = context.Process(
            target=_generate, args=(child_end, self._conn, decorate, test_settings, strategies),
            name="dcr-fuzz-generator", daemon=True)
        try:
            with _signals_held(), warnings.catch_warnings(), _gc_frozen():
                warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork of a process
                self._process.start()  # with threads; the child only generates and writes a pipe
        except BaseException:  # a signal held during the fork, raised by the run's handler
            child_end.close()
            self.close()  # the caller never gets the object: end the child now
            raise
        child_end.close()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            if not self._conn.poll(self._silence_s):
                raise GeneratorUnavailable(f"the generator child was silent for {self._silence_s:g} s")
            try:
                data = self._conn.recv_bytes()
            except (EOFError, OSError) as exc:
                raise GeneratorUnavailable(f"the generator child ended early ({exc!r})") from None
            if data == _END:
                return
            yield pickle.loads(data)

    def close(self) -> None:
        """End the child (it may be blocked writing examples nobody will read)."""
        self._conn.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5)
        if self._process.is_alive():  # pragma: no cover - terminate is not ignored by the child
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.join(timeout=5)

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
